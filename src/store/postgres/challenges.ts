import {
  challengeFromRow,
  challengeToRow,
  postgresColumns as COLUMNS,
  type ChallengeRow,
} from "../rows";
import type { ChallengeRecord } from "../store";
import { insert, type PostgresAccess } from "./access";

const CHALLENGE_COLUMNS = [
  "id",
  "sub",
  "client_id",
  "challenge_name",
  "requested_scopes",
  "code_hash",
  "context",
  "wrong_answers",
  "created_at_ms",
  "expires_at_ms",
  "spent_at_ms",
] as const;
const CHALLENGES = CHALLENGE_COLUMNS.join(", ");

/** Store.prune's batch for this table: $1 the cut-off, $2 the batch size. */
export const PRUNE_EXPIRED_CHALLENGES =
  "DELETE FROM challenge_sessions WHERE id IN " +
  "(SELECT id FROM challenge_sessions WHERE expires_at_ms < $1 LIMIT $2)";

/**
 * PostgresStore's ChallengeStore (see ../parts/challenges.ts). Spending and counting are each
 * one UPDATE whose WHERE holds the whole condition: under READ COMMITTED a concurrent one
 * waits for the row lock and re-checks the WHERE against the committed row, so of two
 * answers exactly one spends, and no wrong answer is lost.
 */
export class PostgresChallenges {
  constructor(private readonly pg: PostgresAccess) {}

  async create(challenge: ChallengeRecord): Promise<void> {
    await this.pg.query(
      ...insert("challenge_sessions", CHALLENGE_COLUMNS, challengeToRow(COLUMNS, challenge)),
    );
  }

  async get(id: string): Promise<ChallengeRecord | undefined> {
    const { rows } = await this.pg.query<ChallengeRow<unknown>>(
      `SELECT ${CHALLENGES} FROM challenge_sessions WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : challengeFromRow(COLUMNS, rows[0]);
  }

  async spend(id: string, nowMs: number): Promise<boolean> {
    const { rowCount } = await this.pg.query(
      "UPDATE challenge_sessions SET spent_at_ms = $2 " +
        "WHERE id = $1 AND spent_at_ms IS NULL AND expires_at_ms > $2",
      [id, nowMs],
    );
    return (rowCount ?? 0) > 0;
  }

  async countWrongAnswer(id: string, nowMs: number, limit: number): Promise<number | undefined> {
    // In SET, `wrong_answers` is the value before this update.
    const { rows } = await this.pg.query<{ wrong_answers: number }>(
      "UPDATE challenge_sessions SET wrong_answers = wrong_answers + 1, " +
        "spent_at_ms = CASE WHEN wrong_answers + 1 >= $3::integer THEN $2::bigint " +
        "ELSE spent_at_ms END " +
        "WHERE id = $1 AND spent_at_ms IS NULL AND expires_at_ms > $2::bigint " +
        "RETURNING wrong_answers",
      [id, nowMs, limit],
    );
    return rows[0]?.wrong_answers;
  }
}
