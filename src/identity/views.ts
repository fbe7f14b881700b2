/**
 * What a user or an app client looks like once it leaves identity/ (DESIGN §10): the front
 * doors see these, never a store row, so no resolver, handler or CLI printout can reach a
 * password, confirmation-code or client-secret hash even by mistake. Each view is a fresh
 * object built field by field (a spread or a cast would carry the hashes along at run time),
 * once per record read: the directory and the client cache keep the view next to the record.
 */
import type { ClientRecord, OAuthFlow, UserRecord } from "../store/store";

/** Cognito's user states, derived from the record. */
export function userStatus(
  user: Pick<UserRecord, "confirmed" | "temporaryPasswordExpiresAtMs" | "passwordResetRequired">,
): UserView["status"] {
  if (user.temporaryPasswordExpiresAtMs !== null) return "FORCE_CHANGE_PASSWORD";
  if (!user.confirmed) return "UNCONFIRMED";
  if (user.passwordResetRequired) return "RESET_REQUIRED";
  return "CONFIRMED";
}

export interface UserView {
  /** Immutable subject id (UUID), the `sub` claim. */
  readonly sub: string;
  readonly username: string;
  readonly enabled: boolean;
  readonly confirmed: boolean;
  /** The next sign-in fails with PASSWORD_RESET_REQUIRED. */
  readonly passwordResetRequired: boolean;
  /** Cognito's UserStatus. */
  readonly status: "UNCONFIRMED" | "CONFIRMED" | "FORCE_CHANGE_PASSWORD" | "RESET_REQUIRED";
  /** Standard attributes by their OIDC names and `custom:*`. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export function userView(user: UserRecord): UserView {
  return {
    sub: user.sub,
    username: user.username,
    enabled: user.enabled,
    confirmed: user.confirmed,
    passwordResetRequired: user.passwordResetRequired,
    status: userStatus(user),
    attributes: user.attributes,
    createdAtMs: user.createdAtMs,
    updatedAtMs: user.updatedAtMs,
  };
}

export interface ClientView {
  readonly clientId: string;
  readonly name: string;
  /** Has a secret (confidential client); the secret's hash itself stays in identity/. */
  readonly confidential: boolean;
  readonly allowedScopes: readonly string[];
  readonly accessTokenValiditySeconds: number;
  readonly idTokenValiditySeconds: number;
  readonly refreshTokenValiditySeconds: number;
  readonly rotateRefreshTokens: boolean;
  /** How long an already-rotated refresh token still works (reuse grace). */
  readonly refreshTokenReuseGraceSeconds: number;
  /** How long a challenge session (sign-in conversation step) of this client lives. */
  readonly authSessionValidityMinutes: number;
  /** Redirect URIs /oauth2/authorize accepts (exact match). */
  readonly callbackUrls: readonly string[];
  /** Where sign-out may send the browser back to (exact match). */
  readonly logoutUrls: readonly string[];
  readonly allowedOAuthFlows: readonly OAuthFlow[];
  readonly enabled: boolean;
  readonly createdAtMs: number;
}

export function clientView(client: ClientRecord): ClientView {
  return {
    clientId: client.clientId,
    name: client.name,
    confidential: client.secretHash !== null,
    allowedScopes: client.allowedScopes,
    accessTokenValiditySeconds: client.accessTokenValiditySeconds,
    idTokenValiditySeconds: client.idTokenValiditySeconds,
    refreshTokenValiditySeconds: client.refreshTokenValiditySeconds,
    rotateRefreshTokens: client.rotateRefreshTokens,
    refreshTokenReuseGraceSeconds: client.refreshTokenReuseGraceSeconds,
    authSessionValidityMinutes: client.authSessionValidityMinutes,
    callbackUrls: client.callbackUrls,
    logoutUrls: client.logoutUrls,
    allowedOAuthFlows: client.allowedOAuthFlows,
    enabled: client.enabled,
    createdAtMs: client.createdAtMs,
  };
}
