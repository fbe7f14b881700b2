import type pg from "pg";
import type { ChangeNote, UserPatch } from "../store";

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
  /** One statement inside `transaction`'s work. */
  run<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    client: pg.PoolClient,
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row>>;
  /** Appends a change-feed event inside the transaction, after its row locks (the outbox). */
  appendNote(client: pg.PoolClient, change: ChangeNote | undefined): Promise<void>;
  /**
   * Applies a patch to a user inside the transaction, exactly as updateUser does
   * (updatedAtMs = nowMs) → false when there is no such user.
   */
  patchUser(client: pg.PoolClient, sub: string, patch: UserPatch, nowMs: number): Promise<boolean>;
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
