/**
 * The public and self-service mutations: thin adapters onto the identity services. In
 * cookie mode (docs/browser.md) the refresh token travels in the client's HttpOnly cookie
 * (ctx.cookies) instead of the response body; signIn, refresh and revoke count their
 * outcomes in ctx.metrics.
 */
import { isPoolgateError, PoolgateError } from "../../errors";
import type { AuthenticationResult } from "../../identity/sessions";
import type { MutationResolvers } from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import { requireUserPrincipal } from "./user";

type AuthMutations =
  | "signIn"
  | "refresh"
  | "revoke"
  | "globalSignOut"
  | "signUp"
  | "confirmSignUp"
  | "changePassword"
  | "clientCredentials";

export function toGraphQL(result: AuthenticationResult) {
  return {
    accessToken: result.accessToken,
    idToken: result.idToken,
    refreshToken: result.refreshToken ?? null,
    expiresIn: result.expiresIn,
    tokenType: result.tokenType,
  };
}

/** The refresh token cannot work any more: a cookie holding it is only clutter. */
function isDeadRefreshToken(err: unknown): boolean {
  return (
    isPoolgateError(err) &&
    (err.code === "INVALID_REFRESH_TOKEN" ||
      err.code === "REFRESH_TOKEN_EXPIRED" ||
      err.code === "REFRESH_TOKEN_REVOKED")
  );
}

/** The cookie lives as long as the client's refresh tokens (an upper bound after rotation). */
export async function setRefreshCookie(ctx: GatewayContext, clientId: string, token: string) {
  const client = await ctx.pool.clients.get(clientId);
  ctx.cookies.set(clientId, token, client?.refreshTokenValiditySeconds ?? 0);
}

export function attributesOf(
  list: readonly { name: string; value: string }[] | null | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value } of list ?? []) {
    if (name in out)
      throw new PoolgateError("BAD_USER_INPUT", `Attribute "${name.slice(0, 64)}" given twice`);
    out[name] = value;
  }
  return out;
}

export const authMutations: Pick<MutationResolvers<GatewayContext>, AuthMutations> = {
  async signIn(_parent, { input }, ctx) {
    const { cookie, ...request } = input;
    if (cookie && !ctx.cookies.trusted) {
      // Checked before any session exists: a cookie this request may not set would strand it.
      throw new PoolgateError(
        "BAD_USER_INPUT",
        "Cookie mode needs a request from the gateway's own origin or a listed CORS origin",
      );
    }
    let result: AuthenticationResult;
    try {
      result = await ctx.pool.auth.signIn(request);
    } catch (err) {
      ctx.metrics.signIn(err);
      throw err;
    }
    ctx.metrics.signIn();
    ctx.logger.info(
      {
        event: "sign_in",
        clientId: input.clientId,
        sessionId: result.sessionId,
        cookieMode: !!cookie,
      },
      "signed in",
    );
    if (cookie && result.refreshToken !== undefined) {
      await setRefreshCookie(ctx, input.clientId, result.refreshToken);
      return { ...toGraphQL(result), refreshToken: null };
    }
    return toGraphQL(result);
  },
  async refresh(_parent, { input }, ctx) {
    // No token in the input: cookie mode, the browser's cookie for this client.
    const fromCookie = input.refreshToken === undefined || input.refreshToken === null;
    const token = fromCookie ? ctx.cookies.get(input.clientId) : input.refreshToken;
    let result: AuthenticationResult;
    try {
      if (token === undefined || token === null) {
        throw new PoolgateError("INVALID_REFRESH_TOKEN", "Invalid refresh token", {
          logDetail: "refresh: no refresh token in the input or a cookie",
        });
      }
      result = await ctx.pool.sessions.refresh({
        clientId: input.clientId,
        clientSecret: input.clientSecret ?? null,
        refreshToken: token,
      });
    } catch (err) {
      ctx.metrics.refresh("graphql", err);
      if (fromCookie && token !== undefined && isDeadRefreshToken(err))
        ctx.cookies.clear(input.clientId);
      throw err;
    }
    ctx.metrics.refresh("graphql");
    ctx.logger.info(
      { event: "refresh", clientId: input.clientId, sessionId: result.sessionId, fromCookie },
      "refreshed",
    );
    if (fromCookie) {
      // A rotated refresh token replaces the cookie; the body never carries it.
      if (result.refreshToken !== undefined)
        await setRefreshCookie(ctx, input.clientId, result.refreshToken);
      return { ...toGraphQL(result), refreshToken: null };
    }
    return toGraphQL(result);
  },
  async revoke(_parent, { input }, ctx) {
    const cookieToken = ctx.cookies.get(input.clientId);
    const token = input.token ?? cookieToken;
    const credentials = { clientId: input.clientId, clientSecret: input.clientSecret ?? null };
    if (token === undefined) {
      // Nothing to revoke (RFC 7009 §2.2 answers success); the client must still be genuine.
      await ctx.pool.clients.authenticate(credentials.clientId, credentials.clientSecret);
      ctx.cookies.clear(input.clientId);
      return true;
    }
    const revoked = await ctx.pool.sessions.revoke({ ...credentials, token });
    ctx.metrics.revocation("token", "graphql");
    // Clear the cookie when its session is the one revoked, not when another token was named.
    if (token === cookieToken) ctx.cookies.clear(input.clientId);
    return revoked;
  },
  async globalSignOut(_parent, _args, ctx) {
    const p = requireUserPrincipal(ctx);
    const count = await ctx.pool.sessions.signOutEverywhere(p.sub, "global_sign_out");
    ctx.metrics.revocation("global_sign_out", "graphql");
    // The cookie of the calling client holds one of the sessions just revoked.
    ctx.cookies.clear(p.clientId);
    ctx.logger.info(
      { event: "global_sign_out", sub: p.sub, sessions: count },
      "signed out everywhere",
    );
    return true;
  },
  async signUp(_parent, { input }, ctx) {
    await ctx.pool.clients.authenticate(input.clientId, input.clientSecret);
    const attributes = attributesOf(input.attributes);
    if ("email_verified" in attributes || "phone_number_verified" in attributes) {
      throw new PoolgateError("BAD_USER_INPUT", "Verification attributes cannot be set by sign-up");
    }
    const { user, destination } = await ctx.pool.users.signUp({
      username: input.username,
      password: input.password,
      attributes,
    });
    return {
      userSub: user.sub,
      userConfirmed: user.confirmed,
      codeDeliveryDestination: destination ?? null,
    };
  },
  async confirmSignUp(_parent, { input }, ctx) {
    await ctx.pool.clients.authenticate(input.clientId, input.clientSecret);
    return ctx.pool.users.confirmSignUp(input.username, input.code);
  },
  async clientCredentials(_parent, { input }, ctx) {
    const client = await ctx.pool.clients.authenticate(input.clientId, input.clientSecret);
    const result = await ctx.pool.machine.clientCredentials(client, input.scopes);
    ctx.logger.info(
      { event: "client_credentials", clientId: client.clientId },
      "issued a client token",
    );
    return result;
  },
  async changePassword(_parent, { input }, ctx) {
    const p = requireUserPrincipal(ctx);
    return ctx.pool.users.changePassword(p.sub, input.previousPassword, input.proposedPassword);
  },
};
