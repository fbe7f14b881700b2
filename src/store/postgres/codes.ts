import { codeFromRow, codeToRow, type CodeRow } from "../rows";
import type { ChangeNote, CodePurpose, CodeRecord, UserPatch } from "../store";
import { insert, type PostgresAccess } from "./access";

const CODE_COLUMNS = ["sub", "purpose", "code_hash", "created_at_ms", "expires_at_ms"] as const;
const CODES = CODE_COLUMNS.join(", ");

/** Store.prune's batch for this table: $1 the cut-off, $2 the batch size. */
export const PRUNE_EXPIRED_CODES =
  "DELETE FROM user_codes WHERE (sub, purpose) IN " +
  "(SELECT sub, purpose FROM user_codes WHERE expires_at_ms < $1 LIMIT $2)";

/** PostgresStore's CodeStore (see ../parts/codes.ts). */
export class PostgresCodes {
  constructor(private readonly pg: PostgresAccess) {}

  async put(code: CodeRecord): Promise<void> {
    // An unknown user is a conflict (foreign key).
    const [text, values] = insert("user_codes", CODE_COLUMNS, codeToRow(code));
    await this.pg.query(
      `${text} ON CONFLICT (sub, purpose) DO UPDATE SET code_hash = EXCLUDED.code_hash, ` +
        "created_at_ms = EXCLUDED.created_at_ms, expires_at_ms = EXCLUDED.expires_at_ms",
      values,
    );
  }

  async get(sub: string, purpose: CodePurpose): Promise<CodeRecord | undefined> {
    const { rows } = await this.pg.query<CodeRow>(
      `SELECT ${CODES} FROM user_codes WHERE sub = $1 AND purpose = $2`,
      [sub, purpose],
    );
    return rows[0] === undefined ? undefined : codeFromRow(rows[0]);
  }

  async delete(sub: string, purpose: CodePurpose, codeHash: string): Promise<boolean> {
    const { rowCount } = await this.pg.query(
      "DELETE FROM user_codes WHERE sub = $1 AND purpose = $2 AND code_hash = $3",
      [sub, purpose, codeHash],
    );
    return (rowCount ?? 0) > 0;
  }

  redeem(
    sub: string,
    purpose: CodePurpose,
    codeHash: string,
    nowMs: number,
    patch: UserPatch,
    change: ChangeNote | undefined,
  ): Promise<boolean> {
    return this.pg.transaction(async (client) => {
      // The user's row first: deleteUser locks it before its cascade reaches the code, so
      // taking the two in the same order cannot deadlock with it. NO KEY: the foreign-key
      // checks of concurrent putCode calls (KEY SHARE) do not wait for it.
      const user = await this.pg.run(
        client,
        "SELECT 1 FROM users WHERE sub = $1 FOR NO KEY UPDATE",
        [sub],
      );
      if ((user.rowCount ?? 0) === 0) return false;
      // A concurrent redeem of the same code waits here for the row, then finds it gone.
      const spent = await this.pg.run(
        client,
        "DELETE FROM user_codes " +
          "WHERE sub = $1 AND purpose = $2 AND code_hash = $3 AND expires_at_ms > $4",
        [sub, purpose, codeHash, nowMs],
      );
      if ((spent.rowCount ?? 0) === 0) return false;
      await this.pg.patchUser(client, sub, patch, nowMs);
      await this.pg.appendNote(client, change);
      return true;
    });
  }
}
