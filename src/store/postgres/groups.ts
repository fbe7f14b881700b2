import { groupFromRow, groupToRow, type GroupRow } from "../rows";
import type { GroupListing, GroupRecord } from "../store";
import { insert, type PostgresAccess } from "./access";

const GROUP_COLUMNS = [
  "name",
  "description",
  "precedence",
  "created_at_ms",
  "updated_at_ms",
] as const;
const GROUPS = GROUP_COLUMNS.join(", ");

/** PostgresStore's GroupStore (see ../parts/groups.ts). */
export class PostgresGroups {
  constructor(private readonly pg: PostgresAccess) {}

  async create(group: GroupRecord): Promise<void> {
    await this.pg.query(...insert("user_pool_groups", GROUP_COLUMNS, groupToRow(group)));
  }

  async getMany(names: readonly string[]): Promise<(GroupRecord | undefined)[]> {
    if (names.length === 0) return [];
    const { rows } = await this.pg.query<GroupRow>(
      `SELECT ${GROUPS} FROM user_pool_groups WHERE name = ANY($1::text[])`,
      [[...names]],
    );
    const byName = new Map(rows.map((row) => [row.name, groupFromRow(row)]));
    return names.map((name) => byName.get(name));
  }

  async list(afterName: string | undefined, limit: number): Promise<GroupListing[]> {
    // COLLATE "C": code-point order whatever the database's collation, as SQLite's BINARY.
    const { rows } = await this.pg.query<
      { listed: string } & { [K in keyof GroupRow]: GroupRow[K] | null }
    >(
      "SELECT n.listed, g.name, g.description, g.precedence, g.created_at_ms, g.updated_at_ms " +
        'FROM (SELECT name AS listed FROM user_pool_groups WHERE name COLLATE "C" > $1 ' +
        'UNION SELECT group_name FROM user_groups WHERE group_name COLLATE "C" > $1) AS n ' +
        'LEFT JOIN user_pool_groups AS g ON g.name = n.listed ORDER BY n.listed COLLATE "C" ' +
        "LIMIT $2",
      [afterName ?? "", Math.max(0, limit)],
    );
    return rows.map((row) => ({
      name: row.listed,
      record: row.name === null ? undefined : groupFromRow(row as GroupRow),
    }));
  }
}
