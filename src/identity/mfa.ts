/**
 * Multi-factor authentication (DESIGN §11): which second factor a sign-in asks for, software
 * tokens (TOTP, RFC 6238) set up with AssociateSoftwareToken → VerifySoftwareToken, and the
 * users' factor preferences. TOTP secrets are sealed under the master key at rest; a code is
 * accepted once: the step it belongs to must be later than the last step accepted for the
 * user, compared and recorded in one atomic store update, so a replay within the code's
 * window — on any instance — is refused.
 */
import type { Config, MfaMode } from "../config";
import { PoolgateError } from "../errors";
import type { MfaFactor, MfaRecord, MfaStore, UserRecord, UserStore } from "../store/store";
import { seal, unseal } from "../tokens/sealed";
import { newTotpSecret, totpCodeStep, totpUri } from "../tokens/totp";

const TOTP_SECRET_TYP = "poolgate-totp-secret+jwe";
const MAX_SEALED_SECRET_BYTES = 1024;

/** What a sign-in that passed its first factor must do next. */
export type MfaDecision =
  | { kind: "none" }
  | { kind: "challenge"; factor: MfaFactor }
  /** SELECT_MFA_TYPE: the user has several factors and no preference. */
  | { kind: "select"; factors: MfaFactor[] }
  /** MFA_SETUP: MFA is required and the user has no factor yet. */
  | { kind: "setup"; factors: MfaFactor[] };

export interface MfaSettings {
  /** Factors the user has turned on (and the pool offers). */
  enabled: MfaFactor[];
  preferred: MfaFactor | null;
}

/** A factor's switch as SetUserMFAPreference takes it; absent: leave as it is. */
export interface FactorPreference {
  enabled: boolean;
  preferred?: boolean | null;
}

export interface MfaPreferences {
  softwareToken?: FactorPreference | null;
  email?: FactorPreference | null;
}

function hasVerifiedEmail(user: Pick<UserRecord, "attributes">): boolean {
  return user.attributes["email"] !== undefined && user.attributes["email_verified"] === "true";
}

function emptyRecord(sub: string, nowMs: number): MfaRecord {
  return {
    sub,
    totpSecretSealed: null,
    pendingTotpSecretSealed: null,
    totpEnabled: false,
    emailEnabled: false,
    preferred: null,
    lastTotpStep: null,
    updatedAtMs: nowMs,
  };
}

export class MfaService {
  constructor(
    private readonly store: MfaStore,
    private readonly users: Pick<UserStore, "getUserBySub">,
    private readonly config: Pick<Readonly<Config>, "mfa" | "mfaFactors" | "totpIssuer">,
    private readonly secretKey: Uint8Array,
    private readonly now: () => number,
  ) {}

  get mode(): MfaMode {
    return this.config.mfa;
  }

  offers(factor: MfaFactor): boolean {
    return this.config.mfaFactors.has(factor);
  }

  /** The factors a user has on and can use now, in Cognito's order (TOTP first). */
  private enabledFactors(
    user: Pick<UserRecord, "attributes">,
    mfa: MfaRecord | undefined,
  ): MfaFactor[] {
    const factors: MfaFactor[] = [];
    if (this.offers("SOFTWARE_TOKEN_MFA") && mfa?.totpEnabled && mfa.totpSecretSealed !== null)
      factors.push("SOFTWARE_TOKEN_MFA");
    if (this.offers("EMAIL_OTP") && mfa?.emailEnabled && user.attributes["email"] !== undefined)
      factors.push("EMAIL_OTP");
    return factors;
  }

  /** What a sign-in asks for after the password (or a new password). */
  async decide(user: UserRecord): Promise<MfaDecision> {
    if (this.config.mfa === "OFF") return { kind: "none" };
    const mfa = await this.store.getMfa(user.sub);
    const factors = this.enabledFactors(user, mfa);
    if (factors.length === 0) {
      if (this.config.mfa === "OPTIONAL") return { kind: "none" };
      // Required, and the user has turned nothing on: a verified email is a factor already
      // (Cognito sends email MFA to it); otherwise the user sets up an authenticator now.
      if (this.offers("EMAIL_OTP") && hasVerifiedEmail(user))
        return { kind: "challenge", factor: "EMAIL_OTP" };
      if (this.offers("SOFTWARE_TOKEN_MFA"))
        return { kind: "setup", factors: ["SOFTWARE_TOKEN_MFA"] };
      throw new PoolgateError("MFA_METHOD_NOT_FOUND", "No MFA method is available for the user.", {
        logDetail: "MFA is ON, the pool offers only EMAIL_OTP and the user has no verified email",
      });
    }
    if (factors.length === 1) return { kind: "challenge", factor: factors[0]! };
    const preferred = mfa?.preferred;
    if (preferred && factors.includes(preferred)) return { kind: "challenge", factor: preferred };
    return { kind: "select", factors };
  }

  /** What the user's MFA looks like (for `User.mfa`). */
  async settings(user: Pick<UserRecord, "sub" | "attributes">): Promise<MfaSettings> {
    const mfa = await this.store.getMfa(user.sub);
    const enabled = this.enabledFactors(user, mfa);
    const preferred = mfa?.preferred ?? null;
    return {
      enabled,
      preferred: preferred !== null && enabled.includes(preferred) ? preferred : null,
    };
  }

  /**
   * AssociateSoftwareToken: a new secret, kept (sealed) as the user's pending one until a code
   * of it is verified. The verified authenticator, if any, keeps working meanwhile.
   */
  async associate(
    user: Pick<UserRecord, "sub" | "username">,
  ): Promise<{ secretCode: string; otpauthUri: string }> {
    if (!this.offers("SOFTWARE_TOKEN_MFA"))
      throw new PoolgateError(
        "MFA_METHOD_NOT_FOUND",
        "Software token MFA is not enabled for this user pool.",
      );
    const secretCode = newTotpSecret();
    const sealed = await seal(this.secretKey, TOTP_SECRET_TYP, secretCode);
    const nowMs = this.now();
    await this.store.updateMfa(user.sub, (previous) => ({
      ...(previous ?? emptyRecord(user.sub, nowMs)),
      pendingTotpSecretSealed: sealed,
      updatedAtMs: nowMs,
    }));
    return { secretCode, otpauthUri: totpUri(secretCode, this.config.totpIssuer, user.username) };
  }

  /**
   * VerifySoftwareToken: a code of the pending secret makes it the user's authenticator, with
   * TOTP turned on (Cognito marks it verified and it is asked for from then on), and its step
   * spent. False on a wrong code; SOFTWARE_TOKEN_MFA_NOT_FOUND when nothing is pending.
   */
  async verifyPending(sub: string, code: string): Promise<boolean> {
    const mfa = await this.store.getMfa(sub);
    const sealed = mfa?.pendingTotpSecretSealed ?? null;
    if (sealed === null)
      throw new PoolgateError(
        "SOFTWARE_TOKEN_MFA_NOT_FOUND",
        "Software token MFA has not been associated with the user: call associateSoftwareToken first.",
      );
    const secret = await unseal(this.secretKey, TOTP_SECRET_TYP, sealed, MAX_SEALED_SECRET_BYTES);
    if (secret === undefined) throw new Error("a pending TOTP secret does not open");
    const nowMs = this.now();
    const step = totpCodeStep(secret, code, nowMs);
    if (step === undefined) return false;
    let verified = false;
    await this.store.updateMfa(sub, (previous) => {
      // Another verification (or association) got there first: leave it as it is.
      if (previous === undefined || previous.pendingTotpSecretSealed !== sealed) return undefined;
      verified = true;
      return {
        ...previous,
        totpSecretSealed: sealed,
        pendingTotpSecretSealed: null,
        totpEnabled: true,
        lastTotpStep: step,
        updatedAtMs: nowMs,
      };
    });
    return verified;
  }

  /**
   * A sign-in's SOFTWARE_TOKEN_MFA answer: true only for a code of the user's authenticator
   * whose time step is later than every step accepted before (the check and the record are
   * one atomic update, so two instances cannot both accept one code).
   */
  async checkTotp(sub: string, code: string): Promise<boolean> {
    const mfa = await this.store.getMfa(sub);
    if (mfa?.totpSecretSealed == null) return false;
    const sealed = mfa.totpSecretSealed;
    const secret = await unseal(this.secretKey, TOTP_SECRET_TYP, sealed, MAX_SEALED_SECRET_BYTES);
    if (secret === undefined) throw new Error("a TOTP secret does not open");
    const step = totpCodeStep(secret, code, this.now());
    if (step === undefined) return false;
    let accepted = false;
    await this.store.updateMfa(sub, (previous) => {
      if (previous === undefined || previous.totpSecretSealed !== sealed) return undefined;
      if (previous.lastTotpStep !== null && step <= previous.lastTotpStep) return undefined;
      accepted = true;
      return { ...previous, lastTotpStep: step, updatedAtMs: this.now() };
    });
    return accepted;
  }

  /**
   * SetUserMFAPreference / AdminSetUserMFAPreference. Turning a factor on needs it to exist
   * (a verified authenticator; a verified email the pool may send codes to); preferring one
   * turns it on. With MFA ON the last factor cannot be turned off (Cognito's rule).
   */
  async setPreferences(user: UserRecord, preferences: MfaPreferences): Promise<void> {
    const nowMs = this.now();
    const { softwareToken, email } = preferences;
    if (softwareToken?.enabled && !this.offers("SOFTWARE_TOKEN_MFA"))
      throw new PoolgateError(
        "MFA_METHOD_NOT_FOUND",
        "Software token MFA is not enabled for this user pool.",
      );
    if (email?.enabled) {
      if (!this.offers("EMAIL_OTP"))
        throw new PoolgateError(
          "MFA_METHOD_NOT_FOUND",
          "Email MFA is not enabled for this user pool.",
        );
      if (!hasVerifiedEmail(user))
        throw new PoolgateError(
          "MFA_METHOD_NOT_FOUND",
          "Email MFA needs a verified email address.",
        );
    }
    let failure: PoolgateError | undefined;
    await this.store.updateMfa(user.sub, (previous) => {
      const next: MfaRecord = { ...(previous ?? emptyRecord(user.sub, nowMs)), updatedAtMs: nowMs };
      if (softwareToken) {
        if (softwareToken.enabled && next.totpSecretSealed === null) {
          failure = new PoolgateError(
            "SOFTWARE_TOKEN_MFA_NOT_FOUND",
            "User has not verified software token mfa",
          );
          return undefined;
        }
        next.totpEnabled = softwareToken.enabled;
        if (softwareToken.enabled && softwareToken.preferred) next.preferred = "SOFTWARE_TOKEN_MFA";
        else if (
          next.preferred === "SOFTWARE_TOKEN_MFA" &&
          (!softwareToken.enabled || softwareToken.preferred === false)
        )
          next.preferred = null;
      }
      if (email) {
        next.emailEnabled = email.enabled;
        if (email.enabled && email.preferred) next.preferred = "EMAIL_OTP";
        else if (next.preferred === "EMAIL_OTP" && (!email.enabled || email.preferred === false))
          next.preferred = null;
      }
      if (
        this.config.mfa === "ON" &&
        this.enabledFactors(user, next).length === 0 &&
        this.enabledFactors(user, previous).length > 0
      ) {
        failure = new PoolgateError(
          "BAD_USER_INPUT",
          "MFA is required in this user pool: the last factor cannot be turned off.",
        );
        return undefined;
      }
      return next;
    });
    if (failure) throw failure;
  }

  /** SetUserMFAPreference for a signed-in user. */
  async setPreferencesOf(sub: string, preferences: MfaPreferences): Promise<void> {
    const user = await this.users.getUserBySub(sub);
    if (user === undefined || !user.enabled)
      throw new PoolgateError("NOT_AUTHORIZED", "User is disabled.");
    await this.setPreferences(user, preferences);
  }

  /** An admin's reset: authenticator, pending secret and preferences gone. */
  async reset(sub: string): Promise<void> {
    await this.store.updateMfa(sub, () => null);
  }
}
