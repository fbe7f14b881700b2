/**
 * Groups created with Cognito's CreateGroup: a name with a description and a precedence.
 * Membership does not need one (poolgate's groups were memberships only before, and stay so:
 * a user can be added to any valid group name), so a listing holds both kinds.
 */
export interface GroupRecord {
  /** Unique, byte for byte (Cognito's group names are case-sensitive). */
  name: string;
  description: string | null;
  /** Cognito's Precedence: a non-negative integer, lower wins; null when not given. */
  precedence: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** One entry of a group listing: a created group, or a name that exists only as memberships. */
export interface GroupListing {
  name: string;
  /** Undefined for a name that was never created, only joined. */
  record: GroupRecord | undefined;
}

export interface GroupStore {
  /** StoreConflictError when a group of that name was created before. */
  createGroup(group: GroupRecord): Promise<void>;
  /** Batch: result[i] is the created group named names[i], or undefined. */
  getGroups(names: readonly string[]): Promise<(GroupRecord | undefined)[]>;
  /**
   * A page of group names in code-point (binary) order after `afterName` (from the start when
   * undefined), at most `limit`: every created group and every name some user is a member of,
   * each once.
   */
  listGroups(afterName: string | undefined, limit: number): Promise<GroupListing[]>;
}
