/**
 * Account recovery and attribute verification (DESIGN §11): thin adapters onto
 * identity/recovery.ts. The username-only mutations authenticate the app client first (a
 * confidential client's secret), as every public mutation does.
 */
import type { MutationResolvers } from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import { attributesOf } from "./auth";
import { requireUserPrincipal } from "./user";

type RecoveryMutations =
  | "forgotPassword"
  | "confirmForgotPassword"
  | "resendConfirmationCode"
  | "updateUserAttributes"
  | "getUserAttributeVerificationCode"
  | "verifyUserAttribute";

export const recoveryMutations: Pick<MutationResolvers<GatewayContext>, RecoveryMutations> = {
  async forgotPassword(_parent, { input }, ctx) {
    await ctx.pool.clients.authenticate(input.clientId, input.clientSecret);
    return ctx.pool.recovery.forgotPassword(input.username, input.clientId);
  },
  async confirmForgotPassword(_parent, { input }, ctx) {
    await ctx.pool.clients.authenticate(input.clientId, input.clientSecret);
    await ctx.pool.recovery.confirmForgotPassword(input.username, input.code, input.password);
    ctx.metrics.revocation("global_sign_out", "graphql");
    ctx.logger.info({ event: "password_reset", clientId: input.clientId }, "password reset");
    return true;
  },
  async resendConfirmationCode(_parent, { input }, ctx) {
    await ctx.pool.clients.authenticate(input.clientId, input.clientSecret);
    return ctx.pool.recovery.resendConfirmationCode(input.username);
  },
  async updateUserAttributes(_parent, { attributes }, ctx) {
    const p = requireUserPrincipal(ctx);
    return ctx.pool.recovery.updateAttributes(p.sub, attributesOf(attributes));
  },
  async getUserAttributeVerificationCode(_parent, { attributeName }, ctx) {
    const p = requireUserPrincipal(ctx);
    return ctx.pool.recovery.sendAttributeCode(p.sub, attributeName);
  },
  async verifyUserAttribute(_parent, { attributeName, code }, ctx) {
    const p = requireUserPrincipal(ctx);
    return ctx.pool.recovery.verifyAttribute(p.sub, attributeName, code);
  },
};
