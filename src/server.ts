/**
 * createGateway(config): the HTTP server, Apollo and the routes of DESIGN §6, on one store.
 * Data flows one way: HTTP → context (verify once) → resolvers → identity → store.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer } from "@apollo/server";
import type { Logger } from "pino";
import type { Config } from "./config";
import { createApollo } from "./graphql/apollo";
import { buildContext, type GatewayContext } from "./graphql/context";
import { BodyTooLargeError, readBody } from "./http/body";
import { oauth2Routes } from "./http/oauth2";
import { jwksBody, openidConfiguration } from "./http/oidc";
import { sendGraphQLError, sendJson } from "./http/respond";
import type { CodeSender } from "./identity/deps";
import { errorSummary, UserPool } from "./identity/pool";
import { createLogger } from "./log";
import { resolveMasterKey } from "./masterKey";
import { openStore } from "./store/open";
import type { Store } from "./store/store";

export interface GatewayOptions {
  config: Readonly<Config>;
  logger?: Logger;
  /** An already-open store (tests, embedding); otherwise POOLGATE_DATABASE_URL is opened. */
  store?: Store;
  sender?: CodeSender;
  now?: () => number;
}

export interface Gateway {
  readonly pool: UserPool;
  readonly logger: Logger;
  /** Listens on config.host:config.port; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, drains in-flight requests, then closes the pool and the store. */
  stop(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

async function handleGraphQL(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  apollo: ApolloServer<GatewayContext>,
  pool: UserPool,
  config: Readonly<Config>,
  requestId: string,
  log: Logger,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "POST") {
    sendGraphQLError(res, 405, "BAD_REQUEST", "Use GET or POST");
    return;
  }
  let body: unknown = undefined;
  if (req.method === "POST") {
    let raw: Buffer;
    try {
      raw = await readBody(req, config.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader("connection", "close");
        sendGraphQLError(
          res,
          413,
          "BAD_REQUEST",
          `Request body larger than ${config.maxBodyBytes} bytes`,
        );
        return;
      }
      throw err;
    }
    const type = (req.headers["content-type"] ?? "").toLowerCase();
    if (
      type.startsWith("application/json") ||
      type.startsWith("application/graphql-response+json")
    ) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        sendGraphQLError(res, 400, "BAD_REQUEST", "Request body is not valid JSON");
        return;
      }
    } else {
      body = raw.toString("utf8");
    }
  }
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method, headers: toHeaderMap(req), search: url.search, body },
    context: () => buildContext(pool, req.headersDistinct.authorization, requestId, log),
  });
  for (const [name, value] of result.headers) res.setHeader(name, value);
  res.setHeader("cache-control", "no-store");
  res.statusCode = result.status ?? 200;
  if (result.body.kind === "complete") {
    res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config);
  const store = options.store ?? (await openStore(config.databaseUrl));
  try {
    return await startOn(store, options, logger);
  } catch (err) {
    // A failed start (wrong master key, unreachable keys) must not leave the store open.
    await store.close().catch(() => undefined);
    throw err;
  }
}

async function startOn(store: Store, options: GatewayOptions, logger: Logger): Promise<Gateway> {
  const { config } = options;
  const master = resolveMasterKey(config);
  if (master.generatedAt)
    logger.warn(
      { file: master.generatedAt },
      "development master key generated; set POOLGATE_MASTER_KEY in production",
    );
  const pool = await UserPool.open({
    store,
    config,
    masterKey: master.key,
    logger,
    ...(options.sender ? { sender: options.sender } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const apollo = createApollo(config, logger);
  await apollo.start();
  const oauth2 = oauth2Routes(pool, config.maxBodyBytes);

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headerId = req.headers["x-request-id"];
    const requestId =
      typeof headerId === "string" && REQUEST_ID.test(headerId) ? headerId : randomUUID();
    res.setHeader("x-request-id", requestId);
    const log = logger.child({ requestId });
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://gateway.invalid");
    } catch {
      // e.g. a request target of "//": not a path this server could serve.
      sendJson(res, 400, { error: "invalid_request_target" });
      return;
    }
    try {
      switch (url.pathname) {
        case "/graphql":
          await handleGraphQL(req, res, url, apollo, pool, config, requestId, log);
          break;
        case "/.well-known/jwks.json": {
          const body = jwksBody(pool.keys.ring().jwks());
          res.writeHead(200, {
            "content-type": "application/json",
            "cache-control": "public, max-age=300",
          });
          res.end(body);
          break;
        }
        case "/.well-known/openid-configuration": {
          // Scopes include every resource server's, so the document is built per request.
          const scopes = [...(await pool.resourceServers.knownScopes())];
          res.writeHead(200, {
            "content-type": "application/json",
            "cache-control": "public, max-age=300",
          });
          res.end(JSON.stringify(openidConfiguration(config.issuer, scopes)));
          break;
        }
        case "/healthz":
          sendJson(res, 200, { status: "ok" });
          break;
        case "/readyz": {
          const ready = await pool.ready();
          sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable" });
          break;
        }
        default: {
          const route = oauth2[url.pathname];
          if (route) await route(req, res, log);
          else sendJson(res, 404, { error: "not_found" });
        }
      }
    } catch (err) {
      log.error({ err: errorSummary(err) }, "request failed");
      if (!res.headersSent)
        sendGraphQLError(res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
      else res.destroy();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug(
        { method: req.method, path: url.pathname, status: res.statusCode, durationMs },
        "request",
      );
    }
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    handle(req, res)
      .catch((err: unknown) => {
        // handle() answers its own errors; this is the last line of defence for the process.
        logger.error({ err: errorSummary(err) }, "request handler failed");
        if (!res.headersSent)
          sendGraphQLError(res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
        else res.destroy();
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;

  let stopped: Promise<void> | undefined;
  return {
    pool,
    logger,
    listen() {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          const host = config.host.includes(":") ? `[${config.host}]` : config.host;
          resolve(`http://${host}:${port}`);
        });
      });
    },
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          if (inFlight === 0) resolve();
        });
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        await apollo.stop();
        await pool.close();
        await store.close();
      })();
      return stopped;
    },
  };
}
