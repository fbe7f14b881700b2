import { groupFromRow, groupToRow, type GroupRow } from "../rows";
import type { GroupListing, GroupRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const GROUP_COLUMNS = "name, description, precedence, created_at_ms, updated_at_ms";

/** SqliteStore's GroupStore (see ../parts/groups.ts). */
export class SqliteGroups {
  constructor(private readonly sql: SqliteAccess) {}

  create(group: GroupRecord): void {
    this.sql
      .statement(
        `INSERT INTO user_pool_groups (${GROUP_COLUMNS}) VALUES (${placeholders(GROUP_COLUMNS)})`,
      )
      .run(groupToRow(group));
  }

  getMany(names: readonly string[]): (GroupRecord | undefined)[] {
    if (names.length === 0) return [];
    const rows = this.sql
      .statement<GroupRow>(
        `SELECT ${GROUP_COLUMNS} FROM user_pool_groups ` +
          "WHERE name IN (SELECT value FROM json_each(?))",
      )
      .all(JSON.stringify(names));
    const byName = new Map(rows.map((row) => [row.name, groupFromRow(row)]));
    return names.map((name) => byName.get(name));
  }

  list(afterName: string | undefined, limit: number): GroupListing[] {
    // BINARY (memcmp of UTF-8) is code-point order. UNION keeps each name once, whether it
    // was created, joined, or both.
    const rows = this.sql
      .statement<{ listed: string } & { [K in keyof GroupRow]: GroupRow[K] | null }>(
        "SELECT n.listed, g.name, g.description, g.precedence, g.created_at_ms, g.updated_at_ms " +
          "FROM (SELECT name AS listed FROM user_pool_groups WHERE name > ? " +
          "UNION SELECT group_name FROM user_groups WHERE group_name > ?) AS n " +
          "LEFT JOIN user_pool_groups AS g ON g.name = n.listed ORDER BY n.listed LIMIT ?",
      )
      .all(afterName ?? "", afterName ?? "", Math.max(0, limit));
    return rows.map((row) => ({
      name: row.listed,
      record: row.name === null ? undefined : groupFromRow(row as GroupRow),
    }));
  }
}
