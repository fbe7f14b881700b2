/**
 * ListUsers: the users matching a Filter (listUsersFilter.ts), in username order (code
 * points), `Limit` (1–60, default 60) at a time, with an opaque PaginationToken for the next
 * page, and only the attributes in AttributesToGet when it is given.
 */
import type { SignedOperation } from "./api";
import { page, pageLimit, readPageToken, requirePool, userType } from "./adminShapes";
import { optionalString, optionalStringList } from "./input";
import { parseUserFilter } from "./listUsersFilter";

const listUsers: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  const attributesToGet = optionalStringList(input, "AttributesToGet");
  const limit = pageLimit(input);
  const after = readPageToken(input, "PaginationToken");
  const parsed = parseUserFilter(optionalString(input, "Filter", 1024));
  if (parsed.kind === "none") return { Users: [] };
  const users = await admin.listUsers(
    parsed.kind === "filter" ? parsed.filter : undefined,
    after,
    limit + 1,
  );
  const { items, next } = page(users, limit, (u) => u.username);
  return {
    Users: items.map((u) => userType(u, attributesToGet)),
    ...(next !== undefined ? { PaginationToken: next } : {}),
  };
};

export const listUsersOperations: Readonly<Record<string, SignedOperation>> = {
  ListUsers: listUsers,
};
