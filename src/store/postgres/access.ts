import type pg from "pg";
import { postgresColumns as COLUMNS } from "../rows";
import type { ChangeKind, ChangeNote, UserPatch } from "../store";

/** The pool or one checked-out connection: only ever handed back to `run` or `patchUser`. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * What PostgresStore lends the aggregates whose SQL lives in this folder: its query and
 * transaction helpers (bounded, on its pool, every driver error translated in its `run`) and
 * the pieces of its own writes they share.
 */
export interface PostgresAccess {
  /** One statement on any pooled connection (its own transaction). */
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row>>;
  /** Runs `work` between BEGIN and COMMIT on one connection (READ COMMITTED); a failure rolls back. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** One statement inside the work of `transaction`, `withNote` or `withConnection`. */
  run<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    db: Queryable,
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row>>;
  /**
   * A write and its change-feed event (the outbox, see ChangeNote): without an event, the
   * write alone on any pooled connection; with one, both in one transaction, the event last
   * (after the write's row locks) and only when `write` says so.
   */
  withNote<T>(
    change: ChangeNote | undefined,
    write: (db: Queryable) => Promise<{ result: T; append: boolean }>,
  ): Promise<T>;
  /**
   * Runs `work` on one checked-out connection outside any transaction, for state that lives
   * with the session (prune's advisory lock); a failure destroys the connection.
   */
  withConnection<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Inside a transaction: lifts the request-sized bounds to the maintenance bound for it. */
  allowMaintenanceTime(client: pg.PoolClient): Promise<void>;
  /**
   * Appends events inside the transaction, after its row locks (the outbox; see
   * PostgresFeed.append, which says why it must be last) → their seqs.
   */
  appendChanges(
    client: pg.PoolClient,
    kind: ChangeKind,
    subjects: readonly string[],
    nowMs: number,
  ): Promise<number[]>;
  /** appendChanges for one optional event. */
  appendNote(client: pg.PoolClient, change: ChangeNote | undefined): Promise<void>;
  /**
   * Applies a patch to a user inside the transaction, exactly as updateUser does
   * (updatedAtMs = nowMs) → false when there is no such user.
   */
  patchUser(db: Queryable, sub: string, patch: UserPatch, nowMs: number): Promise<boolean>;
}

/** `INSERT INTO table (c1, …) VALUES ($1, …)` and its values, in column order. */
export function insert<Row extends Record<string, unknown>>(
  table: string,
  columns: readonly (keyof Row & string)[],
  row: Row,
): [string, unknown[]] {
  const params = columns.map((_, index) => `$${index + 1}`).join(", ");
  return [
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${params})`,
    columns.map((column) => row[column]),
  ];
}

/** Collects `column = $n` assignments for an UPDATE whose first parameter is the key. */
export class Assignments {
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

/** A patched JSONB column (see rows.ts postgresColumns); undefined keeps the stored value. */
export function json(value: unknown): string | undefined {
  return value === undefined ? undefined : COLUMNS.json(value);
}
