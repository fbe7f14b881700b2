/**
 * Cognito's user migration trigger, in-process (DESIGN §14, docs/hooks.md): a password
 * sign-in or a forgot password for a name no user has asks the `userMigration` hook, with
 * Cognito's event, whether an older directory knows the user; its answer creates the user,
 * so users move over on their next sign-in without anyone knowing their passwords.
 *
 * Cognito's rules, as its trigger reference states them: `userAttributes` (required; standard
 * and `custom:` attributes) become the user's attributes, validated as any user's; the password
 * of the sign-in is stored as any password (hash and SRP verifier) and the pool's password
 * policy is not applied to it; `finalUserStatus` CONFIRMED (or none) lets the user sign in with
 * it, RESET_REQUIRED makes the sign-in answer PASSWORD_RESET_REQUIRED. A hook says "no such
 * user, or wrong password" by failing — the reference's own example answers "Bad password" —
 * or by answering without `userAttributes`: either way the caller answers as for any unknown
 * name. An answer the trigger may not give is UNEXPECTED_LAMBDA, and nothing is created.
 * Where Cognito is silent, docs/decisions.md says what poolgate does.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { isPoolgateError } from "../errors";
import { StoreConflictError, type UserRecord } from "../store/store";
import type { IdentityDeps } from "./deps";
import { HookAnswerError } from "./hooks";
import { storedPassword } from "./storedPassword";
import { validateAttributes } from "./users";

export type MigrationSource = "UserMigration_Authentication" | "UserMigration_ForgotPassword";

/** What an accepted answer asks for; undefined: the hook knows no such user. */
interface Accepted {
  attributes: Record<string, string>;
  resetRequired: boolean;
}

/** Attributes no trigger may set: Cognito makes `sub`, and the username is the one signed in with. */
const RESTRICTED = new Set(["sub", "username", "cognito:username", "cognito:user_status"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Absent or null: the hook left the field as Cognito's event has it. */
function unset(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

/** Reads the hook's answer under the trigger's rules; throws HookAnswerError for one it may not give. */
export function readMigrationAnswer(
  answer: Record<string, unknown>,
  requiredAttributes: readonly string[],
): Accepted | undefined {
  const response = answer["response"];
  if (!isObject(response)) throw new HookAnswerError("answered without a response object");
  const given = response["userAttributes"];
  if (unset(given)) return undefined;
  if (!isObject(given) || Object.keys(given).length === 0)
    throw new HookAnswerError("userAttributes must be an object with one or more attributes");
  for (const [name, value] of Object.entries(given)) {
    if (RESTRICTED.has(name) || name.startsWith("cognito:"))
      throw new HookAnswerError(`userAttributes may not set ${name.slice(0, 64)}`);
    if (typeof value !== "string")
      throw new HookAnswerError(`userAttributes.${name.slice(0, 64)} must be a string`);
  }
  let attributes: Record<string, string>;
  try {
    attributes = validateAttributes(given as Record<string, string>);
  } catch (err) {
    if (isPoolgateError(err)) throw new HookAnswerError(err.message);
    throw err;
  }
  const missing = requiredAttributes.filter((a) => !attributes[a]);
  if (missing.length > 0)
    throw new HookAnswerError(`userAttributes lack the required ${missing.join(", ")}`);
  const status = response["finalUserStatus"];
  if (!unset(status) && status !== "CONFIRMED" && status !== "RESET_REQUIRED")
    throw new HookAnswerError("finalUserStatus must be CONFIRMED or RESET_REQUIRED");
  const action = response["messageAction"];
  if (!unset(action) && action !== "SUPPRESS")
    throw new HookAnswerError("messageAction must be SUPPRESS or absent");
  const mediums = response["desiredDeliveryMediums"];
  if (
    !unset(mediums) &&
    !(Array.isArray(mediums) && mediums.every((m) => m === "EMAIL" || m === "SMS"))
  )
    throw new HookAnswerError("desiredDeliveryMediums must be a list of EMAIL and SMS");
  const force = response["forceAliasCreation"];
  if (!unset(force) && typeof force !== "boolean")
    throw new HookAnswerError("forceAliasCreation must be a boolean");
  const sms = response["enableSMSMFA"];
  if (!unset(sms) && typeof sms !== "boolean")
    throw new HookAnswerError("enableSMSMFA must be a boolean");
  // Asked for a factor this pool cannot give: refused loudly rather than a weaker user made.
  if (sms === true) throw new HookAnswerError("enableSMSMFA: this user pool has no SMS MFA");
  return { attributes, resetRequired: status === "RESET_REQUIRED" };
}

export class UserMigration {
  constructor(private readonly d: IdentityDeps) {}

  /**
   * A password sign-in of `username` (canonical), a name no user has: the user the hook vouches
   * for, created with this password — or, when a concurrent migration of the same name won, that
   * user (the caller checks the password against it as for any user). Undefined: no such user.
   */
  async signIn(
    username: string,
    password: string,
    clientId: string,
  ): Promise<UserRecord | undefined> {
    if (!this.d.hooks.has("userMigration")) return undefined;
    const accepted = await this.ask("UserMigration_Authentication", username, clientId, password);
    return accepted && this.create(username, password, accepted);
  }

  /**
   * ForgotPassword of a name no user has: the user the hook vouches for, created with a random
   * password nobody knows and a pending reset (whatever `finalUserStatus` says: there is no
   * password to sign in with), so the reset code is the way in. Undefined: no such user.
   */
  async forgotPassword(username: string, clientId: string): Promise<UserRecord | undefined> {
    if (!this.d.hooks.has("userMigration")) return undefined;
    const accepted = await this.ask("UserMigration_ForgotPassword", username, clientId, undefined);
    if (!accepted) return undefined;
    const unknowable = randomBytes(32).toString("base64url");
    return this.create(username, unknowable, { ...accepted, resetRequired: true });
  }

  /** Cognito's event for the trigger; the answer read (HookAnswerError → UNEXPECTED_LAMBDA). */
  private ask(
    source: MigrationSource,
    username: string,
    clientId: string,
    password: string | undefined,
  ): Promise<Accepted | undefined> {
    const poolId = this.d.config.poolId;
    const event = {
      version: "1",
      triggerSource: source,
      region: poolId.split("_")[0] ?? "",
      userPoolId: poolId,
      userName: username,
      callerContext: { awsSdkVersion: "poolgate", clientId },
      request: {
        // Cognito sends no password in the forgot-password flow.
        ...(password === undefined ? {} : { password }),
        validationData: {},
        clientMetadata: {},
      },
      response: {
        userAttributes: null,
        finalUserStatus: null,
        messageAction: null,
        desiredDeliveryMediums: null,
        forceAliasCreation: null,
        enableSMSMFA: null,
      },
    };
    return this.d.hooks.call(
      "userMigration",
      event,
      (answer) => readMigrationAnswer(answer, this.d.config.requiredAttributes),
      () => undefined,
    );
  }

  /** The user, in one store transaction; a name taken meanwhile yields the user who has it. */
  private async create(
    username: string,
    password: string,
    accepted: Accepted,
  ): Promise<UserRecord | undefined> {
    const sub = randomUUID();
    const nowMs = this.d.now();
    const user: UserRecord = {
      sub,
      username,
      ...(await storedPassword(this.d, { sub, username }, password)),
      enabled: true,
      confirmed: true,
      passwordResetRequired: accepted.resetRequired,
      temporaryPasswordExpiresAtMs: null,
      attributes: accepted.attributes,
      confirmationCodeHash: null,
      confirmationCodeExpiresAtMs: null,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    try {
      await this.d.store.createUser(user, []);
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      return this.d.store.getUserByUsername(username);
    }
    this.d.logger.info({ sub, resetRequired: accepted.resetRequired }, "user migrated");
    return user;
  }
}
