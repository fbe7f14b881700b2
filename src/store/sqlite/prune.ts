import type { PruneCounts, PruneCutoffs } from "../store";
import type { SqliteAccess } from "./access";
import { PRUNE_EXPIRED_AUTHORIZATION_CODES, PRUNE_EXPIRED_HOSTED_SESSIONS } from "./authorization";
import { PRUNE_EXPIRED_CHALLENGES } from "./challenges";
import { PRUNE_EXPIRED_CODES } from "./codes";
import { PRUNE_OLD_CHANGES } from "./feed";
import { PRUNE_OLD_HEARTBEATS } from "./lifecycle";
import { PRUNE_IDLE_LOCKOUTS } from "./lockouts";
import { PRUNE_EXPIRED_SESSIONS } from "./sessions";

/** Rows one prune statement deletes at most: each is a short write transaction of its own. */
const PRUNE_BATCH_ROWS = 10_000;

/** SqliteStore's prune (see ../parts/lifecycle.ts), with each table's batch from its aggregate. */
export class SqlitePrune {
  constructor(private readonly sql: SqliteAccess) {}

  async prune(cutoffs: PruneCutoffs): Promise<PruneCounts> {
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
    // One process writes at a time anyway; short batches, with the event loop (requests)
    // served between them, keep a prune of millions of rows from holding either up.
    for (const [table, sql, cutoff] of work) {
      for (;;) {
        const deleted = await this.sql.guard(
          () => this.sql.statement(sql).run(cutoff, PRUNE_BATCH_ROWS).changes,
        );
        counts[table] += deleted;
        if (deleted < PRUNE_BATCH_ROWS) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return counts;
  }
}
