/**
 * AdminInitiateAuth and AdminRespondToAuthChallenge: the sign-in conversation started by a
 * server that holds an access key, onto the same engine as InitiateAuth (auth.ts): the same
 * challenges, sessions and tokens, and the same SECRET_HASH rule for a client with a secret.
 * ADMIN_USER_PASSWORD_AUTH (and its old name ADMIN_NO_SRP_AUTH) is USER_PASSWORD_AUTH run by
 * the server; REFRESH_TOKEN_AUTH and USER_AUTH are as in InitiateAuth.
 */
import type { Operation, SignedOperation } from "./api";
import { authOperations } from "./auth";
import { requirePool } from "./adminShapes";
import { invalidParameter } from "./errors";
import { requiredString } from "./input";

/** AdminInitiateAuth's flows → the InitiateAuth flow that does the same work. */
const FLOWS: Readonly<Record<string, string>> = {
  ADMIN_USER_PASSWORD_AUTH: "USER_PASSWORD_AUTH",
  ADMIN_NO_SRP_AUTH: "USER_PASSWORD_AUTH",
  REFRESH_TOKEN_AUTH: "REFRESH_TOKEN_AUTH",
  REFRESH_TOKEN: "REFRESH_TOKEN",
  USER_AUTH: "USER_AUTH",
  USER_SRP_AUTH: "USER_SRP_AUTH",
};
/** Cognito's other flows: valid names, not offered here. */
const NOT_OFFERED = new Set(["CUSTOM_AUTH", "USER_PASSWORD_AUTH"]);

function publicOperation(name: string): Operation {
  const operation = authOperations[name];
  if (operation === undefined) throw new Error(`auth.ts has no ${name}`);
  return operation;
}

const adminInitiateAuth: SignedOperation = async (input, ctx) => {
  requirePool(input, ctx);
  const flow = requiredString(input, "AuthFlow", 64);
  const as = FLOWS[flow];
  if (as === undefined) {
    if (NOT_OFFERED.has(flow))
      throw invalidParameter(`Initiate Auth method not supported: ${flow}`);
    throw invalidParameter(
      `1 validation error detected: Value '${flow.slice(0, 40)}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set`,
    );
  }
  return publicOperation("InitiateAuth")({ ...input, AuthFlow: as }, ctx);
};

const adminRespondToAuthChallenge: SignedOperation = async (input, ctx) => {
  requirePool(input, ctx);
  return publicOperation("RespondToAuthChallenge")(input, ctx);
};

export const adminAuthOperations: Readonly<Record<string, SignedOperation>> = {
  AdminInitiateAuth: adminInitiateAuth,
  AdminRespondToAuthChallenge: adminRespondToAuthChallenge,
};
