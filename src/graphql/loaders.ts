/**
 * Per-request DataLoaders (created for every request, never shared): each batches and
 * de-duplicates one kind of store read.
 */
import DataLoader from "dataloader";
import type { UserPool } from "../identity/pool";
import type { UserRecord } from "../store/store";

export interface Loaders {
  userBySub: DataLoader<string, UserRecord | undefined>;
  groupsBySub: DataLoader<string, string[]>;
}

export function createLoaders(pool: UserPool): Loaders {
  return {
    userBySub: new DataLoader((subs) => pool.directory.usersBySubs(subs)),
    groupsBySub: new DataLoader((subs) => pool.directory.groupsBySubs(subs)),
  };
}
