/**
 * Cognito's admin operations (DESIGN §12) on the wire: every one is signed with an access key
 * (SigV4, checked by the dispatcher in api.ts before its input is read) and runs through the
 * admin operations of identity/admin.ts — the same services, users and sessions as GraphQL's
 * admin fields. This file holds the user operations and the list of them all; sign-in is in
 * adminAuth.ts, groups in adminGroups.ts, ListUsers in listUsers.ts.
 */
import { isPoolgateError } from "../errors";
import type { SignedOperation } from "./api";
import { adminAuthOperations } from "./adminAuth";
import { adminGroupOperations } from "./adminGroups";
import { attributesOf, epochSeconds, requirePool, userType } from "./adminShapes";
import { CognitoError, invalidParameter } from "./errors";
import {
  attributeList,
  mfaSettings,
  optionalBoolean,
  optionalString,
  optionalStringList,
  requiredString,
  type Input,
} from "./input";
import { listUsersOperations } from "./listUsers";

function usernameOf(input: Input): string {
  return requiredString(input, "Username", 128);
}

function enumValue<T extends string>(
  input: Input,
  member: string,
  values: readonly T[],
): T | undefined {
  const value = optionalString(input, member, 64);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value))
    throw invalidParameter(
      `1 validation error detected: Value '${value.slice(0, 40)}' at '${member.charAt(0).toLowerCase()}${member.slice(1)}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(", ")}]`,
    );
  return value as T;
}

/**
 * AdminCreateUser: identity's adminCreate (DESIGN §11) — a FORCE_CHANGE_PASSWORD user with the
 * TemporaryPassword, or one generated and sent in an invitation by email; SUPPRESS sends
 * nothing, RESEND sends a new one to a user still in FORCE_CHANGE_PASSWORD.
 */
const adminCreateUser: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  const username = usernameOf(input);
  const mediums = optionalStringList(input, "DesiredDeliveryMediums") ?? [];
  for (const medium of mediums) {
    if (medium === "SMS")
      throw invalidParameter("SMS is not offered by this user pool: use EMAIL.");
    if (medium !== "EMAIL")
      throw invalidParameter(
        `1 validation error detected: Value '[${mediums.join(", ").slice(0, 60)}]' at 'desiredDeliveryMediums' failed to satisfy constraint: Member must satisfy enum value set: [SMS, EMAIL]`,
      );
  }
  const messageAction = enumValue(input, "MessageAction", ["RESEND", "SUPPRESS"] as const);
  try {
    const user = await admin.createUser({
      username,
      temporaryPassword: optionalString(input, "TemporaryPassword", 256) ?? null,
      attributes: attributeList(input, "UserAttributes"),
      messageAction: messageAction ?? null,
    });
    return { User: userType(user) };
  } catch (err) {
    // AdminCreateUser's own words (SignUp's are "User already exists").
    if (isPoolgateError(err) && err.code === "USERNAME_EXISTS")
      throw new CognitoError("UsernameExistsException", "User account already exists");
    throw err;
  }
};

const adminGetUser: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  const user = await admin.requireUser(usernameOf(input));
  const mfa = await admin.userMfa(user.username);
  return {
    Username: user.username,
    UserAttributes: attributesOf(user),
    UserCreateDate: epochSeconds(user.createdAtMs),
    UserLastModifiedDate: epochSeconds(user.updatedAtMs),
    Enabled: user.enabled,
    UserStatus: user.status,
    // MFAOptions is Cognito's legacy SMS-only list: poolgate offers no SMS, so it is never set.
    ...(mfa.enabled.length > 0 ? { UserMFASettingList: mfa.enabled } : {}),
    ...(mfa.preferred !== null ? { PreferredMfaSetting: mfa.preferred } : {}),
  };
};

const adminDisableUser: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.setUserEnabled(usernameOf(input), false);
  return {};
};

const adminEnableUser: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.setUserEnabled(usernameOf(input), true);
  return {};
};

const adminDeleteUser: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.deleteUser(usernameOf(input));
  return {};
};

const adminUserGlobalSignOut: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.signOutEverywhere(usernameOf(input));
  return {};
};

/** Permanent: the user's password from now on; otherwise a temporary one (FORCE_CHANGE_PASSWORD). */
const adminSetUserPassword: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.setUserPassword(
    usernameOf(input),
    requiredString(input, "Password", 256),
    optionalBoolean(input, "Permanent") ?? false,
  );
  return {};
};

/** The next sign-in fails with PasswordResetRequiredException; a code goes to a verified email. */
const adminResetUserPassword: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  await admin.resetUserPassword(usernameOf(input));
  return {};
};

const adminSetUserMfaPreference: SignedOperation = async (input, ctx, admin) => {
  requirePool(input, ctx);
  const username = usernameOf(input);
  if (mfaSettings(input, "SMSMfaSettings")?.enabled)
    throw invalidParameter("SMS MFA is not offered by this user pool");
  await admin.setUserMfaPreference(username, {
    softwareToken: mfaSettings(input, "SoftwareTokenMfaSettings") ?? null,
    email: mfaSettings(input, "EmailMfaSettings") ?? null,
  });
  return {};
};

/** Every admin operation of this door, by its X-Amz-Target name. */
export const adminOperations: Readonly<Record<string, SignedOperation>> = {
  AdminCreateUser: adminCreateUser,
  AdminGetUser: adminGetUser,
  AdminDisableUser: adminDisableUser,
  AdminEnableUser: adminEnableUser,
  AdminDeleteUser: adminDeleteUser,
  AdminUserGlobalSignOut: adminUserGlobalSignOut,
  AdminSetUserPassword: adminSetUserPassword,
  AdminResetUserPassword: adminResetUserPassword,
  AdminSetUserMFAPreference: adminSetUserMfaPreference,
  ...adminAuthOperations,
  ...adminGroupOperations,
  ...listUsersOperations,
};
