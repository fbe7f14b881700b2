import type { PruneCounts, PruneCutoffs } from "../store";
import type { PostgresAccess } from "./access";
import { PRUNE_EXPIRED_AUTHORIZATION_CODES, PRUNE_EXPIRED_HOSTED_SESSIONS } from "./authorization";
import { PRUNE_EXPIRED_CHALLENGES } from "./challenges";
import { PRUNE_EXPIRED_CODES } from "./codes";
import { PRUNE_OLD_CHANGES } from "./feed";
import { PRUNE_OLD_HEARTBEATS } from "./lifecycle";
import { PRUNE_LOCK_KEY } from "./locks";
import { PRUNE_IDLE_LOCKOUTS } from "./lockouts";
import { PRUNE_EXPIRED_SESSIONS } from "./sessions";

/** Rows one prune statement deletes at most: each is a short transaction of its own. */
const PRUNE_BATCH_ROWS = 10_000;

/** PostgresStore's prune (see ../parts/lifecycle.ts), with each table's batch from its aggregate. */
export class PostgresPrune {
  constructor(private readonly pg: PostgresAccess) {}

  prune(cutoffs: PruneCutoffs): Promise<PruneCounts | undefined> {
    // On a connection of its own, destroyed if anything fails: that also ends its session
    // and the lock.
    return this.pg.withConnection(async (client) => {
      // A session lock, tried: another instance pruning means this one has nothing to do.
      // It outlives the batches (each its own transaction) and dies with the connection.
      const { rows } = await this.pg.run<{ locked: boolean }>(
        client,
        `SELECT pg_try_advisory_lock(${PRUNE_LOCK_KEY}) AS locked`,
      );
      if (rows[0]?.locked !== true) return undefined;
      const counts: PruneCounts = {
        changes: 0,
        sessions: 0,
        lockouts: 0,
        heartbeats: 0,
        challenges: 0,
        codes: 0,
        authorizationCodes: 0,
        hostedSessions: 0,
      };
      const work: [keyof PruneCounts, string, number][] = [
        ["changes", PRUNE_OLD_CHANGES, cutoffs.changesBeforeMs],
        ["sessions", PRUNE_EXPIRED_SESSIONS, cutoffs.sessionsExpiredBeforeMs],
        ["lockouts", PRUNE_IDLE_LOCKOUTS, cutoffs.lockoutsIdleBeforeMs],
        ["heartbeats", PRUNE_OLD_HEARTBEATS, cutoffs.heartbeatsBeforeMs],
        ["challenges", PRUNE_EXPIRED_CHALLENGES, cutoffs.challengesExpiredBeforeMs],
        ["codes", PRUNE_EXPIRED_CODES, cutoffs.codesExpiredBeforeMs],
        [
          "authorizationCodes",
          PRUNE_EXPIRED_AUTHORIZATION_CODES,
          cutoffs.authorizationCodesExpiredBeforeMs,
        ],
        ["hostedSessions", PRUNE_EXPIRED_HOSTED_SESSIONS, cutoffs.hostedSessionsExpiredBeforeMs],
      ];
      for (const [table, sql, cutoff] of work) {
        for (;;) {
          const { rowCount } = await this.pg.run(client, sql, [cutoff, PRUNE_BATCH_ROWS]);
          counts[table] += rowCount ?? 0;
          if ((rowCount ?? 0) < PRUNE_BATCH_ROWS) break;
        }
      }
      await this.pg.run(client, `SELECT pg_advisory_unlock(${PRUNE_LOCK_KEY})`);
      return counts;
    });
  }
}
