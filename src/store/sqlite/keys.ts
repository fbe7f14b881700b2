import { keyFromRow, keyToRow, type KeyRow } from "../rows";
import type { ChangeNote, KeyRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const KEY_COLUMNS =
  "kid, alg, public_jwk, private_jwk_encrypted, created_at_ms, status, retired_at_ms, expires_at_ms";

/** SqliteStore's KeyStore (see ../parts/keys.ts). */
export class SqliteKeys {
  constructor(private readonly sql: SqliteAccess) {}

  list(): KeyRecord[] {
    return this.sql
      .statement<KeyRow>(
        `SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY created_at_ms DESC, kid DESC`,
      )
      .all()
      .map(keyFromRow);
  }

  insert(
    key: KeyRecord,
    change: ChangeNote | undefined,
    retireOlder: { nowMs: number; expiresAtMs: number } | undefined,
  ): void {
    this.sql.immediate(() => {
      this.sql
        .statement(
          `INSERT INTO signing_keys (${KEY_COLUMNS}) VALUES (${placeholders(KEY_COLUMNS)})`,
        )
        .run(keyToRow(key));
      if (retireOlder !== undefined) {
        this.sql
          .statement(
            "UPDATE signing_keys SET status = 'retired', retired_at_ms = ?, expires_at_ms = ? " +
              "WHERE status = 'active' AND EXISTS (SELECT 1 FROM signing_keys AS a " +
              "WHERE a.status = 'active' AND (a.created_at_ms > signing_keys.created_at_ms OR " +
              "(a.created_at_ms = signing_keys.created_at_ms AND a.kid > signing_keys.kid)))",
          )
          .run(retireOlder.nowMs, retireOlder.expiresAtMs);
      }
      this.sql.insertNote(change);
    });
  }
}
