import type Database from "better-sqlite3";
import type { ChangeNote, UserPatch } from "../store";

/**
 * What SqliteStore lends the aggregates whose SQL lives in this folder: its statement cache,
 * its transactions and the pieces of its own writes they share. Their methods are synchronous
 * and run inside the store's `guard`, which translates every error in one place.
 */
export interface SqliteAccess {
  /** A prepared statement from the store's cache (keyed by SQL text). */
  statement<Row = unknown>(sql: string): Database.Statement<unknown[], Row>;
  /** Runs SQL text that may hold several statements, uncached (a migration's script). */
  exec(sql: string): void;
  /** Runs `work` in one (deferred) transaction: for writes that read nothing first. */
  transaction<T>(work: () => T): T;
  /**
   * Runs `work` in one IMMEDIATE transaction: a read-then-write that starts deferred cannot
   * upgrade to a writer once another process has committed (see SqliteUsers.update).
   */
  immediate<T>(work: () => T): T;
  /**
   * For work of several steps with the event loop served between them (prune's batches): runs
   * one step inside the store's `guard`, as a store method runs its work.
   */
  guard<T>(work: () => T): Promise<T>;
  /** Appends a change-feed event inside the caller's transaction (the outbox). */
  insertNote(change: ChangeNote | undefined): void;
  /**
   * Applies a patch to a user inside the caller's transaction, exactly as updateUser does
   * (updatedAtMs = nowMs) → false when there is no such user.
   */
  patchUser(sub: string, patch: UserPatch, nowMs: number): boolean;
}

/** Named parameters `@column` for every column of a list, for INSERT … VALUES. */
export function placeholders(columns: string): string {
  return columns
    .split(", ")
    .map((column) => `@${column}`)
    .join(", ");
}

/** A patch field left `undefined` keeps the stored value; `null` is a value (it clears). */
export function given<T>(patched: T | undefined, current: T): T {
  return patched === undefined ? current : patched;
}
