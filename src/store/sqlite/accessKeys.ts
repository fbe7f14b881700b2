import { accessKeyFromRow, accessKeyToRow, type AccessKeyRow } from "../rows";
import type { AccessKeyRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const ACCESS_KEY_COLUMNS =
  "access_key_id, secret_sealed, description, created_at_ms, last_used_at_ms";

/** SqliteStore's AccessKeyStore (see ../parts/accessKeys.ts). */
export class SqliteAccessKeys {
  constructor(private readonly sql: SqliteAccess) {}

  create(key: AccessKeyRecord): void {
    this.sql
      .statement(
        `INSERT INTO access_keys (${ACCESS_KEY_COLUMNS}) VALUES (${placeholders(ACCESS_KEY_COLUMNS)})`,
      )
      .run(accessKeyToRow(key));
  }

  get(accessKeyId: string): AccessKeyRecord | undefined {
    const row = this.sql
      .statement<AccessKeyRow>(
        `SELECT ${ACCESS_KEY_COLUMNS} FROM access_keys WHERE access_key_id = ?`,
      )
      .get(accessKeyId);
    return row === undefined ? undefined : accessKeyFromRow(row);
  }

  list(): AccessKeyRecord[] {
    return this.sql
      .statement<AccessKeyRow>(
        `SELECT ${ACCESS_KEY_COLUMNS} FROM access_keys ORDER BY created_at_ms, access_key_id`,
      )
      .all()
      .map(accessKeyFromRow);
  }

  delete(accessKeyId: string): boolean {
    return (
      this.sql.statement("DELETE FROM access_keys WHERE access_key_id = ?").run(accessKeyId)
        .changes > 0
    );
  }

  touch(accessKeyId: string, nowMs: number): void {
    this.sql
      .statement("UPDATE access_keys SET last_used_at_ms = ? WHERE access_key_id = ?")
      .run(nowMs, accessKeyId);
  }
}
