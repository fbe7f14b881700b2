/**
 * The OpenID provider's state (DESIGN §13): authorization codes and hosted sign-in sessions.
 * Both are kept by the hash of their secret (an HMAC under the storage hash key, made in
 * identity/), never the secret itself, so a copy of the database opens nothing.
 */

/** A code of the authorization code flow: single use, 5 minutes, bound to what it was issued for. */
export interface AuthorizationCodeRecord {
  codeHash: string;
  clientId: string;
  sub: string;
  /** The redirect_uri of the authorization request, exactly as sent (the token request must repeat it). */
  redirectUri: string;
  /** PKCE S256 challenge (base64url); null when the (confidential) client sent none. */
  codeChallenge: string | null;
  /** Space-separated scopes granted. */
  scope: string;
  /** OpenID Connect nonce of the request, carried into the ID token; null when none was sent. */
  nonce: string | null;
  /** Seconds since the epoch of the user's authentication at the hosted sign-in (`auth_time`). */
  authTimeSeconds: number;
  createdAtMs: number;
  expiresAtMs: number;
  /** When the code was exchanged; null until then. */
  redeemedAtMs: number | null;
  /** The session the exchange started (its id is chosen before the exchange), so a second use can revoke it. */
  sessionId: string | null;
}

/** Outcome of an atomic redemption (AuthorizationStore.redeemAuthorizationCode). */
export type CodeRedemption =
  /** The code was live and is now spent; `code` is the row as it was read, before the update. */
  | { outcome: "redeemed"; code: AuthorizationCodeRecord }
  /** The code was spent before (by this call's twin or an earlier exchange): `code.sessionId` is what it started. */
  | { outcome: "reused"; code: AuthorizationCodeRecord }
  /** Unknown, or expired and not redeemed. */
  | { outcome: "missing" };

/** A browser signed in at the hosted sign-in page (the `__Host-` cookie holds the id). */
export interface HostedSessionRecord {
  idHash: string;
  sub: string;
  /** Seconds since the epoch of the authentication that started it. */
  authTimeSeconds: number;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface AuthorizationStore {
  createAuthorizationCode(code: AuthorizationCodeRecord): Promise<void>;
  /**
   * In one transaction: if a code with `codeHash` exists, is not redeemed and
   * `expiresAtMs > nowMs`, sets redeemedAtMs = nowMs and sessionId = `sessionId` → "redeemed"
   * (with the record as read). If it exists and was redeemed → "reused" (record as stored,
   * with the sessionId of the first exchange). Otherwise → "missing". Of two concurrent calls
   * with the same hash exactly one gets "redeemed", on one instance or many.
   */
  redeemAuthorizationCode(
    codeHash: string,
    nowMs: number,
    sessionId: string,
  ): Promise<CodeRedemption>;
  /** Deletes a user's codes not yet exchanged (global sign-out, password reset…) → how many. */
  deleteUserAuthorizationCodes(sub: string): Promise<number>;
  createHostedSession(session: HostedSessionRecord): Promise<void>;
  /** The session if it exists and `expiresAtMs > nowMs`; undefined otherwise. */
  getHostedSession(idHash: string, nowMs: number): Promise<HostedSessionRecord | undefined>;
  /** Deletes it; false when there was none. */
  deleteHostedSession(idHash: string): Promise<boolean>;
  /** Deletes every hosted session of a user → how many. */
  deleteUserHostedSessions(sub: string): Promise<number>;
}
