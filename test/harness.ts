/**
 * Test harness: a real gateway on port 0 over a real SQLite file in a fresh temp folder,
 * with a master key generated for the run and a controllable clock. Helpers read like the
 * rules they check: signInAs(user), gqlAs(token, query), expectCode(result, code).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../src/config";
import { createLogger } from "../src/log";
import { createGateway, type Gateway, type GatewayOptions } from "../src/server";
import type { UserPool } from "../src/identity/pool";
import { codeIn, startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from "./support/smtp";

export interface TestClock {
  now: () => number;
  /** Moves time forward (the clock starts at real time and stays frozen unless advanced). */
  advance(ms: number): void;
}

export function frozenClock(startMs = Date.now()): TestClock {
  let t = startMs;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface GqlResult {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, any> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  };
}

export interface TestGateway {
  url: string;
  dir: string;
  env: Record<string, string>;
  config: Readonly<Config>;
  pool: UserPool;
  gateway: Gateway;
  clock: TestClock | undefined;
  /** The gateway's mail server (POOLGATE_SMTP_URL points at it); undefined with `smtp: false`. */
  smtp: TestSmtpServer | undefined;
  /** The verification codes the mail server received, oldest first (see HARNESS_TEMPLATES). */
  sentCodes: { username: string; code: string; destination: string | undefined }[];
  gql(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GqlResult>;
  /** Stops the server and keeps the data folder (for restart tests). */
  stop(): Promise<void>;
  /** Stops and removes the data folder. */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse a data folder and environment (restart). */
  reuse?: { dir: string; env: Record<string, string> };
  clock?: TestClock;
  /**
   * The gateway's test SMTP server, started with these options (a restart gets a new one);
   * `false`: none, and POOLGATE_SMTP_URL is left as the environment has it.
   */
  smtp?: false | TestSmtpOptions;
  /** GET /revocations: heartbeat interval and stream limit. */
  revocationStreams?: GatewayOptions["revocationStreams"];
}

/**
 * The verification message names the user on a line of its own, so `sentCodes` reads who a
 * code is for from the mail itself: a recipient address does not name one user (two may share
 * an email). The code comes first, where `codeIn` finds it, whatever digits a username holds.
 */
const HARNESS_TEMPLATES = {
  POOLGATE_EMAIL_VERIFICATION_MESSAGE: "Your verification code is {####}.\nUsername: {username}",
};
const USERNAME_LINE = /^Username: (\S+)\s*$/m;

/** Cheap password hashing for tests only, through configuration (DESIGN §7). */
const TEST_ENV = {
  POOLGATE_PORT: "0",
  POOLGATE_LOG_LEVEL: "silent",
  POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
  POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
  POOLGATE_SYNC_INTERVAL_MS: "50",
  // Rotations in tests sign with the new key at once; the delay has tests of its own.
  POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "0",
  ...HARNESS_TEMPLATES,
};

export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const dir = options.reuse?.dir ?? mkdtempSync(join(tmpdir(), "poolgate-test-"));
  const smtp = options.smtp === false ? undefined : await startSmtpServer(options.smtp);
  // A copy: a restart points its own copy at its own mail server.
  const env: Record<string, string> = {
    ...(options.reuse?.env ?? {
      ...TEST_ENV,
      POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
      ...options.env,
    }),
    ...(smtp ? { POOLGATE_SMTP_URL: smtp.url } : {}),
  };
  let gateway: Gateway;
  let config: Readonly<Config>;
  try {
    config = loadConfig(env);
    gateway = await createGateway({
      config,
      logger: createLogger(config),
      ...(options.clock ? { now: options.clock.now } : {}),
      ...(options.revocationStreams ? { revocationStreams: options.revocationStreams } : {}),
    });
  } catch (err) {
    await smtp?.close();
    throw err;
  }
  const url = await gateway.listen();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await gateway.stop();
    await smtp?.close();
  };
  return {
    url,
    dir,
    env,
    config,
    pool: gateway.pool,
    gateway,
    clock: options.clock,
    smtp,
    get sentCodes() {
      return (smtp?.messages ?? []).flatMap((mail) => {
        const username = USERNAME_LINE.exec(mail.text)?.[1];
        return username === undefined
          ? []
          : [{ username, code: codeIn(mail), destination: mail.to[0] }];
      });
    },
    async gql(query, variables, token, headers = {}) {
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: GqlResult["body"];
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
      }
      return { status: res.status, headers: res.headers, body };
    },
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = "Correct-h0rse!";

export async function createClient(
  gw: TestGateway,
  input: Partial<Parameters<UserPool["clients"]["create"]>[0]> = {},
): Promise<{ clientId: string; clientSecret: string | undefined }> {
  const { client, clientSecret } = await gw.pool.clients.create(
    { name: "test", allowedScopes: ["openid", "email", "profile", "poolgate/admin"], ...input },
    gw.pool.deps.now(),
  );
  return { clientId: client.clientId, clientSecret };
}

let userCounter = 0;
export async function createUser(
  gw: TestGateway,
  input: {
    username?: string;
    password?: string;
    attributes?: Record<string, string>;
    groups?: string[];
  } = {},
): Promise<{ sub: string; username: string; password: string }> {
  const username = input.username ?? `user${++userCounter}-${randomBytes(3).toString("hex")}`;
  const password = input.password ?? PASSWORD;
  const user = await gw.pool.users.adminCreate({
    username,
    password,
    attributes: input.attributes ?? {},
    groups: input.groups ?? [],
  });
  return { sub: user.sub, username, password };
}

export const SIGN_IN = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { accessToken idToken refreshToken expiresIn tokenType }
}`;
export const REFRESH = `mutation Refresh($input: RefreshInput!) {
  refresh(input: $input) { accessToken idToken refreshToken expiresIn tokenType }
}`;
export const REVOKE = `mutation Revoke($input: RevokeInput!) { revoke(input: $input) }`;
export const ME = `{ me { sub username email groups authTime } }`;

export interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: string;
}

export async function signInAs(
  gw: TestGateway,
  client: { clientId: string; clientSecret?: string | undefined },
  user: { username: string; password: string },
  scopes?: string[],
): Promise<Tokens> {
  const res = await gw.gql(SIGN_IN, {
    input: {
      clientId: client.clientId,
      ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
      username: user.username,
      password: user.password,
      ...(scopes ? { scopes } : {}),
    },
  });
  if (!res.body.data?.["signIn"])
    throw new Error(`sign-in failed: ${JSON.stringify(res.body.errors)}`);
  return res.body.data["signIn"] as Tokens;
}

/** A sample of the gateway's /metrics exposition (name plus `{labels}`), 0 when absent. */
export async function metricOf(gw: TestGateway, name: string, labels = ""): Promise<number> {
  const { body } = await gw.gateway.metrics.render();
  const line = body.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

/** The code of the first error, or undefined. */
export function codeOf(res: GqlResult): string | undefined {
  return res.body.errors?.[0]?.extensions?.code;
}

export function expectCode(res: GqlResult, code: string): void {
  expect({ code: codeOf(res), errors: res.body.errors?.length ?? 0 }).toEqual({
    code,
    errors: expect.any(Number),
  });
  expect(res.body.errors?.length ?? 0).toBeGreaterThan(0);
}

/** Decodes a JWS payload without verifying (assertions only). */
export function claimsOf(jwt: string): Record<string, any> {
  const part = jwt.split(".")[1];
  if (!part) throw new Error("not a JWS");
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

export function headerOf(jwt: string): Record<string, any> {
  const part = jwt.split(".")[0];
  if (!part) throw new Error("not a JWS");
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}
