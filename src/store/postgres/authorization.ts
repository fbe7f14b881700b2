import {
  authorizationCodeFromRow,
  authorizationCodeToRow,
  hostedSessionFromRow,
  hostedSessionToRow,
  type AuthorizationCodeRow,
  type HostedSessionRow,
} from "../rows";
import type { AuthorizationCodeRecord, CodeRedemption, HostedSessionRecord } from "../store";
import { insert, type PostgresAccess } from "./access";

const CODE_COLUMNS = [
  "code_hash",
  "client_id",
  "sub",
  "redirect_uri",
  "code_challenge",
  "scope",
  "nonce",
  "auth_time_seconds",
  "created_at_ms",
  "expires_at_ms",
  "redeemed_at_ms",
  "session_id",
] as const;
const CODES = CODE_COLUMNS.join(", ");

const HOSTED_SESSION_COLUMNS = [
  "id_hash",
  "sub",
  "auth_time_seconds",
  "created_at_ms",
  "expires_at_ms",
] as const;
const HOSTED_SESSIONS = HOSTED_SESSION_COLUMNS.join(", ");

/** Store.prune's batch for authorization codes: $1 the cut-off, $2 the batch size. */
export const PRUNE_EXPIRED_AUTHORIZATION_CODES =
  "DELETE FROM authorization_codes WHERE code_hash IN " +
  "(SELECT code_hash FROM authorization_codes WHERE expires_at_ms < $1 LIMIT $2)";

/** Store.prune's batch for hosted sessions: $1 the cut-off, $2 the batch size. */
export const PRUNE_EXPIRED_HOSTED_SESSIONS =
  "DELETE FROM hosted_sessions WHERE id_hash IN " +
  "(SELECT id_hash FROM hosted_sessions WHERE expires_at_ms < $1 LIMIT $2)";

/** PostgresStore's AuthorizationStore (see ../parts/authorization.ts). */
export class PostgresAuthorization {
  constructor(private readonly pg: PostgresAccess) {}

  async createCode(code: AuthorizationCodeRecord): Promise<void> {
    await this.pg.query(
      ...insert("authorization_codes", CODE_COLUMNS, authorizationCodeToRow(code)),
    );
  }

  async redeemCode(codeHash: string, nowMs: number, sessionId: string): Promise<CodeRedemption> {
    // One UPDATE whose WHERE holds the whole condition: under READ COMMITTED a concurrent one
    // waits for the row lock, re-checks the WHERE against the committed row and updates
    // nothing, so of any number of redemptions exactly one spends the code.
    const spent = await this.pg.query<AuthorizationCodeRow>(
      "UPDATE authorization_codes SET redeemed_at_ms = $2, session_id = $3 " +
        "WHERE code_hash = $1 AND redeemed_at_ms IS NULL AND expires_at_ms > $2 " +
        `RETURNING ${CODES}`,
      [codeHash, nowMs, sessionId],
    );
    if (spent.rows[0] !== undefined) {
      // RETURNING gives the row after the update; before it, both were null (the WHERE, and
      // the table's CHECK that no session precedes the redemption).
      const code = authorizationCodeFromRow(spent.rows[0]);
      return { outcome: "redeemed", code: { ...code, redeemedAtMs: null, sessionId: null } };
    }
    // Nothing spent: a code redeemed before (whatever its expiry) is a reuse; an unknown code
    // or one that expired unredeemed is missing. A redeemed code never becomes unredeemed, so
    // this separate read cannot turn a reuse into anything else (a prune can only make it missing).
    const { rows } = await this.pg.query<AuthorizationCodeRow>(
      `SELECT ${CODES} FROM authorization_codes WHERE code_hash = $1`,
      [codeHash],
    );
    if (rows[0] === undefined || rows[0].redeemed_at_ms === null) return { outcome: "missing" };
    return { outcome: "reused", code: authorizationCodeFromRow(rows[0]) };
  }

  async createHostedSession(session: HostedSessionRecord): Promise<void> {
    await this.pg.query(
      ...insert("hosted_sessions", HOSTED_SESSION_COLUMNS, hostedSessionToRow(session)),
    );
  }

  async getHostedSession(idHash: string, nowMs: number): Promise<HostedSessionRecord | undefined> {
    const { rows } = await this.pg.query<HostedSessionRow>(
      `SELECT ${HOSTED_SESSIONS} FROM hosted_sessions WHERE id_hash = $1 AND expires_at_ms > $2`,
      [idHash, nowMs],
    );
    return rows[0] === undefined ? undefined : hostedSessionFromRow(rows[0]);
  }

  async deleteHostedSession(idHash: string): Promise<boolean> {
    const { rowCount } = await this.pg.query("DELETE FROM hosted_sessions WHERE id_hash = $1", [
      idHash,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async deleteUserAuthorizationCodes(sub: string): Promise<number> {
    const { rowCount } = await this.pg.query(
      "DELETE FROM authorization_codes WHERE sub = $1 AND redeemed_at_ms IS NULL",
      [sub],
    );
    return rowCount ?? 0;
  }

  async deleteUserHostedSessions(sub: string): Promise<number> {
    const { rowCount } = await this.pg.query("DELETE FROM hosted_sessions WHERE sub = $1", [sub]);
    return rowCount ?? 0;
  }
}
