import type pg from "pg";
import { keyFromRow, keyToRow, type KeyRow } from "../rows";
import type { ChangeNote, KeyRecord } from "../store";
import { insert, type PostgresAccess } from "./access";
import { KEYS_LOCK_KEY } from "./locks";

const KEY_COLUMNS = [
  "kid",
  "alg",
  "public_jwk",
  "private_jwk_encrypted",
  "created_at_ms",
  "status",
  "retired_at_ms",
  "expires_at_ms",
] as const;
const KEYS = KEY_COLUMNS.join(", ");

/** PostgresStore's KeyStore (see ../parts/keys.ts). */
export class PostgresKeys {
  constructor(private readonly pg: PostgresAccess) {}

  async list(): Promise<KeyRecord[]> {
    const { rows } = await this.pg.query<KeyRow>(
      `SELECT ${KEYS} FROM signing_keys ORDER BY created_at_ms DESC, kid COLLATE "C" DESC`,
    );
    return rows.map(keyFromRow);
  }

  async insert(
    key: KeyRecord,
    change: ChangeNote | undefined,
    retireOlder: { nowMs: number; expiresAtMs: number } | undefined,
  ): Promise<void> {
    if (change === undefined && retireOlder === undefined) {
      await this.pg.query(...insert("signing_keys", KEY_COLUMNS, keyToRow(key)));
      return;
    }
    await this.pg.transaction(async (client) => {
      await this.pg.run(client, ...insert("signing_keys", KEY_COLUMNS, keyToRow(key)));
      if (retireOlder !== undefined) await this.retireOlderThanNewest(client, retireOlder);
      await this.pg.appendNote(client, change);
    });
  }

  private async retireOlderThanNewest(
    client: pg.PoolClient,
    { nowMs, expiresAtMs }: { nowMs: number; expiresAtMs: number },
  ): Promise<void> {
    // One rotation at a time: under READ COMMITTED two concurrent ones would not see each
    // other's uncommitted key and could both stay active. After the lock, this statement's
    // snapshot holds every key committed before. Rows are then locked in kid order.
    await this.pg.run(client, `SELECT pg_advisory_xact_lock(${KEYS_LOCK_KEY})`);
    const { rows } = await this.pg.run<{ kid: string }>(
      client,
      "SELECT k.kid FROM signing_keys AS k WHERE k.status = 'active' AND EXISTS (SELECT 1 " +
        "FROM signing_keys AS a WHERE a.status = 'active' AND (a.created_at_ms > k.created_at_ms " +
        'OR (a.created_at_ms = k.created_at_ms AND a.kid COLLATE "C" > k.kid COLLATE "C"))) ' +
        'ORDER BY k.kid COLLATE "C" FOR UPDATE OF k',
    );
    if (rows.length === 0) return;
    await this.pg.run(
      client,
      "UPDATE signing_keys SET status = 'retired', retired_at_ms = $2, expires_at_ms = $3 " +
        "WHERE kid = ANY($1::text[]) AND status = 'active'",
      [rows.map((row) => row.kid), nowMs, expiresAtMs],
    );
  }
}
