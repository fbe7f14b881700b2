/** `me`, `adminGetUser` and the `User` type: claims as the store has them now (via the user directory). */
import { PoolgateError } from "../../errors";
import { ADMIN_SCOPE } from "../../identity/scopes";
import type { QueryResolvers, UserResolvers } from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import type { UserModel } from "../models";
import type { Principal } from "../../subgraph/principal";

export function requirePrincipal(ctx: GatewayContext): Principal {
  // The directives deny anonymous callers before execution; this guards a schema edit that forgets one.
  if (!ctx.principal) throw new PoolgateError("UNAUTHENTICATED", "Unauthorized");
  return ctx.principal;
}

export function requireUserPrincipal(ctx: GatewayContext): Principal & { username: string } {
  const p = requirePrincipal(ctx);
  if (p.username === undefined) {
    throw new PoolgateError("FORBIDDEN", "This operation needs a user's token, not a client's", {});
  }
  return p as Principal & { username: string };
}

export const userQueries: Pick<
  QueryResolvers<GatewayContext>,
  "me" | "adminGetUser" | "adminResourceServers"
> = {
  adminResourceServers(_parent, _args, ctx) {
    return ctx.pool.admin(ctx.principal).listResourceServers();
  },
  async me(_parent, _args, ctx) {
    const principal = ctx.principal;
    if (!principal || principal.username === undefined) return null;
    const user = await ctx.loaders.userBySub.load(principal.sub);
    if (!user) return null;
    return { user, authTimeSeconds: principal.authTimeSeconds };
  },
  async adminGetUser(_parent, { username }, ctx) {
    const user = await ctx.pool.admin(ctx.principal).getUser(username);
    return user ? { user } : null;
  },
};

const attr = (name: string) => (m: UserModel) => m.user.attributes[name] ?? null;
const flag = (name: string) => (m: UserModel) => {
  const v = m.user.attributes[name];
  return v === undefined ? null : v === "true";
};

/** What a store `sub` can look like: never empty, never a control character (PostgreSQL text holds no NUL). */
const SUB = /^[^\u0000-\u001F\u007F]{1,256}$/;

export const userType: UserResolvers<GatewayContext> = {
  /**
   * Entity resolution (`_entities`), batched: every reference of one request goes through the
   * request's `userBySub` loader, so N references are one store read. A representation is
   * only a claim by whoever sent it, so visibility follows the verified caller, decided before
   * any read (no existence oracle): anonymous callers get nothing (`User @authenticated`), a
   * signed-in caller only their own user, an admin (`poolgate/admin`) anyone.
   */
  async __resolveReference(reference, ctx) {
    const sub: unknown = reference.sub;
    if (typeof sub !== "string" || !SUB.test(sub)) {
      throw new PoolgateError("BAD_USER_INPUT", "A User representation needs its sub");
    }
    const principal = ctx.principal;
    if (!principal) throw new PoolgateError("UNAUTHENTICATED", "Unauthorized");
    if (principal.sub !== sub && !principal.scopes.has(ADMIN_SCOPE)) {
      throw new PoolgateError(
        "FORBIDDEN",
        "A user is visible only to themselves and to admins",
        {},
      );
    }
    const user = await ctx.loaders.userBySub.load(sub);
    return user ? { user } : null;
  },
  sub: (m) => m.user.sub,
  username: (m) => m.user.username,
  email: attr("email"),
  emailVerified: flag("email_verified"),
  phoneNumber: attr("phone_number"),
  phoneNumberVerified: flag("phone_number_verified"),
  name: attr("name"),
  givenName: attr("given_name"),
  familyName: attr("family_name"),
  groups: (m, _args, ctx) => ctx.loaders.groupsBySub.load(m.user.sub),
  attributes: (m) =>
    Object.entries(m.user.attributes)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value })),
  enabled: (m) => m.user.enabled,
  confirmed: (m) => m.user.confirmed,
  status: (m) => m.user.status,
  mfa: (m, _args, ctx) => ctx.pool.mfa.settings(m.user),
  authTime: (m) => m.authTimeSeconds ?? null,
};
