/**
 * Cognito's sign-in lockout (DESIGN §7): after 5 consecutive failures the user is locked
 * for a time that doubles with each further failure, from 1 s up to 15 min; 15 quiet
 * minutes (after the lock ends) reset the count.
 *
 * The counter of an existing user lives in the store, so every instance shares it. The
 * counter of a name no user has lives in a bounded in-memory LRU of this instance and is
 * never written to the store: made-up names cost the store nothing (issue 12 #4), and they
 * are counted by the same rule, so an unknown name gets the same answers and is locked after
 * the same failures as a real one on this instance. Across instances an unknown name's
 * counts are per instance (see docs/security.md).
 */
import { LRUCache } from "lru-cache";
import { PoolgateError } from "../errors";
import type { LockoutRecord, LockoutStore } from "../store/store";

export const LOCKOUT_FREE_FAILURES = 5;
export const LOCKOUT_FIRST_MS = 1000;
export const LOCKOUT_MAX_MS = 15 * 60 * 1000;
export const LOCKOUT_RESET_AFTER_MS = 15 * 60 * 1000;
/**
 * Counters of unknown names kept per instance (about 200 bytes each). A counter leaves
 * early, least recently used first, only when more distinct unknown names than this fail
 * within one reset window (15 min).
 */
export const UNKNOWN_NAME_COUNTERS_MAX = 50_000;

/** Lock duration after the n-th consecutive failure (0 = not locked). */
export function lockoutDurationMs(consecutiveFailures: number): number {
  if (consecutiveFailures < LOCKOUT_FREE_FAILURES) return 0;
  const doublings = consecutiveFailures - LOCKOUT_FREE_FAILURES;
  if (doublings >= 20) return LOCKOUT_MAX_MS;
  return Math.min(LOCKOUT_FIRST_MS * 2 ** doublings, LOCKOUT_MAX_MS);
}

/**
 * The counting rule, once for every counter (the store's rows and the in-memory ones), so
 * that every counter locks alike. Checked and counted BEFORE the credential is checked, so
 * that concurrent attempts cannot all slip past the check (a success then clears the count):
 *   - locked (`lockedUntilMs > nowMs`): nothing changes → `{ allowed: false }` with the
 *     counter unchanged;
 *   - otherwise the count goes up by one (or restarts at 1 when the last activity — the
 *     later of the last attempt and the end of the lock — is more than `resetAfterMs` ago),
 *     `lockedUntilMs = nowMs + lockFor(count)` (0 = no lock) → `{ allowed: true }`.
 */
export function countSignInAttempt(
  previous: LockoutRecord | undefined,
  username: string,
  nowMs: number,
  resetAfterMs: number,
  lockFor: (consecutiveFailures: number) => number,
): { allowed: boolean; record: LockoutRecord } {
  if (previous !== undefined && previous.lockedUntilMs > nowMs) {
    return { allowed: false, record: previous };
  }
  const quiet = previous === undefined || nowMs - lockoutLastActivityMs(previous) > resetAfterMs;
  const consecutiveFailures = quiet ? 1 : previous.consecutiveFailures + 1;
  const record: LockoutRecord = {
    username,
    consecutiveFailures,
    lastFailureAtMs: nowMs,
    lockedUntilMs: nowMs + lockFor(consecutiveFailures),
  };
  return { allowed: true, record };
}

/** The later of the last attempt and the end of the lock: the count resets `resetAfterMs` after it. */
export function lockoutLastActivityMs(record: LockoutRecord): number {
  return Math.max(record.lastFailureAtMs, record.lockedUntilMs);
}

/**
 * countSignInAttempt on a counter in the store, as one atomic read-modify-write
 * (Store.updateLockout), so that parallel guesses on any instances each count.
 */
export async function reserveStoredAttempt(
  store: Pick<LockoutStore, "updateLockout">,
  username: string,
  nowMs: number,
  resetAfterMs: number,
  lockFor: (consecutiveFailures: number) => number,
): Promise<{ allowed: boolean; record: LockoutRecord }> {
  let outcome: { allowed: boolean; record: LockoutRecord } | undefined;
  await store.updateLockout(username, (previous) => {
    outcome = countSignInAttempt(previous, username, nowMs, resetAfterMs, lockFor);
    return outcome.allowed ? outcome.record : undefined;
  });
  if (outcome === undefined) throw new Error("updateLockout did not run its update");
  return outcome;
}

export class LockoutCounters {
  private readonly unknown: LRUCache<string, LockoutRecord>;

  constructor(
    private readonly store: LockoutStore,
    now: () => number,
    maxUnknownNames: number = UNKNOWN_NAME_COUNTERS_MAX,
  ) {
    this.unknown = new LRUCache<string, LockoutRecord>({
      max: Math.max(1, maxUnknownNames),
      // Staleness read from `now` on every check (no 1 ms memo), so a test clock rules it.
      ttlResolution: 0,
      perf: { now },
    });
  }

  /**
   * Counts an attempt before the credential is checked, or refuses it during a lock — a
   * refused attempt is not counted and costs no hashing. For an existing user this is one
   * atomic store operation, so a burst of parallel guesses cannot all pass the check. A
   * success must call `clear(key)`.
   */
  async reserve(key: string, userExists: boolean, nowMs: number, message: string): Promise<void> {
    const { allowed } = userExists
      ? await reserveStoredAttempt(
          this.store,
          key,
          nowMs,
          LOCKOUT_RESET_AFTER_MS,
          lockoutDurationMs,
        )
      : this.reserveUnknown(key, nowMs);
    if (!allowed) throw new PoolgateError("TOO_MANY_FAILED_ATTEMPTS", message);
  }

  /**
   * A limit on asking for codes (mail sent on request): counted in memory for every name alike
   * (a store row for real names only would show in the timing), by the same rule as attempts;
   * past it, LIMIT_EXCEEDED (Cognito's LimitExceededException).
   */
  async limitRequests(key: string, nowMs: number): Promise<void> {
    if (!this.reserveUnknown(key, nowMs).allowed)
      throw new PoolgateError(
        "LIMIT_EXCEEDED",
        "Attempt limit exceeded, please try after some time.",
        {
          logDetail: `rate limit: ${key.split(":")[0]}`,
        },
      );
  }

  /** After a success: the user's counter starts again (its store row is deleted). */
  clear(key: string): Promise<void> {
    return this.store.clearFailedSignIns(key);
  }

  /** How many unknown names are counted in memory now (for tests and metrics). */
  get unknownNames(): number {
    this.unknown.purgeStale();
    return this.unknown.size;
  }

  /** Synchronous, so two attempts in one instance cannot interleave between read and write. */
  private reserveUnknown(key: string, nowMs: number): { allowed: boolean } {
    const outcome = countSignInAttempt(
      this.unknown.get(key),
      key,
      nowMs,
      LOCKOUT_RESET_AFTER_MS,
      lockoutDurationMs,
    );
    if (outcome.allowed) {
      // Gone exactly when the rule would restart the count (see countSignInAttempt).
      const ttl = lockoutLastActivityMs(outcome.record) + LOCKOUT_RESET_AFTER_MS - nowMs;
      this.unknown.set(key, outcome.record, { ttl });
    }
    return outcome;
  }
}
