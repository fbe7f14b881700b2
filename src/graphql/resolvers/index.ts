import type { Resolvers } from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import { adminMutations } from "./admin";
import { authMutations } from "./auth";
import { userQueries, userType } from "./user";

export const resolvers: Resolvers<GatewayContext> = {
  Query: { ...userQueries },
  Mutation: { ...authMutations, ...adminMutations },
  User: userType,
};
