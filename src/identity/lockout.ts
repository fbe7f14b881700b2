/**
 * Cognito's sign-in lockout (DESIGN §7): after 5 consecutive failures the user is locked
 * for a time that doubles with each further failure, from 1 s up to 15 min; 15 quiet
 * minutes reset the count. Counters live in the store so every instance shares them.
 */
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
