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

/**
 * The change feed that keeps every instance's in-memory revocation state current. It is
 * written only by the writes of the other parts, each with its event (ChangeNote).
 */
export interface FeedStore {
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
   * Calls listener soon after another process appends to the change feed (a hint: the caller
   * still reads changesSince). Resolves with an unsubscribe function.
   */
  watchChanges?(listener: () => void): Promise<() => Promise<void>>;
}
