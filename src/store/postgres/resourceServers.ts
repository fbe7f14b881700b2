import {
  postgresColumns as COLUMNS,
  resourceServerFromRow,
  type ResourceServerRow as SharedResourceServerRow,
} from "../rows";
import type { ResourceServerRecord } from "../store";
import type { PostgresAccess } from "./access";

// Row shape as pg returns it (see users.ts).
type ResourceServerRow = SharedResourceServerRow<unknown>;

/** PostgresStore's ResourceServerStore (see ../parts/resourceServers.ts). */
export class PostgresResourceServers {
  constructor(private readonly pg: PostgresAccess) {}

  async create(server: ResourceServerRecord): Promise<void> {
    await this.pg.query(
      "INSERT INTO resource_servers (id, name, scopes, created_at_ms) VALUES ($1, $2, $3, $4)",
      [server.id, server.name, COLUMNS.json(server.scopes), server.createdAtMs],
    );
  }

  async get(id: string): Promise<ResourceServerRecord | undefined> {
    const { rows } = await this.pg.query<ResourceServerRow>(
      "SELECT id, name, scopes, created_at_ms FROM resource_servers WHERE id = $1",
      [id],
    );
    return rows[0] === undefined ? undefined : resourceServerFromRow(COLUMNS, rows[0]);
  }

  async list(): Promise<ResourceServerRecord[]> {
    const { rows } = await this.pg.query<ResourceServerRow>(
      'SELECT id, name, scopes, created_at_ms FROM resource_servers ORDER BY id COLLATE "C"',
    );
    return rows.map((row) => resourceServerFromRow(COLUMNS, row));
  }

  async update(id: string, patch: { name: string; scopes: string[] }): Promise<boolean> {
    const { rowCount } = await this.pg.query(
      "UPDATE resource_servers SET name = $2, scopes = $3 WHERE id = $1",
      [id, patch.name, COLUMNS.json(patch.scopes)],
    );
    return (rowCount ?? 0) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pg.query("DELETE FROM resource_servers WHERE id = $1", [id]);
    return (rowCount ?? 0) > 0;
  }
}
