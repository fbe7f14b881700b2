import {
  prefixEnd,
  sqliteColumns as COLUMNS,
  userFromRow,
  userToRow,
  type UserRow as SharedUserRow,
} from "../rows";
import type { ChangeNote, UserFilter, UserPatch, UserRecord } from "../store";
import { given, placeholders, type SqliteAccess } from "./access";

// Row shape as the STRICT table stores it (see rows.ts sqliteColumns).
type UserRow = SharedUserRow<number, string>;

// Explicit column lists rather than `*`, so a later migration that adds a column cannot
// change what an already-prepared statement returns.
const USER_COLUMNS =
  "sub, username, password_hash, enabled, confirmed, password_reset_required, " +
  "temporary_password_expires_at_ms, srp_verifier_sealed, attributes, confirmation_code_hash, " +
  "confirmation_code_expires_at_ms, created_at_ms, updated_at_ms";
// Built once: the statement cache is keyed by SQL text, and the hot path should not
// rebuild and rehash these strings on every request.
const SELECT_USER_BY_SUB = `SELECT ${USER_COLUMNS} FROM users WHERE sub = ?`;
const SELECT_GROUPS_OF_SUB = "SELECT sub, group_name FROM user_groups WHERE sub = ?";

/** Cognito's UserStatus as a condition, exactly as identity/views.ts userStatus derives it. */
const STATUS_CONDITIONS: Readonly<
  Record<Extract<UserFilter, { field: "status" }>["value"], string>
> = {
  FORCE_CHANGE_PASSWORD: "temporary_password_expires_at_ms IS NOT NULL",
  UNCONFIRMED: "temporary_password_expires_at_ms IS NULL AND confirmed = 0",
  RESET_REQUIRED:
    "temporary_password_expires_at_ms IS NULL AND confirmed = 1 AND password_reset_required = 1",
  CONFIRMED:
    "temporary_password_expires_at_ms IS NULL AND confirmed = 1 AND password_reset_required = 0",
};

/** Attribute names a filter may name: plain labels, so `->>` reads them as one object key. */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_:]{1,64}$/;

/**
 * A filter as SQL conditions and their parameters. A prefix is compared with substr, character
 * for character (LIKE would read `%` and `_` in the value as wildcards); on the username it is
 * also an index range (`>=` the prefix, `<` its prefixEnd), so a page scans only the matches.
 */
function filterConditions(filter: UserFilter | undefined): { sql: string[]; params: unknown[] } {
  if (filter === undefined) return { sql: [], params: [] };
  switch (filter.field) {
    case "username":
    case "sub": {
      const column = filter.field;
      if (filter.op === "=") return { sql: [`${column} = ?`], params: [filter.value] };
      const sql = [`substr(${column}, 1, length(?)) = ?`];
      const params: unknown[] = [filter.value, filter.value];
      if (column === "username") {
        sql.push("username >= ?");
        params.push(filter.value);
        const end = prefixEnd(filter.value);
        if (end !== undefined) {
          sql.push("username < ?");
          params.push(end);
        }
      }
      return { sql, params };
    }
    case "attribute": {
      if (!ATTRIBUTE_NAME.test(filter.name))
        throw new Error(`listUsers: attribute name ${JSON.stringify(filter.name)} is not a label`);
      return filter.op === "="
        ? { sql: ["attributes ->> ? = ?"], params: [filter.name, filter.value] }
        : {
            sql: ["substr(attributes ->> ?, 1, length(?)) = ?"],
            params: [filter.name, filter.value, filter.value],
          };
    }
    case "enabled":
      return { sql: ["enabled = ?"], params: [COLUMNS.flag(filter.value)] };
    case "status":
      return { sql: [`(${STATUS_CONDITIONS[filter.value]})`], params: [] };
  }
}

/** SqliteStore's UserStore, group memberships included (see ../parts/users.ts). */
export class SqliteUsers {
  constructor(private readonly sql: SqliteAccess) {}

  create(user: UserRecord, groups: readonly string[]): void {
    this.sql.transaction(() => {
      this.sql
        .statement(`INSERT INTO users (${USER_COLUMNS}) VALUES (${placeholders(USER_COLUMNS)})`)
        .run(userToRow(COLUMNS, user));
      for (const group of groups) this.insertGroup(user.sub, group);
    });
  }

  getBySub(sub: string): UserRecord | undefined {
    const row = this.sql
      .statement<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE sub = ?`)
      .get(sub);
    return row === undefined ? undefined : userFromRow(COLUMNS, row);
  }

  getByUsername(username: string): UserRecord | undefined {
    const row = this.sql
      .statement<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`)
      .get(username);
    return row === undefined ? undefined : userFromRow(COLUMNS, row);
  }

  getBySubs(subs: readonly string[]): (UserRecord | undefined)[] {
    if (subs.length === 0) return [];
    // One key (the common `me` batch) skips json_each and the JSON round trip: measured
    // as the largest store cost on the authenticated-request path.
    if (subs.length === 1) {
      const row = this.sql.statement<UserRow>(SELECT_USER_BY_SUB).get(subs[0]);
      return [row === undefined ? undefined : userFromRow(COLUMNS, row)];
    }
    const rows = this.sql
      .statement<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE sub IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(subs));
    const bySub = new Map(rows.map((row) => [row.sub, userFromRow(COLUMNS, row)]));
    return subs.map((sub) => bySub.get(sub));
  }

  update(sub: string, patch: UserPatch, nowMs: number, change: ChangeNote | undefined): boolean {
    // IMMEDIATE: a read-then-write transaction that starts deferred cannot upgrade to a
    // writer once another process has committed, and busy_timeout does not help then.
    return this.sql.immediate(() => {
      if (!this.patch(sub, patch, nowMs)) return false;
      this.sql.insertNote(change);
      return true;
    });
  }

  delete(sub: string, change: ChangeNote | undefined): boolean {
    // Group memberships go with the user (ON DELETE CASCADE); sessions stay, see the schema.
    return this.sql.transaction(() => {
      const deleted = this.sql.statement("DELETE FROM users WHERE sub = ?").run(sub).changes > 0;
      this.sql.insertNote(change);
      return deleted;
    });
  }

  listDisabledSubs(): string[] {
    return this.sql
      .statement<{ sub: string }>("SELECT sub FROM users WHERE enabled = 0")
      .all()
      .map((row) => row.sub);
  }

  listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): { sub: string; username: string }[] {
    // SQLite compares TEXT with BINARY (memcmp of UTF-8), the order of the UNIQUE index.
    return this.sql
      .statement<{ sub: string; username: string }>(
        "SELECT sub, username FROM users WHERE username > ? ORDER BY username LIMIT ?",
      )
      .all(afterUsername ?? "", Math.max(0, limit));
  }

  listUsers(
    filter: UserFilter | undefined,
    afterUsername: string | undefined,
    limit: number,
  ): UserRecord[] {
    const { sql, params } = filterConditions(filter);
    return this.sql
      .statement<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE ${["username > ?", ...sql].join(" AND ")} ` +
          "ORDER BY username LIMIT ?",
      )
      .all(afterUsername ?? "", ...params, Math.max(0, limit))
      .map((row) => userFromRow(COLUMNS, row));
  }

  // groups

  addToGroup(sub: string, group: string, change: ChangeNote | undefined): void {
    this.sql.transaction(() => {
      this.insertGroup(sub, group);
      this.sql.insertNote(change);
    });
  }

  removeFromGroup(sub: string, group: string, change: ChangeNote | undefined): void {
    this.sql.transaction(() => {
      this.sql
        .statement("DELETE FROM user_groups WHERE sub = ? AND group_name = ?")
        .run(sub, group);
      this.sql.insertNote(change);
    });
  }

  groupsFor(subs: readonly string[]): string[][] {
    if (subs.length === 0) return [];
    const rows =
      subs.length === 1
        ? this.sql.statement<{ sub: string; group_name: string }>(SELECT_GROUPS_OF_SUB).all(subs[0])
        : this.sql
            .statement<{ sub: string; group_name: string }>(
              "SELECT sub, group_name FROM user_groups WHERE sub IN (SELECT value FROM json_each(?))",
            )
            .all(JSON.stringify(subs));
    const bySub = new Map<string, string[]>();
    for (const row of rows) {
      const groups = bySub.get(row.sub);
      if (groups === undefined) bySub.set(row.sub, [row.group_name]);
      else groups.push(row.group_name);
    }
    // Sorted in JS by UTF-16 code unit, not by ORDER BY: a database collation (PostgreSQL's
    // locale) would order differently, and every backend must return the same list.
    for (const groups of bySub.values()) groups.sort();
    // A copy per position, so a caller mutating one result cannot alter a duplicate's.
    return subs.map((sub) => [...(bySub.get(sub) ?? [])]);
  }

  /** updateUser's write, inside the caller's transaction → false when there is no such user. */
  patch(sub: string, patch: UserPatch, nowMs: number): boolean {
    const current = this.getBySub(sub);
    if (current === undefined) return false;
    const next: UserRecord = {
      ...current,
      username: given(patch.username, current.username),
      passwordHash: given(patch.passwordHash, current.passwordHash),
      enabled: given(patch.enabled, current.enabled),
      confirmed: given(patch.confirmed, current.confirmed),
      passwordResetRequired: given(patch.passwordResetRequired, current.passwordResetRequired),
      temporaryPasswordExpiresAtMs: given(
        patch.temporaryPasswordExpiresAtMs,
        current.temporaryPasswordExpiresAtMs,
      ),
      srpVerifierSealed: given(patch.srpVerifierSealed, current.srpVerifierSealed),
      attributes: given(patch.attributes, current.attributes),
      confirmationCodeHash: given(patch.confirmationCodeHash, current.confirmationCodeHash),
      confirmationCodeExpiresAtMs: given(
        patch.confirmationCodeExpiresAtMs,
        current.confirmationCodeExpiresAtMs,
      ),
      updatedAtMs: nowMs,
    };
    this.sql
      .statement(
        "UPDATE users SET username = @username, password_hash = @password_hash, " +
          "enabled = @enabled, " +
          "confirmed = @confirmed, password_reset_required = @password_reset_required, " +
          "temporary_password_expires_at_ms = @temporary_password_expires_at_ms, " +
          "srp_verifier_sealed = @srp_verifier_sealed, " +
          "attributes = @attributes, confirmation_code_hash = @confirmation_code_hash, " +
          "confirmation_code_expires_at_ms = @confirmation_code_expires_at_ms, " +
          "updated_at_ms = @updated_at_ms WHERE sub = @sub",
      )
      .run(userToRow(COLUMNS, next));
    return true;
  }

  private insertGroup(sub: string, group: string): void {
    // Membership is a set: adding twice is not a conflict. An unknown user is (foreign key).
    this.sql
      .statement("INSERT INTO user_groups (sub, group_name) VALUES (?, ?) ON CONFLICT DO NOTHING")
      .run(sub, group);
  }
}
