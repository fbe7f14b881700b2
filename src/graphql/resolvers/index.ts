import type { Resolvers } from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import { adminMutations } from "./admin";
import { authMutations } from "./auth";
import { associateSoftwareTokenResultType, challengeMutations } from "./challenges";
import { recoveryMutations } from "./recovery";
import { userQueries, userType } from "./user";

export const resolvers: Resolvers<GatewayContext> = {
  Query: { ...userQueries },
  Mutation: { ...authMutations, ...challengeMutations, ...recoveryMutations, ...adminMutations },
  User: userType,
  AssociateSoftwareTokenResult: associateSoftwareTokenResultType,
};
