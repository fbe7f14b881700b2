/**
 * The OpenID provider's identity work (DESIGN §13), transport-free: the hosted sign-in's
 * browser sessions, authorization codes, and their exchange for a session's tokens. The
 * front door (src/oidc/) parses requests and renders pages; every decision is here.
 *
 * - A hosted session is a 256-bit random id in a `__Host-` cookie; the store keeps its HMAC.
 *   It ends after an hour, at sign-out, and with every session of its user (global sign-out,
 *   disabling, deletion, password reset: SessionService.signOutEverywhere).
 * - A code is a 256-bit random value, kept as its HMAC, spent atomically (store), bound to
 *   client, redirect URI, PKCE challenge, scopes and nonce. The session it starts has its id
 *   chosen before the code is spent, so a second use revokes exactly what the first issued.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { compactVerify, decodeProtectedHeader } from "jose";
import { PoolgateError } from "../errors";
import { algorithmOfKey, ONLY, type SigningAlgorithm } from "../tokens/algorithms";
import { seal, unseal } from "../tokens/sealed";
import { safeEqual, storageHash } from "../tokens/secrets";
import type { IdentityDeps } from "./deps";
import { grantUserScopes, USER_ADMIN_SCOPE } from "./scopes";
import type { AuthenticationResult, SessionService } from "./sessions";
import type { ClientView } from "./views";

/** RFC 6749 §4.1.2 recommends at most 10 minutes; Cognito's codes live 5. */
export const CODE_LIFETIME_SECONDS = 300;
/** Cognito's managed login keeps its session cookie for an hour. */
export const HOSTED_SESSION_SECONDS = 3600;

const FLOW_TYP = "poolgate-hosted-flow+jwe";
/** A flow holds a request and a challenge Session: a few kilobytes at most. */
const MAX_FLOW_BYTES = 16_384;

/** RFC 7636 §4.1: 43 to 128 characters of the unreserved set. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface CodeGrant {
  client: ClientView;
  sub: string;
  redirectUri: string;
  /** S256 challenge; null only for a confidential client that sent none. */
  codeChallenge: string | null;
  scopes: readonly string[];
  nonce: string | null;
  authTimeSeconds: number;
}

export interface CodeExchange {
  code: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

/** A signed-in browser at the hosted page: who, and since when. */
export interface HostedSignedIn {
  sub: string;
  username: string;
  authTimeSeconds: number;
}

function invalidGrant(logDetail: string): PoolgateError {
  return new PoolgateError(
    "INVALID_GRANT",
    "The authorization code is invalid, expired or already used.",
    { logDetail },
  );
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

export class AuthorizationService {
  constructor(
    private readonly d: IdentityDeps,
    private readonly sessions: SessionService,
  ) {}

  private hash(kind: "authorization-code" | "hosted-session", value: string): string {
    return storageHash(this.d.secrets.storageHashKey, kind, value);
  }

  // ── the hosted page's conversation state ──────────────────────────────────────────────

  /**
   * Seals the hosted page's state between two forms (the authorization request, the
   * challenge's Session, what the next step shows): the browser carries it, cannot read or
   * change it, and it opens only until `expiresAtSeconds`.
   */
  sealFlow(state: Readonly<Record<string, unknown>>, lifetimeSeconds: number): Promise<string> {
    const exp = Math.floor(this.d.now() / 1000) + lifetimeSeconds;
    return seal(this.d.secrets.hostedSignInKey, FLOW_TYP, JSON.stringify({ ...state, exp }));
  }

  /** The state sealFlow sealed, or undefined when tampered with, foreign or expired. */
  async openFlow(sealed: string): Promise<Record<string, unknown> | undefined> {
    const text = await unseal(this.d.secrets.hostedSignInKey, FLOW_TYP, sealed, MAX_FLOW_BYTES);
    if (text === undefined) return undefined;
    const state: unknown = JSON.parse(text);
    if (typeof state !== "object" || state === null || Array.isArray(state)) return undefined;
    const { exp } = state as { exp?: unknown };
    if (typeof exp !== "number" || exp * 1000 <= this.d.now()) return undefined;
    return state as Record<string, unknown>;
  }

  /** The CSRF token of the hosted forms for a browser's CSRF cookie (signed double submit). */
  csrfToken(cookieValue: string): string {
    return storageHash(this.d.secrets.hostedSignInKey, "csrf", cookieValue);
  }

  csrfMatches(cookieValue: string | undefined, token: string | undefined): boolean {
    if (cookieValue === undefined || token === undefined) return false;
    return safeEqual(this.csrfToken(cookieValue), token);
  }

  // ── hosted sessions ─────────────────────────────────────────────────────────────────────

  /** A browser has just signed in at the hosted page: the cookie value of its new session. */
  async startHostedSession(signedIn: HostedSignedIn): Promise<string> {
    const id = randomBytes(32).toString("base64url");
    const nowMs = this.d.now();
    await this.d.store.createHostedSession({
      idHash: this.hash("hosted-session", id),
      sub: signedIn.sub,
      authTimeSeconds: signedIn.authTimeSeconds,
      createdAtMs: nowMs,
      expiresAtMs: nowMs + HOSTED_SESSION_SECONDS * 1000,
    });
    return id;
  }

  /** The user of a hosted-session cookie, if it is live and its user may still sign in. */
  async hostedSession(id: string | undefined): Promise<HostedSignedIn | undefined> {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const session = await this.d.store.getHostedSession(
      this.hash("hosted-session", id),
      this.d.now(),
    );
    if (!session) return undefined;
    const user = await this.d.store.getUserBySub(session.sub);
    if (!user || !user.enabled || this.d.revocations.isUserBlocked(user.sub)) return undefined;
    // A password still to be changed or reset opens nothing, as at the sign-in itself.
    if (user.temporaryPasswordExpiresAtMs !== null || user.passwordResetRequired) return undefined;
    return { sub: user.sub, username: user.username, authTimeSeconds: session.authTimeSeconds };
  }

  /** Sign-out at the hosted page (/logout, end_session). */
  async endHostedSession(id: string | undefined): Promise<void> {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return;
    await this.d.store.deleteHostedSession(this.hash("hosted-session", id));
  }

  /**
   * OpenID Connect RP-initiated logout's `id_token_hint`: one of our ID tokens, its signature
   * and issuer checked, its expiry not (the specification lets an expired one name the
   * session). Undefined for anything else.
   */
  async idTokenHint(token: string): Promise<{ sub: string; clientId: string } | undefined> {
    if (token.length > 8192) return undefined;
    try {
      const { kid, alg } = decodeProtectedHeader(token);
      if (typeof alg !== "string" || typeof kid !== "string") return undefined;
      const key = this.d.keys.ring().verificationKey(kid, this.d.now());
      // The key's own algorithm only (no RS256-key-with-ES256-header confusion, no none, no HMAC).
      const keyAlg = key && algorithmOfKey(key);
      if (!key || keyAlg !== alg) return undefined;
      const { payload } = await compactVerify(token, key, {
        algorithms: ONLY[keyAlg] as SigningAlgorithm[],
      });
      const claims: unknown = JSON.parse(Buffer.from(payload).toString("utf8"));
      if (typeof claims !== "object" || claims === null) return undefined;
      const { iss, sub, aud, token_use } = claims as Record<string, unknown>;
      if (iss !== this.d.config.issuer || token_use !== "id") return undefined;
      if (typeof sub !== "string" || typeof aud !== "string") return undefined;
      return { sub, clientId: aud };
    } catch {
      return undefined;
    }
  }

  // ── codes ───────────────────────────────────────────────────────────────────────────────

  /** The scopes a user gets for an authorization request (refused as INVALID_SCOPE before any code). */
  async grantScopes(
    client: ClientView,
    sub: string,
    requested: readonly string[] | null,
  ): Promise<string[]> {
    const groups = (await this.d.store.getGroupsForUsers([sub]))[0] ?? [];
    const granted = grantUserScopes(this.d.scopeRules, client.allowedScopes, requested, groups);
    // As Cognito's authorize endpoint: aws.cognito.signin.user.admin (the user's own API
    // operations) only when the request, or by default the client's list, names it.
    const named = requested ?? client.allowedScopes;
    return granted.filter((s) => s !== USER_ADMIN_SCOPE || named.includes(USER_ADMIN_SCOPE));
  }

  async issueCode(grant: CodeGrant): Promise<string> {
    const code = randomBytes(32).toString("base64url");
    const nowMs = this.d.now();
    await this.d.store.createAuthorizationCode({
      codeHash: this.hash("authorization-code", code),
      clientId: grant.client.clientId,
      sub: grant.sub,
      redirectUri: grant.redirectUri,
      codeChallenge: grant.codeChallenge,
      scope: grant.scopes.join(" "),
      nonce: grant.nonce,
      authTimeSeconds: grant.authTimeSeconds,
      createdAtMs: nowMs,
      expiresAtMs: nowMs + CODE_LIFETIME_SECONDS * 1000,
      redeemedAtMs: null,
      sessionId: null,
    });
    return code;
  }

  /**
   * The implicit flow (only for clients that allow it): tokens straight into the redirect.
   * The session is like any other, so its tokens can be revoked; no refresh token leaves.
   */
  async implicitTokens(
    grant: Omit<CodeGrant, "redirectUri" | "codeChallenge">,
  ): Promise<AuthenticationResult> {
    const user = await this.d.store.getUserBySub(grant.sub);
    if (!user || !user.enabled || this.d.revocations.isUserBlocked(grant.sub))
      throw new PoolgateError("NOT_AUTHORIZED", "User is disabled.");
    const groups = (await this.d.store.getGroupsForUsers([user.sub]))[0] ?? [];
    const result = await this.sessions.startSession(grant.client, user, groups, grant.scopes, {
      sessionId: randomUUID(),
      authTimeSeconds: grant.authTimeSeconds,
      nonce: grant.nonce,
    });
    return { ...result, refreshToken: undefined };
  }

  /**
   * grant_type=authorization_code for a client its front door authenticated. The code is
   * spent first (atomically), then every binding is checked: a code presented with a wrong
   * verifier, client or redirect URI is spent all the same, so nobody gets a second guess.
   */
  async exchange(client: ClientView, req: CodeExchange): Promise<AuthenticationResult> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(req.code)) throw invalidGrant("code: not one of ours");
    const sessionId = randomUUID();
    const nowMs = this.d.now();
    const redemption = await this.d.store.redeemAuthorizationCode(
      this.hash("authorization-code", req.code),
      nowMs,
      sessionId,
    );
    if (redemption.outcome === "missing") throw invalidGrant("code: unknown or expired");
    const code = redemption.code;
    if (redemption.outcome === "reused") {
      // RFC 6749 §4.1.2: a code used twice revokes what it issued; the thief and the owner
      // both lose the session, and the owner signs in again.
      if (code.sessionId !== null) await this.sessions.revokeSession(code.sessionId, "code_reused");
      this.d.logger.warn(
        { clientId: code.clientId, sessionId: code.sessionId },
        "authorization code reuse detected: its session revoked",
      );
      throw invalidGrant("code: used before");
    }
    if (code.clientId !== client.clientId) throw invalidGrant("code: another client's");
    if (req.redirectUri === undefined || !safeEqual(req.redirectUri, code.redirectUri))
      throw invalidGrant("code: redirect_uri differs from the authorization request's");
    if (code.codeChallenge !== null) {
      if (req.codeVerifier === undefined || !CODE_VERIFIER.test(req.codeVerifier))
        throw invalidGrant("code: missing or malformed code_verifier");
      if (!safeEqual(s256(req.codeVerifier), code.codeChallenge))
        throw invalidGrant("code: code_verifier does not match the code_challenge");
    } else if (req.codeVerifier !== undefined) {
      // A verifier for a code issued without a challenge: someone is confused or probing.
      throw invalidGrant("code: code_verifier sent for a code without a challenge");
    }
    const user = await this.d.store.getUserBySub(code.sub);
    if (!user || !user.enabled || this.d.revocations.isUserBlocked(code.sub))
      throw invalidGrant("code: the user is disabled or gone");
    const groups = (await this.d.store.getGroupsForUsers([user.sub]))[0] ?? [];
    const scopes = code.scope === "" ? [] : code.scope.split(" ");
    return this.sessions.startSession(client, user, groups, scopes, {
      sessionId,
      authTimeSeconds: code.authTimeSeconds,
      nonce: code.nonce,
    });
  }
}
