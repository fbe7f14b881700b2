import {
  authorizationCodeFromRow,
  authorizationCodeToRow,
  hostedSessionFromRow,
  hostedSessionToRow,
  type AuthorizationCodeRow,
  type HostedSessionRow,
} from "../rows";
import type { AuthorizationCodeRecord, CodeRedemption, HostedSessionRecord } from "../store";
import { placeholders, type SqliteAccess } from "./access";

const CODE_COLUMNS =
  "code_hash, client_id, sub, redirect_uri, code_challenge, scope, nonce, auth_time_seconds, " +
  "created_at_ms, expires_at_ms, redeemed_at_ms, session_id";

const HOSTED_SESSION_COLUMNS = "id_hash, sub, auth_time_seconds, created_at_ms, expires_at_ms";

/** Store.prune's batch for authorization codes: `?` the cut-off, `?` the batch size. */
export const PRUNE_EXPIRED_AUTHORIZATION_CODES =
  "DELETE FROM authorization_codes WHERE code_hash IN " +
  "(SELECT code_hash FROM authorization_codes WHERE expires_at_ms < ? LIMIT ?)";

/** Store.prune's batch for hosted sessions: `?` the cut-off, `?` the batch size. */
export const PRUNE_EXPIRED_HOSTED_SESSIONS =
  "DELETE FROM hosted_sessions WHERE id_hash IN " +
  "(SELECT id_hash FROM hosted_sessions WHERE expires_at_ms < ? LIMIT ?)";

/** SqliteStore's AuthorizationStore (see ../parts/authorization.ts). */
export class SqliteAuthorization {
  constructor(private readonly sql: SqliteAccess) {}

  createCode(code: AuthorizationCodeRecord): void {
    this.sql
      .statement(
        `INSERT INTO authorization_codes (${CODE_COLUMNS}) VALUES (${placeholders(CODE_COLUMNS)})`,
      )
      .run(authorizationCodeToRow(code));
  }

  redeemCode(codeHash: string, nowMs: number, sessionId: string): CodeRedemption {
    // IMMEDIATE: the write lock is taken before the read, so a redemption in another process
    // on the same file waits, then reads the code as spent.
    return this.sql.immediate((): CodeRedemption => {
      const row = this.sql
        .statement<AuthorizationCodeRow>(
          `SELECT ${CODE_COLUMNS} FROM authorization_codes WHERE code_hash = ?`,
        )
        .get(codeHash);
      if (row === undefined) return { outcome: "missing" };
      const code = authorizationCodeFromRow(row);
      // A spent code is a reuse even after its expiry: the caller revokes what it started.
      if (code.redeemedAtMs !== null) return { outcome: "reused", code };
      if (code.expiresAtMs <= nowMs) return { outcome: "missing" };
      this.sql
        .statement(
          "UPDATE authorization_codes SET redeemed_at_ms = ?, session_id = ? WHERE code_hash = ?",
        )
        .run(nowMs, sessionId, codeHash);
      return { outcome: "redeemed", code };
    });
  }

  createHostedSession(session: HostedSessionRecord): void {
    this.sql
      .statement(
        `INSERT INTO hosted_sessions (${HOSTED_SESSION_COLUMNS}) ` +
          `VALUES (${placeholders(HOSTED_SESSION_COLUMNS)})`,
      )
      .run(hostedSessionToRow(session));
  }

  getHostedSession(idHash: string, nowMs: number): HostedSessionRecord | undefined {
    const row = this.sql
      .statement<HostedSessionRow>(
        `SELECT ${HOSTED_SESSION_COLUMNS} FROM hosted_sessions ` +
          "WHERE id_hash = ? AND expires_at_ms > ?",
      )
      .get(idHash, nowMs);
    return row === undefined ? undefined : hostedSessionFromRow(row);
  }

  deleteHostedSession(idHash: string): boolean {
    return (
      this.sql.statement("DELETE FROM hosted_sessions WHERE id_hash = ?").run(idHash).changes > 0
    );
  }

  deleteUserAuthorizationCodes(sub: string): number {
    return this.sql
      .statement("DELETE FROM authorization_codes WHERE sub = ? AND redeemed_at_ms IS NULL")
      .run(sub).changes;
  }

  deleteUserHostedSessions(sub: string): number {
    return this.sql.statement("DELETE FROM hosted_sessions WHERE sub = ?").run(sub).changes;
  }
}
