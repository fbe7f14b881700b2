import { PoolgateError } from "../errors";

/**
 * The storage contract (DESIGN §7). Small on purpose: every implementation (SQLite,
 * PostgreSQL) passes the same contract suite in test/store/. Conventions, after
 * oidc-provider's adapters:
 *   - a missing record is `undefined`, never a throw;
 *   - times are integer milliseconds since the epoch (`…AtMs`), durations carry their unit;
 *   - operations that must be atomic across instances (refresh rotation, lockout counting,
 *     revocation) are single methods, so each implementation can make them one transaction;
 *   - uniqueness violations surface as `StoreConflictError`, connectivity loss as
 *     `StoreUnavailableError`; nothing else is thrown on purpose.
 */

export interface UserRecord {
  /** Immutable subject id (UUID), the `sub` claim. */
  sub: string;
  /** Unique, byte for byte: identity/usernames.ts puts it in canonical form before it gets here. */
  username: string;
  /** Encoded password hash (see identity/passwords.ts); never logged. */
  passwordHash: string;
  enabled: boolean;
  confirmed: boolean;
  /** Set by an admin: the next sign-in must fail with PASSWORD_RESET_REQUIRED. */
  passwordResetRequired: boolean;
  /** Standard attributes by their OIDC names (email, email_verified as "true"/"false", …) and `custom:*`. */
  attributes: Record<string, string>;
  /** Hash of the pending sign-up confirmation code, if any. */
  confirmationCodeHash: string | null;
  confirmationCodeExpiresAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | "username"
    | "passwordHash"
    | "enabled"
    | "confirmed"
    | "passwordResetRequired"
    | "attributes"
    | "confirmationCodeHash"
    | "confirmationCodeExpiresAtMs"
  >
>;

export interface ClientRecord {
  clientId: string;
  name: string;
  /** Hash of the client secret; null for a public client. */
  secretHash: string | null;
  allowedScopes: string[];
  accessTokenValiditySeconds: number;
  idTokenValiditySeconds: number;
  refreshTokenValiditySeconds: number;
  rotateRefreshTokens: boolean;
  /** How long an already-rotated refresh token still works (reuse grace). */
  refreshTokenReuseGraceSeconds: number;
  enabled: boolean;
  createdAtMs: number;
}

export type ClientPatch = Partial<Omit<ClientRecord, "clientId" | "createdAtMs">>;

/** A resource server (Cognito's term): an identifier and the custom scopes `id/scope` it defines. */
export interface ResourceServerRecord {
  id: string;
  name: string;
  /** Scope names without the `id/` prefix. */
  scopes: string[];
  createdAtMs: number;
}

export type RevocationReason =
  | "revoked"
  | "global_sign_out"
  | "reuse_detected"
  | "user_disabled"
  | "user_deleted"
  | "client_deleted";

/** A session is one refresh-token family; its id is the `origin_jti` of every token in it. */
export interface SessionRecord {
  id: string;
  sub: string;
  clientId: string;
  /** Space-separated granted scopes, kept for refreshes. */
  scope: string;
  /** Seconds since the epoch of the original sign-in (`auth_time`). */
  authTimeSeconds: number;
  createdAtMs: number;
  /** When the refresh token of this session stops working. */
  expiresAtMs: number;
  /** Hash of the refresh token currently valid for this session. */
  refreshTokenHash: string;
  /** Hash of the refresh token it replaced (rotation), and when that happened. */
  previousRefreshTokenHash: string | null;
  rotatedAtMs: number | null;
  revokedAtMs: number | null;
  revokedReason: RevocationReason | null;
}

export interface KeyRecord {
  kid: string;
  alg: "RS256";
  /** Public JWK as JSON text. */
  publicJwk: string;
  /** Private JWK, encrypted with the master key (compact JWE). */
  privateJwkEncrypted: string;
  /**
   * When the key starts signing (a rotation may set it ahead, so the key is published
   * first). The newest key whose time has come signs; retired keys stay in the JWKS until
   * `expiresAtMs`.
   */
  createdAtMs: number;
  status: "active" | "retired";
  retiredAtMs: number | null;
  /** After this, no live token can carry the key's signature: drop it from the JWKS. */
  expiresAtMs: number | null;
}

export interface LockoutRecord {
  username: string;
  consecutiveFailures: number;
  lastFailureAtMs: number;
  lockedUntilMs: number;
}

/** One entry of the change feed that keeps every instance's in-memory revocation state current. */
export type ChangeEvent =
  | { seq: number; atMs: number; kind: "session_revoked"; subject: string }
  | { seq: number; atMs: number; kind: "user_blocked"; subject: string }
  | { seq: number; atMs: number; kind: "user_unblocked"; subject: string }
  | { seq: number; atMs: number; kind: "client_blocked"; subject: string }
  | { seq: number; atMs: number; kind: "client_unblocked"; subject: string }
  | { seq: number; atMs: number; kind: "keys_changed"; subject: string }
  /** A user's record or groups changed: in-memory copies of it must be dropped. */
  | { seq: number; atMs: number; kind: "user_changed"; subject: string };

export type ChangeKind = ChangeEvent["kind"];

/**
 * The change-feed event a write appends in the same transaction as the write itself (a
 * transactional outbox, DESIGN §3): either both are committed or neither, so no instance can
 * miss a change that was applied. A feed that refuses the event fails the write with
 * StoreUnavailableError.
 */
export interface ChangeNote {
  kind: ChangeKind;
  subject: string;
  atMs: number;
}

/** What Store.prune deletes: each table by its own cut-off (identity/maintenance.ts sets them). */
export interface PruneCutoffs {
  /** Feed events with `atMs` before this. */
  changesBeforeMs: number;
  /** Sessions whose refresh token stopped working (`expiresAtMs`) before this. */
  sessionsExpiredBeforeMs: number;
  /** Failed-attempt counters whose last activity (attempt or end of lock) is before this. */
  lockoutsIdleBeforeMs: number;
  /** Readiness heartbeats written before this. */
  heartbeatsBeforeMs: number;
}

/** How many rows Store.prune deleted, per table. */
export interface PruneCounts {
  changes: number;
  sessions: number;
  lockouts: number;
  heartbeats: number;
}

/** Outcome of an atomic refresh-token rotation (see Store.rotateRefreshToken). */
export type RotationOutcome =
  | { outcome: "rotated"; session: SessionRecord }
  | { outcome: "not_current"; session: SessionRecord }
  | { outcome: "missing" };

export interface Store {
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip for readiness. */
  ping(): Promise<void>;
  /**
   * Readiness's write probe: upserts this instance's heartbeat row (one small write), so a
   * store that answers reads but refuses writes (read-only, disk full) fails it.
   */
  heartbeat(instance: string, nowMs: number): Promise<void>;
  /**
   * Milliseconds since a write was last refused for want of space or because the database is
   * read-only (StoreWriteRefusedError), Infinity if never: a full disk may still take the
   * heartbeat's in-place rewrite while every write that needs new space fails.
   */
  msSinceWriteRefused(): number;

  // users
  /** Creates the user and its group memberships in one transaction: never half-created. */
  createUser(user: UserRecord, groups?: readonly string[]): Promise<void>;
  getUserBySub(sub: string): Promise<UserRecord | undefined>;
  getUserByUsername(username: string): Promise<UserRecord | undefined>;
  /** Batch load for DataLoader: result[i] belongs to subs[i]. */
  getUsersBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]>;
  /** Returns false when no such user (and then appends no event). */
  updateUser(sub: string, patch: UserPatch, nowMs: number, change?: ChangeNote): Promise<boolean>;
  /** Returns false when no such user; `change` is appended either way, as a block is. */
  deleteUser(sub: string, change?: ChangeNote): Promise<boolean>;
  /** Users that are disabled (for the in-memory block list at start). */
  listDisabledUserSubs(): Promise<string[]>;
  /**
   * A page of usernames in code-unit (binary) order, after `afterUsername` (from the start
   * when undefined), at most `limit`: for the username-rule check (identity/usernames.ts).
   */
  listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): Promise<{ sub: string; username: string }[]>;

  // groups
  addUserToGroup(sub: string, group: string, change?: ChangeNote): Promise<void>;
  removeUserFromGroup(sub: string, group: string, change?: ChangeNote): Promise<void>;
  /** Batch: result[i] is the sorted group list of subs[i]. */
  getGroupsForUsers(subs: readonly string[]): Promise<string[][]>;

  // app clients
  createClient(client: ClientRecord): Promise<void>;
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  listClients(): Promise<ClientRecord[]>;
  /** Returns false when no such client (and then appends no event). */
  updateClient(clientId: string, patch: ClientPatch, change?: ChangeNote): Promise<boolean>;
  /** Returns false when no such client; `change` is appended either way, as a block is. */
  deleteClient(clientId: string, change?: ChangeNote): Promise<boolean>;

  // resource servers
  createResourceServer(server: ResourceServerRecord): Promise<void>;
  getResourceServer(id: string): Promise<ResourceServerRecord | undefined>;
  /** Ordered by id. */
  listResourceServers(): Promise<ResourceServerRecord[]>;
  /** Replaces name and scopes; false when unknown. */
  updateResourceServer(id: string, patch: { name: string; scopes: string[] }): Promise<boolean>;
  deleteResourceServer(id: string): Promise<boolean>;

  // sessions
  createSession(session: SessionRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /**
   * Atomically: if the session's current refresh hash is `presentedHash`, replace it with
   * `nextHash` (keeping the old one as previous, rotatedAtMs = nowMs) → "rotated".
   * Otherwise → "not_current" with the session as it is (the caller decides between grace
   * and reuse detection). Never rotates a revoked session (→ "not_current").
   */
  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): Promise<RotationOutcome>;
  /** Revokes one session; returns false if it was unknown or already revoked. Emits session_revoked. */
  revokeSession(id: string, reason: RevocationReason, nowMs: number): Promise<boolean>;
  /** Revokes every live session of a user; returns their ids. Emits session_revoked for each. */
  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): Promise<string[]>;

  // change feed: written only by the writes above, each with its event (ChangeNote)
  /** Events with seq > afterSeq, oldest first, at most `limit`. */
  changesSince(afterSeq: number, limit: number): Promise<ChangeEvent[]>;
  /** Highest seq so far (0 when empty). */
  latestChangeSeq(): Promise<number>;
  /**
   * Where a reader starts to see the events at or after `sinceMs`: one less than the seq of
   * the earliest of them by time (ties: the lowest seq), or the latest seq when there is none.
   * Lets a starting instance skip the part of the feed no live token can need. Seqs follow
   * commit order and times the writers' clocks, so an event a skewed clock wrote just after
   * `sinceMs` may lie before that point: the caller's window carries a skew margin for it.
   */
  changeSeqBefore(sinceMs: number): Promise<number>;
  /**
   * Deletes what the cut-offs name, in short batches so that writers are never held up for
   * long. At most one prune runs at a time across instances (PostgreSQL: a session-level
   * advisory lock, tried and not waited for): → undefined when another one holds it.
   */
  prune(cutoffs: PruneCutoffs): Promise<PruneCounts | undefined>;
  /**
   * Calls listener soon after another process appends to the change feed (a hint: the caller
   * still reads changesSince). Resolves with an unsubscribe function.
   */
  watchChanges?(listener: () => void): Promise<() => Promise<void>>;

  // keys
  listKeys(): Promise<KeyRecord[]>;
  /**
   * Inserts the key and, with `retireOlder`, marks retired (at `nowMs`, dropped from the JWKS
   * at `expiresAtMs`) every active key older than the newest active one (created earlier;
   * equal times ordered by kid), all in one transaction with `change`. The newest key stays
   * active whatever the order of two concurrent rotations, and the other is retired.
   */
  insertKey(
    key: KeyRecord,
    change?: ChangeNote,
    retireOlder?: { nowMs: number; expiresAtMs: number },
  ): Promise<void>;

  // pool settings: small named values the pool records about its own data
  getPoolSetting(name: string): Promise<string | undefined>;
  setPoolSetting(name: string, value: string): Promise<void>;

  // failed sign-in counters
  /**
   * Atomic read-modify-write of one failed-attempt counter, for identity/lockout.ts which owns
   * the counting rule: `update` gets the row as it is (undefined when there is none) while no
   * other update of the same username can run (one transaction; PostgreSQL: the row locked
   * with SELECT … FOR UPDATE), and returns the row to write, or undefined to leave it as it is.
   * Resolves with the row as it is afterwards. `update` must be synchronous and do no I/O.
   */
  updateLockout(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): Promise<LockoutRecord | undefined>;
  clearFailedSignIns(username: string): Promise<void>;
}

export class StoreConflictError extends Error {
  override readonly name = "StoreConflictError";
}

/**
 * The database cannot be reached or is overloaded. It is a PoolgateError so every layer above
 * reports it as SERVICE_UNAVAILABLE without knowing about the store.
 */
export class StoreUnavailableError extends PoolgateError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super("SERVICE_UNAVAILABLE", "Service temporarily unavailable", { logDetail: detail });
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * The database answers but refuses writes: it is read-only (a standby after a failover, a
 * read-only file) or out of space. Reported like any outage; readiness also counts it.
 */
export class StoreWriteRefusedError extends StoreUnavailableError {}
