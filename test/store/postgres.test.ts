import { randomUUID } from "node:crypto";
import pg from "pg";
import { postgresMigrations } from "../../src/store/migrations/postgres";
import { openStore } from "../../src/store/open";
import { openPostgresStore } from "../../src/store/postgres";
import type { PostgresStore } from "../../src/store/postgres";
import { StoreUnavailableError } from "../../src/store/store";
import type { SessionRecord } from "../../src/store/store";
import { reserveStoredAttempt } from "../../src/identity/lockout";
import { lockoutOf } from "./lockouts";
import { appendChange, describeStoreContract } from "./contract";
import { createTestDatabase, withAdmin } from "./pg";
import type { TestDatabase } from "./pg";

// Every database this file creates, so that one a failed test forgot is still dropped.
const created: TestDatabase[] = [];

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  created.push(db);
  return db;
}

afterAll(async () => {
  await Promise.all(created.map((db) => db.drop()));
});

// A fresh database per factory call: the contract needs an empty one now and then.
describeStoreContract("PostgresStore", async () => {
  const db = await freshDatabase();
  const store = await openPostgresStore({ connectionString: db.url });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});

const T0 = 1_700_000_000_000;

describe("PostgresStore on a real server", () => {
  let db: TestDatabase;
  /** Two instances on one database, as two gateways behind a load balancer. */
  let a: PostgresStore;
  let b: PostgresStore;

  beforeAll(async () => {
    db = await freshDatabase();
    a = await openPostgresStore({ connectionString: db.url, poolSize: 5 });
    b = await openPostgresStore({ connectionString: db.url, poolSize: 5 });
    await Promise.all([a.migrate(), b.migrate()]);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  describe("migrations", () => {
    it("declares migrations in strictly increasing version order", () => {
      const versions = postgresMigrations.map((migration) => migration.version);
      expect(versions).toEqual([...new Set(versions)].sort((x, y) => x - y));
    });

    it("several instances migrating one empty database at once all succeed, and each migration is recorded once", async () => {
      const empty = await freshDatabase();
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresStore({ connectionString: empty.url })),
      );
      try {
        await Promise.all(stores.map((store) => store.migrate()));
        await Promise.all(stores.map((store) => store.migrate()));
        const { rows } = await onDatabase(empty, (client) =>
          client.query<{ version: number }>(
            "SELECT version FROM schema_migrations ORDER BY version",
          ),
        );
        expect(rows.map((row) => row.version)).toEqual(
          postgresMigrations.map((migration) => migration.version),
        );
        expect(await stores[0]?.latestChangeSeq()).toBe(0);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await empty.drop();
      }
    });

    it("an upgrade from version 4 keeps every row: clients get the 3-minute challenge session, users no temporary password", async () => {
      const empty = await freshDatabase();
      const sub = randomUUID();
      await onDatabase(empty, async (client) => {
        await client.query(
          "CREATE TABLE schema_migrations " +
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
        );
        for (const migration of postgresMigrations.filter((m) => m.version <= 4)) {
          await client.query(migration.sql);
          await client.query(
            "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, 0)",
            [migration.version, migration.name],
          );
        }
        await client.query(
          "INSERT INTO users (sub, username, password_hash, enabled, confirmed, " +
            "password_reset_required, attributes, created_at_ms, updated_at_ms) " +
            "VALUES ($1, $2, 'x', true, true, false, '{}', 1, 1)",
          [sub, `old-${sub}`],
        );
        await client.query(
          "INSERT INTO clients (client_id, name, allowed_scopes, access_token_validity_seconds, " +
            "id_token_validity_seconds, refresh_token_validity_seconds, rotate_refresh_tokens, " +
            "refresh_token_reuse_grace_seconds, enabled, created_at_ms) " +
            "VALUES ('old-client', 'old', '[]', 3600, 3600, 86400, false, 0, true, 1)",
        );
      });
      const store = await openPostgresStore({ connectionString: empty.url });
      try {
        await store.migrate();
        expect(await store.getClient("old-client")).toMatchObject({
          name: "old",
          authSessionValidityMinutes: 3,
        });
        expect(await store.getUserBySub(sub)).toMatchObject({
          username: `old-${sub}`,
          temporaryPasswordExpiresAtMs: null,
          srpVerifierSealed: null,
        });
      } finally {
        await store.close();
        await empty.drop();
      }
    });

    it("an upgrade from version 7 keeps the client_credentials grant of confidential clients only, and no URLs", async () => {
      const empty = await freshDatabase();
      await onDatabase(empty, async (client) => {
        await client.query(
          "CREATE TABLE schema_migrations " +
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
        );
        for (const migration of postgresMigrations.filter((m) => m.version <= 7)) {
          await client.query(migration.sql);
          await client.query(
            "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, 0)",
            [migration.version, migration.name],
          );
        }
        for (const [clientId, secretHash] of [
          ["old-public", null],
          ["old-confidential", "secret-hash"],
        ]) {
          await client.query(
            "INSERT INTO clients (client_id, name, secret_hash, allowed_scopes, " +
              "access_token_validity_seconds, id_token_validity_seconds, " +
              "refresh_token_validity_seconds, rotate_refresh_tokens, " +
              "refresh_token_reuse_grace_seconds, enabled, created_at_ms) " +
              `VALUES ($1, 'old', $2, '["openid"]', 3600, 3600, 86400, false, 0, true, 1)`,
            [clientId, secretHash],
          );
        }
      });
      const store = await openPostgresStore({ connectionString: empty.url });
      try {
        await store.migrate();
        expect(await store.getClient("old-public")).toMatchObject({
          allowedScopes: ["openid"],
          callbackUrls: [],
          logoutUrls: [],
          allowedOAuthFlows: [],
        });
        expect(await store.getClient("old-confidential")).toMatchObject({
          secretHash: "secret-hash",
          callbackUrls: [],
          logoutUrls: [],
          allowedOAuthFlows: ["client_credentials"],
        });
      } finally {
        await store.close();
        await empty.drop();
      }
    });

    it("openStore opens postgres:// and postgresql:// URLs with the migrations applied", async () => {
      for (const scheme of ["postgres:", "postgresql:"]) {
        const empty = await freshDatabase();
        const url = new URL(empty.url);
        url.protocol = scheme;
        const store = await openStore(url.toString());
        try {
          expect(await store.listKeys()).toEqual([]);
          expect(store.watchChanges).toBeInstanceOf(Function);
        } finally {
          await store.close();
          await empty.drop();
        }
      }
    });
  });

  describe("int8 parsing", () => {
    it("reads BIGINT times as numbers without changing pg's global parsers", async () => {
      const seq = await appendChange(a, "keys_changed", randomUUID(), 8_000_000_000_000);
      const [event] = await a.changesSince(seq - 1, 1);
      expect(event?.atMs).toBe(8_000_000_000_000);
      expect(typeof event?.seq).toBe("number");
      expect(pg.types.getTypeParser(20)("9007199254740993")).toBe("9007199254740993");
    });
  });

  describe("watchChanges", () => {
    it("happy flow: calls the listener when another instance appends, and not after unsubscribing", async () => {
      let calls = 0;
      const unsubscribe = await a.watchChanges(() => calls++);
      try {
        await appendChange(b, "user_blocked", randomUUID(), T0);
        await waitFor(() => calls >= 1, "a notification from the other instance");

        const session = newSession();
        await b.createSession(session);
        const before = calls;
        await b.revokeSession(session.id, "revoked", T0);
        await waitFor(() => calls > before, "a notification for a revocation");
      } finally {
        await unsubscribe();
      }
      const after = calls;
      await appendChange(b, "user_blocked", randomUUID(), T0);
      await sleep(300);
      expect(calls).toBe(after);
    });

    it("reconnects after its connection is killed, calls the listener once, and keeps listening", async () => {
      let calls = 0;
      const unsubscribe = await a.watchChanges(() => calls++);
      try {
        const killed = await terminateBackends(db, "poolgate-listen");
        expect(killed).toBe(1);
        // The catch-up call after reconnecting: notifications sent meanwhile are lost.
        await waitFor(() => calls === 1, "the call after reconnecting");
        await waitFor(
          async () => (await countBackends(db, "poolgate-listen")) === 1,
          "a new LISTEN connection",
        );
        await appendChange(b, "keys_changed", randomUUID(), T0);
        await waitFor(() => calls === 2, "a notification on the new connection");
      } finally {
        await unsubscribe();
      }
      expect(await countBackends(db, "poolgate-listen")).toBe(0);
    });

    it("close() ends every watch, and a closed store refuses new ones", async () => {
      const own = await openPostgresStore({ connectionString: db.url });
      await own.watchChanges(() => {});
      await own.watchChanges(() => {});
      expect(await countBackends(db, "poolgate-listen")).toBe(2);
      await own.close();
      await waitFor(
        async () => (await countBackends(db, "poolgate-listen")) === 0,
        "the LISTEN connections to close",
      );
      await expect(own.watchChanges(() => {})).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });

  describe("prune", () => {
    const nothingBefore = {
      changesBeforeMs: 0,
      sessionsExpiredBeforeMs: 0,
      lockoutsIdleBeforeMs: 0,
      heartbeatsBeforeMs: 0,
      challengesExpiredBeforeMs: 0,
      codesExpiredBeforeMs: 0,
      authorizationCodesExpiredBeforeMs: 0,
      hostedSessionsExpiredBeforeMs: 0,
    };

    it("one instance at a time: skipped while another holds the prune lock, run once it is free", async () => {
      const holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query("SELECT pg_advisory_lock(8101816766196512110)");
        expect(await a.prune(nothingBefore)).toBeUndefined();
        await holder.query("SELECT pg_advisory_unlock(8101816766196512110)");
        expect(await a.prune(nothingBefore)).toEqual({
          changes: 0,
          sessions: 0,
          lockouts: 0,
          heartbeats: 0,
          challenges: 0,
          codes: 0,
          authorizationCodes: 0,
          hostedSessions: 0,
        });
      } finally {
        await holder.end();
      }
    });

    it("two prunes at once: each either runs or is skipped, and the lock is free afterwards", async () => {
      const outcomes = await Promise.all([a.prune(nothingBefore), b.prune(nothingBefore)]);
      expect(outcomes.filter((outcome) => outcome !== undefined).length).toBeGreaterThanOrEqual(1);
      expect(await a.prune(nothingBefore)).toBeDefined();
      expect(await b.prune(nothingBefore)).toBeDefined();
    });
  });

  describe("concurrency across instances", () => {
    it("a reader polling changesSince sees every event of 200 concurrent appends from two instances", async () => {
      const reader = await openPostgresStore({ connectionString: db.url, poolSize: 2 });
      try {
        const before = await reader.latestChangeSeq();
        let writing = true;
        const seen = new Set<number>();
        const reading = (async () => {
          let cursor = before;
          for (;;) {
            const stillWriting = writing;
            const batch = await reader.changesSince(cursor, 1000);
            for (const event of batch) seen.add(event.seq);
            cursor = batch[batch.length - 1]?.seq ?? cursor;
            if (!stillWriting && batch.length === 0) return;
          }
        })();
        // One subject per append: concurrent appends cannot each learn their own seq.
        const subjects = Array.from({ length: 200 }, () => randomUUID());
        await Promise.all(
          subjects.map((subject, index) =>
            (index % 2 === 0 ? a : b).deleteUser(`no-such-user-${subject}`, {
              kind: "session_revoked",
              subject,
              atMs: T0 + index,
            }),
          ),
        );
        writing = false;
        await reading;

        const events = await reader.changesSince(before, 10_000);
        const final = events.map((event) => event.seq);
        expect(final).toHaveLength(200);
        expect(events.map((event) => event.subject).sort()).toEqual([...subjects].sort());
        expect([...seen].sort((x, y) => x - y)).toEqual(final);
      } finally {
        await reader.close();
      }
    });

    it("concurrent rotations of one session with the same hash: exactly one rotates", async () => {
      for (let round = 0; round < 20; round++) {
        const session = newSession({ refreshTokenHash: "h0" });
        await a.createSession(session);
        const outcomes = await Promise.all([
          a.rotateRefreshToken(session.id, "h0", "from-a", T0 + 1),
          b.rotateRefreshToken(session.id, "h0", "from-b", T0 + 2),
        ]);
        const rotated = outcomes.filter((outcome) => outcome.outcome === "rotated");
        const refused = outcomes.filter((outcome) => outcome.outcome === "not_current");
        expect(rotated).toHaveLength(1);
        expect(refused).toHaveLength(1);
        const winner = rotated[0]?.outcome === "rotated" ? rotated[0].session : undefined;
        // The loser sees the session as the winner left it.
        expect(refused[0]).toEqual({ outcome: "not_current", session: winner });
        expect(await a.getSession(session.id)).toEqual(winner);
        expect(winner?.previousRefreshTokenHash).toBe("h0");
      }
    });

    it("concurrent exchanges of one authorization code on two instances: exactly one redeems", async () => {
      for (let round = 0; round < 10; round++) {
        const codeHash = `code-${randomUUID()}`;
        await a.createAuthorizationCode({
          codeHash,
          clientId: "client",
          sub: randomUUID(),
          redirectUri: "https://app.example/cb",
          codeChallenge: null,
          scope: "openid",
          nonce: null,
          authTimeSeconds: Math.floor(T0 / 1000),
          createdAtMs: T0,
          expiresAtMs: T0 + 300_000,
          redeemedAtMs: null,
          sessionId: null,
        });
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            (index % 2 === 0 ? a : b).redeemAuthorizationCode(codeHash, T0 + 1, `s-${index}`),
          ),
        );
        const kinds = outcomes.map((outcome) => outcome.outcome);
        expect(kinds.filter((kind) => kind === "redeemed")).toHaveLength(1);
        expect(kinds.filter((kind) => kind === "reused")).toHaveLength(9);
      }
    });

    it("concurrent revocations of one session: one wins and emits a single event", async () => {
      const session = newSession();
      await a.createSession(session);
      const before = await a.latestChangeSeq();
      const results = await Promise.all([
        a.revokeSession(session.id, "revoked", T0 + 1),
        b.revokeSession(session.id, "reuse_detected", T0 + 2),
        a.revokeUserSessions(session.sub, "global_sign_out", T0 + 3),
      ]);
      const winners = results.filter(
        (result) => result === true || (Array.isArray(result) && result.length > 0),
      );
      expect(winners).toHaveLength(1);
      const events = (await a.changesSince(before, 100)).filter(
        (event) => event.subject === session.id,
      );
      expect(events).toHaveLength(1);
    });

    it("50 concurrent sign-in attempts across two instances count 50", async () => {
      const username = `u-${randomUUID()}`;
      const lockFor = jest.fn((): number => 0);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          reserveStoredAttempt(index % 2 === 0 ? a : b, username, T0, 60_000, lockFor),
        ),
      );
      expect(results.every((result) => result.allowed)).toBe(true);
      // Each attempt counted on top of the previous one: the counts are exactly 1..50.
      expect(
        results.map((result) => result.record.consecutiveFailures).sort((x, y) => x - y),
      ).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
      expect(lockFor).toHaveBeenCalledTimes(50);
      expect((await lockoutOf(b, username))?.consecutiveFailures).toBe(50);
    });
  });

  describe("outbox under a feed that refuses events", () => {
    it("a redeemed code whose event is refused is not spent, and the user is not changed", async () => {
      const own = await freshDatabase();
      const store = await openPostgresStore({ connectionString: own.url });
      try {
        await store.migrate();
        const sub = randomUUID();
        const user = {
          sub,
          username: `u-${sub}`,
          passwordHash: "x",
          enabled: true,
          confirmed: true,
          passwordResetRequired: false,
          temporaryPasswordExpiresAtMs: null,
          srpVerifierSealed: null,
          attributes: {},
          confirmationCodeHash: null,
          confirmationCodeExpiresAtMs: null,
          createdAtMs: T0,
          updatedAtMs: T0,
        };
        await store.createUser(user);
        const code = {
          sub,
          purpose: "forgot_password" as const,
          codeHash: "h",
          createdAtMs: T0,
          expiresAtMs: T0 + 3_600_000,
        };
        await store.putCode(code);
        await onDatabase(own, async (client) => {
          await client.query(
            "CREATE FUNCTION test_refuse_change() RETURNS trigger LANGUAGE plpgsql AS " +
              "$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
          );
          await client.query(
            "CREATE TRIGGER test_refuse_change BEFORE INSERT ON changes " +
              "FOR EACH ROW EXECUTE FUNCTION test_refuse_change()",
          );
        });
        await expect(
          store.redeemCode(
            sub,
            "forgot_password",
            "h",
            T0 + 1,
            { passwordHash: "y" },
            {
              kind: "user_changed",
              subject: sub,
              atMs: T0 + 1,
            },
          ),
        ).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(await store.getCode(sub, "forgot_password")).toEqual(code);
        expect(await store.getUserBySub(sub)).toEqual(user);
        expect(await store.latestChangeSeq()).toBe(0);
      } finally {
        await store.close();
        await own.drop();
      }
    });
  });

  describe("outages", () => {
    it("error flow: a server that refuses connections is StoreUnavailableError at open", async () => {
      await expect(
        openPostgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/poolgate" }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it("error flow: a connection killed mid-transaction is StoreUnavailableError, and the next call works", async () => {
      const username = `u-${randomUUID()}`;
      await reserveStoredAttempt(a, username, T0, 60_000, () => 0);
      await onDatabase(db, async (blocker) => {
        // Hold the counter's row lock so that the store's transaction waits inside it.
        await blocker.query("BEGIN");
        await blocker.query("SELECT 1 FROM lockouts WHERE username = $1 FOR UPDATE", [username]);
        const attempt = reserveStoredAttempt(a, username, T0 + 1, 60_000, () => 0);
        const outcome = attempt.then(
          () => "resolved",
          (err: unknown) => err,
        );
        await waitFor(
          async () => (await waitingBackends(db)).length === 1,
          "the store to wait for the row lock",
        );
        for (const pid of await waitingBackends(db)) {
          await blocker.query("SELECT pg_terminate_backend($1)", [pid]);
        }
        expect(await outcome).toBeInstanceOf(StoreUnavailableError);
        await blocker.query("ROLLBACK");
      });
      await expect(a.ping()).resolves.toBeUndefined();
      expect((await lockoutOf(a, username))?.consecutiveFailures).toBe(1);
    });
  });
});

/** Runs `use` on a plain connection to a test database (not through the store). */
async function onDatabase<T>(db: TestDatabase, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.url });
  client.on("error", () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function countBackends(db: TestDatabase, applicationName: string): Promise<number> {
  const { rows } = await withAdmin((admin) =>
    admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
      [db.name, applicationName],
    ),
  );
  return rows[0]?.n ?? 0;
}

async function terminateBackends(db: TestDatabase, applicationName: string): Promise<number> {
  const { rows } = await withAdmin((admin) =>
    admin.query<{ n: number }>(
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity " +
        "WHERE datname = $1 AND application_name = $2",
      [db.name, applicationName],
    ),
  );
  return rows[0]?.n ?? 0;
}

/** The store's connections that wait for a lock. */
async function waitingBackends(db: TestDatabase): Promise<number[]> {
  const { rows } = await withAdmin((admin) =>
    admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'poolgate' " +
        "AND wait_event_type = 'Lock'",
      [db.name],
    ),
  );
  return rows.map((row) => row.pid);
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function newSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    sub: randomUUID(),
    clientId: randomUUID(),
    scope: "openid",
    authTimeSeconds: Math.floor(T0 / 1000),
    createdAtMs: T0,
    expiresAtMs: T0 + 86_400_000,
    refreshTokenHash: `refresh-hash-${randomUUID()}`,
    previousRefreshTokenHash: null,
    rotatedAtMs: null,
    revokedAtMs: null,
    revokedReason: null,
    ...overrides,
  };
}
