import type { ChangeNote } from "./feed";

export interface UserRecord {
  /** Immutable subject id (UUID), the `sub` claim. */
  sub: string;
  /** Unique, byte for byte: identity/usernames.ts puts it in canonical form before it gets here. */
  username: string;
  /** Encoded password hash (see identity/passwords.ts); never logged. */
  passwordHash: string;
  enabled: boolean;
  confirmed: boolean;
  /** Set by an admin: the next sign-in must fail with PASSWORD_RESET_REQUIRED. */
  passwordResetRequired: boolean;
  /**
   * Set while the password is a temporary one (Cognito's FORCE_CHANGE_PASSWORD): when it stops
   * working. It serves only to answer NEW_PASSWORD_REQUIRED; null once the user chose one.
   */
  temporaryPasswordExpiresAtMs: number | null;
  /**
   * The SRP verifier of the password (Cognito's USER_SRP_AUTH), sealed under the master key
   * with its salt; null for a user whose password was set before SRP existed (they get one at
   * their next password sign-in).
   */
  srpVerifierSealed: string | null;
  /** Standard attributes by their OIDC names (email, email_verified as "true"/"false", …) and `custom:*`. */
  attributes: Record<string, string>;
  /** Hash of the pending sign-up confirmation code, if any. */
  confirmationCodeHash: string | null;
  confirmationCodeExpiresAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | "username"
    | "passwordHash"
    | "enabled"
    | "confirmed"
    | "passwordResetRequired"
    | "temporaryPasswordExpiresAtMs"
    | "srpVerifierSealed"
    | "attributes"
    | "confirmationCodeHash"
    | "confirmationCodeExpiresAtMs"
  >
>;

/**
 * ListUsers' filter (Cognito's `Filter`, parsed by the front door): one condition, `=` exact
 * or `^=` prefix on a name, the sub or a standard attribute; or the user's status or switch.
 */
export type UserFilter =
  | { field: "username" | "sub"; op: "=" | "^="; value: string }
  /** A standard attribute (email, phone_number, name, given_name, family_name, preferred_username). */
  | { field: "attribute"; name: string; op: "=" | "^="; value: string }
  | { field: "enabled"; value: boolean }
  /** Cognito's UserStatus as identity/views.ts derives it from the record. */
  | {
      field: "status";
      value: "UNCONFIRMED" | "CONFIRMED" | "FORCE_CHANGE_PASSWORD" | "RESET_REQUIRED";
    };

/** Users and their group memberships (groups belong to no one else). */
export interface UserStore {
  /** Creates the user and its group memberships in one transaction: never half-created. */
  createUser(user: UserRecord, groups?: readonly string[]): Promise<void>;
  getUserBySub(sub: string): Promise<UserRecord | undefined>;
  getUserByUsername(username: string): Promise<UserRecord | undefined>;
  /** Batch load for DataLoader: result[i] belongs to subs[i]. */
  getUsersBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]>;
  /** Returns false when no such user (and then appends no event). */
  updateUser(sub: string, patch: UserPatch, nowMs: number, change?: ChangeNote): Promise<boolean>;
  /** Returns false when no such user; `change` is appended either way, as a block is. */
  deleteUser(sub: string, change?: ChangeNote): Promise<boolean>;
  /** Users that are disabled (for the in-memory block list at start). */
  listDisabledUserSubs(): Promise<string[]>;
  /**
   * A page of usernames in code-unit (binary) order, after `afterUsername` (from the start
   * when undefined), at most `limit`: for the username-rule check (identity/usernames.ts).
   */
  listUsernames(
    afterUsername: string | undefined,
    limit: number,
  ): Promise<{ sub: string; username: string }[]>;
  /**
   * A page of users matching `filter` (all when undefined), in username order (binary, as
   * listUsernames), those after `afterUsername`, at most `limit`. Comparisons are exact and
   * case-sensitive, as Cognito's (a username is already in canonical form); a prefix is
   * compared character for character, never as a pattern.
   */
  listUsers(
    filter: UserFilter | undefined,
    afterUsername: string | undefined,
    limit: number,
  ): Promise<UserRecord[]>;

  // groups
  addUserToGroup(sub: string, group: string, change?: ChangeNote): Promise<void>;
  removeUserFromGroup(sub: string, group: string, change?: ChangeNote): Promise<void>;
  /** Batch: result[i] is the sorted group list of subs[i]. */
  getGroupsForUsers(subs: readonly string[]): Promise<string[][]>;
}
