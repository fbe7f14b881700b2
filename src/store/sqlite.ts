import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { sqliteMigrations } from "./migrations/sqlite";
import {
  changeFromRow,
  clientFromRow,
  clientToRow,
  keyFromRow,
  keyToRow,
  lockoutFromRow,
  lockoutToRow,
  sessionFromRow,
  resourceServerFromRow,
  sessionToRow,
  sqliteColumns as COLUMNS,
  userFromRow,
  userToRow,
  type ChangeRow,
  type ClientRow as SharedClientRow,
  type KeyRow,
  type LockoutRow,
  type ResourceServerRow as SharedResourceServerRow,
  type SessionRow,
  type UserRow as SharedUserRow,
} from "./rows";
import type { SqliteMigration } from "./migrations/sqlite";
import { placeholders, type SqliteAccess } from "./sqlite/access";
import { PRUNE_EXPIRED_CHALLENGES, SqliteChallenges } from "./sqlite/challenges";
import { PRUNE_EXPIRED_CODES, SqliteCodes } from "./sqlite/codes";
import { SqliteMfa } from "./sqlite/mfa";
import { StoreConflictError, StoreUnavailableError, StoreWriteRefusedError } from "./store";
import type {
  ChallengeRecord,
  ChangeEvent,
  ChangeKind,
  ChangeNote,
  ClientPatch,
  CodePurpose,
  CodeRecord,
  PruneCounts,
  PruneCutoffs,
  ClientRecord,
  KeyRecord,
  LockoutRecord,
  MfaRecord,
  ResourceServerRecord,
  RevocationReason,
  RotationOutcome,
  SessionRecord,
  Store,
  UserPatch,
  UserRecord,
} from "./store";

/**
 * The embedded store (DESIGN §7). better-sqlite3 is synchronous: every method does its work
 * at once and hands back a settled Promise, so callers are written for PostgreSQL's
 * asynchrony while SQLite keeps its one-writer simplicity.
 */
export function openSqliteStore(options: { path: string }): SqliteStore {
  try {
    fs.mkdirSync(path.dirname(options.path), { recursive: true });
    const db = new Database(options.path);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    db.pragma("foreign_keys = ON");
    // Safe with WAL: a power loss may drop the last commits but never corrupts the file.
    db.pragma("synchronous = NORMAL");
    return new SqliteStore(db);
  } catch (err) {
    throw translateSqliteError(err);
  }
}

// Row shapes as the STRICT tables store them (see rows.ts sqliteColumns).
type UserRow = SharedUserRow<number, string>;
type ClientRow = SharedClientRow<number, string>;
type ResourceServerRow = SharedResourceServerRow<string>;

// Explicit column lists rather than `*`, so a later migration that adds a column cannot
// change what an already-prepared statement returns.
const USER_COLUMNS =
  "sub, username, password_hash, enabled, confirmed, password_reset_required, " +
  "temporary_password_expires_at_ms, attributes, confirmation_code_hash, " +
  "confirmation_code_expires_at_ms, created_at_ms, updated_at_ms";
// Built once: the statement cache is keyed by SQL text, and the hot path should not
// rebuild and rehash these strings on every request.
const SELECT_USER_BY_SUB = `SELECT ${USER_COLUMNS} FROM users WHERE sub = ?`;
const SELECT_GROUPS_OF_SUB = "SELECT sub, group_name FROM user_groups WHERE sub = ?";
const CLIENT_COLUMNS =
  "client_id, name, secret_hash, allowed_scopes, access_token_validity_seconds, " +
  "id_token_validity_seconds, refresh_token_validity_seconds, rotate_refresh_tokens, " +
  "refresh_token_reuse_grace_seconds, auth_session_validity_minutes, enabled, created_at_ms";
const SESSION_COLUMNS =
  "id, sub, client_id, scope, auth_time_seconds, created_at_ms, expires_at_ms, " +
  "refresh_token_hash, previous_refresh_token_hash, rotated_at_ms, revoked_at_ms, revoked_reason";
const KEY_COLUMNS =
  "kid, alg, public_jwk, private_jwk_encrypted, created_at_ms, status, retired_at_ms, expires_at_ms";
const LOCKOUT_COLUMNS = "username, consecutive_failures, last_failure_at_ms, locked_until_ms";

/** Rows one prune statement deletes at most: each is a short write transaction of its own. */
const PRUNE_BATCH_ROWS = 10_000;

export class SqliteStore implements Store {
  // Prepared lazily, keyed by SQL text: statements on tables that migrate() has not yet
  // created cannot be prepared in the constructor.
  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();

  /** performance.now() of the last StoreWriteRefusedError (monotonic, unlike the wall clock). */
  private lastWriteRefusedAt: number | undefined;

  // MFA, one-time codes and challenge sessions: their SQL is in ./sqlite/.
  private readonly mfa: SqliteMfa;
  private readonly codes: SqliteCodes;
  private readonly challenges: SqliteChallenges;

  constructor(private readonly db: Database.Database) {
    const access: SqliteAccess = {
      statement: <Row>(sql: string) => this.statement<Row>(sql),
      immediate: (work) => this.db.transaction(work).immediate(),
      insertNote: (change) => this.insertNote(change),
      patchUser: (sub, patch, nowMs) => this.patchUser(sub, patch, nowMs),
    };
    this.mfa = new SqliteMfa(access);
    this.codes = new SqliteCodes(access);
    this.challenges = new SqliteChallenges(access);
  }

  migrate(): Promise<void> {
    return this.guard(() => {
      this.db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations " +
          "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT",
      );
      for (const migration of sqliteMigrations) this.applyMigration(migration);
    });
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    this.statements.clear();
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return this.guard(() => {
      this.statement("SELECT 1").get();
    });
  }

  heartbeat(instance: string, nowMs: number): Promise<void> {
    return this.guard(() => {
      this.statement(
        "INSERT INTO heartbeats (instance, at_ms) VALUES (?, ?) " +
          "ON CONFLICT (instance) DO UPDATE SET at_ms = excluded.at_ms",
      ).run(instance, nowMs);
    });
  }

  msSinceWriteRefused(): number {
    return this.lastWriteRefusedAt === undefined
      ? Infinity
      : performance.now() - this.lastWriteRefusedAt;
  }

  // users

  createUser(user: UserRecord, groups: readonly string[] = []): Promise<void> {
    return this.guard(() =>
      this.db.transaction(() => {
        this.statement(
          `INSERT INTO users (${USER_COLUMNS}) VALUES (${placeholders(USER_COLUMNS)})`,
        ).run(userToRow(COLUMNS, user));
        for (const group of groups) this.insertGroup(user.sub, group);
      })(),
    );
  }

  getUserBySub(sub: string): Promise<UserRecord | undefined> {
    return this.guard(() => this.selectUser(sub));
  }

  getUserByUsername(username: string): Promise<UserRecord | undefined> {
    return this.guard(() => {
      const row = this.statement<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE username = ?`,
      ).get(username);
      return row === undefined ? undefined : userFromRow(COLUMNS, row);
    });
  }

  getUsersBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]> {
    return this.guard(() => {
      if (subs.length === 0) return [];
      // One key (the common `me` batch) skips json_each and the JSON round trip: measured
      // as the largest store cost on the authenticated-request path.
      if (subs.length === 1) {
        const row = this.statement<UserRow>(SELECT_USER_BY_SUB).get(subs[0]);
        return [row === undefined ? undefined : userFromRow(COLUMNS, row)];
      }
      const rows = this.statement<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE sub IN (SELECT value FROM json_each(?))`,
      ).all(JSON.stringify(subs));
      const bySub = new Map(rows.map((row) => [row.sub, userFromRow(COLUMNS, row)]));
      return subs.map((sub) => bySub.get(sub));
    });
  }

  updateUser(sub: string, patch: UserPatch, nowMs: number, change?: ChangeNote): Promise<boolean> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          if (!this.patchUser(sub, patch, nowMs)) return false;
          this.insertNote(change);
          return true;
        })
        // IMMEDIATE: a read-then-write transaction that starts deferred cannot upgrade to a
        // writer once another process has committed, and busy_timeout does not help then.
        .immediate(),
    );
  }

  deleteUser(sub: string, change?: ChangeNote): Promise<boolean> {
    // Group memberships go with the user (ON DELETE CASCADE); sessions stay, see the schema.
    return this.guard(() =>
      this.db.transaction(() => {
        const deleted = this.statement("DELETE FROM users WHERE sub = ?").run(sub).changes > 0;
        this.insertNote(change);
        return deleted;
      })(),
    );
  }

  listDisabledUserSubs(): Promise<string[]> {
    return this.guard(() =>
      this.statement<{ sub: string }>("SELECT sub FROM users WHERE enabled = 0")
        .all()
        .map((row) => row.sub),
    );
  }

  listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): Promise<{ sub: string; username: string }[]> {
    // SQLite compares TEXT with BINARY (memcmp of UTF-8), the order of the UNIQUE index.
    return this.guard(() =>
      this.statement<{ sub: string; username: string }>(
        "SELECT sub, username FROM users WHERE username > ? ORDER BY username LIMIT ?",
      ).all(afterUsername ?? "", Math.max(0, limit)),
    );
  }

  // pool settings

  getPoolSetting(name: string): Promise<string | undefined> {
    return this.guard(
      () =>
        this.statement<{ value: string }>("SELECT value FROM pool_settings WHERE name = ?").get(
          name,
        )?.value,
    );
  }

  setPoolSetting(name: string, value: string): Promise<void> {
    return this.guard(() => {
      this.statement(
        "INSERT INTO pool_settings (name, value) VALUES (?, ?) " +
          "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      ).run(name, value);
    });
  }

  // groups

  addUserToGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    return this.guard(() =>
      this.db.transaction(() => {
        this.insertGroup(sub, group);
        this.insertNote(change);
      })(),
    );
  }

  removeUserFromGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    return this.guard(() =>
      this.db.transaction(() => {
        this.statement("DELETE FROM user_groups WHERE sub = ? AND group_name = ?").run(sub, group);
        this.insertNote(change);
      })(),
    );
  }

  getGroupsForUsers(subs: readonly string[]): Promise<string[][]> {
    return this.guard(() => {
      if (subs.length === 0) return [];
      const rows =
        subs.length === 1
          ? this.statement<{ sub: string; group_name: string }>(SELECT_GROUPS_OF_SUB).all(subs[0])
          : this.statement<{ sub: string; group_name: string }>(
              "SELECT sub, group_name FROM user_groups WHERE sub IN (SELECT value FROM json_each(?))",
            ).all(JSON.stringify(subs));
      const bySub = new Map<string, string[]>();
      for (const row of rows) {
        const groups = bySub.get(row.sub);
        if (groups === undefined) bySub.set(row.sub, [row.group_name]);
        else groups.push(row.group_name);
      }
      // Sorted in JS by UTF-16 code unit, not by ORDER BY: a database collation (PostgreSQL's
      // locale) would order differently, and every backend must return the same list.
      for (const groups of bySub.values()) groups.sort();
      // A copy per position, so a caller mutating one result cannot alter a duplicate's.
      return subs.map((sub) => [...(bySub.get(sub) ?? [])]);
    });
  }

  // app clients

  createClient(client: ClientRecord): Promise<void> {
    return this.guard(() => {
      this.statement(
        `INSERT INTO clients (${CLIENT_COLUMNS}) VALUES (${placeholders(CLIENT_COLUMNS)})`,
      ).run(clientToRow(COLUMNS, client));
    });
  }

  getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.guard(() => this.selectClient(clientId));
  }

  listClients(): Promise<ClientRecord[]> {
    return this.guard(() =>
      this.statement<ClientRow>(
        `SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY created_at_ms, client_id`,
      )
        .all()
        .map((row) => clientFromRow(COLUMNS, row)),
    );
  }

  updateClient(clientId: string, patch: ClientPatch, change?: ChangeNote): Promise<boolean> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const current = this.selectClient(clientId);
          if (current === undefined) return false;
          const next: ClientRecord = {
            ...current,
            name: given(patch.name, current.name),
            secretHash: given(patch.secretHash, current.secretHash),
            allowedScopes: given(patch.allowedScopes, current.allowedScopes),
            accessTokenValiditySeconds: given(
              patch.accessTokenValiditySeconds,
              current.accessTokenValiditySeconds,
            ),
            idTokenValiditySeconds: given(
              patch.idTokenValiditySeconds,
              current.idTokenValiditySeconds,
            ),
            refreshTokenValiditySeconds: given(
              patch.refreshTokenValiditySeconds,
              current.refreshTokenValiditySeconds,
            ),
            rotateRefreshTokens: given(patch.rotateRefreshTokens, current.rotateRefreshTokens),
            refreshTokenReuseGraceSeconds: given(
              patch.refreshTokenReuseGraceSeconds,
              current.refreshTokenReuseGraceSeconds,
            ),
            authSessionValidityMinutes: given(
              patch.authSessionValidityMinutes,
              current.authSessionValidityMinutes,
            ),
            enabled: given(patch.enabled, current.enabled),
          };
          this.statement(
            "UPDATE clients SET name = @name, secret_hash = @secret_hash, " +
              "allowed_scopes = @allowed_scopes, " +
              "access_token_validity_seconds = @access_token_validity_seconds, " +
              "id_token_validity_seconds = @id_token_validity_seconds, " +
              "refresh_token_validity_seconds = @refresh_token_validity_seconds, " +
              "rotate_refresh_tokens = @rotate_refresh_tokens, " +
              "refresh_token_reuse_grace_seconds = @refresh_token_reuse_grace_seconds, " +
              "auth_session_validity_minutes = @auth_session_validity_minutes, " +
              "enabled = @enabled WHERE client_id = @client_id",
          ).run(clientToRow(COLUMNS, next));
          this.insertNote(change);
          return true;
        })
        .immediate(),
    );
  }

  deleteClient(clientId: string, change?: ChangeNote): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction(() => {
        const { changes } = this.statement("DELETE FROM clients WHERE client_id = ?").run(clientId);
        this.insertNote(change);
        return changes > 0;
      })(),
    );
  }

  // resource servers

  createResourceServer(server: ResourceServerRecord): Promise<void> {
    return this.guard(() => {
      this.statement(
        "INSERT INTO resource_servers (id, name, scopes, created_at_ms) VALUES (?, ?, ?, ?)",
      ).run(server.id, server.name, COLUMNS.json(server.scopes), server.createdAtMs);
    });
  }

  getResourceServer(id: string): Promise<ResourceServerRecord | undefined> {
    return this.guard(() => {
      const row = this.statement<ResourceServerRow>(
        "SELECT * FROM resource_servers WHERE id = ?",
      ).get(id);
      return row === undefined ? undefined : resourceServerFromRow(COLUMNS, row);
    });
  }

  listResourceServers(): Promise<ResourceServerRecord[]> {
    return this.guard(() =>
      this.statement<ResourceServerRow>("SELECT * FROM resource_servers ORDER BY id")
        .all()
        .map((row) => resourceServerFromRow(COLUMNS, row)),
    );
  }

  updateResourceServer(id: string, patch: { name: string; scopes: string[] }): Promise<boolean> {
    return this.guard(
      () =>
        this.statement("UPDATE resource_servers SET name = ?, scopes = ? WHERE id = ?").run(
          patch.name,
          COLUMNS.json(patch.scopes),
          id,
        ).changes > 0,
    );
  }

  deleteResourceServer(id: string): Promise<boolean> {
    return this.guard(
      () => this.statement("DELETE FROM resource_servers WHERE id = ?").run(id).changes > 0,
    );
  }

  // sessions

  createSession(session: SessionRecord): Promise<void> {
    return this.guard(() => {
      this.statement(
        `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${placeholders(SESSION_COLUMNS)})`,
      ).run(sessionToRow(session));
    });
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.guard(() => this.selectSession(id));
  }

  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): Promise<RotationOutcome> {
    return this.guard(() =>
      this.db
        .transaction((): RotationOutcome => {
          const session = this.selectSession(id);
          if (session === undefined) return { outcome: "missing" };
          if (session.revokedAtMs !== null || session.refreshTokenHash !== presentedHash) {
            return { outcome: "not_current", session };
          }
          this.statement(
            "UPDATE sessions SET previous_refresh_token_hash = refresh_token_hash, " +
              "refresh_token_hash = ?, rotated_at_ms = ? WHERE id = ?",
          ).run(nextHash, nowMs, id);
          return {
            outcome: "rotated",
            session: {
              ...session,
              refreshTokenHash: nextHash,
              previousRefreshTokenHash: session.refreshTokenHash,
              rotatedAtMs: nowMs,
            },
          };
        })
        .immediate(),
    );
  }

  revokeSession(id: string, reason: RevocationReason, nowMs: number): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction(() => {
        // The first revocation wins: its time and reason stay, and only it emits an event.
        const { changes } = this.statement(
          "UPDATE sessions SET revoked_at_ms = ?, revoked_reason = ? " +
            "WHERE id = ? AND revoked_at_ms IS NULL",
        ).run(nowMs, reason, id);
        if (changes === 0) return false;
        this.insertChange("session_revoked", id, nowMs);
        return true;
      })(),
    );
  }

  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): Promise<string[]> {
    return this.guard(() =>
      this.db.transaction(() => {
        const ids = this.statement<{ id: string }>(
          "UPDATE sessions SET revoked_at_ms = ?, revoked_reason = ? " +
            "WHERE sub = ? AND revoked_at_ms IS NULL RETURNING id",
        )
          .all(nowMs, reason, sub)
          .map((row) => row.id);
        for (const id of ids) this.insertChange("session_revoked", id, nowMs);
        return ids;
      })(),
    );
  }

  // change feed

  changesSince(afterSeq: number, limit: number): Promise<ChangeEvent[]> {
    return this.guard(() =>
      this.statement<ChangeRow>(
        "SELECT seq, kind, subject, at_ms FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
      )
        // SQLite reads a negative LIMIT as "no limit"; "at most -1" means none.
        .all(afterSeq, Math.max(0, limit))
        .map(changeFromRow),
    );
  }

  latestChangeSeq(): Promise<number> {
    return this.guard(() => {
      const row = this.statement<{ seq: number }>(
        "SELECT COALESCE(MAX(seq), 0) AS seq FROM changes",
      ).get();
      return row?.seq ?? 0;
    });
  }

  changeSeqBefore(sinceMs: number): Promise<number> {
    return this.guard(() => {
      // By time, on the changes_at_ms index (it holds the seq, the rowid): `MIN(seq)` would be
      // answered by walking the rowid from the oldest event, every event of the past
      // (measured: 250 ms at 1M rows).
      const first = this.statement<{ seq: number }>(
        "SELECT seq FROM changes WHERE at_ms >= ? ORDER BY at_ms, seq LIMIT 1",
      ).get(sinceMs)?.seq;
      if (first !== undefined) return first - 1;
      return (
        this.statement<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes").get()
          ?.seq ?? 0
      );
    });
  }

  async prune(cutoffs: PruneCutoffs): Promise<PruneCounts> {
    const counts: PruneCounts = {
      changes: 0,
      sessions: 0,
      lockouts: 0,
      heartbeats: 0,
      challenges: 0,
      codes: 0,
    };
    const work: [keyof PruneCounts, string, number][] = [
      [
        "changes",
        "DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE at_ms < ? LIMIT ?)",
        cutoffs.changesBeforeMs,
      ],
      [
        "sessions",
        "DELETE FROM sessions WHERE id IN " +
          "(SELECT id FROM sessions WHERE expires_at_ms < ? LIMIT ?)",
        cutoffs.sessionsExpiredBeforeMs,
      ],
      [
        "lockouts",
        "DELETE FROM lockouts WHERE username IN (SELECT username FROM lockouts " +
          "WHERE MAX(last_failure_at_ms, locked_until_ms) < ? LIMIT ?)",
        cutoffs.lockoutsIdleBeforeMs,
      ],
      [
        "heartbeats",
        "DELETE FROM heartbeats WHERE instance IN " +
          "(SELECT instance FROM heartbeats WHERE at_ms < ? LIMIT ?)",
        cutoffs.heartbeatsBeforeMs,
      ],
      ["challenges", PRUNE_EXPIRED_CHALLENGES, cutoffs.challengesExpiredBeforeMs],
      ["codes", PRUNE_EXPIRED_CODES, cutoffs.codesExpiredBeforeMs],
    ];
    // One process writes at a time anyway; short batches, with the event loop (requests)
    // served between them, keep a prune of millions of rows from holding either up.
    for (const [table, sql, cutoff] of work) {
      for (;;) {
        const deleted = await this.guard(
          () => this.statement(sql).run(cutoff, PRUNE_BATCH_ROWS).changes,
        );
        counts[table] += deleted;
        if (deleted < PRUNE_BATCH_ROWS) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return counts;
  }

  // keys

  listKeys(): Promise<KeyRecord[]> {
    return this.guard(() =>
      this.statement<KeyRow>(
        `SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY created_at_ms DESC, kid DESC`,
      )
        .all()
        .map(keyFromRow),
    );
  }

  insertKey(
    key: KeyRecord,
    change?: ChangeNote,
    retireOlder?: { nowMs: number; expiresAtMs: number },
  ): Promise<void> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          this.statement(
            `INSERT INTO signing_keys (${KEY_COLUMNS}) VALUES (${placeholders(KEY_COLUMNS)})`,
          ).run(keyToRow(key));
          if (retireOlder !== undefined) {
            this.statement(
              "UPDATE signing_keys SET status = 'retired', retired_at_ms = ?, expires_at_ms = ? " +
                "WHERE status = 'active' AND EXISTS (SELECT 1 FROM signing_keys AS a " +
                "WHERE a.status = 'active' AND (a.created_at_ms > signing_keys.created_at_ms OR " +
                "(a.created_at_ms = signing_keys.created_at_ms AND a.kid > signing_keys.kid)))",
            ).run(retireOlder.nowMs, retireOlder.expiresAtMs);
          }
          this.insertNote(change);
        })
        .immediate(),
    );
  }

  // failed sign-in counters

  updateLockout(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): Promise<LockoutRecord | undefined> {
    return this.guard(() =>
      this.db
        .transaction((): LockoutRecord | undefined => {
          const previous = this.selectLockout(username);
          const next = update(previous);
          if (next === undefined) return previous;
          const record = { ...next, username };
          this.statement(
            `INSERT INTO lockouts (${LOCKOUT_COLUMNS}) VALUES (${placeholders(LOCKOUT_COLUMNS)}) ` +
              "ON CONFLICT (username) DO UPDATE SET " +
              "consecutive_failures = excluded.consecutive_failures, " +
              "last_failure_at_ms = excluded.last_failure_at_ms, " +
              "locked_until_ms = excluded.locked_until_ms",
          ).run(lockoutToRow(record));
          return record;
        })
        .immediate(),
    );
  }

  clearFailedSignIns(username: string): Promise<void> {
    return this.guard(() => {
      this.statement("DELETE FROM lockouts WHERE username = ?").run(username);
    });
  }

  // MFA, one-time codes, challenge sessions (./sqlite/)

  getMfa(sub: string): Promise<MfaRecord | undefined> {
    return this.guard(() => this.mfa.get(sub));
  }

  updateMfa(
    sub: string,
    update: (previous: MfaRecord | undefined) => MfaRecord | null | undefined,
  ): Promise<MfaRecord | undefined> {
    return this.guard(() => this.mfa.update(sub, update));
  }

  putCode(code: CodeRecord): Promise<void> {
    return this.guard(() => this.codes.put(code));
  }

  getCode(sub: string, purpose: CodePurpose): Promise<CodeRecord | undefined> {
    return this.guard(() => this.codes.get(sub, purpose));
  }

  deleteCode(sub: string, purpose: CodePurpose, codeHash: string): Promise<boolean> {
    return this.guard(() => this.codes.delete(sub, purpose, codeHash));
  }

  redeemCode(
    sub: string,
    purpose: CodePurpose,
    codeHash: string,
    nowMs: number,
    patch: UserPatch,
    change?: ChangeNote,
  ): Promise<boolean> {
    return this.guard(() => this.codes.redeem(sub, purpose, codeHash, nowMs, patch, change));
  }

  createChallenge(challenge: ChallengeRecord): Promise<void> {
    return this.guard(() => this.challenges.create(challenge));
  }

  getChallenge(id: string): Promise<ChallengeRecord | undefined> {
    return this.guard(() => this.challenges.get(id));
  }

  spendChallenge(id: string, nowMs: number): Promise<boolean> {
    return this.guard(() => this.challenges.spend(id, nowMs));
  }

  countWrongAnswer(id: string, nowMs: number, limit: number): Promise<number | undefined> {
    return this.guard(() => this.challenges.countWrongAnswer(id, nowMs, limit));
  }

  // internals

  /**
   * Runs synchronous work as a settled Promise, so that a failure is a rejection (as it
   * will be from PostgreSQL) and never a synchronous throw, translated in one place.
   */
  private guard<T>(work: () => T): Promise<T> {
    if (!this.db.open) return Promise.reject(new StoreUnavailableError("store is closed"));
    try {
      return Promise.resolve(work());
    } catch (err) {
      const translated = translateSqliteError(err);
      if (translated instanceof StoreWriteRefusedError) this.lastWriteRefusedAt = performance.now();
      return Promise.reject(translated);
    }
  }

  private statement<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, prepared);
    }
    return prepared as Database.Statement<unknown[], Row>;
  }

  private applyMigration(migration: SqliteMigration): void {
    this.db
      .transaction(() => {
        const applied = this.statement("SELECT 1 FROM schema_migrations WHERE version = ?").get(
          migration.version,
        );
        if (applied !== undefined) return;
        this.db.exec(migration.sql);
        this.statement(
          "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
        ).run(migration.version, migration.name, Date.now());
      })
      // IMMEDIATE takes the write lock before the check, so two processes starting on the
      // same file cannot both apply one migration.
      .immediate();
  }

  /**
   * Appends an event inside the caller's transaction (the outbox, see ChangeNote). A feed that
   * refuses it (a full disk, a trigger an operator added) fails the whole write as unavailable:
   * a change that other instances could not hear of must not be applied.
   */
  private insertChange(kind: ChangeKind, subject: string, nowMs: number): number {
    let row: { seq: number } | undefined;
    try {
      row = this.statement<{ seq: number }>(
        "INSERT INTO changes (kind, subject, at_ms) VALUES (?, ?, ?) RETURNING seq",
      ).get(kind, subject, nowMs);
    } catch (err) {
      const translated = translateSqliteError(err);
      if (translated instanceof StoreUnavailableError) throw translated;
      throw new StoreUnavailableError("the change feed refused an event", { cause: err });
    }
    if (row === undefined) throw new Error("INSERT … RETURNING returned no row");
    return row.seq;
  }

  private insertNote(change: ChangeNote | undefined): void {
    if (change !== undefined) this.insertChange(change.kind, change.subject, change.atMs);
  }

  private insertGroup(sub: string, group: string): void {
    // Membership is a set: adding twice is not a conflict. An unknown user is (foreign key).
    this.statement(
      "INSERT INTO user_groups (sub, group_name) VALUES (?, ?) ON CONFLICT DO NOTHING",
    ).run(sub, group);
  }

  /** updateUser's write, inside the caller's transaction → false when there is no such user. */
  private patchUser(sub: string, patch: UserPatch, nowMs: number): boolean {
    const current = this.selectUser(sub);
    if (current === undefined) return false;
    const next: UserRecord = {
      ...current,
      username: given(patch.username, current.username),
      passwordHash: given(patch.passwordHash, current.passwordHash),
      enabled: given(patch.enabled, current.enabled),
      confirmed: given(patch.confirmed, current.confirmed),
      passwordResetRequired: given(patch.passwordResetRequired, current.passwordResetRequired),
      temporaryPasswordExpiresAtMs: given(
        patch.temporaryPasswordExpiresAtMs,
        current.temporaryPasswordExpiresAtMs,
      ),
      attributes: given(patch.attributes, current.attributes),
      confirmationCodeHash: given(patch.confirmationCodeHash, current.confirmationCodeHash),
      confirmationCodeExpiresAtMs: given(
        patch.confirmationCodeExpiresAtMs,
        current.confirmationCodeExpiresAtMs,
      ),
      updatedAtMs: nowMs,
    };
    this.statement(
      "UPDATE users SET username = @username, password_hash = @password_hash, " +
        "enabled = @enabled, " +
        "confirmed = @confirmed, password_reset_required = @password_reset_required, " +
        "temporary_password_expires_at_ms = @temporary_password_expires_at_ms, " +
        "attributes = @attributes, confirmation_code_hash = @confirmation_code_hash, " +
        "confirmation_code_expires_at_ms = @confirmation_code_expires_at_ms, " +
        "updated_at_ms = @updated_at_ms WHERE sub = @sub",
    ).run(userToRow(COLUMNS, next));
    return true;
  }

  private selectUser(sub: string): UserRecord | undefined {
    const row = this.statement<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE sub = ?`).get(sub);
    return row === undefined ? undefined : userFromRow(COLUMNS, row);
  }

  private selectClient(clientId: string): ClientRecord | undefined {
    const row = this.statement<ClientRow>(
      `SELECT ${CLIENT_COLUMNS} FROM clients WHERE client_id = ?`,
    ).get(clientId);
    return row === undefined ? undefined : clientFromRow(COLUMNS, row);
  }

  private selectSession(id: string): SessionRecord | undefined {
    const row = this.statement<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`,
    ).get(id);
    return row === undefined ? undefined : sessionFromRow(row);
  }

  private selectLockout(username: string): LockoutRecord | undefined {
    const row = this.statement<LockoutRow>(
      `SELECT ${LOCKOUT_COLUMNS} FROM lockouts WHERE username = ?`,
    ).get(username);
    return row === undefined ? undefined : lockoutFromRow(row);
  }
}

/**
 * The one place where SQLite errors become store errors (CONVENTIONS §4): by result code,
 * never by message. Anything else (a NOT NULL or CHECK violation, a corrupt file) is a bug
 * or an operator problem and is rethrown as it is.
 */
/**
 * better-sqlite3's errors, recognised by shape: the native addon keeps the SqliteError class
 * of the first load, so `instanceof` fails where the module is loaded twice (jest's registry).
 */
function isSqliteError(err: unknown): err is Error & { code: string } {
  // Not even `instanceof Error`: a jest test file runs with its own realm's Error.
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === "SqliteError" && typeof e.code === "string";
}

function translateSqliteError(err: unknown): unknown {
  if (!isSqliteError(err)) return err;
  switch (err.code) {
    case "SQLITE_CONSTRAINT_UNIQUE":
    case "SQLITE_CONSTRAINT_PRIMARYKEY":
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return new StoreConflictError(`conflicting record (${err.code})`, { cause: err });
  }
  // Extended codes (SQLITE_IOERR_READ, SQLITE_BUSY_SNAPSHOT, …) share their primary prefix.
  switch (err.code.split("_", 2).join("_")) {
    case "SQLITE_FULL": // the disk (or the file's size limit) is full
    case "SQLITE_READONLY": // a read-only file or folder
      return new StoreWriteRefusedError(`database refuses writes (${err.code})`, { cause: err });
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
    case "SQLITE_IOERR":
    case "SQLITE_CANTOPEN":
      return new StoreUnavailableError(`database unavailable (${err.code})`, { cause: err });
    default:
      return err;
  }
}

/** A patch field left `undefined` keeps the stored value; `null` is a value (it clears). */
function given<T>(patched: T | undefined, current: T): T {
  return patched === undefined ? current : patched;
}
