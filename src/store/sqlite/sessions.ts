import { sessionFromRow, sessionToRow, type SessionRow } from "../rows";
import type { RevocationReason, RotationOutcome, SessionRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const SESSION_COLUMNS =
  "id, sub, client_id, scope, auth_time_seconds, created_at_ms, expires_at_ms, " +
  "refresh_token_hash, previous_refresh_token_hash, rotated_at_ms, revoked_at_ms, revoked_reason";

/** Store.prune's batch for this table: `?` the cut-off, `?` the batch size. */
export const PRUNE_EXPIRED_SESSIONS =
  "DELETE FROM sessions WHERE id IN " + "(SELECT id FROM sessions WHERE expires_at_ms < ? LIMIT ?)";

/** SqliteStore's SessionStore (see ../parts/sessions.ts). */
export class SqliteSessions {
  constructor(private readonly sql: SqliteAccess) {}

  create(session: SessionRecord): void {
    this.sql
      .statement(
        `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${placeholders(SESSION_COLUMNS)})`,
      )
      .run(sessionToRow(session));
  }

  get(id: string): SessionRecord | undefined {
    const row = this.sql
      .statement<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`)
      .get(id);
    return row === undefined ? undefined : sessionFromRow(row);
  }

  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): RotationOutcome {
    return this.sql.immediate((): RotationOutcome => {
      const session = this.get(id);
      if (session === undefined) return { outcome: "missing" };
      if (session.revokedAtMs !== null || session.refreshTokenHash !== presentedHash) {
        return { outcome: "not_current", session };
      }
      this.sql
        .statement(
          "UPDATE sessions SET previous_refresh_token_hash = refresh_token_hash, " +
            "refresh_token_hash = ?, rotated_at_ms = ? WHERE id = ?",
        )
        .run(nextHash, nowMs, id);
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

  revoke(id: string, reason: RevocationReason, nowMs: number): boolean {
    return this.sql.transaction(() => {
      // The first revocation wins: its time and reason stay, and only it emits an event.
      const { changes } = this.sql
        .statement(
          "UPDATE sessions SET revoked_at_ms = ?, revoked_reason = ? " +
            "WHERE id = ? AND revoked_at_ms IS NULL",
        )
        .run(nowMs, reason, id);
      if (changes === 0) return false;
      this.sql.insertNote({ kind: "session_revoked", subject: id, atMs: nowMs });
      return true;
    });
  }

  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): string[] {
    return this.sql.transaction(() => {
      const ids = this.sql
        .statement<{ id: string }>(
          "UPDATE sessions SET revoked_at_ms = ?, revoked_reason = ? " +
            "WHERE sub = ? AND revoked_at_ms IS NULL RETURNING id",
        )
        .all(nowMs, reason, sub)
        .map((row) => row.id);
      for (const id of ids) {
        this.sql.insertNote({ kind: "session_revoked", subject: id, atMs: nowMs });
      }
      return ids;
    });
  }
}
