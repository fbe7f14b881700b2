import { sqliteMigrations, type SqliteMigration } from "../migrations/sqlite";
import type { SqliteAccess } from "./access";

/** Store.prune's batch for this table: `?` the cut-off, `?` the batch size. */
export const PRUNE_OLD_HEARTBEATS =
  "DELETE FROM heartbeats WHERE instance IN " +
  "(SELECT instance FROM heartbeats WHERE at_ms < ? LIMIT ?)";

/** SqliteStore's migrations and readiness probes (see ../parts/lifecycle.ts; prune: ./prune.ts). */
export class SqliteLifecycle {
  constructor(private readonly sql: SqliteAccess) {}

  migrate(): void {
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations " +
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT",
    );
    for (const migration of sqliteMigrations) this.applyMigration(migration);
  }

  ping(): void {
    this.sql.statement("SELECT 1").get();
  }

  heartbeat(instance: string, nowMs: number): void {
    this.sql
      .statement(
        "INSERT INTO heartbeats (instance, at_ms) VALUES (?, ?) " +
          "ON CONFLICT (instance) DO UPDATE SET at_ms = excluded.at_ms",
      )
      .run(instance, nowMs);
  }

  private applyMigration(migration: SqliteMigration): void {
    // IMMEDIATE takes the write lock before the check, so two processes starting on the
    // same file cannot both apply one migration.
    this.sql.immediate(() => {
      const applied = this.sql
        .statement("SELECT 1 FROM schema_migrations WHERE version = ?")
        .get(migration.version);
      if (applied !== undefined) return;
      this.sql.exec(migration.sql);
      this.sql
        .statement("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)")
        .run(migration.version, migration.name, Date.now());
    });
  }
}
