import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite";
import { sqliteMigrations } from "../../src/store/migrations/sqlite";
import { StoreUnavailableError, type UserRecord } from "../../src/store/store";
import { describeStoreContract } from "./contract";

/** A store on a real file in a fresh temporary directory, removed on cleanup. */
function tempStore(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poolgate-sqlite-"));
  return { dir, file: path.join(dir, "poolgate.db") };
}

describeStoreContract("SqliteStore", async () => {
  const { dir, file } = tempStore();
  const store = openSqliteStore({ path: file });
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("SqliteStore on disk", () => {
  let dir: string;

  beforeEach(() => {
    dir = tempStore().dir;
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stops checkpoint stalls on the event loop: the store's connection never checkpoints, a worker copies the WAL back", async () => {
    const file = path.join(dir, "poolgate.db");
    const store = openSqliteStore({ path: file });
    await store.migrate();
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const before = fs.statSync(file).size;
    // Far more than the 1000 pages at which SQLite would checkpoint inside a commit.
    for (let i = 0; i < 300; i++) await store.setPoolSetting(`s${i}`, "x".repeat(16_000));
    // Every page written so far is in the WAL until the worker copies it into the file.
    const deadline = Date.now() + 20_000;
    while (fs.statSync(file).size <= before + 4_000_000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(fs.statSync(file).size).toBeGreaterThan(before + 4_000_000);
    expect(await store.getPoolSetting("s299")).toBe("x".repeat(16_000));
    await store.close();
    // The last connection to close (the worker's closes first) removes the WAL.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it("creates the database file in a directory that does not exist yet", async () => {
    const file = path.join(dir, "nested", "data", "poolgate.db");
    const store = openSqliteStore({ path: file });
    await store.migrate();
    await store.close();
    expect(fs.existsSync(file)).toBe(true);
  });

  it("keeps data across close and reopen", async () => {
    const file = path.join(dir, "poolgate.db");
    const user = testUser();
    const first = openSqliteStore({ path: file });
    await first.migrate();
    await first.createUser(user);
    await first.addUserToGroup(user.sub, "admins");
    await first.close();

    const second = openSqliteStore({ path: file });
    await second.migrate();
    expect(await second.getUserBySub(user.sub)).toEqual(user);
    expect(await second.getGroupsForUsers([user.sub])).toEqual([["admins"]]);
    await second.close();
  });

  it("records each migration once, however often migrate runs", async () => {
    const file = path.join(dir, "poolgate.db");
    for (let run = 0; run < 2; run++) {
      const store = openSqliteStore({ path: file });
      await store.migrate();
      await store.migrate();
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      const versions = db
        .prepare<[], { version: number }>("SELECT version FROM schema_migrations ORDER BY version")
        .all()
        .map((row) => row.version);
      expect(versions).toEqual(sqliteMigrations.map((migration) => migration.version));
    } finally {
      db.close();
    }
  });

  it("an upgrade from version 4 keeps every row: clients get the 3-minute challenge session, users no temporary password", async () => {
    const file = path.join(dir, "poolgate.db");
    const old = new Database(file);
    old.exec(
      "CREATE TABLE schema_migrations " +
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT",
    );
    for (const migration of sqliteMigrations.filter((m) => m.version <= 4)) {
      old.exec(migration.sql);
      old
        .prepare("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, 0)")
        .run(migration.version, migration.name);
    }
    const sub = randomUUID();
    old
      .prepare(
        "INSERT INTO users (sub, username, password_hash, enabled, confirmed, " +
          "password_reset_required, attributes, created_at_ms, updated_at_ms) " +
          "VALUES (?, ?, 'x', 1, 1, 0, '{}', 1, 1)",
      )
      .run(sub, `old-${sub}`);
    old
      .prepare(
        "INSERT INTO clients (client_id, name, allowed_scopes, access_token_validity_seconds, " +
          "id_token_validity_seconds, refresh_token_validity_seconds, rotate_refresh_tokens, " +
          "refresh_token_reuse_grace_seconds, enabled, created_at_ms) " +
          "VALUES ('old-client', 'old', '[]', 3600, 3600, 86400, 0, 0, 1, 1)",
      )
      .run();
    old.close();

    const store = openSqliteStore({ path: file });
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
    }
  });

  it("an upgrade from version 7 keeps the client_credentials grant of confidential clients only, and no URLs", async () => {
    const file = path.join(dir, "poolgate.db");
    const old = new Database(file);
    old.exec(
      "CREATE TABLE schema_migrations " +
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT",
    );
    for (const migration of sqliteMigrations.filter((m) => m.version <= 7)) {
      old.exec(migration.sql);
      old
        .prepare("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, 0)")
        .run(migration.version, migration.name);
    }
    const insertClient = old.prepare(
      "INSERT INTO clients (client_id, name, secret_hash, allowed_scopes, " +
        "access_token_validity_seconds, id_token_validity_seconds, refresh_token_validity_seconds, " +
        "rotate_refresh_tokens, refresh_token_reuse_grace_seconds, enabled, created_at_ms) " +
        "VALUES (?, 'old', ?, '[\"openid\"]', 3600, 3600, 86400, 0, 0, 1, 1)",
    );
    insertClient.run("old-public", null);
    insertClient.run("old-confidential", "secret-hash");
    old.close();

    const store = openSqliteStore({ path: file });
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
    }
  });

  it("declares migrations in strictly increasing version order", () => {
    const versions = sqliteMigrations.map((migration) => migration.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });

  it("opens the file in WAL mode", async () => {
    const file = path.join(dir, "poolgate.db");
    const store = openSqliteStore({ path: file });
    await store.migrate();
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      db.close();
    }
  });
});

function testUser(): UserRecord {
  const sub = randomUUID();
  return {
    sub,
    username: `user-${sub}`,
    passwordHash: "password-hash",
    enabled: true,
    confirmed: true,
    passwordResetRequired: false,
    temporaryPasswordExpiresAtMs: null,
    srpVerifierSealed: null,
    attributes: { email: `${sub}@example.com` },
    confirmationCodeHash: null,
    confirmationCodeExpiresAtMs: null,
    createdAtMs: 1_700_000_000_000,
    updatedAtMs: 1_700_000_000_000,
  };
}

describe("SqliteStore outbox under a feed that refuses events", () => {
  const T0 = 1_700_000_000_000;
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(async () => {
    ({ dir, file } = tempStore());
    store = openSqliteStore({ path: file });
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A trigger, from a connection of its own, that makes every insert into `changes` fail. */
  function refuseFeedInserts(): void {
    const db = new Database(file);
    db.exec(
      "CREATE TRIGGER test_refuse_change BEFORE INSERT ON changes " +
        "BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
    );
    db.close();
  }

  it("a write whose event is refused is not applied and fails as unavailable", async () => {
    const sub = randomUUID();
    await store.createUser(
      {
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
      },
      ["staff"],
    );
    const clientId = randomUUID();
    await store.createClient({
      clientId,
      name: "c",
      secretHash: null,
      secretSealed: null,
      allowedScopes: [],
      accessTokenValiditySeconds: 3600,
      idTokenValiditySeconds: 3600,
      refreshTokenValiditySeconds: 86400,
      rotateRefreshTokens: false,
      refreshTokenReuseGraceSeconds: 0,
      authSessionValidityMinutes: 3,
      callbackUrls: [],
      logoutUrls: [],
      allowedOAuthFlows: [],
      enabled: true,
      createdAtMs: T0,
    });
    const code = {
      sub,
      purpose: "forgot_password" as const,
      codeHash: "h",
      createdAtMs: T0,
      expiresAtMs: T0 + 3_600_000,
    };
    await store.putCode(code);
    const keysBefore = await store.listKeys();
    refuseFeedInserts();
    const note = (kind: "user_blocked" | "user_changed" | "client_blocked" | "keys_changed") => ({
      kind,
      subject: sub,
      atMs: T0 + 1,
    });

    const refused = [
      store.updateUser(sub, { enabled: false }, T0 + 1, note("user_blocked")),
      store.redeemCode(
        sub,
        "forgot_password",
        "h",
        T0 + 1,
        { passwordHash: "y" },
        note("user_changed"),
      ),
      store.deleteUser(sub, note("user_blocked")),
      store.addUserToGroup(sub, "admins", note("user_changed")),
      store.removeUserFromGroup(sub, "staff", note("user_changed")),
      store.updateClient(clientId, { enabled: false }, note("client_blocked")),
      store.deleteClient(clientId, note("client_blocked")),
      store.insertKey(
        {
          kid: randomUUID(),
          alg: "RS256",
          publicJwk: "{}",
          privateJwkEncrypted: "x",
          createdAtMs: T0,
          status: "active",
          retiredAtMs: null,
          expiresAtMs: null,
        },
        note("keys_changed"),
        { nowMs: T0, expiresAtMs: T0 + 1 },
      ),
    ];
    for (const write of refused) await expect(write).rejects.toBeInstanceOf(StoreUnavailableError);

    expect(await store.getUserBySub(sub)).toMatchObject({ enabled: true, passwordHash: "x" });
    expect(await store.getCode(sub, "forgot_password")).toEqual(code);
    expect(await store.getGroupsForUsers([sub])).toEqual([["staff"]]);
    expect(await store.getClient(clientId)).toMatchObject({ enabled: true });
    expect(await store.listKeys()).toEqual(keysBefore);
    expect(await store.latestChangeSeq()).toBe(0);
  });
});
