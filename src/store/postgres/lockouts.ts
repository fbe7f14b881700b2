import type pg from "pg";
import { lockoutFromRow, type LockoutRow } from "../rows";
import type { LockoutRecord } from "../store";
import type { PostgresAccess } from "./access";

const LOCKOUT_COLUMNS = [
  "username",
  "consecutive_failures",
  "last_failure_at_ms",
  "locked_until_ms",
] as const;
const LOCKOUTS = LOCKOUT_COLUMNS.join(", ");

/** Store.prune's batch for this table: $1 the cut-off, $2 the batch size. */
export const PRUNE_IDLE_LOCKOUTS =
  "DELETE FROM lockouts WHERE username IN (SELECT username FROM lockouts " +
  "WHERE GREATEST(last_failure_at_ms, locked_until_ms) < $1 LIMIT $2)";

/** PostgresStore's LockoutStore (see ../parts/lockouts.ts). */
export class PostgresLockouts {
  constructor(private readonly pg: PostgresAccess) {}

  update(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): Promise<LockoutRecord | undefined> {
    return this.pg.transaction(async (client) => {
      const previous = await this.lockRow(client, username);
      const next = update(previous);
      if (next === undefined) {
        // The placeholder row was never committed: dropping it leaves the table as it was.
        if (previous === undefined)
          await this.pg.run(client, "DELETE FROM lockouts WHERE username = $1", [username]);
        return previous;
      }
      const record = { ...next, username };
      await this.pg.run(
        client,
        "UPDATE lockouts SET consecutive_failures = $2, last_failure_at_ms = $3, " +
          "locked_until_ms = $4 WHERE username = $1",
        [username, record.consecutiveFailures, record.lastFailureAtMs, record.lockedUntilMs],
      );
      return record;
    });
  }

  async clear(username: string): Promise<void> {
    await this.pg.query("DELETE FROM lockouts WHERE username = $1", [username]);
  }

  /**
   * Row-locks the counter of `username` for the rest of the transaction and returns it as it
   * was, or undefined when there was none. SELECT … FOR UPDATE alone cannot lock a row that
   * does not exist yet, and two first attempts would both see none: so a placeholder row is
   * inserted first (ON CONFLICT DO NOTHING waits for a concurrent inserter and then yields to
   * its row). The caller overwrites or deletes the placeholder before committing. The loop only repeats
   * when clearFailedSignIns deletes the row between the two statements.
   */
  private async lockRow(
    client: pg.PoolClient,
    username: string,
  ): Promise<LockoutRecord | undefined> {
    for (;;) {
      const inserted = await this.pg.run(
        client,
        `INSERT INTO lockouts (${LOCKOUTS}) VALUES ($1, 0, 0, 0) ON CONFLICT DO NOTHING`,
        [username],
      );
      if ((inserted.rowCount ?? 0) > 0) return undefined;
      const { rows } = await this.pg.run<LockoutRow>(
        client,
        `SELECT ${LOCKOUTS} FROM lockouts WHERE username = $1 FOR UPDATE`,
        [username],
      );
      if (rows[0] !== undefined) return lockoutFromRow(rows[0]);
    }
  }
}
