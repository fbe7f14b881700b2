import type pg from "pg";
import { mfaFromRow, mfaToRow, postgresColumns as COLUMNS, type MfaRow } from "../rows";
import type { MfaRecord } from "../store";
import type { PostgresAccess } from "./access";

const MFA_COLUMNS = [
  "sub",
  "totp_secret_sealed",
  "pending_totp_secret_sealed",
  "totp_enabled",
  "email_enabled",
  "preferred",
  "last_totp_step",
  "updated_at_ms",
] as const;
const MFA = MFA_COLUMNS.join(", ");

/** PostgresStore's MfaStore (see ../parts/mfa.ts). */
export class PostgresMfa {
  constructor(private readonly pg: PostgresAccess) {}

  async get(sub: string): Promise<MfaRecord | undefined> {
    const { rows } = await this.pg.query<MfaRow<boolean>>(
      `SELECT ${MFA} FROM user_mfa WHERE sub = $1`,
      [sub],
    );
    return rows[0] === undefined ? undefined : mfaFromRow(COLUMNS, rows[0]);
  }

  /** As PostgresLockouts.update: the row locked (or a placeholder inserted) first. */
  update(
    sub: string,
    update: (previous: MfaRecord | undefined) => MfaRecord | null | undefined,
  ): Promise<MfaRecord | undefined> {
    return this.pg.transaction(async (client) => {
      const previous = await this.lockRow(client, sub);
      const next = update(previous);
      if (next === undefined) {
        // The placeholder row was never committed: dropping it leaves the table as it was.
        if (previous === undefined)
          await this.pg.run(client, "DELETE FROM user_mfa WHERE sub = $1", [sub]);
        return previous;
      }
      if (next === null) {
        await this.pg.run(client, "DELETE FROM user_mfa WHERE sub = $1", [sub]);
        return undefined;
      }
      const record = { ...next, sub };
      const row = mfaToRow(COLUMNS, record);
      await this.pg.run(
        client,
        "UPDATE user_mfa SET totp_secret_sealed = $2, pending_totp_secret_sealed = $3, " +
          "totp_enabled = $4, email_enabled = $5, preferred = $6, last_totp_step = $7, " +
          "updated_at_ms = $8 WHERE sub = $1",
        MFA_COLUMNS.map((column) => row[column]),
      );
      return record;
    });
  }

  /**
   * Row-locks the MFA row of `sub` for the rest of the transaction and returns it as it was,
   * or undefined when there was none, through a placeholder row as PostgresLockouts.lockRow
   * does (FOR UPDATE cannot lock a row that does not exist yet). The placeholder's foreign key
   * makes an unknown sub fail here (23503 → StoreConflictError). The loop only repeats when a
   * concurrent update deletes the row between the two statements.
   */
  private async lockRow(client: pg.PoolClient, sub: string): Promise<MfaRecord | undefined> {
    for (;;) {
      const inserted = await this.pg.run(
        client,
        "INSERT INTO user_mfa (sub, totp_enabled, email_enabled, updated_at_ms) " +
          "VALUES ($1, false, false, 0) ON CONFLICT DO NOTHING",
        [sub],
      );
      if ((inserted.rowCount ?? 0) > 0) return undefined;
      const { rows } = await this.pg.run<MfaRow<boolean>>(
        client,
        `SELECT ${MFA} FROM user_mfa WHERE sub = $1 FOR UPDATE`,
        [sub],
      );
      if (rows[0] !== undefined) return mfaFromRow(COLUMNS, rows[0]);
    }
  }
}
