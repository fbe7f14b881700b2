/** The public and self-service mutations: thin adapters onto the identity services. */
import { PoolgateError } from "../../errors";
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

function toGraphQL(result: AuthenticationResult) {
  return {
    accessToken: result.accessToken,
    idToken: result.idToken,
    refreshToken: result.refreshToken ?? null,
    expiresIn: result.expiresIn,
    tokenType: result.tokenType,
  };
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
    const result = await ctx.pool.sessions.signIn(input);
    ctx.logger.info(
      { event: "sign_in", clientId: input.clientId, sessionId: result.sessionId },
      "signed in",
    );
    return toGraphQL(result);
  },
  async refresh(_parent, { input }, ctx) {
    const result = await ctx.pool.sessions.refresh(input);
    ctx.logger.info(
      { event: "refresh", clientId: input.clientId, sessionId: result.sessionId },
      "refreshed",
    );
    return toGraphQL(result);
  },
  async revoke(_parent, { input }, ctx) {
    return ctx.pool.sessions.revoke(input);
  },
  async globalSignOut(_parent, _args, ctx) {
    const p = requireUserPrincipal(ctx);
    const count = await ctx.pool.sessions.signOutEverywhere(p.sub, "global_sign_out");
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
