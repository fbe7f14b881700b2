import { postgresMigrations } from "../migrations/postgres";
import type { PostgresAccess } from "./access";
import { MIGRATION_LOCK_KEY } from "./locks";

/** Store.prune's batch for this table: $1 the cut-off, $2 the batch size. */
export const PRUNE_OLD_HEARTBEATS =
  "DELETE FROM heartbeats WHERE instance IN " +
  "(SELECT instance FROM heartbeats WHERE at_ms < $1 LIMIT $2)";

/** PostgresStore's migrations and readiness probes (see ../parts/lifecycle.ts; prune: ./prune.ts). */
export class PostgresLifecycle {
  constructor(private readonly pg: PostgresAccess) {}

  async migrate(): Promise<void> {
    await this.pg.transaction(async (client) => {
      await this.pg.allowMaintenanceTime(client);
      // Two instances starting at once: the second waits here until the first has committed,
      // then finds every migration recorded. Taken before CREATE TABLE IF NOT EXISTS, which is
      // not safe against a concurrent twin (it can fail on the catalog's unique index).
      await this.pg.run(client, `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await this.pg.run(
        client,
        "CREATE TABLE IF NOT EXISTS schema_migrations " +
          "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
      );
      const { rows } = await this.pg.run<{ version: number }>(
        client,
        "SELECT version FROM schema_migrations",
      );
      const applied = new Set(rows.map((row) => row.version));
      for (const migration of postgresMigrations) {
        if (applied.has(migration.version)) continue;
        // No parameters: pg sends it with the simple protocol, which allows several statements.
        await this.pg.run(client, migration.sql);
        await this.pg.run(
          client,
          "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
          [migration.version, migration.name, Date.now()],
        );
      }
    });
  }

  async ping(): Promise<void> {
    await this.pg.query("SELECT 1");
  }

  async heartbeat(instance: string, nowMs: number): Promise<void> {
    await this.pg.query(
      "INSERT INTO heartbeats (instance, at_ms) VALUES ($1, $2) " +
        "ON CONFLICT (instance) DO UPDATE SET at_ms = EXCLUDED.at_ms",
      [instance, nowMs],
    );
  }
}
