export interface LockoutRecord {
  username: string;
  consecutiveFailures: number;
  lastFailureAtMs: number;
  lockedUntilMs: number;
}

/** Failed sign-in counters; the counting rule itself is identity/lockout.ts. */
export interface LockoutStore {
  /**
   * Atomic read-modify-write of one failed-attempt counter, for identity/lockout.ts which owns
   * the counting rule: `update` gets the row as it is (undefined when there is none) while no
   * other update of the same username can run (one transaction; PostgreSQL: the row locked
   * with SELECT … FOR UPDATE), and returns the row to write, or undefined to leave it as it is.
   * Resolves with the row as it is afterwards. `update` must be synchronous and do no I/O.
   */
  updateLockout(
    username: string,
    update: (previous: LockoutRecord | undefined) => LockoutRecord | undefined,
  ): Promise<LockoutRecord | undefined>;
  clearFailedSignIns(username: string): Promise<void>;
}
