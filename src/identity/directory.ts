/**
 * Batched user reads for the request path, with a bounded last-known copy: while the store
 * is unreachable, a caller whose token was already verified still gets their own record
 * (stale-if-error), instead of an outage turning every authenticated request into an error.
 * Writes never go through here.
 */
import { LRUCache } from "lru-cache";
import { StoreUnavailableError, type Store, type UserRecord } from "../store/store";

export class UserDirectory {
  private readonly users: LRUCache<string, UserRecord>;
  private readonly groups: LRUCache<string, string[]>;

  constructor(
    private readonly store: Store,
    maxEntries: number,
  ) {
    this.users = new LRUCache({ max: Math.max(1, maxEntries) });
    this.groups = new LRUCache({ max: Math.max(1, maxEntries) });
  }

  async usersBySubs(subs: readonly string[]): Promise<(UserRecord | undefined)[]> {
    try {
      const found = await this.store.getUsersBySubs(subs);
      found.forEach((u, i) => (u ? this.users.set(subs[i]!, u) : this.users.delete(subs[i]!)));
      return found;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      const cached = subs.map((s) => this.users.get(s));
      if (cached.some((u) => u === undefined)) throw err;
      return cached;
    }
  }

  async groupsBySubs(subs: readonly string[]): Promise<string[][]> {
    try {
      const found = await this.store.getGroupsForUsers(subs);
      found.forEach((g, i) => this.groups.set(subs[i]!, g));
      return found;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      const cached = subs.map((s) => this.groups.get(s));
      if (cached.some((g) => g === undefined)) throw err;
      return cached as string[][];
    }
  }
}
