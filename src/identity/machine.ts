/**
 * Machine-to-machine and resource-server services: the client-credentials grant, token
 * introspection (RFC 7662) and the userInfo claims. Shared by GraphQL and /oauth2/*.
 */
import { PoolgateError } from "../errors";
import { profileClaims, type AccessTokenClaims } from "../tokens/claims";
import { issueClientAccessToken } from "../tokens/issue";
import { openRefreshToken } from "../tokens/refresh";
import { safeEqual, storageHash } from "../tokens/secrets";
import type { IdentityDeps } from "./deps";
import { clientTokenOverrides } from "./preTokenGeneration";
import type { ResourceServerService } from "./resourceServers";
import { ADMIN_SCOPE, REVOCATIONS_SCOPE } from "./scopes";
import type { ClientView } from "./views";

export interface ClientCredentialsResult {
  accessToken: string;
  expiresIn: number;
  tokenType: "Bearer";
  scope: string;
}

export type IntrospectionResult = { active: false } | ({ active: true } & Record<string, unknown>);

const isCustomScope = (s: string) => s.includes("/");

export class MachineService {
  constructor(
    private readonly d: IdentityDeps,
    private readonly resourceServers: ResourceServerService,
    private readonly authenticateAccessToken: (token: string) => Promise<AccessTokenClaims>,
  ) {}

  /**
   * The client-credentials grant (RFC 6749 §4.4), as Cognito's: confidential clients allowed
   * the `client_credentials` flow only, custom scopes only (default: every custom scope the
   * client is allowed and a resource server still defines), an access token only,
   * `sub = client_id`.
   */
  async clientCredentials(
    client: ClientView,
    requested: readonly string[] | null | undefined,
  ): Promise<ClientCredentialsResult> {
    if (!client.confidential) {
      throw new PoolgateError(
        "UNAUTHORIZED_CLIENT",
        "Only a client with a secret may use the client credentials grant",
      );
    }
    // Cognito's AllowedOAuthFlows: a client is refused each grant its settings do not name.
    if (!client.allowedOAuthFlows.includes("client_credentials")) {
      throw new PoolgateError(
        "UNAUTHORIZED_CLIENT",
        "Client is not allowed for the client credentials flow",
      );
    }
    const known = await this.resourceServers.knownScopes();
    const allowed = client.allowedScopes.filter((s) => isCustomScope(s) && known.has(s));
    let scopes: string[];
    if (requested === null || requested === undefined || requested.length === 0) {
      // Admin power is never granted by default: whoever holds the secret must ask for it.
      scopes = allowed.filter((s) => s !== ADMIN_SCOPE && s !== REVOCATIONS_SCOPE);
      if (scopes.length === 0)
        throw new PoolgateError("INVALID_SCOPE", "The client is allowed no custom scope");
    } else {
      for (const s of requested) {
        if (!allowed.includes(s))
          throw new PoolgateError(
            "INVALID_SCOPE",
            `Scope "${s.slice(0, 100)}" is not allowed for this grant`,
          );
      }
      scopes = [...new Set(requested)];
    }
    // A V3_0 event (Cognito calls the trigger for machines only at that version); only its
    // access token part applies: there is no ID token, and a client has no groups.
    const overrides = this.d.hooks.has("preTokenGeneration")
      ? (await clientTokenOverrides(this.d, client, scopes)).accessToken
      : undefined;
    const { accessToken, accessClaims } = await issueClientAccessToken({
      issuer: this.d.config.issuer,
      signer: this.d.keys.ring().signingKey(this.d.now()),
      nowSeconds: Math.floor(this.d.now() / 1000),
      client,
      scopes,
      ...(overrides ? { overrides } : {}),
    });
    return {
      accessToken,
      expiresIn: client.accessTokenValiditySeconds,
      tokenType: "Bearer",
      // RFC 6749 §5.1: the scopes the token carries, after the hook.
      scope: accessClaims.scope,
    };
  }

  /**
   * RFC 7662 introspection for confidential clients. Access tokens get the full check of the
   * context builder (signature, expiry, revocation, user and client state); refresh tokens
   * are active while their session is. Anything else — revoked, expired, foreign, malformed —
   * is `{ active: false }` and nothing more (§2.2).
   */
  async introspect(caller: ClientView, token: string): Promise<IntrospectionResult> {
    if (!caller.confidential) {
      throw new PoolgateError(
        "UNAUTHORIZED_CLIENT",
        "Only a client with a secret may introspect tokens",
      );
    }
    if (token.length > this.d.config.maxTokenBytes) return { active: false };
    const parts = token.split(".").length;
    if (parts === 3) {
      try {
        const claims = await this.authenticateAccessToken(token);
        return { ...claims, active: true, token_type: "Bearer" };
      } catch (err) {
        if (err instanceof PoolgateError && err.code === "UNAUTHENTICATED")
          return { active: false };
        throw err;
      }
    }
    if (parts === 5) return this.introspectRefreshToken(token);
    return { active: false };
  }

  private async introspectRefreshToken(token: string): Promise<IntrospectionResult> {
    const payload = await openRefreshToken(
      this.d.secrets.refreshTokenKey,
      token,
      this.d.config.maxTokenBytes,
    );
    const nowMs = this.d.now();
    if (!payload || payload.exp * 1000 <= nowMs) return { active: false };
    const session = await this.d.store.getSession(payload.sid);
    if (!session || session.revokedAtMs !== null || session.expiresAtMs <= nowMs)
      return { active: false };
    const hash = storageHash(this.d.secrets.storageHashKey, "refresh-token", token);
    if (!safeEqual(hash, session.refreshTokenHash)) return { active: false };
    const owner = await this.d.store.getClient(session.clientId);
    if (!owner || !owner.enabled) return { active: false };
    const user = await this.d.store.getUserBySub(session.sub);
    if (!user || !user.enabled) return { active: false };
    return {
      active: true,
      token_type: "refresh_token",
      client_id: session.clientId,
      sub: user.sub,
      username: user.username,
      scope: session.scope,
      iat: payload.iat,
      exp: payload.exp,
      iss: this.d.config.issuer,
    };
  }

  /**
   * OIDC userInfo: the ID-token claims of the caller, fresh from the store. Needs an access
   * token with the `openid` scope, as Cognito's endpoint does.
   */
  async userInfo(claims: AccessTokenClaims): Promise<Record<string, unknown>> {
    if (!claims.scope.split(" ").includes("openid") || claims.username === undefined) {
      throw new PoolgateError("FORBIDDEN", "The access token lacks the openid scope");
    }
    const user = await this.d.store.getUserBySub(claims.sub);
    if (!user)
      throw new PoolgateError("UNAUTHENTICATED", "Unauthorized", {
        logDetail: "userInfo: user gone",
      });
    const [groups] = await this.d.store.getGroupsForUsers([user.sub]);
    return {
      ...profileClaims(user.attributes),
      sub: user.sub,
      username: user.username,
      ...(groups && groups.length > 0 ? { "cognito:groups": groups } : {}),
    };
  }
}
