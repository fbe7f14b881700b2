/**
 * Cognito's sign-in lockout (DESIGN §7): after 5 consecutive failures the user is locked
 * for a time that doubles with each further failure, from 1 s up to 15 min; 15 quiet
 * minutes (after the lock ends) reset the count. Counters live in the store so every
 * instance shares them.
 */
import { PoolgateError } from "../errors";
import type { Store } from "../store/store";

export const LOCKOUT_FREE_FAILURES = 5;
export const LOCKOUT_FIRST_MS = 1000;
export const LOCKOUT_MAX_MS = 15 * 60 * 1000;
export const LOCKOUT_RESET_AFTER_MS = 15 * 60 * 1000;

/** Lock duration after the n-th consecutive failure (0 = not locked). */
export function lockoutDurationMs(consecutiveFailures: number): number {
  if (consecutiveFailures < LOCKOUT_FREE_FAILURES) return 0;
  const doublings = consecutiveFailures - LOCKOUT_FREE_FAILURES;
  if (doublings >= 20) return LOCKOUT_MAX_MS;
  return Math.min(LOCKOUT_FIRST_MS * 2 ** doublings, LOCKOUT_MAX_MS);
}

/**
 * Counts an attempt before the credential is checked (one atomic store operation, so a
 * burst of parallel guesses cannot all pass the check), or refuses it during a lock — a
 * refused attempt is not counted and costs no hashing. A success must call
 * `store.clearFailedSignIns(key)`.
 */
export async function reserveAttempt(
  store: Pick<Store, "reserveSignInAttempt">,
  key: string,
  nowMs: number,
  message: string,
): Promise<void> {
  const { allowed } = await store.reserveSignInAttempt(
    key,
    nowMs,
    LOCKOUT_RESET_AFTER_MS,
    lockoutDurationMs,
  );
  if (!allowed) throw new PoolgateError("TOO_MANY_FAILED_ATTEMPTS", message);
}
