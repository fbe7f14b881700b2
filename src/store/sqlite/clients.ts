import {
  clientFromRow,
  clientToRow,
  sqliteColumns as COLUMNS,
  type ClientRow as SharedClientRow,
} from "../rows";
import type { ChangeNote, ClientPatch, ClientRecord } from "../store";
import { given, placeholders, type SqliteAccess } from "./access";

// Row shape as the STRICT table stores it (see rows.ts sqliteColumns).
type ClientRow = SharedClientRow<number, string>;

const CLIENT_COLUMNS =
  "client_id, name, secret_hash, secret_sealed, allowed_scopes, access_token_validity_seconds, " +
  "id_token_validity_seconds, refresh_token_validity_seconds, rotate_refresh_tokens, " +
  "refresh_token_reuse_grace_seconds, auth_session_validity_minutes, callback_urls, " +
  "logout_urls, allowed_oauth_flows, enabled, created_at_ms";

/** SqliteStore's ClientStore (see ../parts/clients.ts). */
export class SqliteClients {
  constructor(private readonly sql: SqliteAccess) {}

  create(client: ClientRecord): void {
    this.sql
      .statement(`INSERT INTO clients (${CLIENT_COLUMNS}) VALUES (${placeholders(CLIENT_COLUMNS)})`)
      .run(clientToRow(COLUMNS, client));
  }

  get(clientId: string): ClientRecord | undefined {
    const row = this.sql
      .statement<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE client_id = ?`)
      .get(clientId);
    return row === undefined ? undefined : clientFromRow(COLUMNS, row);
  }

  list(): ClientRecord[] {
    return this.sql
      .statement<ClientRow>(
        `SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY created_at_ms, client_id`,
      )
      .all()
      .map((row) => clientFromRow(COLUMNS, row));
  }

  update(clientId: string, patch: ClientPatch, change: ChangeNote | undefined): boolean {
    return this.sql.immediate(() => {
      const current = this.get(clientId);
      if (current === undefined) return false;
      const next: ClientRecord = {
        ...current,
        name: given(patch.name, current.name),
        secretHash: given(patch.secretHash, current.secretHash),
        allowedScopes: given(patch.allowedScopes, current.allowedScopes),
        accessTokenValiditySeconds: given(
          patch.accessTokenValiditySeconds,
          current.accessTokenValiditySeconds,
        ),
        idTokenValiditySeconds: given(patch.idTokenValiditySeconds, current.idTokenValiditySeconds),
        refreshTokenValiditySeconds: given(
          patch.refreshTokenValiditySeconds,
          current.refreshTokenValiditySeconds,
        ),
        secretSealed: given(patch.secretSealed, current.secretSealed),
        rotateRefreshTokens: given(patch.rotateRefreshTokens, current.rotateRefreshTokens),
        refreshTokenReuseGraceSeconds: given(
          patch.refreshTokenReuseGraceSeconds,
          current.refreshTokenReuseGraceSeconds,
        ),
        authSessionValidityMinutes: given(
          patch.authSessionValidityMinutes,
          current.authSessionValidityMinutes,
        ),
        callbackUrls: given(patch.callbackUrls, current.callbackUrls),
        logoutUrls: given(patch.logoutUrls, current.logoutUrls),
        allowedOAuthFlows: given(patch.allowedOAuthFlows, current.allowedOAuthFlows),
        enabled: given(patch.enabled, current.enabled),
      };
      this.sql
        .statement(
          "UPDATE clients SET name = @name, secret_hash = @secret_hash, " +
            "secret_sealed = @secret_sealed, " +
            "allowed_scopes = @allowed_scopes, " +
            "access_token_validity_seconds = @access_token_validity_seconds, " +
            "id_token_validity_seconds = @id_token_validity_seconds, " +
            "refresh_token_validity_seconds = @refresh_token_validity_seconds, " +
            "rotate_refresh_tokens = @rotate_refresh_tokens, " +
            "refresh_token_reuse_grace_seconds = @refresh_token_reuse_grace_seconds, " +
            "auth_session_validity_minutes = @auth_session_validity_minutes, " +
            "callback_urls = @callback_urls, logout_urls = @logout_urls, " +
            "allowed_oauth_flows = @allowed_oauth_flows, " +
            "enabled = @enabled WHERE client_id = @client_id",
        )
        .run(clientToRow(COLUMNS, next));
      this.sql.insertNote(change);
      return true;
    });
  }

  delete(clientId: string, change: ChangeNote | undefined): boolean {
    return this.sql.transaction(() => {
      const { changes } = this.sql
        .statement("DELETE FROM clients WHERE client_id = ?")
        .run(clientId);
      this.sql.insertNote(change);
      return changes > 0;
    });
  }
}
