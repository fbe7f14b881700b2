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
  /** Challenge sessions (spent or not) whose `expiresAtMs` is before this. */
  challengesExpiredBeforeMs: number;
  /** One-time codes whose `expiresAtMs` is before this. */
  codesExpiredBeforeMs: number;
  /** Authorization codes (redeemed or not) whose `expiresAtMs` is before this. */
  authorizationCodesExpiredBeforeMs: number;
  /** Hosted sign-in sessions whose `expiresAtMs` is before this. */
  hostedSessionsExpiredBeforeMs: number;
}

/** How many rows Store.prune deleted, per table. */
export interface PruneCounts {
  changes: number;
  sessions: number;
  lockouts: number;
  heartbeats: number;
  challenges: number;
  codes: number;
  authorizationCodes: number;
  hostedSessions: number;
}

/** Opening, closing, readiness probes and pruning: the store as a whole, not one aggregate. */
export interface LifecycleStore {
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
  /**
   * Deletes what the cut-offs name, in short batches so that writers are never held up for
   * long. At most one prune runs at a time across instances (PostgreSQL: a session-level
   * advisory lock, tried and not waited for): → undefined when another one holds it.
   */
  prune(cutoffs: PruneCutoffs): Promise<PruneCounts | undefined>;
}
