/**
 * Cognito's registration and recovery operations: SignUp, ConfirmSignUp,
 * ResendConfirmationCode, ForgotPassword and ConfirmForgotPassword. A confidential client
 * proves itself with the top-level SecretHash keyed with the Username.
 */
import { maskEmail } from "../delivery/mask";
import type { Operation } from "./api";
import { clientFor } from "./auth";
import { invalidParameter } from "./errors";
import { attributeList, optionalString, requiredString, type Input } from "./input";
import { codeDeliveryDetails } from "./self";

function clientIdAndName(input: Input): { clientId: string; username: string } {
  return {
    clientId: requiredString(input, "ClientId", 128),
    username: requiredString(input, "Username", 128),
  };
}

const signUp: Operation = async (input, ctx) => {
  const { clientId, username } = clientIdAndName(input);
  await clientFor(ctx, clientId, username, optionalString(input, "SecretHash", 128));
  const attributes = attributeList(input, "UserAttributes");
  if ("email_verified" in attributes || "phone_number_verified" in attributes)
    throw invalidParameter("Verification attributes cannot be set by sign-up");
  const { user, destination } = await ctx.pool.users.signUp({
    username,
    password: requiredString(input, "Password", 256),
    attributes,
  });
  return {
    UserConfirmed: user.confirmed,
    UserSub: user.sub,
    ...(destination !== undefined
      ? {
          CodeDeliveryDetails: codeDeliveryDetails({
            destination: maskEmail(destination),
            deliveryMedium: "EMAIL",
            attributeName: "email",
          }),
        }
      : {}),
  };
};

const confirmSignUp: Operation = async (input, ctx) => {
  const { clientId, username } = clientIdAndName(input);
  await clientFor(ctx, clientId, username, optionalString(input, "SecretHash", 128));
  await ctx.pool.users.confirmSignUp(username, requiredString(input, "ConfirmationCode", 64));
  return {};
};

const resendConfirmationCode: Operation = async (input, ctx) => {
  const { clientId, username } = clientIdAndName(input);
  await clientFor(ctx, clientId, username, optionalString(input, "SecretHash", 128));
  return {
    CodeDeliveryDetails: codeDeliveryDetails(
      await ctx.pool.recovery.resendConfirmationCode(username),
    ),
  };
};

const forgotPassword: Operation = async (input, ctx) => {
  const { clientId, username } = clientIdAndName(input);
  await clientFor(ctx, clientId, username, optionalString(input, "SecretHash", 128));
  return {
    CodeDeliveryDetails: codeDeliveryDetails(
      await ctx.pool.recovery.forgotPassword(username, clientId),
    ),
  };
};

const confirmForgotPassword: Operation = async (input, ctx) => {
  const { clientId, username } = clientIdAndName(input);
  await clientFor(ctx, clientId, username, optionalString(input, "SecretHash", 128));
  await ctx.pool.recovery.confirmForgotPassword(
    username,
    requiredString(input, "ConfirmationCode", 64),
    requiredString(input, "Password", 256),
  );
  return {};
};

export const signUpOperations: Readonly<Record<string, Operation>> = {
  SignUp: signUp,
  ConfirmSignUp: confirmSignUp,
  ResendConfirmationCode: resendConfirmationCode,
  ForgotPassword: forgotPassword,
  ConfirmForgotPassword: confirmForgotPassword,
};
