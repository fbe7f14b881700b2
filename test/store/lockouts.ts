import type { LockoutRecord, Store } from "../../src/store/store";

/** Reads a failed-attempt counter through the store's atomic update, leaving it as it is. */
export function lockoutOf(
  store: Pick<Store, "updateLockout">,
  username: string,
): Promise<LockoutRecord | undefined> {
  return store.updateLockout(username, () => undefined);
}
