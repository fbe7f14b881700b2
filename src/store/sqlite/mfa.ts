import { mfaFromRow, mfaToRow, sqliteColumns as COLUMNS, type MfaRow } from "../rows";
import { StoreConflictError, type MfaRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const MFA_COLUMNS =
  "sub, totp_secret_sealed, pending_totp_secret_sealed, totp_enabled, email_enabled, " +
  "preferred, last_totp_step, updated_at_ms";
const SELECT_MFA = `SELECT ${MFA_COLUMNS} FROM user_mfa WHERE sub = ?`;
const UPSERT_MFA =
  `INSERT INTO user_mfa (${MFA_COLUMNS}) VALUES (${placeholders(MFA_COLUMNS)}) ` +
  "ON CONFLICT (sub) DO UPDATE SET totp_secret_sealed = excluded.totp_secret_sealed, " +
  "pending_totp_secret_sealed = excluded.pending_totp_secret_sealed, " +
  "totp_enabled = excluded.totp_enabled, email_enabled = excluded.email_enabled, " +
  "preferred = excluded.preferred, last_totp_step = excluded.last_totp_step, " +
  "updated_at_ms = excluded.updated_at_ms";

/** SqliteStore's MfaStore (see ../parts/mfa.ts). */
export class SqliteMfa {
  constructor(private readonly sql: SqliteAccess) {}

  get(sub: string): MfaRecord | undefined {
    const row = this.sql.statement<MfaRow<number>>(SELECT_MFA).get(sub);
    return row === undefined ? undefined : mfaFromRow(COLUMNS, row);
  }

  update(
    sub: string,
    update: (previous: MfaRecord | undefined) => MfaRecord | null | undefined,
  ): MfaRecord | undefined {
    return this.sql.immediate(() => {
      // Checked up front, not left to the foreign key: a call that writes nothing must fail
      // for an unknown sub as well, as it does in PostgreSQL (its placeholder row).
      if (this.sql.statement("SELECT 1 FROM users WHERE sub = ?").get(sub) === undefined) {
        throw new StoreConflictError("no user has this sub, so it has no MFA settings");
      }
      const previous = this.get(sub);
      const next = update(previous);
      if (next === undefined) return previous;
      if (next === null) {
        this.sql.statement("DELETE FROM user_mfa WHERE sub = ?").run(sub);
        return undefined;
      }
      const record = { ...next, sub };
      this.sql.statement(UPSERT_MFA).run(mfaToRow(COLUMNS, record));
      return record;
    });
  }
}
