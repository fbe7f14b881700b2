/**
 * A database that stops answering, or stops taking writes (issue 12 #8). Two gateways share one
 * fresh PostgreSQL database: A reaches it through a TCP proxy that the test can black-hole
 * (connections stay open, nothing comes back: a partition, a dropped NAT flow), B directly.
 * While A's connections are black-holed its requests must answer SERVICE_UNAVAILABLE within
 * the configured bounds instead of hanging, and /readyz must fail; once the proxy heals, a
 * revocation made on B must reach A within a few seconds (the sync recovered by itself).
 * A database that answers reads but refuses writes (read-only PostgreSQL, a read-only SQLite
 * file) must make /readyz fail too.
 *
 * Waits are bounded polls (count and time), never measured thresholds.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/log";
import { createGateway } from "../../src/server";
import { SqliteStore } from "../../src/store/sqlite";
import {
  codeOf,
  createClient,
  createUser,
  ME,
  REVOKE,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestGateway,
} from "../harness";
import { createTestDatabase, withAdmin, type TestDatabase } from "../store/pg";
import { eventually } from "../support/processes";
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy";

/** Every request of this file is cut off after this: a hang fails the test instead of the suite. */
const REQUEST_BOUND_MS = 15_000;
const SOON = { timeoutMs: 5_000, intervalMs: 25 };
/** Readiness stays failed for 10 s after a refused write (src/identity/pool.ts): a longer bound. */
const RECOVERY = { timeoutMs: 20_000, intervalMs: 100 };
const DB_TIMEOUTS = {
  POOLGATE_DATABASE_QUERY_TIMEOUT_MS: "1000",
  POOLGATE_DATABASE_CONNECT_TIMEOUT_MS: "1000",
};

let db: TestDatabase;
let proxy: TcpProxy;
let a: TestGateway;
let b: TestGateway;
let client: { clientId: string; clientSecret: string | undefined };
let user: { username: string; password: string };

/** GraphQL with a deadline: a wedged gateway shows up as `"hung"`, not as a test timeout. */
async function bounded(gw: TestGateway, query: string, variables = {}, token?: string) {
  const res = await Promise.race([
    gw.gql(query, variables, token),
    new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), REQUEST_BOUND_MS).unref()),
  ]);
  return res === "hung" ? res : { code: codeOf(res) ?? "ok", status: res.status, res };
}

async function readyz(url: string): Promise<number | "hung"> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
    return res.status;
  } catch {
    return "hung";
  }
}

function signIn(gw: TestGateway) {
  return bounded(gw, SIGN_IN, {
    input: { clientId: client.clientId, username: user.username, password: user.password },
  });
}

async function meCode(gw: TestGateway, token: string): Promise<string> {
  const out = await bounded(gw, ME, {}, token);
  return out === "hung" ? out : out.code;
}

/** Ends every session on the test database, so the pools reconnect with its new defaults. */
async function dropConnections(): Promise<void> {
  await withAdmin((admin) =>
    admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity " +
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
      [db.name],
    ),
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(db.url).port || 5432) });
  const shared = { POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"), ...DB_TIMEOUTS };
  b = await startGateway({ env: { ...shared, POOLGATE_DATABASE_URL: db.url } });
  a = await startGateway({ env: { ...shared, POOLGATE_DATABASE_URL: proxy.rewrite(db.url) } });
  client = await createClient(b);
  user = await createUser(b);
}, 60_000);

afterAll(async () => {
  proxy?.restore();
  await a?.close();
  await b?.close();
  await proxy?.close();
  await db?.drop();
}, 30_000);

describe("a black-holed PostgreSQL connection", () => {
  test("attack: a black-holed database connection wedges requests, /readyz and the revocation sync, so a revocation on B is not seen on A after it heals", async () => {
    const first = await signInAs(a, client, user);
    const second = await signInAs(a, client, user);
    expect(await meCode(a, first.accessToken)).toBe("ok");
    expect(await readyz(a.url)).toBe(200);

    proxy.blackhole();
    // Bounded waits: a request that needs the store answers SERVICE_UNAVAILABLE, not never.
    const during = await signIn(a);
    expect(during === "hung" ? during : during.code).toBe("SERVICE_UNAVAILABLE");
    await eventually("A's /readyz fails", async () => (await readyz(a.url)) === 503, SOON);
    // Revoked on B while A cannot hear of it.
    const revoked = await b.gql(REVOKE, {
      input: { clientId: client.clientId, token: first.refreshToken },
    });
    expect(revoked.body.data?.["revoke"]).toBe(true);

    proxy.restore();
    await eventually(
      "the revocation made on B during the black hole is seen on A",
      async () => (await meCode(a, first.accessToken)) === "UNAUTHENTICATED",
      SOON,
    );
    // And the sync keeps going: a revocation made after the heal arrives as well.
    expect(await meCode(a, second.accessToken)).toBe("ok");
    await b.gql(REVOKE, { input: { clientId: client.clientId, token: second.refreshToken } });
    await eventually(
      "a revocation made on B after the heal is seen on A",
      async () => (await meCode(a, second.accessToken)) === "UNAUTHENTICATED",
      SOON,
    );
    await eventually("A's /readyz recovers", async () => (await readyz(a.url)) === 200, SOON);
  }, 60_000);
});

describe("a database that answers reads but refuses writes", () => {
  test("attack: /readyz answers 200 while PostgreSQL refuses every write (a read-only database)", async () => {
    const tokens = await signInAs(b, client, user);
    expect(await readyz(b.url)).toBe(200);
    try {
      await withAdmin((admin) =>
        admin.query(`ALTER DATABASE ${db.name} SET default_transaction_read_only = on`),
      );
      await dropConnections();
      await eventually("B's /readyz fails", async () => (await readyz(b.url)) === 503, SOON);
      // Reads still work; a write (a sign-in records its session) is refused as an outage.
      expect(await meCode(b, tokens.accessToken)).toBe("ok");
      const write = await signIn(b);
      expect(write === "hung" ? write : write.code).toBe("SERVICE_UNAVAILABLE");
    } finally {
      await withAdmin((admin) =>
        admin.query(`ALTER DATABASE ${db.name} RESET default_transaction_read_only`),
      );
      await dropConnections();
    }
    await eventually("B's /readyz recovers", async () => (await readyz(b.url)) === 200, RECOVERY);
    const after = await signIn(b);
    expect(after === "hung" ? after : after.code).toBe("ok");
  }, 60_000);

  test("attack: /readyz answers 200 while the SQLite file refuses every write", async () => {
    const first = await startGateway();
    const local = await createClient(first);
    const someone = await createUser(first);
    const tokens = await signInAs(first, local, someone);
    await first.stop();
    // A file SQLite may not write is opened read-only by SQLite itself (chmod 0444 for a
    // non-root process); opening it read-only here gives the same engine state without
    // depending on the user the tests run as.
    const file = join(first.dir, "poolgate.db");
    const store = new SqliteStore(new Database(file, { readonly: true, fileMustExist: true }));
    const config = loadConfig(first.env);
    const gateway = await createGateway({ config, logger: createLogger(config), store });
    try {
      const url = await gateway.listen();
      expect(await readyz(url)).toBe(503);
      const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
        const res = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(REQUEST_BOUND_MS),
        });
        return { status: res.status, body: await res.json() } as GqlResult;
      };
      expect(codeOf(await gql(ME, {}, tokens.accessToken))).toBeUndefined(); // reads work
      const write = await gql(SIGN_IN, {
        input: { clientId: local.clientId, username: someone.username, password: someone.password },
      });
      expect(codeOf(write)).toBe("SERVICE_UNAVAILABLE");
      expect(await readyz(url)).toBe(503);
    } finally {
      await gateway.stop();
      await first.close();
    }
  }, 60_000);
});
