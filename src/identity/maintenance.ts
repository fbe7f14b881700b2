/**
 * Keeps the store's tables flat as the years pass (issue 13 #2): on a schedule, one instance
 * at a time deletes what no token can need any more. Every cut-off follows from a lifetime
 * the pool already enforces, so a prune never changes an answer:
 *   - a session whose refresh token has expired: the token carries the same expiry and is
 *     refused as REFRESH_TOKEN_EXPIRED before the session is looked up (identity/sessions.ts),
 *     and its access tokens are checked against the feed, not the session row;
 *   - a feed event older than the revocation window (the longest access/ID token lifetime
 *     plus skew) concerns no live token; a margin covers the clocks of other instances;
 *   - a failed-attempt counter idle for longer than the reset time counts as none;
 *   - a challenge session or a one-time code past its `expiresAtMs` can no longer be spent
 *     (the store's spendChallenge, countWrongAnswer and redeemCode refuse it), so it goes at once;
 *     so does a hosted sign-in session past its `expiresAtMs` (getHostedSession ignores it);
 *   - an authorization code is kept for AUTHORIZATION_CODE_PRUNE_DELAY_MS past its expiry: a
 *     redeemed one answers a second exchange as "reused", so that the session the first one
 *     started can be revoked (RFC 6749 §4.1.2). This is the one cut-off that changes an answer:
 *     a later replay finds no code ("missing") and is refused like any unknown code, but
 *     nothing is revoked for it.
 */
import type { LifecycleStore, PruneCounts, PruneCutoffs } from "../store/store";
import { LOCKOUT_RESET_AFTER_MS } from "./lockout";

/** Feed events are kept this much longer than the revocation window (clock skew, slow starts). */
export const FEED_PRUNE_MARGIN_MS = 60 * 60 * 1000;
/** The first prune after start: soon, so that instances restarted more often than the interval still prune. */
const FIRST_PRUNE_DELAY_MS = 60 * 1000;
/** How long an expired authorization code is kept, so that a replay soon after expiry is still a reuse. */
export const AUTHORIZATION_CODE_PRUNE_DELAY_MS = 60 * 60 * 1000;

export function pruneCutoffs(nowMs: number, revocationWindowMs: number): PruneCutoffs {
  const feedCutoff = nowMs - revocationWindowMs - FEED_PRUNE_MARGIN_MS;
  return {
    changesBeforeMs: feedCutoff,
    sessionsExpiredBeforeMs: nowMs,
    lockoutsIdleBeforeMs: nowMs - LOCKOUT_RESET_AFTER_MS,
    // Readiness heartbeats of instances long gone: kept as long as the feed, for operators.
    heartbeatsBeforeMs: feedCutoff,
    challengesExpiredBeforeMs: nowMs,
    codesExpiredBeforeMs: nowMs,
    authorizationCodesExpiredBeforeMs: nowMs - AUTHORIZATION_CODE_PRUNE_DELAY_MS,
    hostedSessionsExpiredBeforeMs: nowMs,
  };
}

export interface PruneScheduleOptions {
  intervalMs: number;
  revocationWindowMs: number;
  now: () => number;
  /** A prune that deleted something, for the log. */
  onPruned: (counts: PruneCounts) => void;
  onError: (err: unknown) => void;
}

export class PruneSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PruneCounts | undefined> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Pick<LifecycleStore, "prune">,
    private readonly options: PruneScheduleOptions,
  ) {}

  /** Prunes now; undefined when another instance was pruning. Never two at once here. */
  runOnce(): Promise<PruneCounts | undefined> {
    this.running ??= (async () => {
      try {
        return await this.store.prune(
          pruneCutoffs(this.options.now(), this.options.revocationWindowMs),
        );
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** The first prune shortly after start, then one every interval; 0 never prunes. */
  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.schedule(Math.min(FIRST_PRUNE_DELAY_MS, this.options.intervalMs));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.runOnce().then(
        (counts) => {
          if (counts !== undefined && Object.values(counts).some((n) => n > 0))
            this.options.onPruned(counts);
          this.schedule(this.options.intervalMs);
        },
        (err: unknown) => {
          this.options.onError(err);
          this.schedule(this.options.intervalMs);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
