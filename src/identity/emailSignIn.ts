/**
 * Passwordless sign-in with an email code: Cognito's EMAIL_OTP first factor of choice-based
 * sign-in (USER_AUTH with PREFERRED_CHALLENGE EMAIL_OTP, or SELECT_CHALLENGE answered with it),
 * offered when POOLGATE_FIRST_FACTORS has EMAIL_OTP. identity/signIn.ts runs the steps:
 *
 *   InitiateAuth USER_AUTH (EMAIL_OTP) → EMAIL_OTP: CODE_DELIVERY_DESTINATION (masked), Session
 *   RespondToAuthChallenge EMAIL_OTP: EMAIL_OTP_CODE → tokens (no second factor after it, as
 *   Cognito: a passwordless factor is not followed by MFA)
 *
 * Anyone may ask for a code for any name, so the step must not tell a user from a stranger: a
 * user who may sign in this way (enabled, confirmed, no pending password change, a verified
 * email) gets a step of their own and a code mailed AFTER the answer (identity/afterAnswer.ts;
 * a code that cannot be delivered is void); any other name gets a stateless step of the same
 * shape, a made-up masked address (stable per name), and no mail — and its answer fails as a
 * wrong code does. Requests are limited per name (LIMIT_EXCEEDED), answers count on the
 * sign-in lockout, and a step takes 3 wrong codes, as every challenge.
 */
import { randomUUID } from "node:crypto";
import { maskEmail } from "../delivery/mask";
import type { MessageSender } from "../delivery/message";
import { PoolgateError } from "../errors";
import type { ChallengeRecord, UserRecord } from "../store/store";
import type { AfterAnswer } from "./afterAnswer";
import { isStatelessStep, type ChallengeSessions } from "./challenges";
import { CodeHasher, madeUpDestination, newCode, sendOrUndo } from "./codes";
import type { IdentityDeps } from "./deps";
import { canonicalUsername } from "./usernames";
import type { ClientView } from "./views";

const WRONG_CODE = "Invalid code received for user";

/** The step InitiateAuth answers with: its session and Cognito's delivery parameters. */
export interface EmailFirstFactorStep {
  session: string;
  parameters: Record<string, string>;
}

function mayUseEmail(user: UserRecord | undefined): user is UserRecord {
  return (
    user !== undefined &&
    user.enabled &&
    user.confirmed &&
    !user.passwordResetRequired &&
    user.temporaryPasswordExpiresAtMs === null &&
    user.attributes["email"] !== undefined &&
    user.attributes["email_verified"] === "true"
  );
}

export class EmailSignIn {
  private readonly codes: CodeHasher;

  constructor(
    private readonly d: IdentityDeps,
    private readonly challenges: ChallengeSessions,
    private readonly sender: MessageSender,
    private readonly afterAnswer: AfterAnswer,
  ) {
    this.codes = new CodeHasher(d.secrets.storageHashKey);
  }

  get offered(): boolean {
    return this.d.config.firstFactors.has("EMAIL_OTP");
  }

  /** The EMAIL_OTP step for a name, whoever it is (see the file comment). */
  async start(
    client: ClientView,
    rawUsername: string,
    requested: readonly string[] | null,
  ): Promise<EmailFirstFactorStep> {
    if (!this.offered)
      throw new PoolgateError(
        "BAD_USER_INPUT",
        "The first factor EMAIL_OTP is not offered by this user pool",
      );
    const username =
      canonicalUsername(rawUsername, this.d.config.usernameCaseSensitive) ??
      rawUsername.slice(0, 128);
    await this.d.lockout.limitRequests(`email-sign-in:${username}`, this.d.now());
    const user = await this.d.store.getUserByUsername(username);
    const common = {
      clientId: client.clientId,
      challengeName: "EMAIL_OTP" as const,
      validityMinutes: client.authSessionValidityMinutes,
      requestedScopes: requested,
      context: { firstFactor: "EMAIL_OTP", username },
    };
    let session: string;
    let destination: string;
    if (mayUseEmail(user)) {
      const code = newCode();
      const step = await this.challenges.create(
        { ...common, sub: user.sub, codeHash: this.codes.hash(`email-otp:${user.sub}`, code) },
        undefined,
        { lookAlike: true },
      );
      session = step.session;
      destination = maskEmail(user.attributes["email"]!);
      this.afterAnswer.run("email_sign_in", () =>
        sendOrUndo(
          this.sender,
          { kind: "mfa", to: user.attributes["email"]!, username: user.username, code },
          () => this.challenges.spend(step.record).catch(() => undefined),
        ),
      );
    } else {
      session = await this.challenges.createStateless({ ...common, sub: randomUUID() }, undefined, {
        lookAlike: true,
      });
      destination = madeUpDestination(this.d.secrets.storageHashKey, username);
    }
    return {
      session,
      parameters: {
        CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL",
        CODE_DELIVERY_DESTINATION: destination,
      },
    };
  }

  /**
   * The answer to an EMAIL_OTP first-factor step: the user, once the code matched, the step is
   * spent and the sign-in count counted; CODE_MISMATCH otherwise (a stranger's step, with no
   * code, never matches — after the same work).
   */
  async verify(record: ChallengeRecord, code: string): Promise<UserRecord> {
    const username = record.context["username"] ?? "";
    const user = isStatelessStep(record) ? undefined : await this.d.store.getUserBySub(record.sub);
    await this.d.lockout.reserve(
      `signin:${username}`,
      user !== undefined,
      this.d.now(),
      "Password attempts exceeded",
    );
    const matches = this.codes.matches(`email-otp:${record.sub}`, code, record.codeHash);
    if (!matches || user === undefined) {
      await this.challenges.wrongAnswer(record);
      throw new PoolgateError("CODE_MISMATCH", WRONG_CODE, {
        logDetail:
          user === undefined
            ? "sign-in: email code for a name with none"
            : "sign-in: wrong email code",
      });
    }
    if (!mayUseEmail(user) || this.d.revocations.isUserBlocked(user.sub))
      throw new PoolgateError("NOT_AUTHORIZED", "User is disabled.", {
        logDetail: "sign-in: the user changed during the conversation",
      });
    await this.challenges.spend(record);
    return user;
  }
}
