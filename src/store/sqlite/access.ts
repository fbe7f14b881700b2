import type Database from "better-sqlite3";
import type { ChangeNote, UserPatch } from "../store";

/**
 * What SqliteStore lends the aggregates whose SQL lives in this folder: its statement cache
 * and the pieces of its own writes they share. Their methods are synchronous and run inside
 * the store's `guard`, which translates every error in one place.
 */
export interface SqliteAccess {
  /** A prepared statement from the store's cache (keyed by SQL text). */
  statement<Row = unknown>(sql: string): Database.Statement<unknown[], Row>;
  /**
   * Runs `work` in one IMMEDIATE transaction: a read-then-write that starts deferred cannot
   * upgrade to a writer once another process has committed (see SqliteStore.updateUser).
   */
  immediate<T>(work: () => T): T;
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
