/**
 * The signed-in user of an operation that takes an AccessToken (GetUser, ChangePassword, …):
 * the same full check as every GraphQL request (signature, revocation, user and client
 * state), plus Cognito's rule that these operations need `aws.cognito.signin.user.admin`.
 */
import { PoolgateError } from "../errors";
import { USER_ADMIN_SCOPE } from "../identity/scopes";
import type { CognitoContext } from "./api";
import { requiredString, type Input } from "./input";

export interface SignedInUser {
  sub: string;
  username: string;
  clientId: string;
}

export async function signedInUser(ctx: CognitoContext, input: Input): Promise<SignedInUser> {
  const token = requiredString(input, "AccessToken", ctx.config.maxTokenBytes);
  const claims = await ctx.pool.authenticate(token);
  if (claims.username === undefined)
    throw new PoolgateError("UNAUTHENTICATED", "Unauthorized", {
      logDetail: "cognito api: a client's token where a user's is needed",
    });
  if (!claims.scope.split(" ").includes(USER_ADMIN_SCOPE))
    throw new PoolgateError("FORBIDDEN", "Forbidden", {
      logDetail: `cognito api: the access token lacks ${USER_ADMIN_SCOPE}`,
    });
  return { sub: claims.sub, username: claims.username, clientId: claims.client_id };
}
