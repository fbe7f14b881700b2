/** A second factor a user may have (Cognito's names, as in ChallengeName). */
export type MfaFactor = "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP";

/** A user's MFA settings: one row per user who ever touched them (gone with the user). */
export interface MfaRecord {
  sub: string;
  /** The verified authenticator's TOTP secret, sealed under the master key; null: none. */
  totpSecretSealed: string | null;
  /**
   * A secret handed out by AssociateSoftwareToken and not verified yet, sealed; each new
   * association replaces it, a successful VerifySoftwareToken moves it to `totpSecretSealed`.
   */
  pendingTotpSecretSealed: string | null;
  /** TOTP is one of the user's factors (verified, and not turned off). */
  totpEnabled: boolean;
  /** Email one-time codes are one of the user's factors. */
  emailEnabled: boolean;
  /** The factor asked for when both are enabled; null: the user is asked to choose. */
  preferred: MfaFactor | null;
  /** Highest TOTP time step accepted so far (RFC 6238 §5.2: each code once); null: none. */
  lastTotpStep: number | null;
  updatedAtMs: number;
}

/** Users' MFA settings and TOTP secrets (identity/mfa.ts owns the rules). */
export interface MfaStore {
  getMfa(sub: string): Promise<MfaRecord | undefined>;
  /**
   * Atomic read-modify-write of one user's MFA row, as updateLockout: `update` gets the row as
   * it is (undefined when there is none) while no other update of the same user can run, and
   * returns the row to write, `null` to delete it, or undefined to leave it as it is. Resolves
   * with the row as it is afterwards. `update` must be synchronous and do no I/O. A `sub` that
   * no user has fails with StoreConflictError (the row belongs to a user).
   */
  updateMfa(
    sub: string,
    update: (previous: MfaRecord | undefined) => MfaRecord | null | undefined,
  ): Promise<MfaRecord | undefined>;
}
