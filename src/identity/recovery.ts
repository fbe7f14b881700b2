/**
 * Account recovery and attribute verification (DESIGN §11): ForgotPassword /
 * ConfirmForgotPassword, ResendConfirmationCode, and the code that verifies a changed email.
 *
 * The two public requests that take only a username (ForgotPassword, ResendConfirmationCode)
 * answer every name alike, as Cognito does with PreventUserExistenceErrors: the same shape
 * (a masked destination — for a name no user has, a made-up one derived from the name, so it
 * is the same on every call) and the same work before the answer. Everything that differs —
 * making the code, storing it, handing it to the mail server — happens after the answer, so
 * the response time cannot tell a user from a stranger; a delivery that fails then voids its
 * code and is logged. Their rate limit is counted in memory for every name alike, for the
 * same reason (a store write for known names only would show in the timing).
 */
import { PoolgateError } from "../errors";
import { maskEmail } from "../delivery/mask";
import type { MessageSender } from "../delivery/message";
import type { CodePurpose, UserRecord } from "../store/store";
import type { AfterAnswer } from "./afterAnswer";
import { CodeHasher, madeUpDestination, newCode, sendOrUndo } from "./codes";
import type { IdentityDeps } from "./deps";
import { UserMigration } from "./migration";
import { assertPasswordPolicy } from "./passwords";
import type { SessionService } from "./sessions";
import { storedPassword } from "./storedPassword";
import { validateAttributes, type UserService } from "./users";
import { canonicalUsername } from "./usernames";

/** Cognito's CodeDeliveryDetails. */
export interface CodeDeliveryDetails {
  /** Masked: a***@e***.com. */
  destination: string;
  deliveryMedium: "EMAIL";
  attributeName: "email";
}

/** ForgotPassword codes work for an hour (Cognito's lifetime). */
export const FORGOT_PASSWORD_CODE_LIFETIME_MS = 60 * 60 * 1000;
/** Attribute verification codes work for 24 hours (Cognito's lifetime). */
export const VERIFY_ATTRIBUTE_CODE_LIFETIME_MS = 24 * 60 * 60 * 1000;

const WRONG_CODE = "Invalid verification code provided, please try again.";
const EXPIRED = "Invalid code provided, please request a code again.";
const LIMIT = "Attempt limit exceeded, please try after some time.";

function delivered(destination: string): CodeDeliveryDetails {
  return { destination, deliveryMedium: "EMAIL", attributeName: "email" };
}

function hasVerifiedEmail(user: UserRecord): boolean {
  return user.attributes["email"] !== undefined && user.attributes["email_verified"] === "true";
}

export class RecoveryService {
  private readonly codes: CodeHasher;
  private readonly migration: UserMigration;

  constructor(
    private readonly d: IdentityDeps,
    private readonly users: UserService,
    private readonly sessions: SessionService,
    private readonly sender: MessageSender,
    /** Deliveries after their answer (a stop waits for them). */
    private readonly afterAnswer: AfterAnswer,
  ) {
    this.codes = new CodeHasher(d.secrets.storageHashKey);
    this.migration = new UserMigration(d);
  }

  private get recoveryByEmail(): boolean {
    return this.d.config.accountRecovery === "verified_email";
  }

  private madeUpDestination(name: string): string {
    return madeUpDestination(this.d.secrets.storageHashKey, name);
  }

  /** The per-instance request limit of the username-only requests (see the file comment). */
  private limit(key: string): Promise<void> {
    return this.d.lockout.limitRequests(key, this.d.now());
  }

  private later(what: string, work: () => Promise<void>): void {
    this.afterAnswer.run(what, work);
  }

  // ── ForgotPassword ──────────────────────────────────────────────────────────────────────

  /** `clientId`: the app client asking, for the userMigration hook's event (identity/migration.ts). */
  async forgotPassword(rawUsername: string, clientId = ""): Promise<CodeDeliveryDetails> {
    if (!this.recoveryByEmail)
      throw new PoolgateError(
        "NOT_AUTHORIZED",
        "Account recovery by email is not enabled for this user pool; ask an administrator.",
      );
    const username = canonicalUsername(rawUsername, this.d.config.usernameCaseSensitive);
    if (username === undefined) return delivered(this.madeUpDestination(rawUsername.slice(0, 256)));
    await this.limit(`forgot-request:${username}`);
    // A name no user has may be one the userMigration hook knows: it runs before the answer.
    const user =
      (await this.d.store.getUserByUsername(username)) ??
      (await this.migration.forgotPassword(username, clientId));
    // Codes go only to a verified address of a user who may sign in at all; a user with a
    // temporary password can only answer NEW_PASSWORD_REQUIRED with it (DESIGN §11).
    const eligible =
      user !== undefined &&
      user.enabled &&
      user.confirmed &&
      user.temporaryPasswordExpiresAtMs === null &&
      hasVerifiedEmail(user);
    if (!eligible) return delivered(this.madeUpDestination(username));
    this.later("forgot_password", () => this.sendResetCode(user));
    return delivered(maskEmail(user.attributes["email"]!));
  }

  /** A new forgot-password code for the user, sent; voided if it cannot be delivered. */
  private sendResetCode(user: UserRecord): Promise<void> {
    return this.sendCode(
      user,
      "forgot_password",
      `forgot-password:${user.sub}`,
      FORGOT_PASSWORD_CODE_LIFETIME_MS,
    );
  }

  /**
   * A new code of `purpose` (replacing the pending one) under `domain`, sent to the user's
   * email; deleted again if the mail server does not take it (CODE_DELIVERY_FAILURE).
   */
  private async sendCode(
    user: UserRecord,
    purpose: CodePurpose,
    domain: string,
    lifetimeMs: number,
  ): Promise<void> {
    const code = newCode();
    const codeHash = this.codes.hash(domain, code);
    const nowMs = this.d.now();
    await this.d.store.putCode({
      sub: user.sub,
      purpose,
      codeHash,
      createdAtMs: nowMs,
      expiresAtMs: nowMs + lifetimeMs,
    });
    await sendOrUndo(
      this.sender,
      { kind: "verification", to: user.attributes["email"]!, username: user.username, code },
      () => this.d.store.deleteCode(user.sub, purpose, codeHash),
    );
  }

  /**
   * ConfirmForgotPassword. An unknown name, no pending code and a wrong code answer alike
   * (CODE_MISMATCH) after the same comparison; wrong codes count towards a lockout of their
   * own. The new password and the spending of the code are one store transaction, and every
   * session of the user is revoked — before it (so an interrupted reset leaves the user signed
   * out, never a changed password with sessions alive) and after it (so no session started
   * with the old password in between survives).
   */
  async confirmForgotPassword(rawUsername: string, code: string, password: string): Promise<true> {
    if (!this.recoveryByEmail)
      throw new PoolgateError(
        "NOT_AUTHORIZED",
        "Account recovery by email is not enabled for this user pool; ask an administrator.",
      );
    const mismatch = (why: string) =>
      new PoolgateError("CODE_MISMATCH", WRONG_CODE, {
        logDetail: `confirm forgot password: ${why}`,
      });
    const username = canonicalUsername(rawUsername, this.d.config.usernameCaseSensitive);
    if (username === undefined) throw mismatch("invalid username");
    const lockKey = `forgot-confirm:${username}`;
    const user = await this.d.store.getUserByUsername(username);
    await this.d.lockout.reserve(lockKey, user !== undefined, this.d.now(), LIMIT);
    const pending =
      user === undefined ? undefined : await this.d.store.getCode(user.sub, "forgot_password");
    const matches = this.codes.matches(
      `forgot-password:${user?.sub ?? username}`,
      code,
      pending?.codeHash,
    );
    if (user === undefined || pending === undefined || !matches)
      throw mismatch(
        user === undefined ? "unknown user" : pending === undefined ? "no code" : "wrong code",
      );
    if (pending.expiresAtMs <= this.d.now()) throw new PoolgateError("EXPIRED_CODE", EXPIRED);
    assertPasswordPolicy(
      { minLength: this.d.config.passwordMinLength, require: this.d.config.passwordRequire },
      password,
    );
    const stored = await storedPassword(this.d, user, password);
    await this.sessions.signOutEverywhere(user.sub, "password_reset");
    const nowMs = this.d.now();
    const redeemed = await this.d.store.redeemCode(
      user.sub,
      "forgot_password",
      pending.codeHash,
      nowMs,
      { ...stored, passwordResetRequired: false },
      { kind: "user_changed", subject: user.sub, atMs: nowMs },
    );
    if (!redeemed) throw mismatch("spent or expired meanwhile");
    await this.sessions.signOutEverywhere(user.sub, "password_reset");
    this.d.directory.invalidate(user.sub);
    await this.d.lockout.clear(lockKey);
    // The owner of the address has proved it: the sign-in count starts again too.
    await this.d.lockout.clear(`signin:${user.username}`);
    return true;
  }

  /**
   * AdminResetUserPassword: the next sign-in answers PASSWORD_RESET_REQUIRED, and a user with a
   * verified email is sent a forgot-password code (Cognito does both). A failed delivery is
   * CODE_DELIVERY_FAILURE; the reset stands (the admin can ask again), the code is void.
   */
  async adminResetPassword(username: string): Promise<void> {
    const view = await this.users.require(username);
    await this.users.requirePasswordReset(view.username);
    const user = await this.d.store.getUserBySub(view.sub);
    if (user !== undefined && this.recoveryByEmail && hasVerifiedEmail(user))
      await this.sendResetCode(user);
  }

  // ── ResendConfirmationCode ──────────────────────────────────────────────────────────────

  async resendConfirmationCode(rawUsername: string): Promise<CodeDeliveryDetails> {
    const username = canonicalUsername(rawUsername, this.d.config.usernameCaseSensitive);
    if (username === undefined) return delivered(this.madeUpDestination(rawUsername.slice(0, 256)));
    await this.limit(`resend-confirmation:${username}`);
    const user = await this.d.store.getUserByUsername(username);
    const email = user?.attributes["email"];
    if (user === undefined || user.confirmed || email === undefined)
      return delivered(this.madeUpDestination(username));
    this.later("resend_confirmation_code", () => this.users.resendConfirmation(user));
    return delivered(maskEmail(email));
  }

  // ── attributes ──────────────────────────────────────────────────────────────────────────

  /**
   * UpdateUserAttributes for the signed-in user: a changed email is unverified until the code
   * sent to it is verified (the list says where codes went). Verification flags cannot be set.
   */
  async updateAttributes(
    sub: string,
    changes: Readonly<Record<string, string>>,
  ): Promise<CodeDeliveryDetails[]> {
    for (const name of Object.keys(changes))
      if (name === "email_verified" || name === "phone_number_verified")
        throw new PoolgateError(
          "BAD_USER_INPUT",
          `Cannot modify the non-mutable attribute ${name}`,
        );
    const given = validateAttributes(changes);
    const user = await this.signedIn(sub);
    const attributes = { ...user.attributes, ...given };
    const emailChanged =
      given["email"] !== undefined && given["email"] !== user.attributes["email"];
    if (emailChanged) attributes["email_verified"] = "false";
    const nowMs = this.d.now();
    await this.d.store.updateUser(sub, { attributes }, nowMs, {
      kind: "user_changed",
      subject: sub,
      atMs: nowMs,
    });
    this.d.directory.invalidate(sub);
    if (!emailChanged) return [];
    return [await this.sendAttributeCode(sub, "email")];
  }

  /**
   * DeleteUserAttributes for the signed-in user. The pool's required attributes stay; an
   * attribute's verification flag goes with it.
   */
  async deleteAttributes(sub: string, names: readonly string[]): Promise<void> {
    const user = await this.signedIn(sub);
    const attributes = { ...user.attributes };
    for (const name of names) {
      if (this.d.config.requiredAttributes.includes(name))
        throw new PoolgateError("BAD_USER_INPUT", `Cannot delete the required attribute ${name}`);
      if (name === "email_verified" || name === "phone_number_verified")
        throw new PoolgateError(
          "BAD_USER_INPUT",
          `Cannot modify the non-mutable attribute ${name}`,
        );
      delete attributes[name];
      if (name === "email" || name === "phone_number") delete attributes[`${name}_verified`];
    }
    const nowMs = this.d.now();
    await this.d.store.updateUser(sub, { attributes }, nowMs, {
      kind: "user_changed",
      subject: sub,
      atMs: nowMs,
    });
    this.d.directory.invalidate(sub);
  }

  /** GetUserAttributeVerificationCode: a code to the user's current email (24 h, single use). */
  async sendAttributeCode(sub: string, attributeName: string): Promise<CodeDeliveryDetails> {
    if (attributeName !== "email")
      throw new PoolgateError("BAD_USER_INPUT", "Only the email attribute can be verified");
    const user = await this.signedIn(sub);
    const email = user.attributes["email"];
    if (email === undefined) throw new PoolgateError("BAD_USER_INPUT", "The user has no email");
    await this.limit(`verify-send:${sub}`);
    // Bound to the address: a code sent to an earlier address verifies nothing after a change.
    await this.sendCode(
      user,
      "verify_email",
      `verify-email:${sub}:${email}`,
      VERIFY_ATTRIBUTE_CODE_LIFETIME_MS,
    );
    return delivered(maskEmail(email));
  }

  /** VerifyUserAttribute: the code sent to the current email marks it verified. */
  async verifyAttribute(sub: string, attributeName: string, code: string): Promise<true> {
    if (attributeName !== "email")
      throw new PoolgateError("BAD_USER_INPUT", "Only the email attribute can be verified");
    const user = await this.signedIn(sub);
    const lockKey = `verify-attribute:${sub}`;
    await this.d.lockout.reserve(lockKey, true, this.d.now(), LIMIT);
    const email = user.attributes["email"] ?? "";
    const pending = await this.d.store.getCode(sub, "verify_email");
    if (!this.codes.matches(`verify-email:${sub}:${email}`, code, pending?.codeHash) || !pending)
      throw new PoolgateError("CODE_MISMATCH", WRONG_CODE, {
        logDetail: "verify attribute: wrong code",
      });
    const nowMs = this.d.now();
    if (pending.expiresAtMs <= nowMs) throw new PoolgateError("EXPIRED_CODE", EXPIRED);
    const redeemed = await this.d.store.redeemCode(
      sub,
      "verify_email",
      pending.codeHash,
      nowMs,
      { attributes: { ...user.attributes, email_verified: "true" } },
      { kind: "user_changed", subject: sub, atMs: nowMs },
    );
    if (!redeemed)
      throw new PoolgateError("CODE_MISMATCH", WRONG_CODE, {
        logDetail: "verify attribute: spent meanwhile",
      });
    this.d.directory.invalidate(sub);
    await this.d.lockout.clear(lockKey);
    return true;
  }

  private async signedIn(sub: string): Promise<UserRecord> {
    const user = await this.d.store.getUserBySub(sub);
    if (user === undefined || !user.enabled)
      throw new PoolgateError("NOT_AUTHORIZED", "User is disabled.", {
        logDetail: "attribute change by a user who is gone or disabled",
      });
    return user;
  }
}
