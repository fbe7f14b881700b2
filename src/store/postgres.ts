import pg from "pg";
import { postgresMigrations } from "./migrations/postgres";
import { insert, type PostgresAccess } from "./postgres/access";
import { PostgresChallenges, PRUNE_EXPIRED_CHALLENGES } from "./postgres/challenges";
import { PostgresCodes, PRUNE_EXPIRED_CODES } from "./postgres/codes";
import { PostgresMfa } from "./postgres/mfa";
import {
  changeFromRow,
  clientFromRow,
  clientToRow,
  keyFromRow,
  keyToRow,
  lockoutFromRow,
  sessionFromRow,
  postgresColumns as COLUMNS,
  resourceServerFromRow,
  sessionToRow,
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

/** Pool size when the caller gives none (pg's own default). */
const DEFAULT_POOL_SIZE = 10;
/** How long a checkout may wait for a connection before the call fails as unavailable. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** How long one statement may run (server side) or go unanswered (client side). */
const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
/**
 * The client-side wait is a little longer than the server's statement_timeout: when the server
 * is reachable its cancel (SQLSTATE 57014) arrives first and the connection stays usable; only a
 * silent peer (a black hole, a half-open connection) is left to the client-side timer.
 */
const CLIENT_WAIT_MARGIN_MS = 1_000;
/** Migrations may legitimately take longer than a request's statement. */
const MAINTENANCE_TIMEOUT_MS = 10 * 60_000;
/**
 * TCP keepalive on every connection: an idle pooled connection whose peer vanished (a NAT or
 * load balancer that dropped the flow, a failed-over server) is found dead by the kernel and
 * discarded before a request checks it out.
 */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;
/** Channel of the change-feed hint (see watchChanges). */
const CHANGES_CHANNEL = "poolgate_changes";
/**
 * Advisory lock keys, fixed for the life of the schema ("poolmigr", "poolfeed", "poolkeys" and "poolprun" in ASCII).
 * Advisory locks are per database, so several poolgate databases on one server do not meet.
 */
const MIGRATION_LOCK_KEY = "8101816766145587058";
const FEED_LOCK_KEY = "8099551754811500389";
/** "poolkeys": serialises key rotations, so each sees the keys the others committed. */
const KEYS_LOCK_KEY = "8101816766111775091";
/** "poolprun": one prune at a time across instances. */
const PRUNE_LOCK_KEY = "8101816766196512110";
/** Rows one prune statement deletes at most: each is a short transaction of its own. */
const PRUNE_BATCH_ROWS = 10_000;
/** LISTEN reconnection: first retry after ~100 ms, doubling up to ~5 s. */
const LISTEN_RETRY_INITIAL_MS = 100;
const LISTEN_RETRY_MAX_MS = 5_000;
/**
 * A LISTEN connection only ever receives; a silently dead TCP peer (a NAT or load balancer
 * that dropped the flow) would go unnoticed, so it sends a query this often.
 */
const LISTEN_HEARTBEAT_MS = 30_000;

const INT8_OID = 20;

/**
 * Type parsers for this store's connections only. pg returns int8 as a string by default
 * (it may exceed 2^53); every BIGINT here is a millisecond time or a seq, far below that, so
 * they become numbers — and one that is not safe fails loudly rather than rounding. The global
 * `pg.types` stays untouched, so other pg users in the same process keep pg's defaults.
 */
const poolTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8_OID && (format ?? "text") === "text") return parseSafeInt8;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

function parseSafeInt8(text: string): number {
  const value = Number(text);
  // A RangeError, which translatePgError passes through: it is a bug, not an outage.
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 ${text} is not a safe integer`);
  return value;
}

/**
 * Opens a pool on `connectionString` and checks that the server answers. The caller applies
 * the migrations (`migrate()`), as for SQLite.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const store = new PostgresStore(options);
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

// Row shapes as pg returns them (booleans, parsed JSONB, int8 as numbers; see rows.ts
// postgresColumns). Type aliases, not interfaces: pg's QueryResultRow needs an index
// signature, which only aliases get implicitly.
type UserRow = SharedUserRow<boolean, unknown>;
type ClientRow = SharedClientRow<boolean, unknown>;
type ResourceServerRow = SharedResourceServerRow<unknown>;

// Explicit column lists rather than `*`, so a later migration that adds a column cannot
// change what a query returns.
const USER_COLUMNS = [
  "sub",
  "username",
  "password_hash",
  "enabled",
  "confirmed",
  "password_reset_required",
  "temporary_password_expires_at_ms",
  "attributes",
  "confirmation_code_hash",
  "confirmation_code_expires_at_ms",
  "created_at_ms",
  "updated_at_ms",
] as const;
const CLIENT_COLUMNS = [
  "client_id",
  "name",
  "secret_hash",
  "allowed_scopes",
  "access_token_validity_seconds",
  "id_token_validity_seconds",
  "refresh_token_validity_seconds",
  "rotate_refresh_tokens",
  "refresh_token_reuse_grace_seconds",
  "auth_session_validity_minutes",
  "enabled",
  "created_at_ms",
] as const;
const SESSION_COLUMNS = [
  "id",
  "sub",
  "client_id",
  "scope",
  "auth_time_seconds",
  "created_at_ms",
  "expires_at_ms",
  "refresh_token_hash",
  "previous_refresh_token_hash",
  "rotated_at_ms",
  "revoked_at_ms",
  "revoked_reason",
] as const;
const KEY_COLUMNS = [
  "kid",
  "alg",
  "public_jwk",
  "private_jwk_encrypted",
  "created_at_ms",
  "status",
  "retired_at_ms",
  "expires_at_ms",
] as const;
const LOCKOUT_COLUMNS = [
  "username",
  "consecutive_failures",
  "last_failure_at_ms",
  "locked_until_ms",
] as const;

const USERS = USER_COLUMNS.join(", ");
const CLIENTS = CLIENT_COLUMNS.join(", ");
const SESSIONS = SESSION_COLUMNS.join(", ");
const KEYS = KEY_COLUMNS.join(", ");
const LOCKOUTS = LOCKOUT_COLUMNS.join(", ");

/** Collects `column = $n` assignments for an UPDATE whose first parameter is the key. */
class Assignments {
  readonly values: unknown[];
  private readonly sets: string[] = [];

  constructor(key: string) {
    this.values = [key];
  }

  /** A patch field left `undefined` keeps the stored value; `null` is a value (it clears). */
  set(column: string, value: unknown): void {
    if (value === undefined) return;
    this.values.push(value);
    this.sets.push(`${column} = $${this.values.length}`);
  }

  get empty(): boolean {
    return this.sets.length === 0;
  }

  toString(): string {
    return this.sets.join(", ");
  }
}

type Queryable = pg.Pool | pg.PoolClient;

export interface PostgresStoreOptions {
  connectionString: string;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** Each statement's statement_timeout, and (plus a margin) the wait for its answer. @default 5000 */
  queryTimeoutMs?: number;
  /** Opening a connection, or waiting for a free one in the pool. @default 5000 */
  connectTimeoutMs?: number;
}

export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly listenConfig: pg.ClientConfig;
  private readonly watchers = new Set<ChangeWatcher>();
  private closing: Promise<void> | undefined;
  /** performance.now() of the last StoreWriteRefusedError (monotonic, unlike the wall clock). */
  private lastWriteRefusedAt: number | undefined;
  /** Connections running migrations or pruning, whose statements get the maintenance bound. */
  private readonly maintenance = new WeakSet<pg.PoolClient>();
  // MFA, one-time codes and challenge sessions: their SQL is in ./postgres/.
  private readonly mfa: PostgresMfa;
  private readonly codes: PostgresCodes;
  private readonly challenges: PostgresChallenges;

  constructor(options: PostgresStoreOptions) {
    const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    const connection = {
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // Server side: no statement runs, and no transaction sits idle holding its locks (the
      // feed's advisory lock above all), longer than this — even when this client has gone.
      statement_timeout: queryTimeoutMs,
      idle_in_transaction_session_timeout: queryTimeoutMs,
      // Client side: a statement whose answer never comes fails instead of wedging its caller.
      query_timeout: queryTimeoutMs + CLIENT_WAIT_MARGIN_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
      types: poolTypes,
    } satisfies pg.ClientConfig;
    this.pool = new pg.Pool({
      ...connection,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      application_name: "poolgate",
    });
    // An idle connection that drops (server restart, failover) is reported here; the pool
    // has already discarded it and opens a new one on the next checkout. Without a listener
    // the 'error' event would crash the process.
    this.pool.on("error", () => {});
    this.listenConfig = { ...connection, application_name: "poolgate-listen" };
    const access: PostgresAccess = {
      query: (text, values) => this.query(text, values),
      transaction: (work) => this.transaction(work),
      run: (client, text, values) => this.run(client, text, values),
      appendNote: async (client, change) => {
        if (change !== undefined)
          await this.appendChangesIn(client, change.kind, [change.subject], change.atMs);
      },
      patchUser: (client, sub, patch, nowMs) => this.patchUser(client, sub, patch, nowMs),
    };
    this.mfa = new PostgresMfa(access);
    this.codes = new PostgresCodes(access);
    this.challenges = new PostgresChallenges(access);
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await this.allowMaintenanceTime(client);
      // Two instances starting at once: the second waits here until the first has committed,
      // then finds every migration recorded. Taken before CREATE TABLE IF NOT EXISTS, which is
      // not safe against a concurrent twin (it can fail on the catalog's unique index).
      await this.run(client, `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await this.run(
        client,
        "CREATE TABLE IF NOT EXISTS schema_migrations " +
          "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
      );
      const { rows } = await this.run<{ version: number }>(
        client,
        "SELECT version FROM schema_migrations",
      );
      const applied = new Set(rows.map((row) => row.version));
      for (const migration of postgresMigrations) {
        if (applied.has(migration.version)) continue;
        // No parameters: pg sends it with the simple protocol, which allows several statements.
        await this.run(client, migration.sql);
        await this.run(
          client,
          "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
          [migration.version, migration.name, Date.now()],
        );
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const watchers = [...this.watchers];
      this.watchers.clear();
      await Promise.all(watchers.map((watcher) => watcher.stop()));
      await this.pool.end();
    })();
    return this.closing;
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1");
  }

  async heartbeat(instance: string, nowMs: number): Promise<void> {
    await this.query(
      "INSERT INTO heartbeats (instance, at_ms) VALUES ($1, $2) " +
        "ON CONFLICT (instance) DO UPDATE SET at_ms = EXCLUDED.at_ms",
      [instance, nowMs],
    );
  }

  msSinceWriteRefused(): number {
    return this.lastWriteRefusedAt === undefined
      ? Infinity
      : performance.now() - this.lastWriteRefusedAt;
  }

  // users

  async createUser(user: UserRecord, groups: readonly string[] = []): Promise<void> {
    if (groups.length === 0) {
      await this.query(...insert("users", USER_COLUMNS, userToRow(COLUMNS, user)));
      return;
    }
    await this.transaction(async (client) => {
      await this.run(client, ...insert("users", USER_COLUMNS, userToRow(COLUMNS, user)));
      await this.run(
        client,
        "INSERT INTO user_groups (sub, group_name) SELECT $1, g FROM unnest($2::text[]) AS g " +
          "ON CONFLICT DO NOTHING",
        [user.sub, [...groups]],
      );
    });
  }

  async getUserBySub(sub: string): Promise<UserRecord | undefined> {
    const { rows } = await this.query<UserRow>(`SELECT ${USERS} FROM users WHERE sub = $1`, [sub]);
    return rows[0] === undefined ? undefined : userFromRow(COLUMNS, rows[0]);
  }

  async getUserByUsername(username: string): Promise<UserRecord | undefined> {
    const { rows } = await this.query<UserRow>(`SELECT ${USERS} FROM users WHERE username = $1`, [
      username,
    ]);
    return rows[0] === undefined ? undefined : userFromRow(COLUMNS, rows[0]);
  }

  async getUsersBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]> {
    if (subs.length === 0) return [];
    const { rows } = await this.query<UserRow>(
      `SELECT ${USERS} FROM users WHERE sub = ANY($1::text[])`,
      [[...subs]],
    );
    const bySub = new Map(rows.map((row) => [row.sub, userFromRow(COLUMNS, row)]));
    return subs.map((sub) => bySub.get(sub));
  }

  async updateUser(
    sub: string,
    patch: UserPatch,
    nowMs: number,
    change?: ChangeNote,
  ): Promise<boolean> {
    return this.withNote(change, async (db) => {
      const updated = await this.patchUser(db, sub, patch, nowMs);
      return { result: updated, append: updated };
    });
  }

  async deleteUser(sub: string, change?: ChangeNote): Promise<boolean> {
    // Group memberships go with the user (ON DELETE CASCADE); sessions stay, see the schema.
    return this.withNote(change, async (db) => {
      const { rowCount } = await this.run(db, "DELETE FROM users WHERE sub = $1", [sub]);
      return { result: (rowCount ?? 0) > 0, append: true };
    });
  }

  async listDisabledUserSubs(): Promise<string[]> {
    const { rows } = await this.query<{ sub: string }>("SELECT sub FROM users WHERE NOT enabled");
    return rows.map((row) => row.sub);
  }

  async listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): Promise<{ sub: string; username: string }[]> {
    // COLLATE "C": code-point order whatever the database's collation, so paging is exact.
    const { rows } = await this.query<{ sub: string; username: string }>(
      'SELECT sub, username FROM users WHERE username COLLATE "C" > $1 ' +
        'ORDER BY username COLLATE "C" LIMIT $2',
      [afterUsername ?? "", Math.max(0, limit)],
    );
    return rows;
  }

  // pool settings

  async getPoolSetting(name: string): Promise<string | undefined> {
    const { rows } = await this.query<{ value: string }>(
      "SELECT value FROM pool_settings WHERE name = $1",
      [name],
    );
    return rows[0]?.value;
  }

  async setPoolSetting(name: string, value: string): Promise<void> {
    await this.query(
      "INSERT INTO pool_settings (name, value) VALUES ($1, $2) " +
        "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
      [name, value],
    );
  }

  // groups

  async addUserToGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    // Membership is a set: adding twice is not a conflict. An unknown user is (foreign key).
    await this.withNote(change, async (db) => {
      await this.run(
        db,
        "INSERT INTO user_groups (sub, group_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [sub, group],
      );
      return { result: undefined, append: true };
    });
  }

  async removeUserFromGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    await this.withNote(change, async (db) => {
      await this.run(db, "DELETE FROM user_groups WHERE sub = $1 AND group_name = $2", [
        sub,
        group,
      ]);
      return { result: undefined, append: true };
    });
  }

  async getGroupsForUsers(subs: readonly string[]): Promise<string[][]> {
    if (subs.length === 0) return [];
    const { rows } = await this.query<{ sub: string; group_name: string }>(
      "SELECT sub, group_name FROM user_groups WHERE sub = ANY($1::text[])",
      [[...subs]],
    );
    const bySub = new Map<string, string[]>();
    for (const row of rows) {
      const groups = bySub.get(row.sub);
      if (groups === undefined) bySub.set(row.sub, [row.group_name]);
      else groups.push(row.group_name);
    }
    // Sorted in JS by UTF-16 code unit, not by ORDER BY: the database's collation (its
    // locale) would order differently, and every backend must return the same list.
    for (const groups of bySub.values()) groups.sort();
    // A copy per position, so a caller mutating one result cannot alter a duplicate's.
    return subs.map((sub) => [...(bySub.get(sub) ?? [])]);
  }

  // app clients

  async createClient(client: ClientRecord): Promise<void> {
    await this.query(...insert("clients", CLIENT_COLUMNS, clientToRow(COLUMNS, client)));
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const { rows } = await this.query<ClientRow>(
      `SELECT ${CLIENTS} FROM clients WHERE client_id = $1`,
      [clientId],
    );
    return rows[0] === undefined ? undefined : clientFromRow(COLUMNS, rows[0]);
  }

  async listClients(): Promise<ClientRecord[]> {
    // COLLATE "C": byte order, as SQLite's BINARY, whatever the database's locale.
    const { rows } = await this.query<ClientRow>(
      `SELECT ${CLIENTS} FROM clients ORDER BY created_at_ms, client_id COLLATE "C"`,
    );
    return rows.map((row) => clientFromRow(COLUMNS, row));
  }

  async updateClient(clientId: string, patch: ClientPatch, change?: ChangeNote): Promise<boolean> {
    const assignments = new Assignments(clientId);
    assignments.set("name", patch.name);
    assignments.set("secret_hash", patch.secretHash);
    assignments.set("allowed_scopes", json(patch.allowedScopes));
    assignments.set("access_token_validity_seconds", patch.accessTokenValiditySeconds);
    assignments.set("id_token_validity_seconds", patch.idTokenValiditySeconds);
    assignments.set("refresh_token_validity_seconds", patch.refreshTokenValiditySeconds);
    assignments.set("rotate_refresh_tokens", patch.rotateRefreshTokens);
    assignments.set("refresh_token_reuse_grace_seconds", patch.refreshTokenReuseGraceSeconds);
    assignments.set("auth_session_validity_minutes", patch.authSessionValidityMinutes);
    assignments.set("enabled", patch.enabled);
    return this.withNote(change, async (db) => {
      // Nothing to change still answers whether the client exists.
      const { rowCount } = assignments.empty
        ? await this.run(db, "SELECT 1 FROM clients WHERE client_id = $1", [clientId])
        : await this.run(
            db,
            `UPDATE clients SET ${assignments.toString()} WHERE client_id = $1`,
            assignments.values,
          );
      return { result: (rowCount ?? 0) > 0, append: (rowCount ?? 0) > 0 };
    });
  }

  async deleteClient(clientId: string, change?: ChangeNote): Promise<boolean> {
    return this.withNote(change, async (db) => {
      const { rowCount } = await this.run(db, "DELETE FROM clients WHERE client_id = $1", [
        clientId,
      ]);
      return { result: (rowCount ?? 0) > 0, append: true };
    });
  }

  // resource servers

  async createResourceServer(server: ResourceServerRecord): Promise<void> {
    await this.query(
      "INSERT INTO resource_servers (id, name, scopes, created_at_ms) VALUES ($1, $2, $3, $4)",
      [server.id, server.name, COLUMNS.json(server.scopes), server.createdAtMs],
    );
  }

  async getResourceServer(id: string): Promise<ResourceServerRecord | undefined> {
    const { rows } = await this.query<ResourceServerRow>(
      "SELECT id, name, scopes, created_at_ms FROM resource_servers WHERE id = $1",
      [id],
    );
    return rows[0] === undefined ? undefined : resourceServerFromRow(COLUMNS, rows[0]);
  }

  async listResourceServers(): Promise<ResourceServerRecord[]> {
    const { rows } = await this.query<ResourceServerRow>(
      'SELECT id, name, scopes, created_at_ms FROM resource_servers ORDER BY id COLLATE "C"',
    );
    return rows.map((row) => resourceServerFromRow(COLUMNS, row));
  }

  async updateResourceServer(
    id: string,
    patch: { name: string; scopes: string[] },
  ): Promise<boolean> {
    const { rowCount } = await this.query(
      "UPDATE resource_servers SET name = $2, scopes = $3 WHERE id = $1",
      [id, patch.name, COLUMNS.json(patch.scopes)],
    );
    return (rowCount ?? 0) > 0;
  }

  async deleteResourceServer(id: string): Promise<boolean> {
    const { rowCount } = await this.query("DELETE FROM resource_servers WHERE id = $1", [id]);
    return (rowCount ?? 0) > 0;
  }

  // sessions

  async createSession(session: SessionRecord): Promise<void> {
    await this.query(...insert("sessions", SESSION_COLUMNS, sessionToRow(session)));
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.query<SessionRow>(
      `SELECT ${SESSIONS} FROM sessions WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : sessionFromRow(rows[0]);
  }

  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): Promise<RotationOutcome> {
    return this.transaction(async (client): Promise<RotationOutcome> => {
      // FOR UPDATE: a concurrent rotation with the same hash waits here, then reads the row
      // as the winner left it and answers not_current.
      const { rows } = await this.run<SessionRow>(
        client,
        `SELECT ${SESSIONS} FROM sessions WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (rows[0] === undefined) return { outcome: "missing" };
      const session = sessionFromRow(rows[0]);
      if (session.revokedAtMs !== null || session.refreshTokenHash !== presentedHash) {
        return { outcome: "not_current", session };
      }
      await this.run(
        client,
        "UPDATE sessions SET previous_refresh_token_hash = refresh_token_hash, " +
          "refresh_token_hash = $2, rotated_at_ms = $3 WHERE id = $1",
        [id, nextHash, nowMs],
      );
      return {
        outcome: "rotated",
        session: {
          ...session,
          refreshTokenHash: nextHash,
          previousRefreshTokenHash: session.refreshTokenHash,
          rotatedAtMs: nowMs,
        },
      };
    });
  }

  revokeSession(id: string, reason: RevocationReason, nowMs: number): Promise<boolean> {
    return this.transaction(async (client) => {
      // The first revocation wins: a concurrent one waits for the row lock, re-checks
      // `revoked_at_ms IS NULL` against the committed row, updates nothing and emits nothing.
      const { rowCount } = await this.run(
        client,
        "UPDATE sessions SET revoked_at_ms = $2, revoked_reason = $3 " +
          "WHERE id = $1 AND revoked_at_ms IS NULL",
        [id, nowMs, reason],
      );
      if ((rowCount ?? 0) === 0) return false;
      await this.appendChangesIn(client, "session_revoked", [id], nowMs);
      return true;
    });
  }

  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): Promise<string[]> {
    return this.transaction(async (client) => {
      // Rows locked in id order, so two concurrent sign-outs of one user cannot deadlock.
      const { rows } = await this.run<{ id: string }>(
        client,
        "UPDATE sessions SET revoked_at_ms = $2, revoked_reason = $3 " +
          "WHERE id IN (SELECT id FROM sessions WHERE sub = $1 AND revoked_at_ms IS NULL " +
          "ORDER BY id FOR UPDATE) AND revoked_at_ms IS NULL RETURNING id",
        [sub, nowMs, reason],
      );
      const ids = rows.map((row) => row.id);
      if (ids.length > 0) await this.appendChangesIn(client, "session_revoked", ids, nowMs);
      return ids;
    });
  }

  // change feed

  async changesSince(afterSeq: number, limit: number): Promise<ChangeEvent[]> {
    // PostgreSQL rejects a negative LIMIT; "at most -1" means none.
    const { rows } = await this.query<ChangeRow>(
      "SELECT seq, kind, subject, at_ms FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
      [afterSeq, Math.max(0, limit)],
    );
    return rows.map(changeFromRow);
  }

  async latestChangeSeq(): Promise<number> {
    const { rows } = await this.query<{ seq: number }>(
      "SELECT COALESCE(MAX(seq), 0) AS seq FROM changes",
    );
    return rows[0]?.seq ?? 0;
  }

  async changeSeqBefore(sinceMs: number): Promise<number> {
    // By time, on changes_at_ms: `MIN(seq)` is planned as a walk of the primary key from the
    // oldest event until tables are analysed (measured: 220 ms at 1M rows).
    const { rows } = await this.query<{ seq: number }>(
      "SELECT seq FROM changes WHERE at_ms >= $1 ORDER BY at_ms, seq LIMIT 1",
      [sinceMs],
    );
    const first = rows[0]?.seq;
    if (first !== undefined) return first - 1;
    return this.latestChangeSeq();
  }

  async prune(cutoffs: PruneCutoffs): Promise<PruneCounts | undefined> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translatePgError(err);
    }
    const ignore = (): void => {};
    client.on("error", ignore);
    let failed: Error | undefined;
    try {
      // A session lock, tried: another instance pruning means this one has nothing to do.
      // It outlives the batches (each its own transaction) and dies with the connection.
      const { rows } = await this.run<{ locked: boolean }>(
        client,
        `SELECT pg_try_advisory_lock(${PRUNE_LOCK_KEY}) AS locked`,
      );
      if (rows[0]?.locked !== true) return undefined;
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
          "DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE at_ms < $1 LIMIT $2)",
          cutoffs.changesBeforeMs,
        ],
        [
          "sessions",
          "DELETE FROM sessions WHERE id IN " +
            "(SELECT id FROM sessions WHERE expires_at_ms < $1 LIMIT $2)",
          cutoffs.sessionsExpiredBeforeMs,
        ],
        [
          "lockouts",
          "DELETE FROM lockouts WHERE username IN (SELECT username FROM lockouts " +
            "WHERE GREATEST(last_failure_at_ms, locked_until_ms) < $1 LIMIT $2)",
          cutoffs.lockoutsIdleBeforeMs,
        ],
        [
          "heartbeats",
          "DELETE FROM heartbeats WHERE instance IN " +
            "(SELECT instance FROM heartbeats WHERE at_ms < $1 LIMIT $2)",
          cutoffs.heartbeatsBeforeMs,
        ],
        ["challenges", PRUNE_EXPIRED_CHALLENGES, cutoffs.challengesExpiredBeforeMs],
        ["codes", PRUNE_EXPIRED_CODES, cutoffs.codesExpiredBeforeMs],
      ];
      for (const [table, sql, cutoff] of work) {
        for (;;) {
          const { rowCount } = await this.run(client, sql, [cutoff, PRUNE_BATCH_ROWS]);
          counts[table] += rowCount ?? 0;
          if ((rowCount ?? 0) < PRUNE_BATCH_ROWS) break;
        }
      }
      await this.run(client, `SELECT pg_advisory_unlock(${PRUNE_LOCK_KEY})`);
      return counts;
    } catch (err) {
      // Destroyed, not returned to the pool: that also ends the session and its lock.
      failed = err instanceof Error ? err : new Error("prune failed");
      throw err;
    } finally {
      client.off("error", ignore);
      client.release(failed);
    }
  }

  async watchChanges(listener: () => void): Promise<() => Promise<void>> {
    this.assertOpen();
    const watcher = new ChangeWatcher(this.listenConfig, listener);
    await watcher.start();
    if (this.closing !== undefined) {
      // close() ran while the LISTEN connection was being opened.
      await watcher.stop();
      throw new StoreUnavailableError("store is closed");
    }
    this.watchers.add(watcher);
    return async () => {
      this.watchers.delete(watcher);
      await watcher.stop();
    };
  }

  // keys

  async listKeys(): Promise<KeyRecord[]> {
    const { rows } = await this.query<KeyRow>(
      `SELECT ${KEYS} FROM signing_keys ORDER BY created_at_ms DESC, kid COLLATE "C" DESC`,
    );
    return rows.map(keyFromRow);
  }

  async insertKey(
    key: KeyRecord,
    change?: ChangeNote,
    retireOlder?: { nowMs: number; expiresAtMs: number },
  ): Promise<void> {
    if (change === undefined && retireOlder === undefined) {
      await this.query(...insert("signing_keys", KEY_COLUMNS, keyToRow(key)));
      return;
    }
    await this.transaction(async (client) => {
      await this.run(client, ...insert("signing_keys", KEY_COLUMNS, keyToRow(key)));
      if (retireOlder !== undefined) await this.retireKeysOlderThanNewest(client, retireOlder);
      if (change !== undefined)
        await this.appendChangesIn(client, change.kind, [change.subject], change.atMs);
    });
  }

  // failed sign-in counters

  updateLockout(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): Promise<LockoutRecord | undefined> {
    return this.transaction(async (client) => {
      const previous = await this.lockLockoutRow(client, username);
      const next = update(previous);
      if (next === undefined) {
        // The placeholder row was never committed: dropping it leaves the table as it was.
        if (previous === undefined)
          await this.run(client, "DELETE FROM lockouts WHERE username = $1", [username]);
        return previous;
      }
      const record = { ...next, username };
      await this.run(
        client,
        "UPDATE lockouts SET consecutive_failures = $2, last_failure_at_ms = $3, " +
          "locked_until_ms = $4 WHERE username = $1",
        [username, record.consecutiveFailures, record.lastFailureAtMs, record.lockedUntilMs],
      );
      return record;
    });
  }

  async clearFailedSignIns(username: string): Promise<void> {
    await this.query("DELETE FROM lockouts WHERE username = $1", [username]);
  }

  // MFA, one-time codes, challenge sessions (./postgres/)

  getMfa(sub: string): Promise<MfaRecord | undefined> {
    return this.mfa.get(sub);
  }

  updateMfa(
    sub: string,
    update: (previous: MfaRecord | undefined) => MfaRecord | null | undefined,
  ): Promise<MfaRecord | undefined> {
    return this.mfa.update(sub, update);
  }

  putCode(code: CodeRecord): Promise<void> {
    return this.codes.put(code);
  }

  getCode(sub: string, purpose: CodePurpose): Promise<CodeRecord | undefined> {
    return this.codes.get(sub, purpose);
  }

  deleteCode(sub: string, purpose: CodePurpose, codeHash: string): Promise<boolean> {
    return this.codes.delete(sub, purpose, codeHash);
  }

  redeemCode(
    sub: string,
    purpose: CodePurpose,
    codeHash: string,
    nowMs: number,
    patch: UserPatch,
    change?: ChangeNote,
  ): Promise<boolean> {
    return this.codes.redeem(sub, purpose, codeHash, nowMs, patch, change);
  }

  createChallenge(challenge: ChallengeRecord): Promise<void> {
    return this.challenges.create(challenge);
  }

  getChallenge(id: string): Promise<ChallengeRecord | undefined> {
    return this.challenges.get(id);
  }

  spendChallenge(id: string, nowMs: number): Promise<boolean> {
    return this.challenges.spend(id, nowMs);
  }

  countWrongAnswer(id: string, nowMs: number, limit: number): Promise<number | undefined> {
    return this.challenges.countWrongAnswer(id, nowMs, limit);
  }

  // internals

  /**
   * updateUser's write: one UPDATE of exactly the given columns, atomic without a
   * read-modify-write → false when there is no such user.
   */
  private async patchUser(
    db: Queryable,
    sub: string,
    patch: UserPatch,
    nowMs: number,
  ): Promise<boolean> {
    const assignments = new Assignments(sub);
    assignments.set("username", patch.username);
    assignments.set("password_hash", patch.passwordHash);
    assignments.set("enabled", patch.enabled);
    assignments.set("confirmed", patch.confirmed);
    assignments.set("password_reset_required", patch.passwordResetRequired);
    assignments.set("temporary_password_expires_at_ms", patch.temporaryPasswordExpiresAtMs);
    assignments.set("attributes", json(patch.attributes));
    assignments.set("confirmation_code_hash", patch.confirmationCodeHash);
    assignments.set("confirmation_code_expires_at_ms", patch.confirmationCodeExpiresAtMs);
    assignments.set("updated_at_ms", nowMs);
    const { rowCount } = await this.run(
      db,
      `UPDATE users SET ${assignments.toString()} WHERE sub = $1`,
      assignments.values,
    );
    return (rowCount ?? 0) > 0;
  }

  /**
   * Row-locks the counter of `username` for the rest of the transaction and returns it as it
   * was, or undefined when there was none. SELECT … FOR UPDATE alone cannot lock a row that
   * does not exist yet, and two first attempts would both see none: so a placeholder row is
   * inserted first (ON CONFLICT DO NOTHING waits for a concurrent inserter and then yields to
   * its row). The caller overwrites or deletes the placeholder before committing. The loop only repeats
   * when clearFailedSignIns deletes the row between the two statements.
   */
  private async lockLockoutRow(
    client: pg.PoolClient,
    username: string,
  ): Promise<LockoutRecord | undefined> {
    for (;;) {
      const inserted = await this.run(
        client,
        `INSERT INTO lockouts (${LOCKOUTS}) VALUES ($1, 0, 0, 0) ON CONFLICT DO NOTHING`,
        [username],
      );
      if ((inserted.rowCount ?? 0) > 0) return undefined;
      const { rows } = await this.run<LockoutRow>(
        client,
        `SELECT ${LOCKOUTS} FROM lockouts WHERE username = $1 FOR UPDATE`,
        [username],
      );
      if (rows[0] !== undefined) return lockoutFromRow(rows[0]);
    }
  }

  /**
   * Appends events inside the caller's transaction, then hints listeners.
   *
   * Why the lock: `seq` comes from a sequence when the row is inserted, but becomes visible
   * when the transaction commits. Two writers could take seq 10 and 11 and commit 11 first;
   * a reader polling in between sees 11, moves its cursor past 10, and never sees 10 once it
   * commits. Taking one transaction-scoped advisory lock before the insert serialises the
   * writers of `changes`: the lock is held until commit (and released only after the commit
   * is visible), so the next writer draws its seq after every lower seq has committed or
   * rolled back. Committed seqs therefore appear in seq order, and a reader's snapshot always
   * holds a prefix of the feed (rolled-back seqs are gaps that are never filled, which a
   * cursor skips harmlessly). This only holds if every insert into `changes` goes through
   * here, and takes the lock last in its transaction, after its row locks, so that the lock is
   * held only for the insert, the NOTIFY and the commit and no lock cycle can form.
   */
  private async appendChangesIn(
    client: pg.PoolClient,
    kind: ChangeKind,
    subjects: readonly string[],
    nowMs: number,
  ): Promise<number[]> {
    await this.run(client, `SELECT pg_advisory_xact_lock(${FEED_LOCK_KEY})`);
    let inserted: pg.QueryResult<{ seq: number }>;
    try {
      inserted = await this.run<{ seq: number }>(
        client,
        "INSERT INTO changes (kind, subject, at_ms) " +
          "SELECT $1, subject, $3 FROM unnest($2::text[]) WITH ORDINALITY AS s (subject, n) " +
          "ORDER BY n RETURNING seq",
        [kind, [...subjects], nowMs],
      );
    } catch (err) {
      // Whatever refuses the event (a trigger, a constraint an operator added) fails the
      // write it belongs to as an outage: a change other instances cannot hear of is not applied.
      if (err instanceof StoreUnavailableError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new StoreUnavailableError(
        `the change feed refused an event${typeof code === "string" ? ` (SQLSTATE ${code})` : ""}`,
        { cause: err },
      );
    }
    const { rows } = inserted;
    const seqs = rows.map((row) => row.seq).sort((a, b) => a - b);
    // Delivered at commit, and not at all on rollback.
    await this.run(client, "SELECT pg_notify($1, $2)", [
      CHANGES_CHANNEL,
      String(seqs[seqs.length - 1] ?? 0),
    ]);
    return seqs;
  }

  private async retireKeysOlderThanNewest(
    client: pg.PoolClient,
    { nowMs, expiresAtMs }: { nowMs: number; expiresAtMs: number },
  ): Promise<void> {
    // One rotation at a time: under READ COMMITTED two concurrent ones would not see each
    // other's uncommitted key and could both stay active. After the lock, this statement's
    // snapshot holds every key committed before. Rows are then locked in kid order.
    await this.run(client, `SELECT pg_advisory_xact_lock(${KEYS_LOCK_KEY})`);
    const { rows } = await this.run<{ kid: string }>(
      client,
      "SELECT k.kid FROM signing_keys AS k WHERE k.status = 'active' AND EXISTS (SELECT 1 " +
        "FROM signing_keys AS a WHERE a.status = 'active' AND (a.created_at_ms > k.created_at_ms " +
        'OR (a.created_at_ms = k.created_at_ms AND a.kid COLLATE "C" > k.kid COLLATE "C"))) ' +
        'ORDER BY k.kid COLLATE "C" FOR UPDATE OF k',
    );
    if (rows.length === 0) return;
    await this.run(
      client,
      "UPDATE signing_keys SET status = 'retired', retired_at_ms = $2, expires_at_ms = $3 " +
        "WHERE kid = ANY($1::text[]) AND status = 'active'",
      [rows.map((row) => row.kid), nowMs, expiresAtMs],
    );
  }

  /**
   * A write and its change-feed event (the outbox, see ChangeNote): without an event, the
   * write alone on any pooled connection; with one, both in one transaction, the event last
   * (appendChangesIn takes the feed lock after the write's row locks) and only when `write`
   * says so.
   */
  private async withNote<T>(
    change: ChangeNote | undefined,
    write: (db: Queryable) => Promise<{ result: T; append: boolean }>,
  ): Promise<T> {
    if (change === undefined) {
      this.assertOpen();
      return (await write(this.pool)).result;
    }
    return this.transaction(async (client) => {
      const { result, append } = await write(client);
      if (append) await this.appendChangesIn(client, change.kind, [change.subject], change.atMs);
      return result;
    });
  }

  /** Inside a transaction: lifts the request-sized bounds to MAINTENANCE_TIMEOUT_MS for it. */
  private async allowMaintenanceTime(client: pg.PoolClient): Promise<void> {
    this.maintenance.add(client);
    await this.run(client, `SET LOCAL statement_timeout = ${MAINTENANCE_TIMEOUT_MS}`);
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new StoreUnavailableError("store is closed");
  }

  /** One statement on any pooled connection (its own transaction). */
  private async query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<Row>> {
    this.assertOpen();
    return this.run<Row>(this.pool, text, values);
  }

  /**
   * Runs `work` between BEGIN and COMMIT on one checked-out connection (READ COMMITTED; the
   * methods take the row locks they need). Any failure rolls back. A connection that cannot
   * even roll back is broken and is destroyed instead of going back to the pool.
   */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translatePgError(err);
    }
    // A checked-out connection that drops between statements emits 'error' on the client,
    // which would crash the process unheard; the next statement then fails and is reported.
    const ignore = (): void => {};
    client.on("error", ignore);
    let broken: Error | undefined;
    try {
      await this.run(client, "BEGIN");
      const result = await work(client);
      await this.run(client, "COMMIT");
      return result;
    } catch (err) {
      if (err instanceof StoreUnavailableError && !(err instanceof StoreWriteRefusedError)) {
        // Lost or unanswered: a ROLLBACK would wait out another timeout on the same silent
        // connection. Destroying it ends the transaction on the server as well (and
        // idle_in_transaction_session_timeout ends it if the server never hears of us).
        broken = err;
      } else {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error("ROLLBACK failed");
        }
      }
      throw err;
    } finally {
      client.off("error", ignore);
      this.maintenance.delete(client);
      client.release(broken);
    }
  }

  /** The only place this store talks to pg: every driver failure is translated here. */
  private async run<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    db: Queryable,
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<Row>> {
    try {
      if (db instanceof pg.Pool || !this.maintenance.has(db))
        return await db.query<Row>(text, values);
      // pg reads a per-query `query_timeout` (client.js) that its type definitions omit.
      const config = { text, values, query_timeout: MAINTENANCE_TIMEOUT_MS } as pg.QueryConfig;
      return await db.query<Row>(config);
    } catch (err) {
      const translated = translatePgError(err);
      if (translated instanceof StoreWriteRefusedError) this.lastWriteRefusedAt = performance.now();
      throw translated;
    }
  }
}

/**
 * One LISTEN connection for one subscriber. It is not pooled: a pooled connection would be
 * handed to other queries, and LISTEN belongs to a session. When the connection drops, it
 * reconnects with exponential backoff and calls the listener once afterwards, since any
 * NOTIFY sent while it was away is lost (the caller catches up through changesSince).
 */
class ChangeWatcher {
  private client: pg.Client | undefined;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly listener: () => void,
  ) {}

  /** Resolves once listening; rejects (StoreUnavailableError) if the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), LISTEN_HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    // 'error' (the server or the network dropped us) is always followed by 'end'; either one
    // starts a reconnection, once, and only for the current connection.
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    client.on("notification", (message) => {
      if (message.channel === CHANGES_CHANNEL) this.notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners("end");
      client.end().catch(() => {});
      throw translatePgError(err);
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.stopped || client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const ceiling = Math.min(LISTEN_RETRY_MAX_MS, LISTEN_RETRY_INITIAL_MS * 2 ** this.failures);
    // Half fixed, half random: instances that lost the same server do not return in step.
    const delayMs = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => void this.reconnect(), delayMs);
    this.retryTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.connect();
    } catch {
      this.failures++;
      if (!this.stopped) this.scheduleReconnect();
      return;
    }
    this.failures = 0;
    if (!this.stopped) this.notify();
  }

  private heartbeat(): void {
    const client = this.client;
    if (client === undefined) return;
    // A failure (query_timeout on a dead peer, or a closed socket) counts as a lost connection.
    client.query("SELECT 1").catch(() => this.lost(client));
  }

  private notify(): void {
    try {
      this.listener();
    } catch {
      // The listener is a hint for the caller to poll; an exception in it is the caller's
      // bug and must not stop this connection from listening.
    }
  }
}

/**
 * The one place where pg errors become store errors (CONVENTIONS §4), by SQLSTATE or by
 * Node's system error code, never by message. Anything else (a CHECK or NOT NULL violation,
 * a syntax error, a bad password) is a bug or an operator problem and is rethrown as it is.
 *
 * Objects are recognised by shape, not `instanceof`: errors raised by Node's sockets come
 * from another realm under jest.
 */
function translatePgError(err: unknown): unknown {
  if (typeof err !== "object" || err === null) return err;
  if (err instanceof StoreConflictError || err instanceof StoreUnavailableError) return err;
  const { code, name } = err as { code?: unknown; name?: unknown };
  if (typeof code !== "string") {
    // pg reports a lost or timed-out connection ("Connection terminated unexpectedly",
    // "timeout exceeded when trying to connect", "Client has encountered a connection error
    // and is not queryable") as a plain Error with no code, while every server-side error is
    // a DatabaseError with a SQLSTATE. Our queries are fixed, so pg's argument checks (also
    // code-less, but TypeErrors or unreachable) cannot fire; a code-less plain Error from the
    // driver is therefore the connection.
    return name === "Error"
      ? new StoreUnavailableError("database connection lost or timed out", { cause: err })
      : err;
  }
  switch (code) {
    case "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
    case "53100": // disk_full
      return new StoreWriteRefusedError(`database refuses writes (SQLSTATE ${code})`, {
        cause: err,
      });
    case "57014": // query_canceled: statement_timeout
      return new StoreUnavailableError(`database statement timed out (SQLSTATE ${code})`, {
        cause: err,
      });
    case "23505": // unique_violation
    case "23503": // foreign_key_violation
      return new StoreConflictError(`conflicting record (SQLSTATE ${code})`, { cause: err });
    case "57P01": // admin_shutdown: the server or an operator ended the session
    case "57P02": // crash_shutdown
    case "57P03": // cannot_connect_now: starting up, shutting down, in recovery
    case "53300": // too_many_connections
    case "ECONNREFUSED":
    case "ECONNRESET":
    case "ETIMEDOUT":
    case "EPIPE":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EAI_AGAIN": // DNS temporarily failing
      return new StoreUnavailableError(`database unavailable (${code})`, { cause: err });
  }
  // SQLSTATE class 08: connection exception (08000, 08003, 08006, 08001, 08004, 08P01, …).
  switch (code.slice(0, 2)) {
    case "08":
      return new StoreUnavailableError(`database unavailable (SQLSTATE ${code})`, { cause: err });
    default:
      return err;
  }
}

/** A patched JSONB column (see rows.ts postgresColumns); undefined keeps the stored value. */
function json(value: unknown): string | undefined {
  return value === undefined ? undefined : COLUMNS.json(value);
}
