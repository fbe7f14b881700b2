/**
 * Batched user reads for the request path. Records are kept in a bounded in-memory copy
 * that every change to a user drops at once on this instance and, through the store's
 * change feed, within the propagation delay on every other (the same bound as revocation,
 * DESIGN §3). A copy older than `freshForMs` is read again as a safety net against changes
 * made behind poolgate's back. While the store is unreachable, a caller whose token was
 * already verified still gets their last-known record (stale-if-error). Writes never go
 * through here. What it hands out is the user view (identity/views.ts), built once when a
 * record is read and cached as such, so `me` pays no copy per request.
 */
import { LRUCache } from "lru-cache";
import { StoreUnavailableError, type Store } from "../store/store";
import { userView, type UserView } from "./views";

/** How long a copy is served without asking the store again, if no change event arrives. */
const FRESH_FOR_MS = 30_000;

export class UserDirectory {
  private readonly users: LRUCache<string, UserView>;
  private readonly groups: LRUCache<string, string[]>;

  constructor(
    private readonly store: Store,
    maxEntries: number,
    now: () => number = Date.now,
  ) {
    const options = {
      max: Math.max(1, maxEntries),
      ttl: FRESH_FOR_MS,
      // Expired copies stay (until evicted) for the stale-if-error path.
      allowStale: false,
      noDeleteOnStaleGet: true,
      perf: { now },
    };
    this.users = new LRUCache<string, UserView>(options);
    this.groups = new LRUCache<string, string[]>(options);
  }

  /** Drops the copy of a user whose record or groups changed. */
  invalidate(sub: string): void {
    this.users.delete(sub);
    this.groups.delete(sub);
  }

  async usersBySubs(subs: readonly string[]): Promise<(UserView | undefined)[]> {
    const cached = subs.map((s) => this.users.get(s));
    if (cached.every((u) => u !== undefined)) return cached;
    try {
      const found = (await this.store.getUsersBySubs(subs)).map((u) => u && userView(u));
      found.forEach((u, i) => (u ? this.users.set(subs[i]!, u) : this.users.delete(subs[i]!)));
      return found;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      const stale = subs.map((s) => this.users.get(s, { allowStale: true }));
      if (stale.some((u) => u === undefined)) throw err;
      return stale;
    }
  }

  async groupsBySubs(subs: readonly string[]): Promise<string[][]> {
    const cached = subs.map((s) => this.groups.get(s));
    if (cached.every((g) => g !== undefined)) return cached.map((g) => [...g!]);
    try {
      const found = await this.store.getGroupsForUsers(subs);
      found.forEach((g, i) => this.groups.set(subs[i]!, [...g]));
      return found;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      const stale = subs.map((s) => this.groups.get(s, { allowStale: true }));
      if (stale.some((g) => g === undefined)) throw err;
      return stale.map((g) => [...g!]);
    }
  }
}
