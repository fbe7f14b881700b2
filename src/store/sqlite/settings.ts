import type { SqliteAccess } from "./access";

/** SqliteStore's SettingsStore (see ../parts/settings.ts). */
export class SqliteSettings {
  constructor(private readonly sql: SqliteAccess) {}

  get(name: string): string | undefined {
    return this.sql
      .statement<{ value: string }>("SELECT value FROM pool_settings WHERE name = ?")
      .get(name)?.value;
  }

  set(name: string, value: string): void {
    this.sql
      .statement(
        "INSERT INTO pool_settings (name, value) VALUES (?, ?) " +
          "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      )
      .run(name, value);
  }
}
