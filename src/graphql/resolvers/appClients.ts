/**
 * App clients for admins (Cognito's ListUserPoolClients, DescribeUserPoolClient,
 * CreateUserPoolClient, UpdateUserPoolClient). Guarded twice, as every admin field: by
 * @requiresScopes(scopes: [["poolgate/admin"]]) and by `pool.admin(caller)`. What they return
 * is the client view, which holds no secret hash; the secret itself appears only in
 * adminCreateAppClient's result.
 */
import type {
  AppClientResolvers,
  MutationResolvers,
  QueryResolvers,
} from "../__generated__/resolvers";
import type { GatewayContext } from "../context";

function audit(ctx: GatewayContext, action: string, target: string): void {
  ctx.logger.info({ event: "admin", action, target, actor: ctx.principal?.sub }, "admin action");
}

/** GraphQL's `null` for a list left out: the list stays as it is. */
const given = <T>(list: readonly T[] | null | undefined): readonly T[] | undefined =>
  list ?? undefined;

export const appClientQueries: Pick<
  QueryResolvers<GatewayContext>,
  "adminAppClients" | "adminAppClient"
> = {
  adminAppClients(_parent, _args, ctx) {
    return ctx.pool.admin(ctx.principal).listClients();
  },
  async adminAppClient(_parent, { clientId }, ctx) {
    return (await ctx.pool.admin(ctx.principal).getClient(clientId)) ?? null;
  },
};

export const appClientMutations: Pick<
  MutationResolvers<GatewayContext>,
  "adminCreateAppClient" | "adminUpdateAppClient"
> = {
  async adminCreateAppClient(_parent, { input }, ctx) {
    const { client, clientSecret } = await ctx.pool.admin(ctx.principal).createClient({
      name: input.name,
      generateSecret: input.generateSecret ?? false,
      allowedScopes: given(input.allowedOAuthScopes),
      callbackUrls: given(input.callbackUrls),
      logoutUrls: given(input.logoutUrls),
      allowedOAuthFlows: given(input.allowedOAuthFlows),
      accessTokenValiditySeconds: input.accessTokenValiditySeconds ?? undefined,
      idTokenValiditySeconds: input.idTokenValiditySeconds ?? undefined,
      refreshTokenValiditySeconds: input.refreshTokenValiditySeconds ?? undefined,
      rotateRefreshTokens: input.rotateRefreshTokens ?? false,
      authSessionValidityMinutes: input.authSessionValidityMinutes ?? undefined,
    });
    audit(ctx, "create_app_client", client.clientId);
    return { client, clientSecret: clientSecret ?? null };
  },
  async adminUpdateAppClient(_parent, { input }, ctx) {
    const client = await ctx.pool.admin(ctx.principal).updateClient(input.clientId, {
      allowedScopes: given(input.allowedOAuthScopes),
      callbackUrls: given(input.callbackUrls),
      logoutUrls: given(input.logoutUrls),
      allowedOAuthFlows: given(input.allowedOAuthFlows),
    });
    audit(ctx, "update_app_client", input.clientId);
    return client;
  },
};

/** Cognito's names on the outside; the view's fields map one to one otherwise. */
export const appClientType: AppClientResolvers<GatewayContext> = {
  allowedOAuthScopes: (c) => [...c.allowedScopes],
  callbackUrls: (c) => [...c.callbackUrls],
  logoutUrls: (c) => [...c.logoutUrls],
  allowedOAuthFlows: (c) => [...c.allowedOAuthFlows],
  createdAt: (c) => new Date(c.createdAtMs).toISOString(),
};
