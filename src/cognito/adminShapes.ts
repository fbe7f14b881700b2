/**
 * What the admin operations share: the UserPoolId check, Cognito's UserType and GroupType
 * shapes (dates as epoch seconds, the AWS JSON protocol's timestamps), and the opaque
 * pagination tokens of the listings.
 */
import type { GroupView } from "../identity/groups";
import type { UserView } from "../identity/views";
import type { CognitoContext } from "./api";
import { invalidParameter, resourceNotFound } from "./errors";
import { optionalInteger, optionalString, requiredString, type Input } from "./input";

/** Cognito's UserPoolIdType length. */
const MAX_POOL_ID_LENGTH = 55;
/** Cognito's page size for every listing here: 60 at most, and by default. */
export const MAX_PAGE = 60;

/** The UserPoolId an admin operation names must be this gateway's (POOLGATE_POOL_ID). */
export function requirePool(input: Input, ctx: CognitoContext): string {
  const poolId = requiredString(input, "UserPoolId", MAX_POOL_ID_LENGTH);
  if (poolId !== ctx.config.poolId) throw resourceNotFound(`User pool ${poolId} does not exist.`);
  return poolId;
}

/** Milliseconds → the epoch seconds the AWS JSON protocol sends timestamps as. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** The user's attributes as Cognito lists them (`sub` first), or only those asked for. */
export function attributesOf(
  user: UserView,
  only?: readonly string[],
): { Name: string; Value: string }[] {
  const all = [
    { Name: "sub", Value: user.sub },
    ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
  ];
  return only === undefined ? all : all.filter((a) => only.includes(a.Name));
}

/** Cognito's UserType (AdminCreateUser's User, ListUsers' Users). */
export function userType(
  user: UserView,
  attributesToGet?: readonly string[],
): Record<string, unknown> {
  return {
    Username: user.username,
    Attributes: attributesOf(user, attributesToGet),
    UserCreateDate: epochSeconds(user.createdAtMs),
    UserLastModifiedDate: epochSeconds(user.updatedAtMs),
    Enabled: user.enabled,
    UserStatus: user.status,
  };
}

/** Cognito's GroupType; a name only joined, never created, has no description or dates. */
export function groupType(group: GroupView, poolId: string): Record<string, unknown> {
  return {
    GroupName: group.name,
    UserPoolId: poolId,
    ...(group.description !== null ? { Description: group.description } : {}),
    ...(group.precedence !== null ? { Precedence: group.precedence } : {}),
    ...(group.updatedAtMs !== null ? { LastModifiedDate: epochSeconds(group.updatedAtMs) } : {}),
    ...(group.createdAtMs !== null ? { CreationDate: epochSeconds(group.createdAtMs) } : {}),
  };
}

/** The page size a listing asks for (`Limit`): 1 … 60, 60 when absent. */
export function pageLimit(input: Input): number {
  return optionalInteger(input, "Limit", 1, MAX_PAGE) ?? MAX_PAGE;
}

/**
 * A pagination token: where the next page starts (the last name of this one), opaque to the
 * caller. It carries nothing secret — every name in it was on the page just returned.
 */
export function pageToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), "utf8").toString("base64url");
}

/** The position a pagination token names; undefined when there is none. */
export function readPageToken(input: Input, member: string): string | undefined {
  const token = optionalString(input, member, 4096);
  if (token === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    const after = (value as { after?: unknown } | null)?.after;
    if (typeof after === "string" && after !== "") return after;
  } catch {
    // Not a token of ours.
  }
  throw invalidParameter(`Invalid ${member}.`);
}

/** A page of `limit` from `items` fetched as limit + 1, with the token for the next page. */
export function page<T>(
  items: readonly T[],
  limit: number,
  nameOf: (item: T) => string,
): { items: T[]; next: string | undefined } {
  if (items.length <= limit) return { items: [...items], next: undefined };
  const shown = items.slice(0, limit);
  return { items: shown, next: pageToken(nameOf(shown[shown.length - 1]!)) };
}
