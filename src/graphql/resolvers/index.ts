import type { Resolvers } from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import { adminMutations } from "./admin";
import { appClientMutations, appClientQueries, appClientType } from "./appClients";
import { authMutations } from "./auth";
import { associateSoftwareTokenResultType, challengeMutations } from "./challenges";
import { recoveryMutations } from "./recovery";
import { userQueries, userType } from "./user";

export const resolvers: Resolvers<GatewayContext> = {
  Query: { ...userQueries, ...appClientQueries },
  Mutation: {
    ...authMutations,
    ...challengeMutations,
    ...recoveryMutations,
    ...adminMutations,
    ...appClientMutations,
  },
  User: userType,
  AppClient: appClientType,
  AssociateSoftwareTokenResult: associateSoftwareTokenResultType,
};
