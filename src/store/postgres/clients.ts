import {
  clientFromRow,
  clientToRow,
  postgresColumns as COLUMNS,
  type ClientRow as SharedClientRow,
} from "../rows";
import type { ChangeNote, ClientPatch, ClientRecord } from "../store";
import { Assignments, insert, json, type PostgresAccess } from "./access";

// Row shape as pg returns it (see users.ts).
type ClientRow = SharedClientRow<boolean, unknown>;

const CLIENT_COLUMNS = [
  "client_id",
  "name",
  "secret_hash",
  "secret_sealed",
  "allowed_scopes",
  "access_token_validity_seconds",
  "id_token_validity_seconds",
  "refresh_token_validity_seconds",
  "rotate_refresh_tokens",
  "refresh_token_reuse_grace_seconds",
  "auth_session_validity_minutes",
  "callback_urls",
  "logout_urls",
  "allowed_oauth_flows",
  "enabled",
  "created_at_ms",
] as const;
const CLIENTS = CLIENT_COLUMNS.join(", ");

/** PostgresStore's ClientStore (see ../parts/clients.ts). */
export class PostgresClients {
  constructor(private readonly pg: PostgresAccess) {}

  async create(client: ClientRecord): Promise<void> {
    await this.pg.query(...insert("clients", CLIENT_COLUMNS, clientToRow(COLUMNS, client)));
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const { rows } = await this.pg.query<ClientRow>(
      `SELECT ${CLIENTS} FROM clients WHERE client_id = $1`,
      [clientId],
    );
    return rows[0] === undefined ? undefined : clientFromRow(COLUMNS, rows[0]);
  }

  async list(): Promise<ClientRecord[]> {
    // COLLATE "C": byte order, as SQLite's BINARY, whatever the database's locale.
    const { rows } = await this.pg.query<ClientRow>(
      `SELECT ${CLIENTS} FROM clients ORDER BY created_at_ms, client_id COLLATE "C"`,
    );
    return rows.map((row) => clientFromRow(COLUMNS, row));
  }

  async update(
    clientId: string,
    patch: ClientPatch,
    change: ChangeNote | undefined,
  ): Promise<boolean> {
    const assignments = new Assignments(clientId);
    assignments.set("name", patch.name);
    assignments.set("secret_hash", patch.secretHash);
    assignments.set("secret_sealed", patch.secretSealed);
    assignments.set("allowed_scopes", json(patch.allowedScopes));
    assignments.set("access_token_validity_seconds", patch.accessTokenValiditySeconds);
    assignments.set("id_token_validity_seconds", patch.idTokenValiditySeconds);
    assignments.set("refresh_token_validity_seconds", patch.refreshTokenValiditySeconds);
    assignments.set("rotate_refresh_tokens", patch.rotateRefreshTokens);
    assignments.set("refresh_token_reuse_grace_seconds", patch.refreshTokenReuseGraceSeconds);
    assignments.set("auth_session_validity_minutes", patch.authSessionValidityMinutes);
    assignments.set("callback_urls", json(patch.callbackUrls));
    assignments.set("logout_urls", json(patch.logoutUrls));
    assignments.set("allowed_oauth_flows", json(patch.allowedOAuthFlows));
    assignments.set("enabled", patch.enabled);
    return this.pg.withNote(change, async (db) => {
      // Nothing to change still answers whether the client exists.
      const { rowCount } = assignments.empty
        ? await this.pg.run(db, "SELECT 1 FROM clients WHERE client_id = $1", [clientId])
        : await this.pg.run(
            db,
            `UPDATE clients SET ${assignments.toString()} WHERE client_id = $1`,
            assignments.values,
          );
      return { result: (rowCount ?? 0) > 0, append: (rowCount ?? 0) > 0 };
    });
  }

  async delete(clientId: string, change: ChangeNote | undefined): Promise<boolean> {
    return this.pg.withNote(change, async (db) => {
      const { rowCount } = await this.pg.run(db, "DELETE FROM clients WHERE client_id = $1", [
        clientId,
      ]);
      return { result: (rowCount ?? 0) > 0, append: true };
    });
  }
}
