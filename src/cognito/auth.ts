/**
 * Cognito's sign-in and token operations on the wire: InitiateAuth, RespondToAuthChallenge,
 * GetTokensFromRefreshToken, RevokeToken and GlobalSignOut, onto identity/signIn.ts and
 * identity/sessions.ts — the same conversation, sessions and tokens as the GraphQL door.
 */
import type { AuthFlowResult } from "../identity/signIn";
import type { AuthenticationResult } from "../identity/sessions";
import type { ChallengeName } from "../identity/signIn";
import type { ClientView } from "../identity/views";
import type { CognitoContext, Operation } from "./api";
import { invalidParameter } from "./errors";
import { optionalString, requiredString, stringMap, type Input } from "./input";
import { signedInUser } from "./principal";

const CHALLENGES: readonly ChallengeName[] = [
  "NEW_PASSWORD_REQUIRED",
  "SOFTWARE_TOKEN_MFA",
  "EMAIL_OTP",
  "MFA_SETUP",
  "SELECT_MFA_TYPE",
  "SELECT_CHALLENGE",
  "PASSWORD",
  "PASSWORD_SRP",
  "PASSWORD_VERIFIER",
];

function authenticationResult(tokens: AuthenticationResult): Record<string, unknown> {
  return {
    AccessToken: tokens.accessToken,
    ExpiresIn: tokens.expiresIn,
    TokenType: tokens.tokenType,
    IdToken: tokens.idToken,
    ...(tokens.refreshToken !== undefined ? { RefreshToken: tokens.refreshToken } : {}),
  };
}

function flowResult(result: AuthFlowResult): Record<string, unknown> {
  if (result.kind === "tokens") {
    return { AuthenticationResult: authenticationResult(result.tokens), ChallengeParameters: {} };
  }
  const { challenge } = result;
  return {
    ChallengeName: challenge.challengeName,
    // PASSWORD_VERIFIER carries its state in SECRET_BLOCK, with no session (as Cognito).
    ...(challenge.session ? { Session: challenge.session } : {}),
    ChallengeParameters: challenge.parameters,
    ...(challenge.availableChallenges
      ? { AvailableChallenges: challenge.availableChallenges }
      : {}),
  };
}

/** The app client, by SECRET_HASH keyed with `username` (Cognito's rule for public operations). */
export function clientFor(
  ctx: CognitoContext,
  clientId: string,
  username: string,
  secretHash: string | undefined,
): Promise<ClientView> {
  return ctx.pool.clients.authenticateWithSecretHash(clientId, username, secretHash);
}

function clientIdOf(input: Input): string {
  return requiredString(input, "ClientId", 128);
}

const initiateAuth: Operation = async (input, ctx) => {
  const clientId = clientIdOf(input);
  const flow = requiredString(input, "AuthFlow", 64);
  const parameters = stringMap(input, "AuthParameters");
  switch (flow) {
    case "REFRESH_TOKEN_AUTH":
    case "REFRESH_TOKEN": {
      const refreshToken = parameters["REFRESH_TOKEN"];
      if (!refreshToken) throw invalidParameter("Missing required parameter REFRESH_TOKEN");
      // SECRET_HASH of a refresh is keyed with the user's name (or sub, which clients also use).
      const owner = await ctx.pool.sessions.ownerOf(clientId, refreshToken);
      const client = await clientForAnyOf(
        ctx,
        clientId,
        owner ? [owner.username, owner.sub] : [""],
        parameters["SECRET_HASH"],
      );
      const tokens = await ctx.pool.sessions.refreshFor(client, refreshToken);
      // Cognito's REFRESH_TOKEN_AUTH hands back no refresh token unless it rotates.
      return flowResult({ kind: "tokens", tokens });
    }
    case "USER_PASSWORD_AUTH":
    case "USER_SRP_AUTH":
    case "USER_AUTH": {
      const username = parameters["USERNAME"];
      if (!username) throw invalidParameter("Missing required parameter USERNAME");
      const client = await clientFor(ctx, clientId, username, parameters["SECRET_HASH"]);
      const preferred = parameters["PREFERRED_CHALLENGE"];
      const result = await ctx.pool.auth.initiateAuthAs(client, {
        authFlow: flow,
        username,
        password: parameters["PASSWORD"] ?? null,
        srpA: parameters["SRP_A"] ?? null,
        scopes: null,
        preferredChallenge: preferred === undefined ? null : (preferred as ChallengeName),
      });
      return flowResult(result);
    }
    case "CUSTOM_AUTH":
    case "ADMIN_USER_PASSWORD_AUTH":
    case "ADMIN_NO_SRP_AUTH":
      throw invalidParameter(`Initiate Auth method not supported: ${flow}`);
    default:
      throw invalidParameter(
        `1 validation error detected: Value '${flow.slice(0, 40)}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set`,
      );
  }
};

/** A SECRET_HASH may be keyed with any of `names` (the username a client knows, or the sub). */
async function clientForAnyOf(
  ctx: CognitoContext,
  clientId: string,
  names: readonly string[],
  secretHash: string | undefined,
): Promise<ClientView> {
  let last: unknown;
  for (const name of names) {
    try {
      return await clientFor(ctx, clientId, name, secretHash);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

const respondToAuthChallenge: Operation = async (input, ctx) => {
  const clientId = clientIdOf(input);
  const challengeName = requiredString(input, "ChallengeName", 64) as ChallengeName;
  if (!CHALLENGES.includes(challengeName))
    throw invalidParameter(
      `1 validation error detected: Value '${String(challengeName).slice(0, 40)}' at 'challengeName' failed to satisfy constraint: Member must satisfy enum value set`,
    );
  const responses = stringMap(input, "ChallengeResponses");
  const session = optionalString(input, "Session", 8192) ?? "";
  const client = await clientFor(
    ctx,
    clientId,
    responses["USERNAME"] ?? "",
    responses["SECRET_HASH"],
  );
  const result = await ctx.pool.auth.respondAs(client, { challengeName, session, responses });
  return flowResult(result);
};

/** GetTokensFromRefreshToken: Amplify v6's refresh; the client secret itself, not a hash. */
const getTokensFromRefreshToken: Operation = async (input, ctx) => {
  const clientId = clientIdOf(input);
  const refreshToken = requiredString(input, "RefreshToken", 16384);
  const client = await ctx.pool.clients.authenticate(
    clientId,
    optionalString(input, "ClientSecret", 512) ?? null,
  );
  const tokens = await ctx.pool.sessions.refreshFor(client, refreshToken);
  return { AuthenticationResult: authenticationResult(tokens) };
};

/** RevokeToken (RFC 7009 semantics): an unknown token is not an error; another client's is. */
const revokeToken: Operation = async (input, ctx) => {
  const token = requiredString(input, "Token", 16384);
  await ctx.pool.sessions.revoke({
    clientId: clientIdOf(input),
    clientSecret: optionalString(input, "ClientSecret", 512) ?? null,
    token,
  });
  return {};
};

const globalSignOut: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  await ctx.pool.sessions.signOutEverywhere(user.sub, "global_sign_out");
  return {};
};

export const authOperations: Readonly<Record<string, Operation>> = {
  InitiateAuth: initiateAuth,
  RespondToAuthChallenge: respondToAuthChallenge,
  GetTokensFromRefreshToken: getTokensFromRefreshToken,
  RevokeToken: revokeToken,
  GlobalSignOut: globalSignOut,
};
