/**
 * Several gateway instances on one PostgreSQL database (DESIGN §3, §7; issue 4): two real
 * `poolgate serve` processes, A and B, on a fresh database of their own. What one instance
 * does — revoke, global sign-out, disable, key rotation, lockout counting, rotation — the
 * other must see within a second, including after every database connection was killed.
 * They start one after the other; a second pair starts at the same moment on another empty
 * database, where the migrations must serialise and both must end up with the same keys.
 *
 * Timing is asserted only as "within the poll loop" (PROPAGATION: 25 ms steps, 1.5 s at
 * most from the response of the action), never as a measured number: bench/propagation.js
 * measures. PostgreSQL is required: when it cannot be reached, every test here fails.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { GqlResult } from "../harness";
import { createTestDatabase, withAdmin, type TestDatabase } from "../store/pg";
import {
  CHEAP_HASHING,
  cliJson,
  eventually,
  processEnv,
  sleep,
  startGatewayProcess,
  stopAllGatewayProcesses,
  type GatewayProcess,
} from "../support/processes";

/** What "within 1 s on other instances" is checked with: 25 ms polls, 1.5 s at most. */
const PROPAGATION = { timeoutMs: 1500, intervalMs: 25 };
/**
 * DESIGN §3's bound for a disable, a delete, a client disable and a key rotation: seen by the
 * other instance within 1 s of the action's answer (issue 13 #1). A bound, not a measurement.
 */
const WITHIN_1S = { timeoutMs: 1000, intervalMs: 25 };
/** Recovery after a fault (reconnection backoff, pool re-opening): generous but bounded. */
const RECOVERY = { timeoutMs: 15_000, intervalMs: 50 };

const PASSWORD = "Correct-h0rse!";
const WRONG_PASSWORD = "Wr0ng-battery!";

const SIGN_IN = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { accessToken idToken refreshToken expiresIn tokenType }
}`;
const REFRESH = `mutation Refresh($input: RefreshInput!) {
  refresh(input: $input) { accessToken idToken refreshToken expiresIn tokenType }
}`;
const REVOKE = `mutation Revoke($input: RevokeInput!) { revoke(input: $input) }`;
const ME = `{ me { sub username groups } }`;
const GLOBAL_SIGN_OUT = `mutation { globalSignOut }`;
const ADMIN_CREATE_USER = `mutation AdminCreateUser($input: AdminCreateUserInput!) {
  adminCreateUser(input: $input) { sub username }
}`;
const ADMIN_DISABLE_USER = `mutation AdminDisableUser($username: String!) { adminDisableUser(username: $username) }`;
const ADMIN_DELETE_USER = `mutation AdminDeleteUser($username: String!) { adminDeleteUser(username: $username) }`;

interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string | null;
  expiresIn: number;
  tokenType: string;
}

let db: TestDatabase | undefined;
/** The database of the simultaneous-start test. */
let emptyDb: TestDatabase | undefined;
let env: NodeJS.ProcessEnv;
let a: GatewayProcess;
let b: GatewayProcess;
/** A public client allowed the admin scope, without refresh-token rotation. */
let web: string;
/** A public client with refresh-token rotation and no reuse grace. */
let rotating: string;
let adminToken: string;
/** Every token issued in this file, to check that none reached a log. */
const issued: string[] = [];

function codeOf(res: GqlResult): string | undefined {
  return res.body.errors?.[0]?.extensions?.code;
}

function signIn(gw: GatewayProcess, username: string, password = PASSWORD, clientId = web) {
  return gw.gql(SIGN_IN, { input: { clientId, username, password } });
}

function refresh(gw: GatewayProcess, refreshToken: string, clientId = web) {
  return gw.gql(REFRESH, { input: { clientId, refreshToken } });
}

function revoke(gw: GatewayProcess, token: string, clientId = web) {
  return gw.gql(REVOKE, { input: { clientId, token } });
}

function tokensOf(res: GqlResult, field: "signIn" | "refresh"): Tokens {
  const tokens = res.body.data?.[field] as Tokens | undefined;
  if (!tokens) throw new Error(`${field} failed: ${JSON.stringify(res.body.errors)}`);
  for (const t of [tokens.accessToken, tokens.idToken, tokens.refreshToken]) if (t) issued.push(t);
  return tokens;
}

async function signInTokens(gw: GatewayProcess, username: string, clientId = web): Promise<Tokens> {
  return tokensOf(await signIn(gw, username, PASSWORD, clientId), "signIn");
}

function decode(jwt: string, part: 0 | 1): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split(".")[part]!, "base64url").toString("utf8"));
}

let userCounter = 0;
/** A new confirmed user, created through A's admin mutation. */
async function newUser(prefix: string): Promise<{ sub: string; username: string }> {
  const username = `${prefix}${++userCounter}-${randomBytes(3).toString("hex")}`;
  const res = await a.gql(
    ADMIN_CREATE_USER,
    { input: { username, password: PASSWORD } },
    adminToken,
  );
  const user = res.body.data?.["adminCreateUser"] as { sub: string; username: string } | undefined;
  if (!user) throw new Error(`adminCreateUser failed: ${JSON.stringify(res.body.errors)}`);
  return user;
}

/** The HTTP status `gw` answers `me` with this bearer token (401 = rejected). */
async function meStatus(gw: GatewayProcess, token: string): Promise<number> {
  return (await gw.gql(ME, {}, token)).status;
}

async function expectAccepted(gw: GatewayProcess, token: string): Promise<void> {
  const res = await gw.gql(ME, {}, token);
  expect({ instance: gw.name, status: res.status, errors: res.body.errors }).toEqual({
    instance: gw.name,
    status: 200,
    errors: undefined,
  });
}

/** Polls `gw` until it rejects `token` with 401 UNAUTHENTICATED, within `bound`. */
async function expectRejectedWithin(
  gw: GatewayProcess,
  token: string,
  what: string,
  bound = PROPAGATION,
) {
  await eventually(
    `${gw.name} rejects the token (${what})`,
    async () => {
      const res = await gw.gql(ME, {}, token);
      return res.status === 401 && codeOf(res) === "UNAUTHENTICATED";
    },
    bound,
  );
}

async function jwksKids(gw: GatewayProcess): Promise<string[]> {
  const res = await gw.get("/.well-known/jwks.json");
  return (JSON.parse(res.text) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

/** Connections of `application_name` to this file's database, as pg_stat_activity shows them. */
async function connectionsNamed(applicationName: string): Promise<number> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
      [db!.name, applicationName],
    );
    return Number(rows[0]?.n ?? 0);
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  env = processEnv({
    POOLGATE_ENV: "production",
    // Production refuses to start a mail-sending feature without SMTP; recovery sends mail.
    POOLGATE_ACCOUNT_RECOVERY: "admin_only",
    POOLGATE_DATABASE_URL: db.url,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    ...CHEAP_HASHING,
  });
  // One after the other, as in a rolling deployment; starting both at once on an empty
  // database has a test of its own below.
  a = await startGatewayProcess("A", env);
  b = await startGatewayProcess("B", env);

  const [webClient, rotatingClient] = await Promise.all([
    cliJson<{ clientId: string }>(
      ["clients", "create", "--name", "web", "--scopes", "openid email profile poolgate/admin"],
      env,
    ),
    // The CLI has no grace flag: POOLGATE_REFRESH_REUSE_GRACE_SECONDS is the new client's default.
    cliJson<{ clientId: string }>(
      ["clients", "create", "--name", "rotating", "--rotate-refresh-tokens"],
      { ...env, POOLGATE_REFRESH_REUSE_GRACE_SECONDS: "0" },
    ),
    cliJson(
      ["users", "create", "--username", "admin", "--password", PASSWORD, "--group", "admins"],
      env,
    ),
  ]);
  web = webClient.clientId;
  rotating = rotatingClient.clientId;
  adminToken = (await signInTokens(a, "admin")).accessToken;
}, 60_000);

afterAll(async () => {
  await stopAllGatewayProcesses();
  await Promise.all([db?.drop(), emptyDb?.drop()]);
}, 30_000);

describe("two gateway processes on one PostgreSQL database", () => {
  it("both are ready", async () => {
    expect((await a.get("/readyz")).status).toBe(200);
    expect((await b.get("/readyz")).status).toBe(200);
  });

  it("revoke on A: B rejects the session's access token within the loop", async () => {
    const user = await newUser("rev");
    const tokens = await signInTokens(a, user.username);
    await expectAccepted(b, tokens.accessToken);

    const revoked = await revoke(a, tokens.refreshToken!);
    expect(revoked.body).toEqual({ data: { revoke: true } });

    // The revoking instance at once, the other within the loop.
    expect(await meStatus(a, tokens.accessToken)).toBe(401);
    await expectRejectedWithin(b, tokens.accessToken, "revoked on A");
    expect(codeOf(await refresh(b, tokens.refreshToken!))).toBe("REFRESH_TOKEN_REVOKED");
  });

  it("global sign-out on A: B rejects every session of the user; a new sign-in on B is valid on both", async () => {
    const user = await newUser("gso");
    const onA = await signInTokens(a, user.username);
    const onB = await signInTokens(b, user.username);
    await expectAccepted(b, onA.accessToken);
    await expectAccepted(b, onB.accessToken);

    const out = await a.gql(GLOBAL_SIGN_OUT, {}, onA.accessToken);
    expect(out.body).toEqual({ data: { globalSignOut: true } });

    await expectRejectedWithin(b, onA.accessToken, "global sign-out on A");
    await expectRejectedWithin(b, onB.accessToken, "global sign-out on A");
    expect(await meStatus(a, onB.accessToken)).toBe(401);

    const fresh = await signInTokens(b, user.username);
    await expectAccepted(b, fresh.accessToken);
    await expectAccepted(a, fresh.accessToken);
  });

  it("admin disable on A: B rejects the user's token and refuses the user's sign-in and refresh", async () => {
    const user = await newUser("dis");
    const tokens = await signInTokens(b, user.username);
    await expectAccepted(b, tokens.accessToken);

    const disabled = await a.gql(ADMIN_DISABLE_USER, { username: user.username }, adminToken);
    expect(disabled.body).toEqual({ data: { adminDisableUser: true } });

    await expectRejectedWithin(b, tokens.accessToken, "user disabled on A", WITHIN_1S);
    expect(await meStatus(a, tokens.accessToken)).toBe(401);
    // Sign-in and refresh read the store, so B refuses them from the disable's response on.
    const again = await signIn(b, user.username);
    expect(again.body.data ?? null).toBeNull();
    expect(codeOf(again)).toBe("NOT_AUTHORIZED");
    expect(codeOf(await refresh(b, tokens.refreshToken!))).toBe("REFRESH_TOKEN_REVOKED");
  });

  it("admin delete on A: B rejects the user's token within 1 s and refuses the user's refresh", async () => {
    const user = await newUser("del");
    const tokens = await signInTokens(b, user.username);
    await expectAccepted(b, tokens.accessToken);

    const deleted = await a.gql(ADMIN_DELETE_USER, { username: user.username }, adminToken);
    expect(deleted.body).toEqual({ data: { adminDeleteUser: true } });

    await expectRejectedWithin(b, tokens.accessToken, "user deleted on A", WITHIN_1S);
    expect(await meStatus(a, tokens.accessToken)).toBe(401);
    expect(codeOf(await refresh(b, tokens.refreshToken!))).toBe("REFRESH_TOKEN_REVOKED");
  });

  it("client disable by the CLI: A and B reject the client's tokens within 1 s", async () => {
    const { clientId } = await cliJson<{ clientId: string }>(
      ["clients", "create", "--name", "soon-disabled"],
      env,
    );
    const user = await newUser("cli");
    const onA = await signInTokens(a, user.username, clientId);
    const onB = await signInTokens(b, user.username, clientId);
    await expectAccepted(a, onB.accessToken);
    await expectAccepted(b, onA.accessToken);

    await cliJson(["clients", "disable", clientId], env);

    await expectRejectedWithin(b, onA.accessToken, "client disabled", WITHIN_1S);
    await expectRejectedWithin(a, onB.accessToken, "client disabled", WITHIN_1S);
  });

  it("key rotation by the CLI: both JWKS list the new kid, both sign with it, older tokens still verify", async () => {
    const user = await newUser("key");
    const before = await signInTokens(b, user.username);
    const oldKid = decode(before.accessToken, 0)["kid"] as string;
    expect(await jwksKids(b)).toContain(oldKid);

    const { kid } = await cliJson<{ kid: string }>(["keys", "rotate"], env);
    expect(kid).not.toBe(oldKid);

    for (const gw of [b, a]) {
      await eventually(
        `${gw.name}'s JWKS lists the rotated key`,
        async () => (await jwksKids(gw)).includes(kid),
        WITHIN_1S,
      );
    }
    const onB = await signInTokens(b, user.username);
    expect(decode(onB.accessToken, 0)["kid"]).toBe(kid);
    expect(decode(onB.idToken, 0)["kid"]).toBe(kid);
    const onA = await signInTokens(a, user.username);
    expect(decode(onA.accessToken, 0)["kid"]).toBe(kid);

    // Retired, not gone: a token the old key signed keeps working everywhere.
    expect(await jwksKids(b)).toEqual(expect.arrayContaining([oldKid, kid]));
    await expectAccepted(b, before.accessToken);
    await expectAccepted(a, before.accessToken);
    // And a token B signed with the new key verifies on A.
    await expectAccepted(a, onB.accessToken);
  });

  it("lockout is shared: 3 failures on A and 2 on B lock the user out on both", async () => {
    const user = await newUser("lock");
    for (const gw of [a, a, a, b, b]) {
      expect(codeOf(await signIn(gw, user.username, WRONG_PASSWORD))).toBe("NOT_AUTHORIZED");
    }
    // The sixth attempt, even with the right password, is refused on either instance.
    const [onA, onB] = await Promise.all([signIn(a, user.username), signIn(b, user.username)]);
    expect(codeOf(onA)).toBe("TOO_MANY_FAILED_ATTEMPTS");
    expect(codeOf(onB)).toBe("TOO_MANY_FAILED_ATTEMPTS");
  });

  it("sessions are shared: sign in on A, refresh on B; B's revoke reaches A", async () => {
    const user = await newUser("ses");
    const signedIn = await signInTokens(a, user.username);
    const refreshed = tokensOf(await refresh(b, signedIn.refreshToken!), "refresh");
    expect(refreshed.refreshToken).toBeNull();
    const session = decode(signedIn.accessToken, 1)["origin_jti"];
    expect(decode(refreshed.accessToken, 1)["origin_jti"]).toBe(session);
    expect(decode(refreshed.accessToken, 1)["auth_time"]).toBe(
      decode(signedIn.accessToken, 1)["auth_time"],
    );
    await expectAccepted(a, refreshed.accessToken);
    await expectAccepted(b, signedIn.accessToken);

    expect((await revoke(b, signedIn.refreshToken!)).body).toEqual({ data: { revoke: true } });
    expect(await meStatus(b, refreshed.accessToken)).toBe(401);
    await expectRejectedWithin(a, refreshed.accessToken, "revoked on B");
    await expectRejectedWithin(a, signedIn.accessToken, "revoked on B");
  });

  it("after every database connection was killed, both recover and B still sees A's revocations", async () => {
    const user = await newUser("kill");
    const first = await signInTokens(a, user.username);
    const second = await signInTokens(a, user.username);
    await expectAccepted(b, first.accessToken);
    await expectAccepted(b, second.accessToken);
    expect(await connectionsNamed("poolgate-listen")).toBe(2);

    // Every connection of A and B to this database (pools and LISTEN connections alike).
    const killed = await withAdmin(async (admin) => {
      const { rows } = await admin.query<{ application_name: string; killed: boolean }>(
        "SELECT application_name, pg_terminate_backend(pid) AS killed FROM pg_stat_activity " +
          "WHERE datname = $1 AND pid <> pg_backend_pid()",
        [db!.name],
      );
      return rows;
    });
    expect(killed.filter((r) => r.application_name === "poolgate-listen" && r.killed)).toHaveLength(
      2,
    );

    // Right away, while B may still be reconnecting: an operator's client retries
    // SERVICE_UNAVAILABLE, so this does too (a pooled connection may die under the first try).
    let revoked: GqlResult | undefined;
    await eventually(
      "A accepts the revoke again",
      async () => {
        revoked = await revoke(a, first.refreshToken!);
        if (codeOf(revoked) === "SERVICE_UNAVAILABLE") return false;
        return true;
      },
      RECOVERY,
    );
    expect(revoked!.body).toEqual({ data: { revoke: true } });
    await expectRejectedWithin(
      b,
      first.accessToken,
      "revoked on A after the connections were killed",
    );

    // Both are whole again: ready, listening again, and a second revocation propagates too.
    for (const gw of [a, b]) {
      await eventually(
        `${gw.name} is ready again`,
        async () => (await gw.get("/readyz")).status === 200,
        RECOVERY,
      );
    }
    await eventually(
      "both LISTEN connections are back",
      async () => (await connectionsNamed("poolgate-listen")) === 2,
      RECOVERY,
    );
    await expectAccepted(b, second.accessToken);
    expect((await revoke(a, second.refreshToken!)).body).toEqual({ data: { revoke: true } });
    await expectRejectedWithin(b, second.accessToken, "revoked on A after recovery");
    expect(a.alive() && b.alive()).toBe(true);
  });

  it("50 parallel refreshes over A and B with a revoke on A in the middle: no token of the session works afterwards, no refresh started after the revoke succeeded", async () => {
    const user = await newUser("race");
    const signedIn = await signInTokens(a, user.username);
    const rt = signedIn.refreshToken!;

    interface Attempt {
      index: number;
      instance: string;
      startedAt: number;
      status: number;
      code: string | undefined;
      accessToken: string | undefined;
    }
    const attempt = async (index: number): Promise<Attempt> => {
      const gw = index % 2 === 0 ? a : b;
      const startedAt = performance.now();
      const res = await refresh(gw, rt);
      const tokens = res.body.data?.["refresh"] as Tokens | undefined;
      if (tokens) issued.push(tokens.accessToken, tokens.idToken);
      return {
        index,
        instance: gw.name,
        startedAt,
        status: res.status,
        code: codeOf(res),
        accessToken: tokens?.accessToken,
      };
    };

    const attempts: Promise<Attempt>[] = [];
    for (let i = 0; i < 25; i++) attempts.push(attempt(i));
    const revoking = revoke(a, rt).then((res) => ({ res, receivedAt: performance.now() }));
    for (let i = 25; i < 35; i++) attempts.push(attempt(i));
    const { res: revoked, receivedAt } = await revoking;
    // These start after the revoke's response, while earlier refreshes may still be running.
    for (let i = 35; i < 50; i++) attempts.push(attempt(i));
    const results = await Promise.all(attempts);

    expect(revoked.body).toEqual({ data: { revoke: true } });
    expect(results).toHaveLength(50);
    // Every refresh either succeeded or was refused as revoked: no 5xx, no other error.
    for (const r of results) {
      expect({ index: r.index, status: r.status, code: r.code ?? "ok" }).toEqual({
        index: r.index,
        status: 200,
        code: expect.stringMatching(/^(ok|REFRESH_TOKEN_REVOKED)$/),
      });
    }
    const after = results.filter((r) => r.startedAt > receivedAt);
    expect(after.length).toBeGreaterThanOrEqual(15);
    expect(after.filter((r) => r.code !== "REFRESH_TOKEN_REVOKED")).toEqual([]);

    // No access token of the session works anywhere, including those of successful refreshes.
    const tokens = [
      signedIn.accessToken,
      ...results.flatMap((r) => (r.accessToken ? [r.accessToken] : [])),
    ];
    for (const token of tokens) expect(await meStatus(a, token)).toBe(401);
    for (const token of tokens)
      await expectRejectedWithin(b, token, "session revoked on A during refreshes");
    expect(codeOf(await refresh(b, rt))).toBe("REFRESH_TOKEN_REVOKED");
  });

  it("rotation under concurrent reuse over A and B: one rotation at most; a detected reuse revokes the winner's chain", async () => {
    const user = await newUser("rot");
    const signedIn = await signInTokens(a, user.username, rotating);
    const r0 = signedIn.refreshToken!;

    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const gw = i % 2 === 0 ? a : b;
        const res = await refresh(gw, r0, rotating);
        const tokens = res.body.data?.["refresh"] as Tokens | undefined;
        if (tokens)
          issued.push(
            ...[tokens.accessToken, tokens.idToken, tokens.refreshToken].filter(
              (t): t is string => !!t,
            ),
          );
        return { instance: gw.name, status: res.status, code: codeOf(res), tokens };
      }),
    );
    for (const r of results) {
      expect({ status: r.status, code: r.code ?? "ok" }).toEqual({
        status: 200,
        code: expect.stringMatching(/^(ok|REFRESH_TOKEN_REVOKED)$/),
      });
    }
    const rotated = results.filter((r) => typeof r.tokens?.refreshToken === "string");
    // The row lock serialises the presentations: exactly the first one rotates.
    expect(rotated.length).toBeLessThanOrEqual(1);
    expect(rotated).toHaveLength(1);
    const r1 = rotated[0]!.tokens!.refreshToken!;
    const accessTokens = [
      signedIn.accessToken,
      ...results.flatMap((r) => (r.tokens ? [r.tokens.accessToken] : [])),
    ];

    let latest = r1;
    if (results.some((r) => r.code === "REFRESH_TOKEN_REVOKED")) {
      // A loser processed after the winner committed was a reuse outside the (zero) grace:
      // the whole session is revoked, the winner's new refresh token included.
      expect(codeOf(await refresh(a, r1, rotating))).toBe("REFRESH_TOKEN_REVOKED");
      expect(codeOf(await refresh(b, r1, rotating))).toBe("REFRESH_TOKEN_REVOKED");
    } else {
      // Every loser counted as a concurrent presentation of the same token: exactly one chain
      // continues, from the winner's token.
      const next = tokensOf(await refresh(b, r1, rotating), "refresh");
      expect(typeof next.refreshToken).toBe("string");
      latest = next.refreshToken!;
      accessTokens.push(next.accessToken);
    }

    // Whatever happened above, presenting the rotated-away token now (the zero grace has
    // passed) is a reuse: it revokes the session, and the chain's newest token dies with it.
    await sleep(5);
    expect(codeOf(await refresh(b, r0, rotating))).toBe("REFRESH_TOKEN_REVOKED");
    expect(codeOf(await refresh(a, latest, rotating))).toBe("REFRESH_TOKEN_REVOKED");
    for (const token of accessTokens) {
      await expectRejectedWithin(a, token, "reuse detected");
      await expectRejectedWithin(b, token, "reuse detected");
    }
  });

  it("both drain and exit 0 on SIGTERM, having logged no token", async () => {
    const [exitA, exitB] = await Promise.all([a.stop(), b.stop()]);
    expect(exitA).toEqual({ code: 0, signal: null });
    expect(exitB).toEqual({ code: 0, signal: null });
    expect(issued.length).toBeGreaterThan(50);
    for (const gw of [a, b]) {
      const logs = gw.logs();
      expect(logs).toContain('"msg":"draining and shutting down"');
      expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
      for (const token of issued) expect(logs).not.toContain(token);
      expect(logs).not.toContain(PASSWORD);
    }
  });
});

describe("two gateway processes started at the same moment on an empty database", () => {
  let first: GatewayProcess;
  let second: GatewayProcess;
  let startEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emptyDb = await createTestDatabase();
    startEnv = processEnv({
      POOLGATE_ENV: "production",
      POOLGATE_ACCOUNT_RECOVERY: "admin_only",
      POOLGATE_DATABASE_URL: emptyDb.url,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
      ...CHEAP_HASHING,
    });
    [first, second] = await Promise.all([
      startGatewayProcess("first", startEnv),
      startGatewayProcess("second", startEnv),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  }, 30_000);

  it("both start and are ready; each migration is recorded once (advisory lock)", async () => {
    expect((await first.get("/readyz")).status).toBe(200);
    expect((await second.get("/readyz")).status).toBe(200);
    const client = new pg.Client({ connectionString: emptyDb!.url });
    await client.connect();
    let rows: { version: number; n: string }[];
    try {
      ({ rows } = await client.query<{ version: number; n: string }>(
        "SELECT version, count(*) OVER (PARTITION BY version) AS n FROM schema_migrations",
      ));
    } finally {
      await client.end();
    }
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((row) => Number(row.n) !== 1)).toEqual([]);
  });

  it("both publish the same JWKS", async () => {
    // Each found no signing key at start; whatever they did about it, within the propagation
    // delay they must agree, or a subgraph's JWKS depends on which instance it asked.
    let last: string[][] = [];
    try {
      await eventually(
        "both JWKS list the same keys",
        async () => {
          last = (await Promise.all([jwksKids(first), jwksKids(second)])).map((k) => [...k].sort());
          return JSON.stringify(last[0]) === JSON.stringify(last[1]);
        },
        PROPAGATION,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; JWKS kids: ${JSON.stringify(last)}`);
    }
  });

  it("each accepts the tokens the other signs", async () => {
    const { clientId } = await cliJson<{ clientId: string }>(
      ["clients", "create", "--name", "web"],
      startEnv,
    );
    await cliJson(["users", "create", "--username", "u", "--password", PASSWORD], startEnv);
    const statuses: Record<string, number> = {};
    for (const [issuer, verifier] of [
      [first, second],
      [second, first],
    ] as const) {
      const tokens = await signInTokens(issuer, "u", clientId);
      statuses[`${issuer.name} → ${verifier.name}`] = await meStatus(verifier, tokens.accessToken);
    }
    // Behind a load balancer a token is presented to whichever instance comes next.
    expect(statuses).toEqual({ "first → second": 200, "second → first": 200 });
  });
});
