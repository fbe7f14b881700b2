/**
 * Per-request DataLoaders (one set per request, never shared): each batches and
 * de-duplicates one kind of store read. Each is built on first use, so a request that
 * loads nothing (most mutations) allocates none.
 */
import DataLoader from "dataloader";
import type { UserPool } from "../identity/pool";
import type { UserView } from "../identity/views";

export interface Loaders {
  readonly userBySub: DataLoader<string, UserView | undefined>;
  readonly groupsBySub: DataLoader<string, string[]>;
}

export function createLoaders(pool: UserPool): Loaders {
  let users: DataLoader<string, UserView | undefined> | undefined;
  let groups: DataLoader<string, string[]> | undefined;
  return {
    get userBySub() {
      return (users ??= new DataLoader((subs) => pool.directory.usersBySubs(subs)));
    },
    get groupsBySub() {
      return (groups ??= new DataLoader((subs) => pool.directory.groupsBySubs(subs)));
    },
  };
}
