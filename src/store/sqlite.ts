import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { SqliteAccess } from "./sqlite/access";
import { SqliteAccessKeys } from "./sqlite/accessKeys";
import { SqliteAuthorization } from "./sqlite/authorization";
import { SqliteChallenges } from "./sqlite/challenges";
import { SqliteClients } from "./sqlite/clients";
import { SqliteCodes } from "./sqlite/codes";
import { SqliteFeed } from "./sqlite/feed";
import { SqliteGroups } from "./sqlite/groups";
import { SqliteKeys } from "./sqlite/keys";
import { SqliteLifecycle } from "./sqlite/lifecycle";
import { SqliteLockouts } from "./sqlite/lockouts";
import { SqliteMfa } from "./sqlite/mfa";
import { SqlitePrune } from "./sqlite/prune";
import { SqliteResourceServers } from "./sqlite/resourceServers";
import { WalCheckpointer } from "./sqlite/checkpointer";
import { SqliteSessions } from "./sqlite/sessions";
import { SqliteSettings } from "./sqlite/settings";
import { SqliteUsers } from "./sqlite/users";
import { StoreConflictError, StoreUnavailableError, StoreWriteRefusedError } from "./store";
import type {
  AccessKeyRecord,
  AuthorizationCodeRecord,
  ChallengeRecord,
  ChangeEvent,
  ChangeKind,
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
    const inMemory = options.path === ":memory:" || options.path === "";
    return new SqliteStore(db, inMemory ? undefined : WalCheckpointer.start(db, options.path));
  } catch (err) {
    throw translateSqliteError(err);
  }
}

/**
 * Every aggregate's SQL lives in ./sqlite/, one file per part of the Store (./parts/); this
 * class holds the database, its statement cache, the guard that translates every error, and
 * the outbox append, and delegates each Store method in one line.
 */
export class SqliteStore implements Store {
  // Prepared lazily, keyed by SQL text: statements on tables that migrate() has not yet
  // created cannot be prepared in the constructor.
  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();

  /** performance.now() of the last StoreWriteRefusedError (monotonic, unlike the wall clock). */
  private lastWriteRefusedAt: number | undefined;

  private readonly lifecycle: SqliteLifecycle;
  private readonly pruner: SqlitePrune;
  private readonly users: SqliteUsers;
  private readonly groups: SqliteGroups;
  private readonly clients: SqliteClients;
  private readonly resourceServers: SqliteResourceServers;
  private readonly sessions: SqliteSessions;
  private readonly keys: SqliteKeys;
  private readonly settings: SqliteSettings;
  private readonly lockouts: SqliteLockouts;
  private readonly mfa: SqliteMfa;
  private readonly codes: SqliteCodes;
  private readonly challenges: SqliteChallenges;
  private readonly accessKeys: SqliteAccessKeys;
  private readonly authorization: SqliteAuthorization;
  private readonly feed: SqliteFeed;

  constructor(
    private readonly db: Database.Database,
    /** Checkpoints the WAL from a worker thread (./sqlite/checkpointer.ts); none in memory. */
    private readonly checkpointer?: WalCheckpointer,
  ) {
    const access: SqliteAccess = {
      statement: <Row>(sql: string) => this.statement<Row>(sql),
      exec: (sql) => this.db.exec(sql),
      transaction: (work) => this.db.transaction(work)(),
      immediate: (work) => this.db.transaction(work).immediate(),
      guard: (work) => this.guard(work),
      insertNote: (change) => this.insertNote(change),
      patchUser: (sub, patch, nowMs) => this.users.patch(sub, patch, nowMs),
    };
    this.lifecycle = new SqliteLifecycle(access);
    this.pruner = new SqlitePrune(access);
    this.users = new SqliteUsers(access);
    this.groups = new SqliteGroups(access);
    this.clients = new SqliteClients(access);
    this.resourceServers = new SqliteResourceServers(access);
    this.sessions = new SqliteSessions(access);
    this.keys = new SqliteKeys(access);
    this.settings = new SqliteSettings(access);
    this.lockouts = new SqliteLockouts(access);
    this.mfa = new SqliteMfa(access);
    this.codes = new SqliteCodes(access);
    this.challenges = new SqliteChallenges(access);
    this.accessKeys = new SqliteAccessKeys(access);
    this.authorization = new SqliteAuthorization(access);
    this.feed = new SqliteFeed(access);
  }

  // lifecycle (./sqlite/lifecycle.ts, ./sqlite/prune.ts)

  migrate(): Promise<void> {
    return this.guard(() => this.lifecycle.migrate());
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
    this.statements.clear();
  }

  ping(): Promise<void> {
    return this.guard(() => this.lifecycle.ping());
  }

  heartbeat(instance: string, nowMs: number): Promise<void> {
    return this.guard(() => this.lifecycle.heartbeat(instance, nowMs));
  }

  msSinceWriteRefused(): number {
    return this.lastWriteRefusedAt === undefined
      ? Infinity
      : performance.now() - this.lastWriteRefusedAt;
  }

  prune(cutoffs: PruneCutoffs): Promise<PruneCounts> {
    return this.pruner.prune(cutoffs);
  }

  // users and groups (./sqlite/users.ts)

  createUser(user: UserRecord, groups: readonly string[] = []): Promise<void> {
    return this.guard(() => this.users.create(user, groups));
  }

  getUserBySub(sub: string): Promise<UserRecord | undefined> {
    return this.guard(() => this.users.getBySub(sub));
  }

  getUserByUsername(username: string): Promise<UserRecord | undefined> {
    return this.guard(() => this.users.getByUsername(username));
  }

  getUsersBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]> {
    return this.guard(() => this.users.getBySubs(subs));
  }

  updateUser(sub: string, patch: UserPatch, nowMs: number, change?: ChangeNote): Promise<boolean> {
    return this.guard(() => this.users.update(sub, patch, nowMs, change));
  }

  deleteUser(sub: string, change?: ChangeNote): Promise<boolean> {
    return this.guard(() => this.users.delete(sub, change));
  }

  listDisabledUserSubs(): Promise<string[]> {
    return this.guard(() => this.users.listDisabledSubs());
  }

  listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): Promise<{ sub: string; username: string }[]> {
    return this.guard(() => this.users.listUsernames(afterUsername, limit));
  }

  listUsers(
    filter: UserFilter | undefined,
    afterUsername: string | undefined,
    limit: number,
  ): Promise<UserRecord[]> {
    return this.guard(() => this.users.listUsers(filter, afterUsername, limit));
  }

  addUserToGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    return this.guard(() => this.users.addToGroup(sub, group, change));
  }

  removeUserFromGroup(sub: string, group: string, change?: ChangeNote): Promise<void> {
    return this.guard(() => this.users.removeFromGroup(sub, group, change));
  }

  getGroupsForUsers(subs: readonly string[]): Promise<string[][]> {
    return this.guard(() => this.users.groupsFor(subs));
  }

  // created groups (./sqlite/groups.ts)

  createGroup(group: GroupRecord): Promise<void> {
    return this.guard(() => this.groups.create(group));
  }

  getGroups(names: readonly string[]): Promise<(GroupRecord | undefined)[]> {
    return this.guard(() => this.groups.getMany(names));
  }

  listGroups(afterName: string | undefined, limit: number): Promise<GroupListing[]> {
    return this.guard(() => this.groups.list(afterName, limit));
  }

  // app clients (./sqlite/clients.ts)

  createClient(client: ClientRecord): Promise<void> {
    return this.guard(() => this.clients.create(client));
  }

  getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.guard(() => this.clients.get(clientId));
  }

  listClients(): Promise<ClientRecord[]> {
    return this.guard(() => this.clients.list());
  }

  updateClient(clientId: string, patch: ClientPatch, change?: ChangeNote): Promise<boolean> {
    return this.guard(() => this.clients.update(clientId, patch, change));
  }

  deleteClient(clientId: string, change?: ChangeNote): Promise<boolean> {
    return this.guard(() => this.clients.delete(clientId, change));
  }

  // resource servers (./sqlite/resourceServers.ts)

  createResourceServer(server: ResourceServerRecord): Promise<void> {
    return this.guard(() => this.resourceServers.create(server));
  }

  getResourceServer(id: string): Promise<ResourceServerRecord | undefined> {
    return this.guard(() => this.resourceServers.get(id));
  }

  listResourceServers(): Promise<ResourceServerRecord[]> {
    return this.guard(() => this.resourceServers.list());
  }

  updateResourceServer(id: string, patch: { name: string; scopes: string[] }): Promise<boolean> {
    return this.guard(() => this.resourceServers.update(id, patch));
  }

  deleteResourceServer(id: string): Promise<boolean> {
    return this.guard(() => this.resourceServers.delete(id));
  }

  // sessions (./sqlite/sessions.ts)

  createSession(session: SessionRecord): Promise<void> {
    return this.guard(() => this.sessions.create(session));
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.guard(() => this.sessions.get(id));
  }

  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): Promise<RotationOutcome> {
    return this.guard(() => this.sessions.rotateRefreshToken(id, presentedHash, nextHash, nowMs));
  }

  revokeSession(id: string, reason: RevocationReason, nowMs: number): Promise<boolean> {
    return this.guard(() => this.sessions.revoke(id, reason, nowMs));
  }

  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): Promise<string[]> {
    return this.guard(() => this.sessions.revokeUserSessions(sub, reason, nowMs));
  }

  // change feed (./sqlite/feed.ts; written through insertNote below)

  changesSince(afterSeq: number, limit: number): Promise<ChangeEvent[]> {
    return this.guard(() => this.feed.since(afterSeq, limit));
  }

  latestChangeSeq(): Promise<number> {
    return this.guard(() => this.feed.latestSeq());
  }

  changeSeqBefore(sinceMs: number): Promise<number> {
    return this.guard(() => this.feed.seqBefore(sinceMs));
  }

  // keys (./sqlite/keys.ts)

  listKeys(): Promise<KeyRecord[]> {
    return this.guard(() => this.keys.list());
  }

  insertKey(
    key: KeyRecord,
    change?: ChangeNote,
    retireOlder?: { nowMs: number; expiresAtMs: number },
  ): Promise<void> {
    return this.guard(() => this.keys.insert(key, change, retireOlder));
  }

  // pool settings (./sqlite/settings.ts)

  getPoolSetting(name: string): Promise<string | undefined> {
    return this.guard(() => this.settings.get(name));
  }

  setPoolSetting(name: string, value: string): Promise<void> {
    return this.guard(() => this.settings.set(name, value));
  }

  // failed sign-in counters (./sqlite/lockouts.ts)

  updateLockout(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): Promise<LockoutRecord | undefined> {
    return this.guard(() => this.lockouts.update(username, update));
  }

  clearFailedSignIns(username: string): Promise<void> {
    return this.guard(() => this.lockouts.clear(username));
  }

  // MFA, one-time codes, challenge sessions (./sqlite/mfa.ts, codes.ts, challenges.ts)

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

  // access keys for the Cognito API's admin operations (./sqlite/accessKeys.ts)

  createAccessKey(key: AccessKeyRecord): Promise<void> {
    return this.guard(() => this.accessKeys.create(key));
  }

  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    return this.guard(() => this.accessKeys.get(accessKeyId));
  }

  listAccessKeys(): Promise<AccessKeyRecord[]> {
    return this.guard(() => this.accessKeys.list());
  }

  deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.guard(() => this.accessKeys.delete(accessKeyId));
  }

  touchAccessKey(accessKeyId: string, nowMs: number): Promise<void> {
    return this.guard(() => this.accessKeys.touch(accessKeyId, nowMs));
  }

  // the OpenID provider's codes and hosted sessions (./sqlite/authorization.ts)

  createAuthorizationCode(code: AuthorizationCodeRecord): Promise<void> {
    return this.guard(() => this.authorization.createCode(code));
  }

  redeemAuthorizationCode(
    codeHash: string,
    nowMs: number,
    sessionId: string,
  ): Promise<CodeRedemption> {
    return this.guard(() => this.authorization.redeemCode(codeHash, nowMs, sessionId));
  }

  createHostedSession(session: HostedSessionRecord): Promise<void> {
    return this.guard(() => this.authorization.createHostedSession(session));
  }

  getHostedSession(idHash: string, nowMs: number): Promise<HostedSessionRecord | undefined> {
    return this.guard(() => this.authorization.getHostedSession(idHash, nowMs));
  }

  deleteHostedSession(idHash: string): Promise<boolean> {
    return this.guard(() => this.authorization.deleteHostedSession(idHash));
  }

  deleteUserAuthorizationCodes(sub: string): Promise<number> {
    return this.guard(() => this.authorization.deleteUserAuthorizationCodes(sub));
  }

  deleteUserHostedSessions(sub: string): Promise<number> {
    return this.guard(() => this.authorization.deleteUserHostedSessions(sub));
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
