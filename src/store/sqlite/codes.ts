import { codeFromRow, codeToRow, type CodeRow } from "../rows";
import type { ChangeNote, CodePurpose, CodeRecord, UserPatch } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const CODE_COLUMNS = "sub, purpose, code_hash, created_at_ms, expires_at_ms";

/** Store.prune's batch for this table: `?` the cut-off, `?` the batch size. */
export const PRUNE_EXPIRED_CODES =
  "DELETE FROM user_codes WHERE rowid IN " +
  "(SELECT rowid FROM user_codes WHERE expires_at_ms < ? LIMIT ?)";

/** SqliteStore's CodeStore (see ../parts/codes.ts). */
export class SqliteCodes {
  constructor(private readonly sql: SqliteAccess) {}

  put(code: CodeRecord): void {
    // An unknown user is a conflict (foreign key).
    this.sql
      .statement(
        `INSERT INTO user_codes (${CODE_COLUMNS}) VALUES (${placeholders(CODE_COLUMNS)}) ` +
          "ON CONFLICT (sub, purpose) DO UPDATE SET code_hash = excluded.code_hash, " +
          "created_at_ms = excluded.created_at_ms, expires_at_ms = excluded.expires_at_ms",
      )
      .run(codeToRow(code));
  }

  get(sub: string, purpose: CodePurpose): CodeRecord | undefined {
    const row = this.sql
      .statement<CodeRow>(`SELECT ${CODE_COLUMNS} FROM user_codes WHERE sub = ? AND purpose = ?`)
      .get(sub, purpose);
    return row === undefined ? undefined : codeFromRow(row);
  }

  delete(sub: string, purpose: CodePurpose, codeHash: string): boolean {
    return (
      this.sql
        .statement("DELETE FROM user_codes WHERE sub = ? AND purpose = ? AND code_hash = ?")
        .run(sub, purpose, codeHash).changes > 0
    );
  }

  redeem(
    sub: string,
    purpose: CodePurpose,
    codeHash: string,
    nowMs: number,
    patch: UserPatch,
    change: ChangeNote | undefined,
  ): boolean {
    return this.sql.immediate(() => {
      const { changes } = this.sql
        .statement(
          "DELETE FROM user_codes " +
            "WHERE sub = ? AND purpose = ? AND code_hash = ? AND expires_at_ms > ?",
        )
        .run(sub, purpose, codeHash, nowMs);
      if (changes === 0) return false;
      // The code's foreign key kept its user: the patch finds it.
      this.sql.patchUser(sub, patch, nowMs);
      this.sql.insertNote(change);
      return true;
    });
  }
}
