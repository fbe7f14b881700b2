/**
 * Sessions, refresh, revoke and global sign-out (DESIGN §3): the session is a refresh-token
 * family whose id is the `origin_jti` of every ID/access token issued in it.
 */
import { randomUUID } from "node:crypto";
import { PoolgateError } from "../errors";
import type { SessionRecord, UserRecord } from "../store/store";
import { issueUserTokens } from "../tokens/issue";
import { openRefreshToken, sealRefreshToken } from "../tokens/refresh";
import { safeEqual, storageHash } from "../tokens/secrets";
import type { IdentityDeps } from "./deps";
import { userTokenOverrides, type UserTriggerSource } from "./preTokenGeneration";
import { refreshUserScopes } from "./scopes";
import { userStatus, type ClientView } from "./views";

export interface AuthenticationResult {
  accessToken: string;
  idToken: string;
  /** Absent on a refresh unless the client rotates refresh tokens. */
  refreshToken: string | undefined;
  expiresIn: number;
  tokenType: "Bearer";
  /** Session id, for logs and metrics. */
  sessionId: string;
}

export interface RefreshRequest {
  clientId: string;
  clientSecret?: string | null;
  refreshToken: string;
}

/** What the authorization code flow fixes about the session it starts (identity/authorization.ts). */
export interface SessionStart {
  /** Chosen before the code is spent, so a second use of the code can revoke this session. */
  sessionId: string;
  /** The hosted sign-in's authentication, not the exchange. */
  authTimeSeconds: number;
  nonce: string | null;
}

export interface SessionOptions {
  /**
   * What the pre token generation hook is told: the API front doors' sign-ins are
   * `TokenGeneration_Authentication` (the default), or `_NewPasswordChallenge` when a new
   * password ended the conversation; the authorization code flow's are `_HostedAuth`.
   */
  triggerSource?: UserTriggerSource;
}

export class SessionService {
  constructor(private readonly d: IdentityDeps) {}

  private refreshHash(token: string): string {
    return storageHash(this.d.secrets.storageHashKey, "refresh-token", token);
  }

  /**
   * A new session for a user who has just signed in (identity/signIn.ts decides when): its
   * refresh token, and ID and access tokens with its id as `origin_jti`. The pre token
   * generation hook runs first, so a hook that fails leaves no session behind; the session
   * keeps the scopes granted before the hook, which runs again at every refresh (as Cognito's).
   */
  async startSession(
    client: ClientView,
    user: UserRecord,
    groups: readonly string[],
    scopes: readonly string[],
    start?: SessionStart,
    options: SessionOptions = {},
  ): Promise<AuthenticationResult> {
    const overrides = this.d.hooks.has("preTokenGeneration")
      ? await userTokenOverrides(this.d, {
          source: start
            ? "TokenGeneration_HostedAuth"
            : (options.triggerSource ?? "TokenGeneration_Authentication"),
          client,
          user: {
            sub: user.sub,
            username: user.username,
            attributes: user.attributes,
            status: userStatus(user),
          },
          groups,
          scopes,
        })
      : undefined;
    const nowMs = this.d.now();
    const nowSeconds = Math.floor(nowMs / 1000);
    const sessionId = start?.sessionId ?? randomUUID();
    const authTimeSeconds = start?.authTimeSeconds ?? nowSeconds;
    const expiresAtSeconds = nowSeconds + client.refreshTokenValiditySeconds;
    const refreshToken = await sealRefreshToken(this.d.secrets.refreshTokenKey, {
      sessionId,
      clientId: client.clientId,
      nowSeconds,
      expiresAtSeconds,
    });
    await this.d.store.createSession({
      id: sessionId,
      sub: user.sub,
      clientId: client.clientId,
      scope: scopes.join(" "),
      authTimeSeconds,
      createdAtMs: nowMs,
      expiresAtMs: expiresAtSeconds * 1000,
      refreshTokenHash: this.refreshHash(refreshToken),
      previousRefreshTokenHash: null,
      rotatedAtMs: null,
      revokedAtMs: null,
      revokedReason: null,
    });
    const tokens = await issueUserTokens({
      issuer: this.d.config.issuer,
      signer: this.d.keys.ring().signingKey(this.d.now()),
      nowSeconds,
      client,
      user: { sub: user.sub, username: user.username, attributes: user.attributes, groups },
      sessionId,
      authTimeSeconds,
      scopes,
      ...(start ? { authorizationCode: { nonce: start.nonce } } : {}),
      ...(overrides ? { overrides } : {}),
    });
    return {
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      refreshToken,
      expiresIn: client.accessTokenValiditySeconds,
      tokenType: "Bearer",
      sessionId,
    };
  }

  /**
   * REFRESH_TOKEN_AUTH. Distinct codes for a token that is not ours (INVALID_REFRESH_TOKEN),
   * past its lifetime (REFRESH_TOKEN_EXPIRED) and of a revoked session (REFRESH_TOKEN_REVOKED).
   */
  async refresh(req: RefreshRequest): Promise<AuthenticationResult> {
    const client = await this.d.clients.authenticate(req.clientId, req.clientSecret);
    return this.refreshFor(client, req.refreshToken);
  }

  /** Refresh for a client already authenticated (the /oauth2/token endpoint does that itself). */
  async refreshFor(client: ClientView, refreshToken: string): Promise<AuthenticationResult> {
    const req = { refreshToken };
    const invalid = (why: string) =>
      new PoolgateError("INVALID_REFRESH_TOKEN", "Invalid refresh token", {
        logDetail: `refresh: ${why}`,
      });
    const payload = await openRefreshToken(
      this.d.secrets.refreshTokenKey,
      req.refreshToken,
      this.d.config.maxTokenBytes,
    );
    if (!payload) throw invalid("not a refresh token of this pool");
    if (payload.cid !== client.clientId) throw invalid("issued to another client");
    const nowMs = this.d.now();
    if (payload.exp * 1000 <= nowMs)
      throw new PoolgateError("REFRESH_TOKEN_EXPIRED", "Refresh token has expired");
    const session = await this.d.store.getSession(payload.sid);
    if (!session || session.clientId !== client.clientId) throw invalid("unknown session");
    if (session.revokedAtMs !== null)
      throw new PoolgateError("REFRESH_TOKEN_REVOKED", "Refresh token has been revoked");
    if (session.expiresAtMs <= nowMs)
      throw new PoolgateError("REFRESH_TOKEN_EXPIRED", "Refresh token has expired");

    const presented = this.refreshHash(req.refreshToken);
    const isCurrent = safeEqual(presented, session.refreshTokenHash);
    if (!isCurrent && !client.rotateRefreshTokens) throw invalid("hash mismatch");
    let nextRefreshToken: string | undefined;
    let current: SessionRecord = session;
    if (!isCurrent) {
      // A token this session already rotated away: within the grace period it refreshes
      // without a new refresh token, after it the family is revoked. Either way nothing is
      // rotated by it, so settling it before the hook cannot strand the client.
      ({ session: current, refreshToken: nextRefreshToken } = await this.rotate(
        client,
        session,
        presented,
        nowMs,
      ));
    }

    // Through the directory: the same copy `me` reads, dropped at once by every change to the
    // user or their groups made on this instance, and through the change feed (within the
    // propagation delay of DESIGN §3) by changes made on another.
    const [user] = await this.d.directory.usersBySubs([current.sub]);
    if (!user || !user.enabled || this.d.revocations.isUserBlocked(user.sub)) {
      throw new PoolgateError("REFRESH_TOKEN_REVOKED", "Refresh token has been revoked", {
        logDetail: "refresh: user blocked",
      });
    }
    const groups = (await this.d.directory.groupsBySubs([user.sub]))[0] ?? [];
    const scopes = refreshUserScopes(
      this.d.scopeRules,
      client.allowedScopes,
      current.scope.split(" ").filter(Boolean),
      groups,
    );
    // Cognito runs the trigger again at each refresh, with the session's scopes (not those an
    // earlier run added). It runs before the rotation is committed: a hook that fails leaves
    // the presented refresh token current, so the client can simply try again.
    const overrides = this.d.hooks.has("preTokenGeneration")
      ? await userTokenOverrides(this.d, {
          source: "TokenGeneration_RefreshTokens",
          client,
          user,
          groups,
          scopes,
        })
      : undefined;
    if (isCurrent && client.rotateRefreshTokens) {
      ({ session: current, refreshToken: nextRefreshToken } = await this.rotate(
        client,
        session,
        presented,
        nowMs,
      ));
    }
    const tokens = await issueUserTokens({
      issuer: this.d.config.issuer,
      signer: this.d.keys.ring().signingKey(this.d.now()),
      nowSeconds: Math.floor(nowMs / 1000),
      client,
      user: {
        sub: user.sub,
        username: user.username,
        attributes: user.attributes,
        groups,
      },
      sessionId: current.id,
      authTimeSeconds: current.authTimeSeconds,
      scopes,
      ...(overrides ? { overrides } : {}),
    });
    return {
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      refreshToken: nextRefreshToken,
      expiresIn: client.accessTokenValiditySeconds,
      tokenType: "Bearer",
      sessionId: current.id,
    };
  }

  /**
   * Rotation with reuse detection (OAuth 2.0 Security BCP §4.14.2): the current token is
   * exchanged for a new one; the token it replaced still refreshes within the grace period
   * (a retried request) but yields no new refresh token; any other token of the session —
   * authentic, since it decrypted under our key — means the family leaked: revoke it.
   */
  private async rotate(
    client: ClientView,
    session: SessionRecord,
    presented: string,
    nowMs: number,
  ): Promise<{ session: SessionRecord; refreshToken: string | undefined }> {
    const nowSeconds = Math.floor(nowMs / 1000);
    const next = await sealRefreshToken(this.d.secrets.refreshTokenKey, {
      sessionId: session.id,
      clientId: client.clientId,
      nowSeconds,
      expiresAtSeconds: Math.floor(session.expiresAtMs / 1000),
    });
    const result = await this.d.store.rotateRefreshToken(
      session.id,
      presented,
      this.refreshHash(next),
      nowMs,
    );
    switch (result.outcome) {
      case "rotated":
        return { session: result.session, refreshToken: next };
      case "missing":
        throw new PoolgateError("INVALID_REFRESH_TOKEN", "Invalid refresh token", {
          logDetail: "refresh: session vanished",
        });
      case "not_current": {
        const s = result.session;
        if (s.revokedAtMs !== null)
          throw new PoolgateError("REFRESH_TOKEN_REVOKED", "Refresh token has been revoked");
        const withinGrace =
          s.previousRefreshTokenHash !== null &&
          safeEqual(presented, s.previousRefreshTokenHash) &&
          s.rotatedAtMs !== null &&
          nowMs - s.rotatedAtMs <= client.refreshTokenReuseGraceSeconds * 1000;
        if (withinGrace) return { session: s, refreshToken: undefined };
        await this.revokeSession(s.id, "reuse_detected");
        this.d.logger.warn(
          { sessionId: s.id, clientId: client.clientId },
          "refresh token reuse detected: session revoked",
        );
        throw new PoolgateError("REFRESH_TOKEN_REVOKED", "Refresh token has been revoked", {
          logDetail: "refresh: reuse detected",
        });
      }
    }
  }

  /** Revokes one session by its id: its tokens fail from the next request on. */
  async revokeSession(
    id: string,
    reason: "revoked" | "reuse_detected" | "code_reused",
  ): Promise<void> {
    const nowMs = this.d.now();
    await this.d.store.revokeSession(id, reason, nowMs);
    this.d.revocations.markSessionRevoked(id, nowMs);
  }

  /**
   * RevokeToken: revokes the session of a refresh token. RFC 7009 §2.2: an invalid, unknown
   * or already revoked token is not an error. A token of another client is.
   */
  async revoke(req: {
    clientId: string;
    clientSecret?: string | null;
    token: string;
  }): Promise<boolean> {
    const client = await this.d.clients.authenticate(req.clientId, req.clientSecret);
    return this.revokeFor(client, req.token);
  }

  /** RevokeToken for a client already authenticated. */
  async revokeFor(client: ClientView, token: string): Promise<boolean> {
    const req = { token };
    const payload = await openRefreshToken(
      this.d.secrets.refreshTokenKey,
      req.token,
      this.d.config.maxTokenBytes,
    );
    if (!payload) return true;
    if (payload.cid !== client.clientId) {
      throw new PoolgateError("NOT_AUTHORIZED", "The token was not issued to this client");
    }
    await this.revokeSession(payload.sid, "revoked");
    return true;
  }

  /**
   * Whose session a refresh token of `clientId` belongs to (its user's sub and username), or
   * undefined for anything else: what Cognito's SECRET_HASH of a refresh is keyed with.
   */
  async ownerOf(
    clientId: string,
    refreshToken: string,
  ): Promise<{ sub: string; username: string } | undefined> {
    const payload = await openRefreshToken(
      this.d.secrets.refreshTokenKey,
      refreshToken,
      this.d.config.maxTokenBytes,
    );
    if (!payload || payload.cid !== clientId) return undefined;
    const session = await this.d.store.getSession(payload.sid);
    if (!session) return undefined;
    const [user] = await this.d.directory.usersBySubs([session.sub]);
    return user && { sub: user.sub, username: user.username };
  }

  /** Revokes every session of a user: their tokens fail from the next request on. */
  async signOutEverywhere(
    sub: string,
    reason: "global_sign_out" | "user_disabled" | "user_deleted" | "password_reset",
  ): Promise<number> {
    const nowMs = this.d.now();
    const ids = await this.d.store.revokeUserSessions(sub, reason, nowMs);
    for (const id of ids) this.d.revocations.markSessionRevoked(id, nowMs);
    // The hosted sign-in page's sessions end too (its next authorize asks for the password),
    // and so do codes not yet exchanged: none may start a session after this.
    await this.d.store.deleteUserHostedSessions(sub);
    await this.d.store.deleteUserAuthorizationCodes(sub);
    return ids.length;
  }
}
