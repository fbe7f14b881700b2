/**
 * Cognito's operations a signed-in user calls with their AccessToken — GetUser, attributes
 * and their verification, ChangePassword, DeleteUser — and the software-token and MFA
 * preference operations (which take an AccessToken or, for set-up, an MFA_SETUP Session).
 */
import type { CodeDeliveryDetails } from "../identity/recovery";
import type { Operation } from "./api";
import { invalidParameter } from "./errors";
import { attributeList, mfaSettings, optionalString, requiredString, stringList } from "./input";
import { signedInUser } from "./principal";

export function codeDeliveryDetails(details: CodeDeliveryDetails): Record<string, unknown> {
  return {
    Destination: details.destination,
    DeliveryMedium: details.deliveryMedium,
    AttributeName: details.attributeName,
  };
}

const getUser: Operation = async (input, ctx) => {
  const signedIn = await signedInUser(ctx, input);
  const [user] = await ctx.pool.directory.usersBySubs([signedIn.sub]);
  if (!user) throw invalidParameter("User does not exist.");
  const mfa = await ctx.pool.mfa.settings(user);
  return {
    Username: user.username,
    // Cognito lists `sub` among the attributes.
    UserAttributes: [
      { Name: "sub", Value: user.sub },
      ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
    ],
    UserMFASettingList: mfa.enabled,
    ...(mfa.preferred ? { PreferredMfaSetting: mfa.preferred } : {}),
  };
};

const updateUserAttributes: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  const sent = await ctx.pool.recovery.updateAttributes(
    user.sub,
    attributeList(input, "UserAttributes"),
  );
  return { CodeDeliveryDetailsList: sent.map(codeDeliveryDetails) };
};

const deleteUserAttributes: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  await ctx.pool.recovery.deleteAttributes(user.sub, stringList(input, "UserAttributeNames"));
  return {};
};

const getUserAttributeVerificationCode: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  const details = await ctx.pool.recovery.sendAttributeCode(
    user.sub,
    requiredString(input, "AttributeName", 32),
  );
  return { CodeDeliveryDetails: codeDeliveryDetails(details) };
};

const verifyUserAttribute: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  await ctx.pool.recovery.verifyAttribute(
    user.sub,
    requiredString(input, "AttributeName", 32),
    requiredString(input, "Code", 64),
  );
  return {};
};

const changePassword: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  await ctx.pool.users.changePassword(
    user.sub,
    requiredString(input, "PreviousPassword", 256),
    requiredString(input, "ProposedPassword", 256),
  );
  return {};
};

const deleteUser: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  await ctx.pool.users.deleteSelf(user.sub);
  return {};
};

/** AccessToken or Session, not both (Cognito's rule for the software-token operations). */
async function softwareTokenCaller(
  input: Parameters<Operation>[0],
  ctx: Parameters<Operation>[1],
): Promise<{ sub?: string; session?: string }> {
  const session = optionalString(input, "Session", 8192);
  const hasToken = optionalString(input, "AccessToken", ctx.config.maxTokenBytes) !== undefined;
  if (session !== undefined && hasToken)
    throw invalidParameter("Provide either an AccessToken or a Session, not both");
  if (session !== undefined) return { session };
  return { sub: (await signedInUser(ctx, input)).sub };
}

const associateSoftwareToken: Operation = async (input, ctx) => {
  const result = await ctx.pool.softwareTokens.associate(await softwareTokenCaller(input, ctx));
  return { SecretCode: result.secretCode, ...(result.session ? { Session: result.session } : {}) };
};

const verifySoftwareToken: Operation = async (input, ctx) => {
  const result = await ctx.pool.softwareTokens.verify(
    await softwareTokenCaller(input, ctx),
    requiredString(input, "UserCode", 6),
  );
  return { Status: result.status, ...(result.session ? { Session: result.session } : {}) };
};

const setUserMfaPreference: Operation = async (input, ctx) => {
  const user = await signedInUser(ctx, input);
  if (mfaSettings(input, "SMSMfaSettings")?.enabled)
    throw invalidParameter("SMS MFA is not offered by this user pool");
  const softwareToken = mfaSettings(input, "SoftwareTokenMfaSettings");
  const email = mfaSettings(input, "EmailMfaSettings");
  await ctx.pool.mfa.setPreferencesOf(user.sub, {
    softwareToken: softwareToken ?? null,
    email: email ?? null,
  });
  return {};
};

export const selfOperations: Readonly<Record<string, Operation>> = {
  GetUser: getUser,
  UpdateUserAttributes: updateUserAttributes,
  DeleteUserAttributes: deleteUserAttributes,
  GetUserAttributeVerificationCode: getUserAttributeVerificationCode,
  VerifyUserAttribute: verifyUserAttribute,
  ChangePassword: changePassword,
  DeleteUser: deleteUser,
  AssociateSoftwareToken: associateSoftwareToken,
  VerifySoftwareToken: verifySoftwareToken,
  SetUserMFAPreference: setUserMfaPreference,
};
