import { accessKeyFromRow, accessKeyToRow, type AccessKeyRow } from "../rows";
import type { AccessKeyRecord } from "../store";
import { insert, type PostgresAccess } from "./access";

const ACCESS_KEY_COLUMNS = [
  "access_key_id",
  "secret_sealed",
  "description",
  "created_at_ms",
  "last_used_at_ms",
] as const;
const ACCESS_KEYS = ACCESS_KEY_COLUMNS.join(", ");

/** PostgresStore's AccessKeyStore (see ../parts/accessKeys.ts). */
export class PostgresAccessKeys {
  constructor(private readonly pg: PostgresAccess) {}

  async create(key: AccessKeyRecord): Promise<void> {
    await this.pg.query(...insert("access_keys", ACCESS_KEY_COLUMNS, accessKeyToRow(key)));
  }

  async get(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const { rows } = await this.pg.query<AccessKeyRow>(
      `SELECT ${ACCESS_KEYS} FROM access_keys WHERE access_key_id = $1`,
      [accessKeyId],
    );
    return rows[0] === undefined ? undefined : accessKeyFromRow(rows[0]);
  }

  async list(): Promise<AccessKeyRecord[]> {
    const { rows } = await this.pg.query<AccessKeyRow>(
      `SELECT ${ACCESS_KEYS} FROM access_keys ORDER BY created_at_ms, access_key_id COLLATE "C"`,
    );
    return rows.map(accessKeyFromRow);
  }

  async delete(accessKeyId: string): Promise<boolean> {
    const { rowCount } = await this.pg.query("DELETE FROM access_keys WHERE access_key_id = $1", [
      accessKeyId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async touch(accessKeyId: string, nowMs: number): Promise<void> {
    await this.pg.query("UPDATE access_keys SET last_used_at_ms = $2 WHERE access_key_id = $1", [
      accessKeyId,
      nowMs,
    ]);
  }
}
