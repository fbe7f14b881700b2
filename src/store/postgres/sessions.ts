import { sessionFromRow, sessionToRow, type SessionRow } from "../rows";
import type { RevocationReason, RotationOutcome, SessionRecord } from "../store";
import { insert, type PostgresAccess } from "./access";

const SESSION_COLUMNS = [
  "id",
  "sub",
  "client_id",
  "scope",
  "auth_time_seconds",
  "created_at_ms",
  "expires_at_ms",
  "refresh_token_hash",
  "previous_refresh_token_hash",
  "rotated_at_ms",
  "revoked_at_ms",
  "revoked_reason",
] as const;
const SESSIONS = SESSION_COLUMNS.join(", ");

/** Store.prune's batch for this table: $1 the cut-off, $2 the batch size. */
export const PRUNE_EXPIRED_SESSIONS =
  "DELETE FROM sessions WHERE id IN " +
  "(SELECT id FROM sessions WHERE expires_at_ms < $1 LIMIT $2)";

/** PostgresStore's SessionStore (see ../parts/sessions.ts). */
export class PostgresSessions {
  constructor(private readonly pg: PostgresAccess) {}

  async create(session: SessionRecord): Promise<void> {
    await this.pg.query(...insert("sessions", SESSION_COLUMNS, sessionToRow(session)));
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pg.query<SessionRow>(
      `SELECT ${SESSIONS} FROM sessions WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : sessionFromRow(rows[0]);
  }

  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): Promise<RotationOutcome> {
    return this.pg.transaction(async (client): Promise<RotationOutcome> => {
      // FOR UPDATE: a concurrent rotation with the same hash waits here, then reads the row
      // as the winner left it and answers not_current.
      const { rows } = await this.pg.run<SessionRow>(
        client,
        `SELECT ${SESSIONS} FROM sessions WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (rows[0] === undefined) return { outcome: "missing" };
      const session = sessionFromRow(rows[0]);
      if (session.revokedAtMs !== null || session.refreshTokenHash !== presentedHash) {
        return { outcome: "not_current", session };
      }
      await this.pg.run(
        client,
        "UPDATE sessions SET previous_refresh_token_hash = refresh_token_hash, " +
          "refresh_token_hash = $2, rotated_at_ms = $3 WHERE id = $1",
        [id, nextHash, nowMs],
      );
      return {
        outcome: "rotated",
        session: {
          ...session,
          refreshTokenHash: nextHash,
          previousRefreshTokenHash: session.refreshTokenHash,
          rotatedAtMs: nowMs,
        },
      };
    });
  }

  revoke(id: string, reason: RevocationReason, nowMs: number): Promise<boolean> {
    return this.pg.transaction(async (client) => {
      // The first revocation wins: a concurrent one waits for the row lock, re-checks
      // `revoked_at_ms IS NULL` against the committed row, updates nothing and emits nothing.
      const { rowCount } = await this.pg.run(
        client,
        "UPDATE sessions SET revoked_at_ms = $2, revoked_reason = $3 " +
          "WHERE id = $1 AND revoked_at_ms IS NULL",
        [id, nowMs, reason],
      );
      if ((rowCount ?? 0) === 0) return false;
      await this.pg.appendChanges(client, "session_revoked", [id], nowMs);
      return true;
    });
  }

  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): Promise<string[]> {
    return this.pg.transaction(async (client) => {
      // Rows locked in id order, so two concurrent sign-outs of one user cannot deadlock.
      const { rows } = await this.pg.run<{ id: string }>(
        client,
        "UPDATE sessions SET revoked_at_ms = $2, revoked_reason = $3 " +
          "WHERE id IN (SELECT id FROM sessions WHERE sub = $1 AND revoked_at_ms IS NULL " +
          "ORDER BY id FOR UPDATE) AND revoked_at_ms IS NULL RETURNING id",
        [sub, nowMs, reason],
      );
      const ids = rows.map((row) => row.id);
      if (ids.length > 0) await this.pg.appendChanges(client, "session_revoked", ids, nowMs);
      return ids;
    });
  }
}
