import { lockoutFromRow, lockoutToRow, type LockoutRow } from "../rows";
import type { LockoutRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const LOCKOUT_COLUMNS = "username, consecutive_failures, last_failure_at_ms, locked_until_ms";

/** Store.prune's batch for this table: `?` the cut-off, `?` the batch size. */
export const PRUNE_IDLE_LOCKOUTS =
  "DELETE FROM lockouts WHERE username IN (SELECT username FROM lockouts " +
  "WHERE MAX(last_failure_at_ms, locked_until_ms) < ? LIMIT ?)";

/** SqliteStore's LockoutStore (see ../parts/lockouts.ts). */
export class SqliteLockouts {
  constructor(private readonly sql: SqliteAccess) {}

  update(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): LockoutRecord | undefined {
    return this.sql.immediate((): LockoutRecord | undefined => {
      const previous = this.get(username);
      const next = update(previous);
      if (next === undefined) return previous;
      const record = { ...next, username };
      this.sql
        .statement(
          `INSERT INTO lockouts (${LOCKOUT_COLUMNS}) VALUES (${placeholders(LOCKOUT_COLUMNS)}) ` +
            "ON CONFLICT (username) DO UPDATE SET " +
            "consecutive_failures = excluded.consecutive_failures, " +
            "last_failure_at_ms = excluded.last_failure_at_ms, " +
            "locked_until_ms = excluded.locked_until_ms",
        )
        .run(lockoutToRow(record));
      return record;
    });
  }

  clear(username: string): void {
    this.sql.statement("DELETE FROM lockouts WHERE username = ?").run(username);
  }

  private get(username: string): LockoutRecord | undefined {
    const row = this.sql
      .statement<LockoutRow>(`SELECT ${LOCKOUT_COLUMNS} FROM lockouts WHERE username = ?`)
      .get(username);
    return row === undefined ? undefined : lockoutFromRow(row);
  }
}
