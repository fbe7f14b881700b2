/**
 * Software tokens (TOTP authenticators) being set up, DESIGN §11: AssociateSoftwareToken and
 * VerifySoftwareToken, for a signed-in user (their access token) or inside a sign-in through
 * the session of an MFA_SETUP challenge, which each step spends and renews; the conversation
 * then ends with RespondToAuthChallenge MFA_SETUP (identity/signIn.ts).
 */
import { PoolgateError } from "../errors";
import { stepClient, stepUser, type ChallengeSessions } from "./challenges";
import type { IdentityDeps } from "./deps";
import type { MfaService } from "./mfa";

export interface SoftwareTokenCaller {
  /** A signed-in user (an access token with aws.cognito.signin.user.admin)… */
  sub?: string;
  /** …or the Session of an MFA_SETUP challenge. */
  session?: string | null;
}

function notSignedIn(): PoolgateError {
  return new PoolgateError("UNAUTHENTICATED", "Unauthorized", {
    logDetail: "software token: neither an access token nor a session",
  });
}

export class SoftwareTokenService {
  constructor(
    private readonly d: IdentityDeps,
    private readonly challenges: ChallengeSessions,
    private readonly mfa: MfaService,
  ) {}

  /**
   * AssociateSoftwareToken: a new TOTP secret for the caller. With an MFA_SETUP Session the
   * step is spent and a new one returned, which VerifySoftwareToken takes next.
   */
  async associate(
    caller: SoftwareTokenCaller,
  ): Promise<{ secretCode: string; otpauthUri: string; session: string | undefined }> {
    if (caller.session) {
      const record = await this.challenges.open(caller.session, undefined, ["MFA_SETUP"]);
      const user = await stepUser(this.d, record);
      const client = await stepClient(this.d, record);
      const secret = await this.mfa.associate(user);
      await this.challenges.spend(record);
      const next = await this.challenges.create({
        sub: user.sub,
        clientId: client.clientId,
        challengeName: "MFA_SETUP",
        validityMinutes: client.authSessionValidityMinutes,
        requestedScopes: record.requestedScopes,
        context: { totp: "associated" },
      });
      return { ...secret, session: next.session };
    }
    const user = caller.sub === undefined ? undefined : await this.d.store.getUserBySub(caller.sub);
    if (user === undefined) throw notSignedIn();
    return { ...(await this.mfa.associate(user)), session: undefined };
  }

  /**
   * VerifySoftwareToken: a code of the associated secret turns the authenticator on. With a
   * Session (MFA_SETUP) the step is spent and a new one returned, which RespondToAuthChallenge
   * MFA_SETUP exchanges for tokens; a wrong code counts against the session.
   */
  async verify(
    caller: SoftwareTokenCaller,
    code: string,
  ): Promise<{ status: "SUCCESS"; session: string | undefined }> {
    const mismatch = () =>
      new PoolgateError(
        "ENABLE_SOFTWARE_TOKEN_MFA",
        "Code mismatch and fail enable Software Token MFA",
      );
    if (caller.session) {
      const record = await this.challenges.open(caller.session, undefined, ["MFA_SETUP"]);
      if (record.context["totp"] !== "associated")
        throw new PoolgateError(
          "SOFTWARE_TOKEN_MFA_NOT_FOUND",
          "Software token MFA has not been associated with the user: call associateSoftwareToken first.",
        );
      const client = await stepClient(this.d, record);
      if (!(await this.mfa.verifyPending(record.sub, code))) {
        await this.challenges.wrongAnswer(record);
        throw mismatch();
      }
      await this.challenges.spend(record);
      const next = await this.challenges.create({
        sub: record.sub,
        clientId: client.clientId,
        challengeName: "MFA_SETUP",
        validityMinutes: client.authSessionValidityMinutes,
        requestedScopes: record.requestedScopes,
        context: { totp: "verified" },
      });
      return { status: "SUCCESS", session: next.session };
    }
    if (caller.sub === undefined) throw notSignedIn();
    if (!(await this.mfa.verifyPending(caller.sub, code))) throw mismatch();
    return { status: "SUCCESS", session: undefined };
  }
}
