/**
 * Groups through Cognito's admin operations: membership (AdminAddUserToGroup,
 * AdminRemoveUserFromGroup, AdminListGroupsForUser) and created groups (CreateGroup,
 * ListGroups). Unlike Cognito, a user can join a group that was never created (poolgate's
 * groups were memberships only; identity/groups.ts): ListGroups shows such names too.
 */
import type { SignedOperation } from "./api";
import { groupType, page, pageLimit, readPageToken, requirePool } from "./adminShapes";
import { invalidParameter } from "./errors";
import { optionalInteger, optionalString, requiredString, type Input } from "./input";

const MAX_PRECEDENCE = 2_147_483_647;

function groupNameOf(input: Input): string {
  return requiredString(input, "GroupName", 128);
}

const adminAddUserToGroup: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.addUserToGroup(requiredString(input, "Username", 128), groupNameOf(input));
  return {};
};

const adminRemoveUserFromGroup: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.removeUserFromGroup(requiredString(input, "Username", 128), groupNameOf(input));
  return {};
};

/** In the order of the token's groups claim (code units), a page at a time. */
const adminListGroupsForUser: SignedOperation = async (input, ctx, admin) => {
  const poolId = requirePool(input, ctx);
  const limit = pageLimit(input);
  const after = readPageToken(input, "NextToken");
  const groups = (await admin.groupsOfUser(requiredString(input, "Username", 128))).filter(
    (g) => after === undefined || g.name > after,
  );
  const { items, next } = page(groups.slice(0, limit + 1), limit, (g) => g.name);
  return {
    Groups: items.map((g) => groupType(g, poolId)),
    ...(next !== undefined ? { NextToken: next } : {}),
  };
};

const createGroup: SignedOperation = async (input, ctx, admin) => {
  const poolId = requirePool(input, ctx);
  // No IAM here: a role would be promised in tokens (cognito:roles) and never appear.
  if (optionalString(input, "RoleArn", 2048) !== undefined)
    throw invalidParameter("RoleArn is not supported by this user pool (it issues no IAM roles).");
  const group = await admin.createGroup({
    name: groupNameOf(input),
    description: optionalString(input, "Description", 2048) ?? null,
    precedence: optionalInteger(input, "Precedence", 0, MAX_PRECEDENCE) ?? null,
  });
  return { Group: groupType(group, poolId) };
};

/** Created groups and the names users joined, in code-point order, a page at a time. */
const listGroups: SignedOperation = async (input, ctx, admin) => {
  const poolId = requirePool(input, ctx);
  const limit = pageLimit(input);
  const groups = await admin.listGroups(readPageToken(input, "NextToken"), limit + 1);
  const { items, next } = page(groups, limit, (g) => g.name);
  return {
    Groups: items.map((g) => groupType(g, poolId)),
    ...(next !== undefined ? { NextToken: next } : {}),
  };
};

export const adminGroupOperations: Readonly<Record<string, SignedOperation>> = {
  AdminAddUserToGroup: adminAddUserToGroup,
  AdminRemoveUserFromGroup: adminRemoveUserFromGroup,
  AdminListGroupsForUser: adminListGroupsForUser,
  CreateGroup: createGroup,
  ListGroups: listGroups,
};
