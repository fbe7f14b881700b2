/**
 * Admin mutations. Every one is guarded twice: by @requiresScopes(scopes: [["poolgate/admin"]])
 * in the schema, and by `pool.admin(caller)`, which checks the caller's scopes again.
 */
import type { MutationResolvers } from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import { attributesOf } from "./auth";

type AdminMutations =
  | "adminCreateUser"
  | "adminDisableUser"
  | "adminEnableUser"
  | "adminDeleteUser"
  | "adminAddUserToGroup"
  | "adminRemoveUserFromGroup"
  | "adminUserGlobalSignOut"
  | "adminSetUserPassword"
  | "adminResetUserPassword"
  | "adminSetUserMfaPreference"
  | "adminResetUserMfa"
  | "adminCreateResourceServer"
  | "adminUpdateResourceServer"
  | "adminDeleteResourceServer";

function audit(ctx: GatewayContext, action: string, target: string): void {
  ctx.logger.info({ event: "admin", action, target, actor: ctx.principal?.sub }, "admin action");
}

export const adminMutations: Pick<MutationResolvers<GatewayContext>, AdminMutations> = {
  async adminCreateUser(_parent, { input }, ctx) {
    const user = await ctx.pool.admin(ctx.principal).createUser({
      username: input.username,
      password: input.password ?? null,
      temporaryPassword: input.temporaryPassword ?? null,
      attributes: attributesOf(input.attributes),
      groups: input.groups ?? [],
      messageAction: input.messageAction ?? null,
    });
    audit(ctx, "create_user", input.username);
    return { user };
  },
  async adminDisableUser(_parent, { username }, ctx) {
    await ctx.pool.admin(ctx.principal).setUserEnabled(username, false);
    audit(ctx, "disable_user", username);
    return true;
  },
  async adminEnableUser(_parent, { username }, ctx) {
    await ctx.pool.admin(ctx.principal).setUserEnabled(username, true);
    audit(ctx, "enable_user", username);
    return true;
  },
  async adminDeleteUser(_parent, { username }, ctx) {
    await ctx.pool.admin(ctx.principal).deleteUser(username);
    audit(ctx, "delete_user", username);
    return true;
  },
  async adminAddUserToGroup(_parent, { username, group }, ctx) {
    await ctx.pool.admin(ctx.principal).addUserToGroup(username, group);
    audit(ctx, "add_to_group", username);
    return true;
  },
  async adminRemoveUserFromGroup(_parent, { username, group }, ctx) {
    await ctx.pool.admin(ctx.principal).removeUserFromGroup(username, group);
    audit(ctx, "remove_from_group", username);
    return true;
  },
  async adminUserGlobalSignOut(_parent, { username }, ctx) {
    await ctx.pool.admin(ctx.principal).signOutEverywhere(username);
    audit(ctx, "global_sign_out", username);
    return true;
  },
  async adminSetUserPassword(_parent, { username, password, permanent }, ctx) {
    await ctx.pool.admin(ctx.principal).setUserPassword(username, password, permanent);
    audit(ctx, "set_password", username);
    return true;
  },
  async adminCreateResourceServer(_parent, { input }, ctx) {
    const server = await ctx.pool.admin(ctx.principal).createResourceServer({
      id: input.id,
      ...(input.name ? { name: input.name } : {}),
      scopes: input.scopes,
    });
    audit(ctx, "create_resource_server", input.id);
    return server;
  },
  async adminUpdateResourceServer(_parent, { input }, ctx) {
    const server = await ctx.pool.admin(ctx.principal).updateResourceServer({
      id: input.id,
      ...(input.name ? { name: input.name } : {}),
      scopes: input.scopes,
    });
    audit(ctx, "update_resource_server", input.id);
    return server;
  },
  async adminDeleteResourceServer(_parent, { id }, ctx) {
    const deleted = await ctx.pool.admin(ctx.principal).deleteResourceServer(id);
    audit(ctx, "delete_resource_server", id);
    return deleted;
  },
  async adminResetUserPassword(_parent, { username }, ctx) {
    await ctx.pool.admin(ctx.principal).resetUserPassword(username);
    audit(ctx, "reset_password", username);
    return true;
  },
  async adminSetUserMfaPreference(_parent, { username, input }, ctx) {
    await ctx.pool.admin(ctx.principal).setUserMfaPreference(username, {
      softwareToken: input.softwareToken ?? null,
      email: input.email ?? null,
    });
    audit(ctx, "set_mfa_preference", username);
    return true;
  },
  async adminResetUserMfa(_parent, { username }, ctx) {
    await ctx.pool.admin(ctx.principal).resetUserMfa(username);
    audit(ctx, "reset_mfa", username);
    return true;
  },
};
