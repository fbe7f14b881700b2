/** Cognito's challenge names (RespondToAuthChallenge). */
export type ChallengeName =
  | "NEW_PASSWORD_REQUIRED"
  | "SOFTWARE_TOKEN_MFA"
  | "EMAIL_OTP"
  | "MFA_SETUP"
  | "SELECT_MFA_TYPE"
  | "SELECT_CHALLENGE"
  | "PASSWORD"
  /** USER_SRP_AUTH's second step (Cognito's SRP). */
  | "PASSWORD_VERIFIER"
  /** USER_AUTH's SRP first factor (PREFERRED_CHALLENGE, SELECT_CHALLENGE's ANSWER): leads to PASSWORD_VERIFIER. */
  | "PASSWORD_SRP";

/**
 * One step of a sign-in conversation (DESIGN §11): what the client must answer next. The
 * client holds only an encrypted reference to it (identity/challenges.ts); the row holds the
 * state, so a session is single use and its wrong answers are counted on every instance.
 */
export interface ChallengeRecord {
  id: string;
  /** The user it is for; for a name no user has, a random id no user has (answers look alike). */
  sub: string;
  clientId: string;
  challengeName: ChallengeName;
  /** Scopes asked for at InitiateAuth, null: the default (granted when tokens are issued). */
  requestedScopes: string[] | null;
  /** Storage hash of the one-time code sent for this step (EMAIL_OTP), if any. */
  codeHash: string | null;
  /** Small step-specific state (e.g. MFA_SETUP's progress), strings only. */
  context: Record<string, string>;
  wrongAnswers: number;
  createdAtMs: number;
  expiresAtMs: number;
  /** When it was answered (or given up after too many wrong answers); null: still open. */
  spentAtMs: number | null;
}

/** Challenge sessions of sign-in conversations. */
export interface ChallengeStore {
  createChallenge(challenge: ChallengeRecord): Promise<void>;
  getChallenge(id: string): Promise<ChallengeRecord | undefined>;
  /**
   * Atomically: if the challenge is open (not spent) and `expiresAtMs > nowMs`, marks it spent
   * at `nowMs` → true; otherwise → false. Of two concurrent answers, exactly one spends it.
   */
  spendChallenge(id: string, nowMs: number): Promise<boolean>;
  /**
   * Atomically counts a wrong answer of an open, unexpired challenge → the count afterwards,
   * spending the challenge when the count reaches `limit`; undefined (nothing changed) when
   * the challenge is missing, spent or expired.
   */
  countWrongAnswer(id: string, nowMs: number, limit: number): Promise<number | undefined>;
}
