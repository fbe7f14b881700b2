import type { PostgresAccess } from "./access";

/** PostgresStore's SettingsStore (see ../parts/settings.ts). */
export class PostgresSettings {
  constructor(private readonly pg: PostgresAccess) {}

  async get(name: string): Promise<string | undefined> {
    const { rows } = await this.pg.query<{ value: string }>(
      "SELECT value FROM pool_settings WHERE name = $1",
      [name],
    );
    return rows[0]?.value;
  }

  async set(name: string, value: string): Promise<void> {
    await this.pg.query(
      "INSERT INTO pool_settings (name, value) VALUES ($1, $2) " +
        "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
      [name, value],
    );
  }
}
