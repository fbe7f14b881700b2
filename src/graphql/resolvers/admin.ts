/** Admin mutations; every one is guarded by @requiresScopes(scopes: [["poolgate/admin"]]) in the schema. */
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
  | "adminCreateResourceServer"
  | "adminUpdateResourceServer"
  | "adminDeleteResourceServer";

function audit(ctx: GatewayContext, action: string, target: string): void {
  ctx.logger.info({ event: "admin", action, target, actor: ctx.principal?.sub }, "admin action");
}

export const adminMutations: Pick<MutationResolvers<GatewayContext>, AdminMutations> = {
  async adminCreateUser(_parent, { input }, ctx) {
    const record = await ctx.pool.users.adminCreate({
      username: input.username,
      password: input.password,
      attributes: attributesOf(input.attributes),
      groups: input.groups ?? [],
    });
    audit(ctx, "create_user", input.username);
    return { record };
  },
  async adminDisableUser(_parent, { username }, ctx) {
    await ctx.pool.users.setEnabled(username, false);
    audit(ctx, "disable_user", username);
    return true;
  },
  async adminEnableUser(_parent, { username }, ctx) {
    await ctx.pool.users.setEnabled(username, true);
    audit(ctx, "enable_user", username);
    return true;
  },
  async adminDeleteUser(_parent, { username }, ctx) {
    await ctx.pool.users.delete(username);
    audit(ctx, "delete_user", username);
    return true;
  },
  async adminAddUserToGroup(_parent, { username, group }, ctx) {
    await ctx.pool.users.addToGroup(username, group);
    audit(ctx, "add_to_group", username);
    return true;
  },
  async adminRemoveUserFromGroup(_parent, { username, group }, ctx) {
    await ctx.pool.users.removeFromGroup(username, group);
    audit(ctx, "remove_from_group", username);
    return true;
  },
  async adminUserGlobalSignOut(_parent, { username }, ctx) {
    const user = await ctx.pool.users.require(username);
    await ctx.pool.sessions.signOutEverywhere(user.sub, "global_sign_out");
    audit(ctx, "global_sign_out", username);
    return true;
  },
  async adminSetUserPassword(_parent, { username, password, permanent }, ctx) {
    await ctx.pool.users.setPassword(username, password, permanent);
    audit(ctx, "set_password", username);
    return true;
  },
  async adminCreateResourceServer(_parent, { input }, ctx) {
    const server = await ctx.pool.resourceServers.create(
      { id: input.id, ...(input.name ? { name: input.name } : {}), scopes: input.scopes },
      ctx.pool.deps.now(),
    );
    audit(ctx, "create_resource_server", input.id);
    return server;
  },
  async adminUpdateResourceServer(_parent, { input }, ctx) {
    const server = await ctx.pool.resourceServers.update({
      id: input.id,
      ...(input.name ? { name: input.name } : {}),
      scopes: input.scopes,
    });
    audit(ctx, "update_resource_server", input.id);
    return server;
  },
  async adminDeleteResourceServer(_parent, { id }, ctx) {
    const deleted = await ctx.pool.resourceServers.delete(id);
    audit(ctx, "delete_resource_server", id);
    return deleted;
  },
  async adminResetUserPassword(_parent, { username }, ctx) {
    await ctx.pool.users.requirePasswordReset(username);
    audit(ctx, "reset_password", username);
    return true;
  },
};
