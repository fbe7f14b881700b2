/**
 * A database outage while the gateway runs (DESIGN §3, §5, §7; issue 4): one `poolgate
 * serve` process reaches PostgreSQL through a TCP proxy, and cutting the proxy is the outage
 * — the shared server itself is never touched, since other test files use it at the same
 * time. While it lasts: /readyz fails, GraphQL answers SERVICE_UNAVAILABLE (never a 500,
 * never internals), an access token verified before the outage keeps working from memory
 * with the last-known user record, and a session revoked before the outage stays revoked.
 * Afterwards the same process recovers without a restart.
 *
 * The tests run in order and share the one process: before, during, after.
 */
import { randomBytes } from "node:crypto";
import type { GqlResult } from "../harness";
import { createTestDatabase, type TestDatabase } from "../store/pg";
import {
  CHEAP_HASHING,
  cliJson,
  eventually,
  processEnv,
  startGatewayProcess,
  stopAllGatewayProcesses,
  type GatewayProcess,
} from "../support/processes";
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy";

/** Noticing the outage and recovering from it: bounded polls. */
const BOUNDED = { timeoutMs: 15_000, intervalMs: 50 };

const PASSWORD = "Correct-h0rse!";
const SIGN_IN = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { accessToken idToken refreshToken expiresIn tokenType }
}`;
const REFRESH = `mutation Refresh($input: RefreshInput!) {
  refresh(input: $input) { accessToken idToken refreshToken expiresIn tokenType }
}`;
const REVOKE = `mutation Revoke($input: RevokeInput!) { revoke(input: $input) }`;
const ME = `{ me { sub username email groups } }`;

interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

let db: TestDatabase | undefined;
let proxy: TcpProxy | undefined;
let gw: GatewayProcess;
let clientId: string;
let user: { sub: string; username: string };
/** U's session S1: its access token is verified (and U's record read) before the outage. */
let t1: Tokens;
/** U's session S2: revoked before the outage. */
let t2: Tokens;
/** U's session S3: its revoke is attempted during the outage. */
let t3: Tokens;

function codeOf(res: GqlResult): string | undefined {
  return res.body.errors?.[0]?.extensions?.code;
}

function signIn(): Promise<GqlResult> {
  return gw.gql(SIGN_IN, { input: { clientId, username: user.username, password: PASSWORD } });
}

async function signInTokens(): Promise<Tokens> {
  const res = await signIn();
  const tokens = res.body.data?.["signIn"] as Tokens | undefined;
  if (!tokens) throw new Error(`sign-in failed: ${JSON.stringify(res.body.errors)}`);
  return tokens;
}

/** A response that reports the outage as the contract says, and nothing of the internals. */
function expectServiceUnavailable(res: GqlResult, raw: string): void {
  expect(codeOf(res)).toBe("SERVICE_UNAVAILABLE");
  expect(res.status === 503 || res.status < 500).toBe(true);
  expect(raw).not.toMatch(
    /stack|stacktrace|exception|ECONN|EPIPE|terminated|postgres|pg_|SQLSTATE|select |\bat \S+ \(|\.js:\d+/i,
  );
}

/** The response and its raw text, to look for leaked internals. */
async function gqlRaw(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await gw.gql(query, variables, token);
  return { res, raw: JSON.stringify(res.body) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(db.url).port || 5432) });
  const masterKey = randomBytes(32).toString("base64");
  // The CLI talks to the database directly; the gateway only through the proxy.
  const cliEnv = processEnv({
    POOLGATE_ENV: "production",
    // Production refuses to start a mail-sending feature without SMTP; recovery sends mail.
    POOLGATE_ACCOUNT_RECOVERY: "admin_only",
    POOLGATE_DATABASE_URL: db.url,
    POOLGATE_MASTER_KEY: masterKey,
    ...CHEAP_HASHING,
  });
  const [client, created] = await Promise.all([
    cliJson<{ clientId: string }>(["clients", "create", "--name", "web"], cliEnv),
    cliJson<{ sub: string; username: string }>(
      [
        "users",
        "create",
        "--username",
        "u",
        "--password",
        PASSWORD,
        "--email",
        "u@example.com",
        "--group",
        "staff",
      ],
      cliEnv,
    ),
  ]);
  clientId = client.clientId;
  user = created;
  gw = await startGatewayProcess("G", {
    ...cliEnv,
    POOLGATE_DATABASE_URL: proxy.rewrite(db.url),
  });
}, 60_000);

afterAll(async () => {
  await stopAllGatewayProcesses();
  await proxy?.close();
  await db?.drop();
}, 30_000);

describe("a PostgreSQL outage while the gateway runs", () => {
  it("before: U signs in three times (S1, S2, S3) and reads me with T1; S2 is revoked", async () => {
    expect((await gw.get("/readyz")).status).toBe(200);
    expect(proxy!.liveConnections).toBeGreaterThan(0);
    t1 = await signInTokens();
    t2 = await signInTokens();
    t3 = await signInTokens();

    const me = await gw.gql(ME, {}, t1.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      data: { me: { sub: user.sub, username: "u", email: "u@example.com", groups: ["staff"] } },
    });

    expect((await gw.gql(REVOKE, { input: { clientId, token: t2.refreshToken } })).body).toEqual({
      data: { revoke: true },
    });
    expect((await gw.gql(ME, {}, t2.accessToken)).status).toBe(401);
  });

  describe("during the outage", () => {
    beforeAll(() => {
      proxy!.cut();
    });

    it("/readyz answers 503", async () => {
      await eventually(
        "/readyz answers 503",
        async () => (await gw.get("/readyz")).status === 503,
        BOUNDED,
      );
      expect(JSON.parse((await gw.get("/readyz")).text)).toEqual({ status: "unavailable" });
    });

    it("signIn answers SERVICE_UNAVAILABLE: not a 500, no internals", async () => {
      const { res, raw } = await gqlRaw(SIGN_IN, {
        input: { clientId, username: user.username, password: PASSWORD },
      });
      expect(res.body.data ?? null).toBeNull();
      expectServiceUnavailable(res, raw);
      // The gateway really tried the database (and was refused), it did not answer from memory.
      expect(proxy!.refusedConnections).toBeGreaterThan(0);
    });

    it("refresh and revoke answer SERVICE_UNAVAILABLE: a revoke is never reported done when it was not", async () => {
      const refreshed = await gqlRaw(REFRESH, {
        input: { clientId, refreshToken: t1.refreshToken },
      });
      expectServiceUnavailable(refreshed.res, refreshed.raw);
      const revoked = await gqlRaw(REVOKE, { input: { clientId, token: t3.refreshToken } });
      expect(revoked.res.body.data?.["revoke"] ?? null).toBeNull();
      expectServiceUnavailable(revoked.res, revoked.raw);
    });

    it("me with T1 still works: the token is verified from memory, U comes from the last-known copy", async () => {
      const me = await gw.gql(ME, {}, t1.accessToken);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        data: { me: { sub: user.sub, username: "u", email: "u@example.com", groups: ["staff"] } },
      });
    });

    it("S2, revoked before the outage, stays rejected (401)", async () => {
      const res = await gw.gql(ME, {}, t2.accessToken);
      expect(res.status).toBe(401);
      expect(codeOf(res)).toBe("UNAUTHENTICATED");
    });

    it("the process is still running and still not ready", async () => {
      expect(gw.alive()).toBe(true);
      expect((await gw.get("/readyz")).status).toBe(503);
      expect((await gw.get("/healthz")).status).toBe(200);
    });
  });

  describe("after the database is back", () => {
    beforeAll(() => {
      proxy!.restore();
    });

    it("/readyz answers 200 again and signIn works, without a restart", async () => {
      const pid = gw.pid;
      await eventually(
        "/readyz answers 200",
        async () => (await gw.get("/readyz")).status === 200,
        BOUNDED,
      );
      let res: GqlResult | undefined;
      await eventually(
        "signIn works again",
        async () => {
          res = await signIn();
          return res.body.data?.["signIn"] != null;
        },
        BOUNDED,
      );
      expect(res!.status).toBe(200);
      expect(gw.pid).toBe(pid);
      expect(gw.alive()).toBe(true);
    });

    it("T1 still works, S2 is still revoked, S3 (whose revoke failed) works and can be revoked now", async () => {
      expect((await gw.gql(ME, {}, t1.accessToken)).status).toBe(200);
      expect((await gw.gql(ME, {}, t2.accessToken)).status).toBe(401);
      expect((await gw.gql(ME, {}, t3.accessToken)).status).toBe(200);
      expect((await gw.gql(REVOKE, { input: { clientId, token: t3.refreshToken } })).body).toEqual({
        data: { revoke: true },
      });
      expect((await gw.gql(ME, {}, t3.accessToken)).status).toBe(401);
      const refreshed = await gw.gql(REFRESH, {
        input: { clientId, refreshToken: t1.refreshToken },
      });
      expect(codeOf(refreshed)).toBeUndefined();
    });

    it("no response or log line carried a token or the password", () => {
      const logs = gw.logs();
      expect(logs).toContain("poolgate listening");
      expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
      expect(logs).not.toContain(PASSWORD);
    });
  });
});
