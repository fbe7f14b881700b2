import {
  challengeFromRow,
  challengeToRow,
  sqliteColumns as COLUMNS,
  type ChallengeRow,
} from "../rows";
import type { ChallengeRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const CHALLENGE_COLUMNS =
  "id, sub, client_id, challenge_name, requested_scopes, code_hash, context, wrong_answers, " +
  "created_at_ms, expires_at_ms, spent_at_ms";

/** Store.prune's batch for this table: `?` the cut-off, `?` the batch size. */
export const PRUNE_EXPIRED_CHALLENGES =
  "DELETE FROM challenge_sessions WHERE id IN " +
  "(SELECT id FROM challenge_sessions WHERE expires_at_ms < ? LIMIT ?)";

/**
 * SqliteStore's ChallengeStore (see ../parts/challenges.ts). Spending and counting are each
 * one UPDATE whose WHERE holds the whole condition: atomic without a transaction.
 */
export class SqliteChallenges {
  constructor(private readonly sql: SqliteAccess) {}

  create(challenge: ChallengeRecord): void {
    this.sql
      .statement(
        `INSERT INTO challenge_sessions (${CHALLENGE_COLUMNS}) ` +
          `VALUES (${placeholders(CHALLENGE_COLUMNS)})`,
      )
      .run(challengeToRow(COLUMNS, challenge));
  }

  get(id: string): ChallengeRecord | undefined {
    const row = this.sql
      .statement<ChallengeRow<string>>(
        `SELECT ${CHALLENGE_COLUMNS} FROM challenge_sessions WHERE id = ?`,
      )
      .get(id);
    return row === undefined ? undefined : challengeFromRow(COLUMNS, row);
  }

  spend(id: string, nowMs: number): boolean {
    return (
      this.sql
        .statement(
          "UPDATE challenge_sessions SET spent_at_ms = ? " +
            "WHERE id = ? AND spent_at_ms IS NULL AND expires_at_ms > ?",
        )
        .run(nowMs, id, nowMs).changes > 0
    );
  }

  countWrongAnswer(id: string, nowMs: number, limit: number): number | undefined {
    // In SET, `wrong_answers` is the value before this update.
    return this.sql
      .statement<{ wrong_answers: number }>(
        "UPDATE challenge_sessions SET wrong_answers = wrong_answers + 1, " +
          "spent_at_ms = CASE WHEN wrong_answers + 1 >= @limit THEN @now ELSE spent_at_ms END " +
          "WHERE id = @id AND spent_at_ms IS NULL AND expires_at_ms > @now RETURNING wrong_answers",
      )
      .get({ id, now: nowMs, limit })?.wrong_answers;
  }
}
