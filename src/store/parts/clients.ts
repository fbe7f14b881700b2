import type { ChangeNote } from "./feed";

export interface ClientRecord {
  clientId: string;
  name: string;
  /** Hash of the client secret; null for a public client. */
  secretHash: string | null;
  /**
   * The client secret sealed under the master key, for what needs the secret itself (Cognito's
   * SECRET_HASH is an HMAC keyed with it); null for a public client, or a confidential one
   * created before it was kept.
   */
  secretSealed: string | null;
  allowedScopes: string[];
  accessTokenValiditySeconds: number;
  idTokenValiditySeconds: number;
  refreshTokenValiditySeconds: number;
  rotateRefreshTokens: boolean;
  /** How long an already-rotated refresh token still works (reuse grace). */
  refreshTokenReuseGraceSeconds: number;
  /** Cognito's AuthSessionValidity: how long a challenge session of this client lives (3–15). */
  authSessionValidityMinutes: number;
  /** Cognito's CallbackURLs: the redirect_uri values /oauth2/authorize accepts, matched exactly. */
  callbackUrls: string[];
  /** Cognito's LogoutURLs: where /logout and end_session may send the browser back to. */
  logoutUrls: string[];
  /** Cognito's AllowedOAuthFlows: which of the OAuth grants this client may use. */
  allowedOAuthFlows: OAuthFlow[];
  enabled: boolean;
  createdAtMs: number;
}

export type OAuthFlow = "code" | "implicit" | "client_credentials";

export type ClientPatch = Partial<Omit<ClientRecord, "clientId" | "createdAtMs">>;

/** App clients. */
export interface ClientStore {
  createClient(client: ClientRecord): Promise<void>;
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  listClients(): Promise<ClientRecord[]>;
  /** Returns false when no such client (and then appends no event). */
  updateClient(clientId: string, patch: ClientPatch, change?: ChangeNote): Promise<boolean>;
  /** Returns false when no such client; `change` is appended either way, as a block is. */
  deleteClient(clientId: string, change?: ChangeNote): Promise<boolean>;
}
