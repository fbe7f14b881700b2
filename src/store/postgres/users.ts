import {
  postgresColumns as COLUMNS,
  prefixEnd,
  userFromRow,
  userToRow,
  type UserRow as SharedUserRow,
} from "../rows";
import type { ChangeNote, UserFilter, UserPatch, UserRecord } from "../store";
import { Assignments, insert, json, type PostgresAccess, type Queryable } from "./access";

// Row shape as pg returns it (booleans, parsed JSONB, int8 as numbers; see rows.ts
// postgresColumns). A type alias, not an interface: pg's QueryResultRow needs an index
// signature, which only aliases get implicitly.
type UserRow = SharedUserRow<boolean, unknown>;

// Explicit column lists rather than `*`, so a later migration that adds a column cannot
// change what a query returns.
const USER_COLUMNS = [
  "sub",
  "username",
  "password_hash",
  "enabled",
  "confirmed",
  "password_reset_required",
  "temporary_password_expires_at_ms",
  "srp_verifier_sealed",
  "attributes",
  "confirmation_code_hash",
  "confirmation_code_expires_at_ms",
  "created_at_ms",
  "updated_at_ms",
] as const;
const USERS = USER_COLUMNS.join(", ");

/** Cognito's UserStatus as a condition, exactly as identity/views.ts userStatus derives it. */
const STATUS_CONDITIONS: Readonly<
  Record<Extract<UserFilter, { field: "status" }>["value"], string>
> = {
  FORCE_CHANGE_PASSWORD: "temporary_password_expires_at_ms IS NOT NULL",
  UNCONFIRMED: "temporary_password_expires_at_ms IS NULL AND NOT confirmed",
  RESET_REQUIRED:
    "temporary_password_expires_at_ms IS NULL AND confirmed AND password_reset_required",
  CONFIRMED:
    "temporary_password_expires_at_ms IS NULL AND confirmed AND NOT password_reset_required",
};

/**
 * A filter as SQL conditions, numbering its parameters after `first`. A prefix is compared
 * with starts_with, character for character (LIKE would read `%` and `_` in the value as
 * wildcards); on the username it is also a range on the "C" index (`>=` the prefix, `<` its
 * prefixEnd), so a page scans only the matches. Equality under a deterministic collation is
 * byte equality.
 */
function filterConditions(
  filter: UserFilter | undefined,
  first: number,
): { sql: string[]; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${first + params.length - 1}`;
  };
  if (filter === undefined) return { sql: [], params };
  switch (filter.field) {
    case "username":
    case "sub": {
      const column = filter.field;
      if (filter.op === "=") return { sql: [`${column} = ${param(filter.value)}`], params };
      const prefix = param(filter.value);
      const sql = [`starts_with(${column}, ${prefix})`];
      if (column === "username") {
        sql.push(`username COLLATE "C" >= ${prefix}`);
        const end = prefixEnd(filter.value);
        if (end !== undefined) sql.push(`username COLLATE "C" < ${param(end)}`);
      }
      return { sql, params };
    }
    case "attribute": {
      const value = `attributes ->> ${param(filter.name)}::text`;
      return filter.op === "="
        ? { sql: [`${value} = ${param(filter.value)}`], params }
        : { sql: [`starts_with(${value}, ${param(filter.value)})`], params };
    }
    case "enabled":
      return { sql: [`enabled = ${param(filter.value)}`], params };
    case "status":
      return { sql: [`(${STATUS_CONDITIONS[filter.value]})`], params };
  }
}

/** PostgresStore's UserStore, group memberships included (see ../parts/users.ts). */
export class PostgresUsers {
  constructor(private readonly pg: PostgresAccess) {}

  async create(user: UserRecord, groups: readonly string[]): Promise<void> {
    if (groups.length === 0) {
      await this.pg.query(...insert("users", USER_COLUMNS, userToRow(COLUMNS, user)));
      return;
    }
    await this.pg.transaction(async (client) => {
      await this.pg.run(client, ...insert("users", USER_COLUMNS, userToRow(COLUMNS, user)));
      await this.pg.run(
        client,
        "INSERT INTO user_groups (sub, group_name) SELECT $1, g FROM unnest($2::text[]) AS g " +
          "ON CONFLICT DO NOTHING",
        [user.sub, [...groups]],
      );
    });
  }

  async getBySub(sub: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pg.query<UserRow>(`SELECT ${USERS} FROM users WHERE sub = $1`, [
      sub,
    ]);
    return rows[0] === undefined ? undefined : userFromRow(COLUMNS, rows[0]);
  }

  async getByUsername(username: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pg.query<UserRow>(
      `SELECT ${USERS} FROM users WHERE username = $1`,
      [username],
    );
    return rows[0] === undefined ? undefined : userFromRow(COLUMNS, rows[0]);
  }

  async getBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]> {
    if (subs.length === 0) return [];
    const { rows } = await this.pg.query<UserRow>(
      `SELECT ${USERS} FROM users WHERE sub = ANY($1::text[])`,
      [[...subs]],
    );
    const bySub = new Map(rows.map((row) => [row.sub, userFromRow(COLUMNS, row)]));
    return subs.map((sub) => bySub.get(sub));
  }

  async update(
    sub: string,
    patch: UserPatch,
    nowMs: number,
    change: ChangeNote | undefined,
  ): Promise<boolean> {
    return this.pg.withNote(change, async (db) => {
      const updated = await this.patch(db, sub, patch, nowMs);
      return { result: updated, append: updated };
    });
  }

  async delete(sub: string, change: ChangeNote | undefined): Promise<boolean> {
    // Group memberships go with the user (ON DELETE CASCADE); sessions stay, see the schema.
    return this.pg.withNote(change, async (db) => {
      const { rowCount } = await this.pg.run(db, "DELETE FROM users WHERE sub = $1", [sub]);
      return { result: (rowCount ?? 0) > 0, append: true };
    });
  }

  async listDisabledSubs(): Promise<string[]> {
    const { rows } = await this.pg.query<{ sub: string }>(
      "SELECT sub FROM users WHERE NOT enabled",
    );
    return rows.map((row) => row.sub);
  }

  async listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): Promise<{ sub: string; username: string }[]> {
    // COLLATE "C": code-point order whatever the database's collation, so paging is exact.
    const { rows } = await this.pg.query<{ sub: string; username: string }>(
      'SELECT sub, username FROM users WHERE username COLLATE "C" > $1 ' +
        'ORDER BY username COLLATE "C" LIMIT $2',
      [afterUsername ?? "", Math.max(0, limit)],
    );
    return rows;
  }

  async listUsers(
    filter: UserFilter | undefined,
    afterUsername: string | undefined,
    limit: number,
  ): Promise<UserRecord[]> {
    const { sql, params } = filterConditions(filter, 3);
    const { rows } = await this.pg.query<UserRow>(
      `SELECT ${USERS} FROM users WHERE ${['username COLLATE "C" > $1', ...sql].join(" AND ")} ` +
        'ORDER BY username COLLATE "C" LIMIT $2',
      [afterUsername ?? "", Math.max(0, limit), ...params],
    );
    return rows.map((row) => userFromRow(COLUMNS, row));
  }

  // groups

  async addToGroup(sub: string, group: string, change: ChangeNote | undefined): Promise<void> {
    // Membership is a set: adding twice is not a conflict. An unknown user is (foreign key).
    await this.pg.withNote(change, async (db) => {
      await this.pg.run(
        db,
        "INSERT INTO user_groups (sub, group_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [sub, group],
      );
      return { result: undefined, append: true };
    });
  }

  async removeFromGroup(sub: string, group: string, change: ChangeNote | undefined): Promise<void> {
    await this.pg.withNote(change, async (db) => {
      await this.pg.run(db, "DELETE FROM user_groups WHERE sub = $1 AND group_name = $2", [
        sub,
        group,
      ]);
      return { result: undefined, append: true };
    });
  }

  async groupsFor(subs: readonly string[]): Promise<string[][]> {
    if (subs.length === 0) return [];
    const { rows } = await this.pg.query<{ sub: string; group_name: string }>(
      "SELECT sub, group_name FROM user_groups WHERE sub = ANY($1::text[])",
      [[...subs]],
    );
    const bySub = new Map<string, string[]>();
    for (const row of rows) {
      const groups = bySub.get(row.sub);
      if (groups === undefined) bySub.set(row.sub, [row.group_name]);
      else groups.push(row.group_name);
    }
    // Sorted in JS by UTF-16 code unit, not by ORDER BY: the database's collation (its
    // locale) would order differently, and every backend must return the same list.
    for (const groups of bySub.values()) groups.sort();
    // A copy per position, so a caller mutating one result cannot alter a duplicate's.
    return subs.map((sub) => [...(bySub.get(sub) ?? [])]);
  }

  /**
   * updateUser's write: one UPDATE of exactly the given columns, atomic without a
   * read-modify-write → false when there is no such user.
   */
  async patch(db: Queryable, sub: string, patch: UserPatch, nowMs: number): Promise<boolean> {
    const assignments = new Assignments(sub);
    assignments.set("username", patch.username);
    assignments.set("password_hash", patch.passwordHash);
    assignments.set("enabled", patch.enabled);
    assignments.set("confirmed", patch.confirmed);
    assignments.set("password_reset_required", patch.passwordResetRequired);
    assignments.set("temporary_password_expires_at_ms", patch.temporaryPasswordExpiresAtMs);
    assignments.set("srp_verifier_sealed", patch.srpVerifierSealed);
    assignments.set("attributes", json(patch.attributes));
    assignments.set("confirmation_code_hash", patch.confirmationCodeHash);
    assignments.set("confirmation_code_expires_at_ms", patch.confirmationCodeExpiresAtMs);
    assignments.set("updated_at_ms", nowMs);
    const { rowCount } = await this.pg.run(
      db,
      `UPDATE users SET ${assignments.toString()} WHERE sub = $1`,
      assignments.values,
    );
    return (rowCount ?? 0) > 0;
  }
}
