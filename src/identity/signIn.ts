/**
 * Sign-in as a conversation (DESIGN §11), the one engine every front door uses: InitiateAuth
 * either issues tokens or names a challenge (with an opaque Session, identity/challenges.ts),
 * and RespondToAuthChallenge answers it, until tokens come back. Steps:
 *
 *   password ─┬─ temporary password ── NEW_PASSWORD_REQUIRED ─┐
 *             └──────────────────────────────────────────────┴─ MFA decision (identity/mfa.ts)
 *                 none ─────────────────────────────── tokens
 *                 one factor ── SOFTWARE_TOKEN_MFA | EMAIL_OTP ── tokens
 *                 several, no preference ── SELECT_MFA_TYPE ── (that factor) ── tokens
 *                 required, none set up ── MFA_SETUP (associate + verify) ── tokens
 *
 * The first factor is a password (USER_PASSWORD_AUTH, USER_AUTH's PASSWORD) or Cognito's SRP
 * proof of one (USER_SRP_AUTH, USER_AUTH's PASSWORD_SRP → PASSWORD_VERIFIER, identity/srpSignIn.ts).
 *
 * Lockout: the sign-in counter (identity/lockout.ts) counts the password and every MFA
 * answer, and is cleared only when tokens are issued: a password holder cannot reset the
 * count between rounds of guessing codes. `signIn` (USER_PASSWORD_AUTH in one call) keeps its
 * shape: CHALLENGE_REQUIRED, before anything is sent or stored, for a user with a challenge.
 */
import { randomUUID } from "node:crypto";
import type { MessageSender } from "../delivery/message";
import { PoolgateError } from "../errors";
import type { ChallengeName, ChallengeRecord, UserRecord } from "../store/store";
import { stepUser, type ChallengeSessions } from "./challenges";
import { CodeHasher, newCode, sendOrUndo } from "./codes";
import type { IdentityDeps } from "./deps";
import type { EmailFirstFactorStep, EmailSignIn } from "./emailSignIn";
import type { MfaService } from "./mfa";
import { UserMigration } from "./migration";
import { assertPasswordPolicy, MAX_PASSWORD_LENGTH } from "./passwords";
import { grantUserScopes } from "./scopes";
import {
  badInput,
  mfaStep,
  required,
  TEMPORARY_PASSWORD_EXPIRED,
  WRONG_CODE,
  WRONG_CREDENTIALS,
  type Next,
} from "./signInSteps";
import type { AuthenticationResult, SessionService } from "./sessions";
import { SrpSignIn } from "./srpSignIn";
import { storedPassword } from "./storedPassword";
import { validateAttributes } from "./users";
import { canonicalUsername } from "./usernames";
import type { ClientView } from "./views";

export type { ChallengeName };

export type AuthFlow = "USER_PASSWORD_AUTH" | "USER_AUTH" | "USER_SRP_AUTH";

export interface InitiateAuthRequest {
  clientId: string;
  clientSecret?: string | null;
  authFlow: AuthFlow;
  username: string;
  password?: string | null;
  scopes?: readonly string[] | null;
  /** USER_AUTH: the first factor wanted (Cognito's PREFERRED_CHALLENGE). */
  preferredChallenge?: ChallengeName | null;
  /** USER_SRP_AUTH, and USER_AUTH with PASSWORD_SRP: the client's SRP_A (hex). */
  srpA?: string | null;
}

export interface SignInRequest {
  clientId: string;
  clientSecret?: string | null;
  username: string;
  password: string;
  scopes?: readonly string[] | null;
}

export interface RespondRequest {
  clientId: string;
  clientSecret?: string | null;
  challengeName: ChallengeName;
  /** The Session of the challenge answered; PASSWORD_VERIFIER has none (its SECRET_BLOCK is in `responses`). */
  session?: string | null;
  /** Cognito's ChallengeResponses (NEW_PASSWORD, SOFTWARE_TOKEN_MFA_CODE, EMAIL_OTP_CODE, ANSWER, …). */
  responses: Readonly<Record<string, string>>;
}

export interface IssuedChallenge {
  challengeName: ChallengeName;
  /** Undefined for PASSWORD_VERIFIER, as Cognito's: the client echoes its SECRET_BLOCK instead. */
  session: string | undefined;
  /** Cognito's ChallengeParameters, values as strings (lists as JSON text). */
  parameters: Record<string, string>;
  /** SELECT_CHALLENGE: the first factors the user may choose from. */
  availableChallenges?: ChallengeName[];
}

/** Where a conversation ends: `End` once every step is answered, or the next challenge. */
export type FlowResult<End> = { kind: "challenge"; challenge: IssuedChallenge } | End;

/** The end of the API front doors' conversations: tokens. */
export type AuthFlowResult = FlowResult<{ kind: "tokens"; tokens: AuthenticationResult }>;

/**
 * The conversation itself, for any ending: the API front doors end it with tokens
 * (SignInService); the hosted sign-in page ends it with an authenticated user, whose tokens
 * come later through an authorization code (identity/hostedSignIn.ts).
 */
export abstract class SignInEngine<End> {
  private readonly codes: CodeHasher;
  private readonly srp: SrpSignIn;
  private readonly migration: UserMigration;

  constructor(
    protected readonly d: IdentityDeps,
    private readonly challenges: ChallengeSessions,
    private readonly mfa: MfaService,
    private readonly sender: MessageSender,
    /** Passwordless EMAIL_OTP, USER_AUTH's third first factor (identity/emailSignIn.ts). */
    private readonly email: EmailSignIn,
  ) {
    this.codes = new CodeHasher(d.secrets.storageHashKey);
    this.srp = new SrpSignIn(d, challenges);
    this.migration = new UserMigration(d);
  }

  /**
   * The last step: every answer was right, the user is enabled, the lockout count cleared.
   * `ending` names a conversation that a new password ended (NEW_PASSWORD_REQUIRED).
   */
  protected abstract finish(
    client: ClientView,
    user: UserRecord,
    requested: readonly string[] | null,
    groups: readonly string[],
    ending?: "new-password",
  ): Promise<End>;

  async initiateAuth(req: InitiateAuthRequest): Promise<FlowResult<End>> {
    const client = await this.d.clients.authenticate(req.clientId, req.clientSecret);
    return this.initiateAuthAs(client, req);
  }

  /** InitiateAuth for a client its front door authenticated (Cognito's API: by SECRET_HASH). */
  async initiateAuthAs(
    client: ClientView,
    req: Omit<InitiateAuthRequest, "clientId" | "clientSecret">,
  ): Promise<FlowResult<End>> {
    const requested = req.scopes ?? null;
    if (req.authFlow === "USER_AUTH" && req.preferredChallenge === "EMAIL_OTP")
      return this.emailStep(await this.email.start(client, req.username, requested));
    if (
      req.authFlow === "USER_AUTH" &&
      req.preferredChallenge === "PASSWORD_SRP" &&
      !this.d.config.firstFactors.has("PASSWORD_SRP")
    )
      throw badInput("The first factor PASSWORD_SRP is not offered by this user pool");
    if (
      req.authFlow === "USER_SRP_AUTH" ||
      (req.authFlow === "USER_AUTH" && req.preferredChallenge === "PASSWORD_SRP")
    )
      return this.passwordVerifier(await this.srp.start(client, req.username, req.srpA, requested));
    const password = req.password ?? null;
    if (req.authFlow === "USER_AUTH" && password === null) {
      if (
        (req.preferredChallenge ?? "PASSWORD") !== "PASSWORD" &&
        req.preferredChallenge !== "SELECT_CHALLENGE"
      )
        throw badInput(
          `The first factor ${req.preferredChallenge} is not offered by this user pool`,
        );
      return this.selectFirstFactor(client, req.username, requested);
    }
    if (password === null) throw badInput("Missing required parameter PASSWORD");
    const user = await this.checkPassword(req.username, password, client);
    const next = await this.afterPassword(client, user, requested, password);
    return this.proceed(client, user, requested, next);
  }

  async respond(req: RespondRequest): Promise<FlowResult<End>> {
    const client = await this.d.clients.authenticate(req.clientId, req.clientSecret);
    return this.respondAs(client, req);
  }

  /** RespondToAuthChallenge for a client its front door authenticated. */
  async respondAs(
    client: ClientView,
    req: Omit<RespondRequest, "clientId" | "clientSecret">,
  ): Promise<FlowResult<End>> {
    const responses = req.responses;
    if (req.challengeName === "PASSWORD_VERIFIER")
      return this.answerPasswordVerifier(client, responses);
    const firstFactor =
      req.challengeName === "SELECT_CHALLENGE" ||
      req.challengeName === "PASSWORD" ||
      req.challengeName === "PASSWORD_SRP";
    const record = await this.challenges.open(
      req.session ?? "",
      client.clientId,
      firstFactor ? ["SELECT_CHALLENGE", "PASSWORD"] : [req.challengeName],
    );
    switch (req.challengeName) {
      case "SELECT_CHALLENGE":
      case "PASSWORD":
      case "PASSWORD_SRP":
        return this.answerFirstFactor(client, record, req.challengeName, responses);
      case "NEW_PASSWORD_REQUIRED":
        return this.answerNewPassword(client, record, responses);
      case "SOFTWARE_TOKEN_MFA":
        return this.answerTotp(client, record, responses);
      case "EMAIL_OTP":
        return this.answerEmailOtp(client, record, responses);
      case "SELECT_MFA_TYPE":
        return this.answerSelectMfaType(client, record, responses);
      case "MFA_SETUP":
        return this.answerMfaSetup(client, record);
    }
  }

  // ── first factor ────────────────────────────────────────────────────────────────────────

  /**
   * The password check of USER_PASSWORD_AUTH. Unknown users and wrong passwords get the same
   * error after the same work (a dummy hash is verified), and both count towards the lockout,
   * so the answer never tells whether a username exists. The count is not cleared here.
   * `migrateFor`: the client a name no user has may be migrated for (identity/migration.ts).
   */
  protected async checkPassword(
    rawUsername: string,
    password: string,
    migrateFor: ClientView | null,
  ): Promise<UserRecord> {
    const username = canonicalUsername(rawUsername, this.d.config.usernameCaseSensitive);
    if (password.length > MAX_PASSWORD_LENGTH) {
      // Refused before hashing: an attacker must not choose how much work a hash costs.
      throw new PoolgateError("NOT_AUTHORIZED", WRONG_CREDENTIALS, {
        logDetail: "sign-in: password too long",
      });
    }
    if (username === undefined) {
      // No user can have such a name, so answering without hashing reveals nothing.
      throw new PoolgateError("NOT_AUTHORIZED", WRONG_CREDENTIALS, {
        logDetail: "sign-in: invalid username",
      });
    }
    const found = await this.d.store.getUserByUsername(username);
    await this.d.lockout.reserve(
      `signin:${username}`,
      found !== undefined,
      this.d.now(),
      "Password attempts exceeded",
    );
    // Counted above before the hook runs; a refusal then costs the dummy hash as any stranger.
    const user =
      found ??
      (migrateFor && (await this.migration.signIn(username, password, migrateFor.clientId)));
    const ok = user
      ? await this.d.hasher.verify(user.passwordHash, password)
      : await this.d.hasher.verifyDummy(password);
    if (!user || !ok) {
      throw new PoolgateError("NOT_AUTHORIZED", WRONG_CREDENTIALS, {
        logDetail: user ? "sign-in: wrong password" : "sign-in: unknown user",
      });
    }
    return user;
  }

  /**
   * What follows a right password: the user's state (checked only now, as Cognito does).
   * `password` is null when it was proven without being sent (SRP): then nothing is rehashed.
   */
  protected async afterPassword(
    client: ClientView,
    user: UserRecord,
    requested: readonly string[] | null,
    password: string | null,
  ): Promise<Next> {
    if (!user.enabled) throw new PoolgateError("NOT_AUTHORIZED", "User is disabled.");
    if (!user.confirmed) throw new PoolgateError("USER_NOT_CONFIRMED", "User is not confirmed.");
    if (user.passwordResetRequired)
      throw new PoolgateError("PASSWORD_RESET_REQUIRED", "Password reset required for the user");
    // Scopes are refused now, before a conversation the user could never finish.
    const groups = (await this.d.store.getGroupsForUsers([user.sub]))[0] ?? [];
    grantUserScopes(this.d.scopeRules, client.allowedScopes, requested, groups);
    if (user.temporaryPasswordExpiresAtMs !== null) {
      if (user.temporaryPasswordExpiresAtMs <= this.d.now())
        throw new PoolgateError("NOT_AUTHORIZED", TEMPORARY_PASSWORD_EXPIRED);
      const missing = this.d.config.requiredAttributes.filter((a) => !(a in user.attributes));
      return {
        kind: "challenge",
        name: "NEW_PASSWORD_REQUIRED",
        parameters: {
          USER_ID_FOR_SRP: user.username,
          requiredAttributes: JSON.stringify(missing.map((a) => `userAttributes.${a}`)),
          userAttributes: JSON.stringify(user.attributes),
        },
      };
    }
    // A hash below the configured cost is upgraded, and a user without a usable SRP verifier
    // (a password from before SRP, a renamed user, a changed pool id) gets one: both are
    // stored afresh from the password just proven.
    if (
      password !== null &&
      (this.d.hasher.needsRehash(user.passwordHash) || !(await this.d.srp.usable(user)))
    ) {
      await this.d.store.updateUser(
        user.sub,
        await storedPassword(this.d, user, password),
        this.d.now(),
      );
    }
    const next = await this.afterFirstFactor(user);
    // Tokens in this same request: the groups just read serve them too.
    return next.kind === "tokens" ? { kind: "tokens", groups } : next;
  }

  /** USER_AUTH without a password: the first factors to choose from (Cognito's SELECT_CHALLENGE). */
  private async selectFirstFactor(
    client: ClientView,
    rawUsername: string,
    requested: readonly string[] | null,
  ): Promise<FlowResult<End>> {
    const username = canonicalUsername(rawUsername, this.d.config.usernameCaseSensitive);
    const user =
      username === undefined ? undefined : await this.d.store.getUserByUsername(username);
    // An unknown name gets the same step, for a subject no user has: the answer tells nothing.
    // The step is stateless: anyone may ask for one, so it must cost the store nothing.
    const session = await this.challenges.createStateless({
      sub: user?.sub ?? randomUUID(),
      clientId: client.clientId,
      challengeName: "SELECT_CHALLENGE",
      validityMinutes: client.authSessionValidityMinutes,
      requestedScopes: requested,
      context: { username: username ?? rawUsername.slice(0, 128) },
    });
    return {
      kind: "challenge",
      challenge: {
        challengeName: "SELECT_CHALLENGE",
        session,
        parameters: {},
        availableChallenges: [...this.d.config.firstFactors],
      },
    };
  }

  /** SELECT_CHALLENGE answered: PASSWORD with the password, or PASSWORD_SRP with SRP_A. */
  private async answerFirstFactor(
    client: ClientView,
    record: ChallengeRecord,
    challengeName: "SELECT_CHALLENGE" | "PASSWORD" | "PASSWORD_SRP",
    responses: Readonly<Record<string, string>>,
  ): Promise<FlowResult<End>> {
    const answer =
      responses["ANSWER"] ?? (challengeName === "PASSWORD_SRP" ? "PASSWORD_SRP" : "PASSWORD");
    if (answer === "EMAIL_OTP")
      return this.emailStep(
        await this.email.start(client, record.context["username"] ?? "", record.requestedScopes),
      );
    if (answer === "PASSWORD_SRP" && !this.d.config.firstFactors.has("PASSWORD_SRP"))
      throw badInput("The first factor PASSWORD_SRP is not offered by this user pool");
    if (answer === "PASSWORD_SRP")
      // The SELECT_CHALLENGE step is stateless: nothing to spend; the secret block is the step now.
      return this.passwordVerifier(
        await this.srp.start(
          client,
          record.context["username"] ?? "",
          responses["SRP_A"],
          record.requestedScopes,
        ),
      );
    if (answer !== "PASSWORD")
      throw badInput(`The first factor ${answer.slice(0, 40)} is not offered by this user pool`);
    const password = required(responses, "PASSWORD");
    let user: UserRecord;
    try {
      // Not migrated here: the step began for a subject no user had (docs/hooks.md).
      user = await this.checkPassword(record.context["username"] ?? "", password, null);
    } catch (err) {
      if (err instanceof PoolgateError && err.code === "NOT_AUTHORIZED")
        await this.challenges.wrongAnswer(record);
      throw err;
    }
    if (user.sub !== record.sub)
      throw new PoolgateError("NOT_AUTHORIZED", WRONG_CREDENTIALS, {
        logDetail: "sign-in: the user changed during the conversation",
      });
    await this.challenges.spend(record);
    const next = await this.afterPassword(client, user, record.requestedScopes, password);
    return this.proceed(client, user, record.requestedScopes, next);
  }

  // ── SRP ─────────────────────────────────────────────────────────────────────────────────

  /** EMAIL_OTP as a first factor (identity/emailSignIn.ts). */
  private emailStep(step: EmailFirstFactorStep): FlowResult<End> {
    return {
      kind: "challenge",
      challenge: { challengeName: "EMAIL_OTP", session: step.session, parameters: step.parameters },
    };
  }

  /** PASSWORD_VERIFIER, with no Session (identity/srpSignIn.ts). */
  private passwordVerifier(parameters: Record<string, string>): FlowResult<End> {
    return {
      kind: "challenge",
      challenge: { challengeName: "PASSWORD_VERIFIER", session: undefined, parameters },
    };
  }

  /** A right PASSWORD_VERIFIER answer goes on as a right password would. */
  private async answerPasswordVerifier(
    client: ClientView,
    responses: Readonly<Record<string, string>>,
  ): Promise<FlowResult<End>> {
    const { user, requestedScopes } = await this.srp.verify(client, responses);
    const next = await this.afterPassword(client, user, requestedScopes, null);
    return this.proceed(client, user, requestedScopes, next);
  }

  // ── NEW_PASSWORD_REQUIRED ───────────────────────────────────────────────────────────────

  private async answerNewPassword(
    client: ClientView,
    record: ChallengeRecord,
    responses: Readonly<Record<string, string>>,
  ): Promise<FlowResult<End>> {
    const user = await this.userOf(record);
    if (user.temporaryPasswordExpiresAtMs === null)
      throw new PoolgateError("INVALID_SESSION", "Invalid session for the user.", {
        logDetail: "new password: the temporary password was replaced meanwhile",
      });
    const newPassword = required(responses, "NEW_PASSWORD");
    const given: Record<string, string> = {};
    for (const [name, value] of Object.entries(responses)) {
      if (!name.startsWith("userAttributes.")) continue;
      const attribute = name.slice("userAttributes.".length);
      if (attribute === "email_verified" || attribute === "phone_number_verified")
        throw badInput(`Cannot modify the non-mutable attribute ${attribute}`);
      given[attribute] = value;
    }
    const attributes = { ...user.attributes, ...validateAttributes(given) };
    const missing = this.d.config.requiredAttributes.filter((a) => !attributes[a]);
    if (missing.length > 0)
      throw badInput(`Invalid attributes given, ${missing.join(", ")} is missing`);
    if (given["email"] !== undefined && given["email"] !== user.attributes["email"])
      attributes["email_verified"] = "false";
    assertPasswordPolicy(
      { minLength: this.d.config.passwordMinLength, require: this.d.config.passwordRequire },
      newPassword,
    );
    await this.challenges.spend(record);
    const nowMs = this.d.now();
    const stored = await storedPassword(this.d, user, newPassword);
    await this.d.store.updateUser(
      user.sub,
      { ...stored, temporaryPasswordExpiresAtMs: null, attributes },
      nowMs,
      { kind: "user_changed", subject: user.sub, atMs: nowMs },
    );
    this.d.directory.invalidate(user.sub);
    const updated: UserRecord = {
      ...user,
      ...stored,
      temporaryPasswordExpiresAtMs: null,
      attributes,
    };
    return this.proceed(
      client,
      updated,
      record.requestedScopes,
      await this.afterFirstFactor(updated),
      undefined,
      "new-password",
    );
  }

  // ── MFA ─────────────────────────────────────────────────────────────────────────────────

  private async afterFirstFactor(user: UserRecord): Promise<Next> {
    return mfaStep(user, await this.mfa.decide(user));
  }

  private async answerTotp(
    client: ClientView,
    record: ChallengeRecord,
    responses: Readonly<Record<string, string>>,
  ): Promise<FlowResult<End>> {
    const user = await this.userOf(record);
    const code = required(responses, "SOFTWARE_TOKEN_MFA_CODE");
    await this.reserveSignInAttempt(user);
    if (!(await this.mfa.checkTotp(user.sub, code))) {
      await this.challenges.wrongAnswer(record);
      throw new PoolgateError("CODE_MISMATCH", WRONG_CODE, {
        logDetail: "sign-in: wrong or replayed TOTP code",
      });
    }
    await this.challenges.spend(record);
    return this.tokensFor(client, user, record.requestedScopes);
  }

  private async answerEmailOtp(
    client: ClientView,
    record: ChallengeRecord,
    responses: Readonly<Record<string, string>>,
  ): Promise<FlowResult<End>> {
    if (record.context["firstFactor"] === "EMAIL_OTP") {
      // Passwordless: the code is the first factor, and no second one follows (as Cognito).
      const user = await this.email.verify(record, required(responses, "EMAIL_OTP_CODE"));
      return this.tokensFor(client, user, record.requestedScopes);
    }
    const user = await this.userOf(record);
    const code = required(responses, "EMAIL_OTP_CODE");
    await this.reserveSignInAttempt(user);
    if (!this.codes.matches(`email-otp:${user.sub}`, code, record.codeHash)) {
      await this.challenges.wrongAnswer(record);
      throw new PoolgateError("CODE_MISMATCH", WRONG_CODE, {
        logDetail: "sign-in: wrong email code",
      });
    }
    await this.challenges.spend(record);
    return this.tokensFor(client, user, record.requestedScopes);
  }

  private async answerSelectMfaType(
    client: ClientView,
    record: ChallengeRecord,
    responses: Readonly<Record<string, string>>,
  ): Promise<FlowResult<End>> {
    const answer = required(responses, "ANSWER");
    const offered = (record.context["factors"] ?? "").split(",");
    if (!offered.includes(answer) || (answer !== "SOFTWARE_TOKEN_MFA" && answer !== "EMAIL_OTP"))
      throw badInput(`ANSWER must be one of ${offered.join(", ")}`);
    const user = await this.userOf(record);
    const next = mfaStep(user, { kind: "challenge", factor: answer });
    // Spent once the email code (if any) is out: a failed delivery leaves the choice to retry.
    return this.proceed(client, user, record.requestedScopes, next, record);
  }

  private async answerMfaSetup(
    client: ClientView,
    record: ChallengeRecord,
  ): Promise<FlowResult<End>> {
    if (record.context["totp"] !== "verified")
      throw new PoolgateError(
        "SOFTWARE_TOKEN_MFA_NOT_FOUND",
        "Set up a software token first: associateSoftwareToken, then verifySoftwareToken with this session.",
      );
    const user = await this.userOf(record);
    await this.challenges.spend(record);
    return this.tokensFor(client, user, record.requestedScopes);
  }

  /** A second-factor answer counts on the same counter as the password (DESIGN §11). */
  private async reserveSignInAttempt(user: UserRecord): Promise<void> {
    await this.d.lockout.reserve(
      `signin:${user.username}`,
      true,
      this.d.now(),
      "Password attempts exceeded",
    );
  }

  // ── steps and tokens ────────────────────────────────────────────────────────────────────

  /**
   * Carries out a decision: tokens, or the challenge recorded (and its code sent). `spend`, the
   * step being answered, is spent after the code is sent and before anything is issued.
   */
  private async proceed(
    client: ClientView,
    user: UserRecord,
    requested: readonly string[] | null,
    next: Next,
    spend?: ChallengeRecord,
    ending?: "new-password",
  ): Promise<FlowResult<End>> {
    if (next.kind === "tokens") {
      if (spend) await this.challenges.spend(spend);
      return this.tokensFor(client, user, requested, next.groups, ending);
    }
    let codeHash: string | null = null;
    if (next.name === "EMAIL_OTP") {
      // Sent before the step is recorded: a failed delivery leaves no code that could work.
      const code = newCode();
      await sendOrUndo(
        this.sender,
        { kind: "mfa", to: user.attributes["email"] ?? "", username: user.username, code },
        async () => undefined, // nothing recorded yet
      );
      codeHash = this.codes.hash(`email-otp:${user.sub}`, code);
    }
    if (spend) await this.challenges.spend(spend);
    const { session } = await this.challenges.create({
      sub: user.sub,
      clientId: client.clientId,
      challengeName: next.name,
      validityMinutes: client.authSessionValidityMinutes,
      requestedScopes: requested,
      codeHash,
      ...(next.context ? { context: next.context } : {}),
    });
    return {
      kind: "challenge",
      challenge: { challengeName: next.name, session, parameters: next.parameters },
    };
  }

  private async tokensFor(
    client: ClientView,
    user: UserRecord,
    requested: readonly string[] | null,
    knownGroups?: readonly string[],
    ending?: "new-password",
  ): Promise<End> {
    const groups = await this.complete(user, knownGroups);
    return this.finish(client, user, requested, groups, ending);
  }

  /** Every conversation's last check: the user is still enabled; the lockout count cleared. */
  protected async complete(
    user: UserRecord,
    knownGroups?: readonly string[],
  ): Promise<readonly string[]> {
    if (!user.enabled || this.d.revocations.isUserBlocked(user.sub))
      throw new PoolgateError("NOT_AUTHORIZED", "User is disabled.");
    const groups = knownGroups ?? (await this.d.store.getGroupsForUsers([user.sub]))[0] ?? [];
    await this.d.lockout.clear(`signin:${user.username}`);
    return groups;
  }

  private userOf(record: ChallengeRecord): Promise<UserRecord> {
    return stepUser(this.d, record);
  }
}

/** The API front doors' engine (GraphQL, Cognito's API): conversations end with a new session. */
export class SignInService extends SignInEngine<{ kind: "tokens"; tokens: AuthenticationResult }> {
  constructor(
    d: IdentityDeps,
    private readonly sessions: SessionService,
    challenges: ChallengeSessions,
    mfa: MfaService,
    sender: MessageSender,
    email: EmailSignIn,
  ) {
    super(d, challenges, mfa, sender, email);
  }

  /** USER_PASSWORD_AUTH in one call (the `signIn` mutation): tokens, or CHALLENGE_REQUIRED. */
  async signIn(req: SignInRequest): Promise<AuthenticationResult> {
    const client = await this.d.clients.authenticate(req.clientId, req.clientSecret);
    const requested = req.scopes ?? null;
    const user = await this.checkPassword(req.username, req.password, client);
    const next = await this.afterPassword(client, user, requested, req.password);
    if (next.kind === "challenge") {
      throw new PoolgateError(
        "CHALLENGE_REQUIRED",
        `The user must answer the ${next.name} challenge: sign in with initiateAuth.`,
        { logDetail: `sign-in: ${next.name} required` },
      );
    }
    return (await this.finish(client, user, requested, await this.complete(user, next.groups)))
      .tokens;
  }

  protected async finish(
    client: ClientView,
    user: UserRecord,
    requested: readonly string[] | null,
    groups: readonly string[],
    ending?: "new-password",
  ): Promise<{ kind: "tokens"; tokens: AuthenticationResult }> {
    const scopes = grantUserScopes(this.d.scopeRules, client.allowedScopes, requested, groups);
    const triggerSource =
      ending === "new-password"
        ? "TokenGeneration_NewPasswordChallenge"
        : "TokenGeneration_Authentication";
    return {
      kind: "tokens",
      tokens: await this.sessions.startSession(client, user, groups, scopes, undefined, {
        triggerSource,
      }),
    };
  }
}
