import {
  resourceServerFromRow,
  sqliteColumns as COLUMNS,
  type ResourceServerRow as SharedResourceServerRow,
} from "../rows";
import type { ResourceServerRecord } from "../store";
import type { SqliteAccess } from "./access";

// Row shape as the STRICT table stores it (see rows.ts sqliteColumns).
type ResourceServerRow = SharedResourceServerRow<string>;

/** SqliteStore's ResourceServerStore (see ../parts/resourceServers.ts). */
export class SqliteResourceServers {
  constructor(private readonly sql: SqliteAccess) {}

  create(server: ResourceServerRecord): void {
    this.sql
      .statement(
        "INSERT INTO resource_servers (id, name, scopes, created_at_ms) VALUES (?, ?, ?, ?)",
      )
      .run(server.id, server.name, COLUMNS.json(server.scopes), server.createdAtMs);
  }

  get(id: string): ResourceServerRecord | undefined {
    const row = this.sql
      .statement<ResourceServerRow>("SELECT * FROM resource_servers WHERE id = ?")
      .get(id);
    return row === undefined ? undefined : resourceServerFromRow(COLUMNS, row);
  }

  list(): ResourceServerRecord[] {
    return this.sql
      .statement<ResourceServerRow>("SELECT * FROM resource_servers ORDER BY id")
      .all()
      .map((row) => resourceServerFromRow(COLUMNS, row));
  }

  update(id: string, patch: { name: string; scopes: string[] }): boolean {
    return (
      this.sql
        .statement("UPDATE resource_servers SET name = ?, scopes = ? WHERE id = ?")
        .run(patch.name, COLUMNS.json(patch.scopes), id).changes > 0
    );
  }

  delete(id: string): boolean {
    return this.sql.statement("DELETE FROM resource_servers WHERE id = ?").run(id).changes > 0;
  }
}
