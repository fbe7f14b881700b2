/**
 * The `poolgate` command (DESIGN §9). Same POOLGATE_* environment as the server; `--json`
 * prints machine-readable output. One-shot commands open the store without the background
 * sync; a running gateway sees their changes within POOLGATE_SYNC_INTERVAL_MS.
 */
import { parseArgs } from "node:util";
import { loadConfig, type Config } from "./config";
import { createSender } from "./delivery/createSender";
import { isPoolgateError, PoolgateError } from "./errors";
import { parseOAuthFlows } from "./identity/clients";
import { UserPool } from "./identity/pool";
import type { ClientView } from "./identity/views";
import { createLogger } from "./log";
import { resolveMasterKey } from "./masterKey";
import { createGateway } from "./server";
import { openStore, storeTimeouts } from "./store/open";

const USAGE = `Usage: poolgate <command> [options]

  serve                                   run the gateway
  clients create --name N [--secret] [--scopes "a b"] [--rotate-refresh-tokens]
                 [--access-token-validity S] [--id-token-validity S] [--refresh-token-validity S]
                 [--auth-session-validity MINUTES]
                 [--callback-url URL]... [--logout-url URL]... [--oauth-flows code,implicit]
      --oauth-flows: code, implicit, client_credentials, comma-separated (default:
      client_credentials with --secret, none without); code and implicit need a --callback-url
  clients update ID [--callback-url URL]... [--logout-url URL]... [--oauth-flows F,F]
                    [--scopes "a b"]
      a list given replaces the client's list; --callback-url "" or --oauth-flows "" clears it
  clients list | clients disable ID | clients enable ID | clients delete ID
  users create --username U [--password P | --temporary-password P] [--email E]
               [--attribute name=value]... [--group G]... [--suppress-invitation]
      --password: permanent (CONFIRMED at once); --temporary-password: FORCE_CHANGE_PASSWORD;
      neither: a temporary password is generated and sent to --email in an invitation
  users disable U | users enable U | users delete U | users reset-mfa U
  users add-to-group U G
  resource-servers create --id ID --scopes "read write" [--name N]
  resource-servers list | resource-servers delete ID
  keys list | keys rotate
  access-keys create [--description D]    an access key for Cognito's admin operations (SigV4);
                                          the secret is printed once
  access-keys list | access-keys delete ID

Options: --json   print JSON
Configuration comes from POOLGATE_* environment variables (see README).`;

type Out = (human: string, json: unknown) => void;

function output(json: boolean): Out {
  return (human, data) => {
    process.stdout.write(json ? JSON.stringify(data) + "\n" : human + "\n");
  };
}

async function withPool<T>(
  config: Readonly<Config>,
  fn: (pool: UserPool) => Promise<T>,
): Promise<T> {
  const logger = createLogger({ logLevel: config.logLevel === "info" ? "warn" : config.logLevel });
  const store = await openStore(config.databaseUrl, storeTimeouts(config));
  // Connects only when a command sends a message (an invitation), never at start.
  const sender = createSender(config, logger);
  try {
    const { key } = resolveMasterKey(config);
    const pool = await UserPool.open({
      store,
      config,
      masterKey: key,
      logger,
      sender,
      backgroundSync: false,
    });
    try {
      return await fn(pool);
    } finally {
      await pool.close();
    }
  } finally {
    await sender.close();
    await store.close();
  }
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new PoolgateError("BAD_USER_INPUT", `--${name} must be a whole number`);
  return Number(value);
}

/** A repeatable URL flag's values; an empty value (`--callback-url ""`) stands for none. */
function urls(values: readonly string[] | undefined): string[] | undefined {
  return values?.filter((v) => v !== "");
}

function scopeList(value: string | undefined): string[] | undefined {
  return value?.split(/\s+/).filter(Boolean);
}

/** What `clients list` and `clients update` print of a client: never a secret. */
function clientJson(c: ClientView) {
  return {
    clientId: c.clientId,
    name: c.name,
    confidential: c.confidential,
    allowedScopes: c.allowedScopes,
    callbackUrls: c.callbackUrls,
    logoutUrls: c.logoutUrls,
    allowedOAuthFlows: c.allowedOAuthFlows,
    rotateRefreshTokens: c.rotateRefreshTokens,
    enabled: c.enabled,
  };
}

function clientLine(c: ClientView): string {
  return (
    `${c.clientId}  ${c.name}  ${c.allowedScopes.join(" ")}` +
    (c.allowedOAuthFlows.length > 0 ? `  flows: ${c.allowedOAuthFlows.join(",")}` : "") +
    (c.callbackUrls.length > 0 ? `  callbacks: ${c.callbackUrls.join(" ")}` : "")
  );
}

async function serve(config: Readonly<Config>): Promise<number> {
  const gateway = await createGateway({ config });
  const { pool, logger } = gateway;
  if (config.environment === "development" && (await pool.clients.list()).length === 0) {
    const { client } = await pool.clients.create(
      { name: "default", allowedScopes: ["openid", "email", "profile"] },
      Date.now(),
    );
    logger.info(
      {
        clientId: client.clientId,
        next: "npx poolgate users create --username alice --password 'Passw0rd!'",
      },
      "development: created a public app client",
    );
  }
  const url = await gateway.listen();
  logger.info(
    { url: `${url}/graphql`, issuer: config.issuer, environment: config.environment },
    "poolgate listening",
  );
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "draining and shutting down");
      gateway.stop().then(resolve, (err: unknown) => {
        logger.error({ err: String(err) }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  return 0;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      name: { type: "string" },
      id: { type: "string" },
      secret: { type: "boolean", default: false },
      scopes: { type: "string" },
      "rotate-refresh-tokens": { type: "boolean", default: false },
      "access-token-validity": { type: "string" },
      "id-token-validity": { type: "string" },
      "refresh-token-validity": { type: "string" },
      "auth-session-validity": { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      "temporary-password": { type: "string" },
      "suppress-invitation": { type: "boolean", default: false },
      email: { type: "string" },
      attribute: { type: "string", multiple: true },
      group: { type: "string", multiple: true },
      description: { type: "string" },
      "callback-url": { type: "string", multiple: true },
      "logout-url": { type: "string", multiple: true },
      "oauth-flows": { type: "string" },
    },
  });
}

export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    // A mistyped option is a usage error, like an unknown command.
    process.stderr.write(
      `poolgate: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`,
    );
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + "\n");
    return values.help ? 0 : 2;
  }
  const out = output(values.json);
  try {
    const config = loadConfig(env);
    switch (`${command} ${sub ?? ""}`.trim()) {
      case "serve":
        return await serve(config);
      case "clients create":
        return await withPool(config, async (pool) => {
          if (!values.name) throw new PoolgateError("BAD_USER_INPUT", "--name is required");
          const { client, clientSecret } = await pool.clients.create(
            {
              name: values.name,
              generateSecret: values.secret,
              allowedScopes: scopeList(values.scopes),
              callbackUrls: urls(values["callback-url"]),
              logoutUrls: urls(values["logout-url"]),
              allowedOAuthFlows:
                values["oauth-flows"] === undefined
                  ? undefined
                  : parseOAuthFlows(values["oauth-flows"]),
              rotateRefreshTokens: values["rotate-refresh-tokens"],
              accessTokenValiditySeconds: int(
                values["access-token-validity"],
                "access-token-validity",
              ),
              idTokenValiditySeconds: int(values["id-token-validity"], "id-token-validity"),
              refreshTokenValiditySeconds: int(
                values["refresh-token-validity"],
                "refresh-token-validity",
              ),
              authSessionValidityMinutes: int(
                values["auth-session-validity"],
                "auth-session-validity",
              ),
            },
            Date.now(),
          );
          out(
            `clientId: ${client.clientId}` +
              (clientSecret ? `\nclientSecret: ${clientSecret}  (shown once)` : ""),
            {
              clientId: client.clientId,
              ...(clientSecret ? { clientSecret } : {}),
              allowedScopes: client.allowedScopes,
              callbackUrls: client.callbackUrls,
              logoutUrls: client.logoutUrls,
              allowedOAuthFlows: client.allowedOAuthFlows,
            },
          );
          return 0;
        });
      case "clients update":
        return await withPool(config, async (pool) => {
          const clientId = rest[0];
          if (!clientId)
            throw new PoolgateError("BAD_USER_INPUT", "usage: poolgate clients update CLIENT_ID");
          const client = await pool.clients.update(
            clientId,
            {
              callbackUrls: urls(values["callback-url"]),
              logoutUrls: urls(values["logout-url"]),
              allowedOAuthFlows:
                values["oauth-flows"] === undefined
                  ? undefined
                  : parseOAuthFlows(values["oauth-flows"]),
              allowedScopes: scopeList(values.scopes),
            },
            Date.now(),
          );
          out(clientLine(client), clientJson(client));
          return 0;
        });
      case "clients list":
        return await withPool(config, async (pool) => {
          const clients = await pool.clients.list();
          out(clients.map(clientLine).join("\n"), clients.map(clientJson));
          return 0;
        });
      case "clients disable":
      case "clients enable":
      case "clients delete":
        return await withPool(config, async (pool) => {
          const clientId = rest[0];
          if (!clientId)
            throw new PoolgateError("BAD_USER_INPUT", `usage: poolgate clients ${sub} CLIENT_ID`);
          if (sub === "delete") await pool.clients.delete(clientId, Date.now());
          else await pool.clients.setEnabled(clientId, sub === "enable", Date.now());
          out(`${clientId}: ${sub}d`, { clientId, action: sub });
          return 0;
        });
      case "users create":
        return await withPool(config, async (pool) => {
          if (!values.username) throw new PoolgateError("BAD_USER_INPUT", "--username is required");
          const attributes: Record<string, string> = {};
          if (values.email) attributes["email"] = values.email;
          for (const pair of values.attribute ?? []) {
            const eq = pair.indexOf("=");
            if (eq <= 0)
              throw new PoolgateError(
                "BAD_USER_INPUT",
                `--attribute must be name=value, got "${pair}"`,
              );
            attributes[pair.slice(0, eq)] = pair.slice(eq + 1);
          }
          const user = await pool.users.adminCreate({
            username: values.username,
            password: values.password ?? null,
            temporaryPassword: values["temporary-password"] ?? null,
            attributes,
            groups: values.group ?? [],
            messageAction: values["suppress-invitation"] ? "SUPPRESS" : null,
          });
          out(`sub: ${user.sub}\nstatus: ${user.status}`, {
            sub: user.sub,
            username: user.username,
            status: user.status,
            groups: values.group ?? [],
          });
          return 0;
        });
      case "users disable":
      case "users enable":
      case "users delete":
        return await withPool(config, async (pool) => {
          const username = rest[0];
          if (!username)
            throw new PoolgateError("BAD_USER_INPUT", `usage: poolgate users ${sub} USERNAME`);
          if (sub === "delete") await pool.users.delete(username);
          else await pool.users.setEnabled(username, sub === "enable");
          out(`${username}: ${sub}d`, { username, action: sub });
          return 0;
        });
      case "users reset-mfa":
        return await withPool(config, async (pool) => {
          const username = rest[0];
          if (!username)
            throw new PoolgateError("BAD_USER_INPUT", "usage: poolgate users reset-mfa USERNAME");
          const user = await pool.users.require(username);
          await pool.mfa.reset(user.sub);
          out(`${username}: MFA reset`, { username, action: "reset-mfa" });
          return 0;
        });
      case "users add-to-group":
        return await withPool(config, async (pool) => {
          const [username, group] = rest;
          if (!username || !group)
            throw new PoolgateError(
              "BAD_USER_INPUT",
              "usage: poolgate users add-to-group USERNAME GROUP",
            );
          await pool.users.addToGroup(username, group);
          out(`${username} added to ${group}`, { username, group });
          return 0;
        });
      case "resource-servers create":
        return await withPool(config, async (pool) => {
          if (!values.id || values.scopes === undefined) {
            throw new PoolgateError("BAD_USER_INPUT", "--id and --scopes are required");
          }
          const server = await pool.resourceServers.create(
            {
              id: values.id,
              ...(values.name ? { name: values.name } : {}),
              scopes: values.scopes.split(/\s+/).filter(Boolean),
            },
            Date.now(),
          );
          out(`${server.id}: ${server.scopes.map((s) => `${server.id}/${s}`).join(" ")}`, server);
          return 0;
        });
      case "resource-servers list":
        return await withPool(config, async (pool) => {
          const servers = await pool.resourceServers.list();
          out(servers.map((r) => `${r.id}  ${r.name}  ${r.scopes.join(" ")}`).join("\n"), servers);
          return 0;
        });
      case "resource-servers delete":
        return await withPool(config, async (pool) => {
          const id = rest[0];
          if (!id)
            throw new PoolgateError("BAD_USER_INPUT", "usage: poolgate resource-servers delete ID");
          const deleted = await pool.resourceServers.delete(id);
          out(deleted ? `${id}: deleted` : `${id}: no such resource server`, { id, deleted });
          return deleted ? 0 : 1;
        });
      case "keys list":
        return await withPool(config, async (pool) => {
          const now = Date.now();
          const keys = (await pool.store.listKeys()).map((k) => ({
            kid: k.kid,
            alg: k.alg,
            // "active" keys whose activation lies ahead are published but do not sign yet.
            status: k.status === "active" && k.createdAtMs > now ? "pending" : k.status,
            createdAt: new Date(k.createdAtMs).toISOString(),
            activeFrom: new Date(k.createdAtMs).toISOString(),
            expiresAt: k.expiresAtMs === null ? null : new Date(k.expiresAtMs).toISOString(),
          }));
          out(keys.map((k) => `${k.kid}  ${k.alg}  ${k.status}  ${k.activeFrom}`).join("\n"), keys);
          return 0;
        });
      case "keys rotate":
        return await withPool(config, async (pool) => {
          const now = Date.now();
          // A changed POOLGATE_SIGNING_ALGORITHM already rotated when the pool opened: once is enough.
          const kid = pool.keys.rotatedAtOpen ?? (await pool.keys.rotate(now));
          const activeFrom = new Date(now + config.keyActivationDelaySeconds * 1000).toISOString();
          out(`new signing key: ${kid} (published now, signs from ${activeFrom})`, {
            kid,
            activeFrom,
          });
          return 0;
        });
      case "access-keys create":
        return await withPool(config, async (pool) => {
          const { key, secretAccessKey } = await pool.accessKeys.create(values.description ?? "");
          // --json is exactly the two credentials, as AWS's own tools print them.
          out(
            `accessKeyId: ${key.accessKeyId}\nsecretAccessKey: ${secretAccessKey}  ` +
              "(shown once: it cannot be read back)",
            { accessKeyId: key.accessKeyId, secretAccessKey },
          );
          return 0;
        });
      case "access-keys list":
        return await withPool(config, async (pool) => {
          const keys = (await pool.accessKeys.list()).map((k) => ({
            accessKeyId: k.accessKeyId,
            description: k.description,
            createdAt: new Date(k.createdAtMs).toISOString(),
            lastUsedAt: k.lastUsedAtMs === null ? null : new Date(k.lastUsedAtMs).toISOString(),
          }));
          out(
            keys
              .map(
                (k) =>
                  `${k.accessKeyId}  created ${k.createdAt}  last used ${k.lastUsedAt ?? "never"}` +
                  (k.description ? `  ${k.description}` : ""),
              )
              .join("\n"),
            keys,
          );
          return 0;
        });
      case "access-keys delete":
        return await withPool(config, async (pool) => {
          const accessKeyId = rest[0];
          if (!accessKeyId)
            throw new PoolgateError("BAD_USER_INPUT", "usage: poolgate access-keys delete ID");
          const deleted = await pool.accessKeys.delete(accessKeyId);
          out(deleted ? `${accessKeyId}: deleted` : `${accessKeyId}: no such access key`, {
            accessKeyId,
            deleted,
          });
          return deleted ? 0 : 1;
        });
      default:
        process.stderr.write(`poolgate: unknown command "${positionals.join(" ")}"\n\n${USAGE}\n`);
        return 2;
    }
  } catch (err) {
    if (isPoolgateError(err)) {
      if (values.json)
        process.stdout.write(
          JSON.stringify({ error: { code: err.code, message: err.message } }) + "\n",
        );
      else process.stderr.write(`poolgate: ${err.message} (${err.code})\n`);
      return 1;
    }
    throw err;
  }
}
