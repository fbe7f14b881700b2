import pg from "pg";
import type { PostgresAccess, Queryable } from "./postgres/access";
import { PostgresAccessKeys } from "./postgres/accessKeys";
import { PostgresAuthorization } from "./postgres/authorization";
import { PostgresChallenges } from "./postgres/challenges";
import { ChangeWatchers } from "./postgres/changeWatchers";
import { PostgresClients } from "./postgres/clients";
import { PostgresCodes } from "./postgres/codes";
import {
  connectionConfig,
  DEFAULT_POOL_SIZE,
  type PostgresStoreOptions,
} from "./postgres/connection";
import { PostgresFeed } from "./postgres/feed";
import { PostgresGroups } from "./postgres/groups";
import { PostgresKeys } from "./postgres/keys";
import { PostgresLifecycle } from "./postgres/lifecycle";
import { PostgresLockouts } from "./postgres/lockouts";
import { PostgresMfa } from "./postgres/mfa";
import { PostgresPrune } from "./postgres/prune";
import { PostgresResourceServers } from "./postgres/resourceServers";
import { PostgresSessions } from "./postgres/sessions";
import { PostgresSettings } from "./postgres/settings";
import { PostgresUsers } from "./postgres/users";
import { StoreConflictError, StoreUnavailableError, StoreWriteRefusedError } from "./store";
import type {
  AccessKeyRecord,
  AuthorizationCodeRecord,
  ChallengeRecord,
  ChangeEvent,
  ChangeNote,
  ClientPatch,
  CodePurpose,
  CodeRecord,
  CodeRedemption,
  PruneCounts,
  PruneCutoffs,
  ClientRecord,
  GroupListing,
  GroupRecord,
  HostedSessionRecord,
  KeyRecord,
  LockoutRecord,
  MfaRecord,
  ResourceServerRecord,
  RevocationReason,
  RotationOutcome,
  SessionRecord,
  Store,
  UserFilter,
  UserPatch,
  UserRecord,
} from "./store";

export type { PostgresStoreOptions } from "./postgres/connection";

/** Migrations may legitimately take longer than a request's statement. */
const MAINTENANCE_TIMEOUT_MS = 10 * 60_000;

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

/**
 * Every aggregate's SQL lives in ./postgres/, one file per part of the Store (./parts/); this
 * class holds the pool, the query and transaction helpers (with `run`, where every pg error is
 * translated) and the LISTEN connections, and delegates each Store method in one line.
 */
export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly watchers: ChangeWatchers;
  private closing: Promise<void> | undefined;
  /** performance.now() of the last StoreWriteRefusedError (monotonic, unlike the wall clock). */
  private lastWriteRefusedAt: number | undefined;
  /** Connections running migrations, whose statements get the maintenance bound (prune batches are short: the normal one). */
  private readonly maintenance = new WeakSet<pg.PoolClient>();
  private readonly lifecycle: PostgresLifecycle;
  private readonly pruner: PostgresPrune;
  private readonly users: PostgresUsers;
  private readonly groups: PostgresGroups;
  private readonly clients: PostgresClients;
  private readonly resourceServers: PostgresResourceServers;
  private readonly sessions: PostgresSessions;
  private readonly keys: PostgresKeys;
  private readonly settings: PostgresSettings;
  private readonly lockouts: PostgresLockouts;
  private readonly mfa: PostgresMfa;
  private readonly codes: PostgresCodes;
  private readonly challenges: PostgresChallenges;
  private readonly accessKeys: PostgresAccessKeys;
  private readonly authorization: PostgresAuthorization;
  private readonly feed: PostgresFeed;

  constructor(options: PostgresStoreOptions) {
    const connection = connectionConfig(options);
    this.pool = new pg.Pool({
      ...connection,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      application_name: "poolgate",
    });
    // An idle connection that drops (server restart, failover) is reported here; the pool
    // has already discarded it and opens a new one on the next checkout. Without a listener
    // the 'error' event would crash the process.
    this.pool.on("error", () => {});
    this.watchers = new ChangeWatchers({ ...connection, application_name: "poolgate-listen" });
    const access: PostgresAccess = {
      query: (text, values) => this.query(text, values),
      transaction: (work) => this.transaction(work),
      run: (db, text, values) => this.run(db, text, values),
      withNote: (change, write) => this.withNote(change, write),
      withConnection: (work) => this.withConnection(work),
      allowMaintenanceTime: (client) => this.allowMaintenanceTime(client),
      appendChanges: (client, kind, subjects, nowMs) =>
        this.feed.append(client, kind, subjects, nowMs),
      appendNote: async (client, change) => {
        if (change !== undefined)
          await this.feed.append(client, change.kind, [change.subject], change.atMs);
      },
      patchUser: (db, sub, patch, nowMs) => this.users.patch(db, sub, patch, nowMs),
    };
    this.lifecycle = new PostgresLifecycle(access);
    this.pruner = new PostgresPrune(access);
    this.users = new PostgresUsers(access);
    this.groups = new PostgresGroups(access);
    this.clients = new PostgresClients(access);
    this.resourceServers = new PostgresResourceServers(access);
    this.sessions = new PostgresSessions(access);
    this.keys = new PostgresKeys(access);
    this.settings = new PostgresSettings(access);
    this.lockouts = new PostgresLockouts(access);
    this.mfa = new PostgresMfa(access);
    this.codes = new PostgresCodes(access);
    this.challenges = new PostgresChallenges(access);
    this.accessKeys = new PostgresAccessKeys(access);
    this.authorization = new PostgresAuthorization(access);
    this.feed = new PostgresFeed(access);
  }

  // lifecycle (./postgres/lifecycle.ts, ./postgres/prune.ts)

  migrate(): Promise<void> {
    return this.lifecycle.migrate();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.watchers.close();
      await this.pool.end();
    })();
    return this.closing;
  }

  ping(): Promise<void> {
    return this.lifecycle.ping();
  }

  heartbeat(instance: string, nowMs: number): Promise<void> {
    return this.lifecycle.heartbeat(instance, nowMs);
  }

  msSinceWriteRefused(): number {
    return this.lastWriteRefusedAt === undefined
      ? Infinity
      : performance.now() - this.lastWriteRefusedAt;
  }

  prune(cutoffs: PruneCutoffs): Promise<PruneCounts | undefined> {
    return this.pruner.prune(cutoffs);
  }

  // users and groups (./postgres/users.ts)

  createUser(user: UserRecord, groups: readonly string[] = []): Promise<void> {
    return this.users.create(user, groups);
  }

  getUserBySub(sub: string): Promise<UserRecord | undefined> {
    return this.users.getBySub(sub);
  }

  getUserByUsername(username: string): Promise<UserRecord | undefined> {
    return this.users.getByUsername(username);
  }

  getUsersBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]> {
    return this.users.getBySubs(subs);
  }

  updateUser(sub: string, patch: UserPatch, nowMs: number, change?: ChangeNote): Promise<boolean> {
    return this.users.update(sub, patch, nowMs, change);
  }

  deleteUser(sub: string, change?: ChangeNote): Promise<boolean> {
    return this.users.delete(sub, change);
  }

  listDisabledUserSubs(): Promise<string[]> {
    return this.users.listDisabledSubs();
  }

  listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): Promise<{ sub: string; username: string }[]> {
    return this.users.listUsernames(afterUsername, limit);
  }

  listUsers(
    filter: UserFilter | undefined,
    afterUsername: string | undefined,
    limit: number,
  ): Promise<UserRecord[]> {
    return this.users.listUsers(filter, afterUsername, limit);
  }

  addUserToGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    return this.users.addToGroup(sub, group, change);
  }

  removeUserFromGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    return this.users.removeFromGroup(sub, group, change);
  }

  getGroupsForUsers(subs: readonly string[]): Promise<string[][]> {
    return this.users.groupsFor(subs);
  }

  // created groups (./postgres/groups.ts)

  createGroup(group: GroupRecord): Promise<void> {
    return this.groups.create(group);
  }

  getGroups(names: readonly string[]): Promise<(GroupRecord | undefined)[]> {
    return this.groups.getMany(names);
  }

  listGroups(afterName: string | undefined, limit: number): Promise<GroupListing[]> {
    return this.groups.list(afterName, limit);
  }

  // app clients (./postgres/clients.ts)

  createClient(client: ClientRecord): Promise<void> {
    return this.clients.create(client);
  }

  getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.clients.get(clientId);
  }

  listClients(): Promise<ClientRecord[]> {
    return this.clients.list();
  }

  updateClient(clientId: string, patch: ClientPatch, change?: ChangeNote): Promise<boolean> {
    return this.clients.update(clientId, patch, change);
  }

  deleteClient(clientId: string, change?: ChangeNote): Promise<boolean> {
    return this.clients.delete(clientId, change);
  }

  // resource servers (./postgres/resourceServers.ts)

  createResourceServer(server: ResourceServerRecord): Promise<void> {
    return this.resourceServers.create(server);
  }

  getResourceServer(id: string): Promise<ResourceServerRecord | undefined> {
    return this.resourceServers.get(id);
  }

  listResourceServers(): Promise<ResourceServerRecord[]> {
    return this.resourceServers.list();
  }

  updateResourceServer(id: string, patch: { name: string; scopes: string[] }): Promise<boolean> {
    return this.resourceServers.update(id, patch);
  }

  deleteResourceServer(id: string): Promise<boolean> {
    return this.resourceServers.delete(id);
  }

  // sessions (./postgres/sessions.ts)

  createSession(session: SessionRecord): Promise<void> {
    return this.sessions.create(session);
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(id);
  }

  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): Promise<RotationOutcome> {
    return this.sessions.rotateRefreshToken(id, presentedHash, nextHash, nowMs);
  }

  revokeSession(id: string, reason: RevocationReason, nowMs: number): Promise<boolean> {
    return this.sessions.revoke(id, reason, nowMs);
  }

  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): Promise<string[]> {
    return this.sessions.revokeUserSessions(sub, reason, nowMs);
  }

  // change feed (./postgres/feed.ts; LISTEN: ./postgres/changeWatchers.ts)

  changesSince(afterSeq: number, limit: number): Promise<ChangeEvent[]> {
    return this.feed.since(afterSeq, limit);
  }

  latestChangeSeq(): Promise<number> {
    return this.feed.latestSeq();
  }

  changeSeqBefore(sinceMs: number): Promise<number> {
    return this.feed.seqBefore(sinceMs);
  }

  async watchChanges(listener: () => void): Promise<() => Promise<void>> {
    this.assertOpen();
    try {
      return await this.watchers.watch(listener);
    } catch (err) {
      throw translatePgError(err);
    }
  }

  // keys (./postgres/keys.ts)

  listKeys(): Promise<KeyRecord[]> {
    return this.keys.list();
  }

  insertKey(
    key: KeyRecord,
    change?: ChangeNote,
    retireOlder?: { nowMs: number; expiresAtMs: number },
  ): Promise<void> {
    return this.keys.insert(key, change, retireOlder);
  }

  // pool settings (./postgres/settings.ts)

  getPoolSetting(name: string): Promise<string | undefined> {
    return this.settings.get(name);
  }

  setPoolSetting(name: string, value: string): Promise<void> {
    return this.settings.set(name, value);
  }

  // failed sign-in counters (./postgres/lockouts.ts)

  updateLockout(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): Promise<LockoutRecord | undefined> {
    return this.lockouts.update(username, update);
  }

  clearFailedSignIns(username: string): Promise<void> {
    return this.lockouts.clear(username);
  }

  // MFA, one-time codes, challenge sessions (./postgres/mfa.ts, codes.ts, challenges.ts)

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

  // access keys for the Cognito API's admin operations (./postgres/accessKeys.ts)

  createAccessKey(key: AccessKeyRecord): Promise<void> {
    return this.accessKeys.create(key);
  }

  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    return this.accessKeys.get(accessKeyId);
  }

  listAccessKeys(): Promise<AccessKeyRecord[]> {
    return this.accessKeys.list();
  }

  deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.accessKeys.delete(accessKeyId);
  }

  touchAccessKey(accessKeyId: string, nowMs: number): Promise<void> {
    return this.accessKeys.touch(accessKeyId, nowMs);
  }

  // the OpenID provider's codes and hosted sessions (./postgres/authorization.ts)

  createAuthorizationCode(code: AuthorizationCodeRecord): Promise<void> {
    return this.authorization.createCode(code);
  }

  redeemAuthorizationCode(
    codeHash: string,
    nowMs: number,
    sessionId: string,
  ): Promise<CodeRedemption> {
    return this.authorization.redeemCode(codeHash, nowMs, sessionId);
  }

  createHostedSession(session: HostedSessionRecord): Promise<void> {
    return this.authorization.createHostedSession(session);
  }

  getHostedSession(idHash: string, nowMs: number): Promise<HostedSessionRecord | undefined> {
    return this.authorization.getHostedSession(idHash, nowMs);
  }

  deleteHostedSession(idHash: string): Promise<boolean> {
    return this.authorization.deleteHostedSession(idHash);
  }

  deleteUserAuthorizationCodes(sub: string): Promise<number> {
    return this.authorization.deleteUserAuthorizationCodes(sub);
  }

  deleteUserHostedSessions(sub: string): Promise<number> {
    return this.authorization.deleteUserHostedSessions(sub);
  }

  // internals

  /**
   * A write and its change-feed event (the outbox, see ChangeNote): without an event, the
   * write alone on any pooled connection; with one, both in one transaction, the event last
   * (PostgresFeed.append takes the feed lock after the write's row locks) and only when `write`
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
      if (append) await this.feed.append(client, change.kind, [change.subject], change.atMs);
      return result;
    });
  }

  /**
   * Runs `work` on one checked-out connection outside any transaction (prune's session-level
   * advisory lock lives with it).
   */
  private async withConnection<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
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
      return await work(client);
    } catch (err) {
      // Destroyed, not returned to the pool: that also ends the session and its locks.
      failed = err instanceof Error ? err : new Error("work on a dedicated connection failed");
      throw err;
    } finally {
      client.off("error", ignore);
      client.release(failed);
    }
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
