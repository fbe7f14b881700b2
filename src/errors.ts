/**
 * One error type for the whole gateway. Every failure the outside world may see has a
 * stable `code` from this literal union (DESIGN §4), and a message that is safe to show; each
 * front door maps codes to its own statuses (GraphQL errors, RFC 6749 errors) in one place. Library errors (jose, SQLite, pg) are translated into this
 * type in exactly one place each; nothing matches on message text.
 */
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_AUTHORIZED"
  | "USER_NOT_CONFIRMED"
  | "PASSWORD_RESET_REQUIRED"
  | "TOO_MANY_FAILED_ATTEMPTS"
  | "INVALID_PASSWORD"
  | "USERNAME_EXISTS"
  | "USER_NOT_FOUND"
  | "CODE_MISMATCH"
  | "EXPIRED_CODE"
  /** A code or invitation could not be handed to the mail server; the code it carried is void. */
  | "CODE_DELIVERY_FAILURE"
  | "BAD_USER_INPUT"
  | "INVALID_SCOPE"
  | "UNAUTHORIZED_CLIENT"
  | "REFRESH_TOKEN_EXPIRED"
  | "REFRESH_TOKEN_REVOKED"
  | "INVALID_REFRESH_TOKEN"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR"
  /** The user must answer a challenge (MFA, new password): signIn cannot finish; use initiateAuth. */
  | "CHALLENGE_REQUIRED"
  /** No software token (TOTP authenticator) is associated, or none verified, for this user. */
  | "SOFTWARE_TOKEN_MFA_NOT_FOUND"
  /** VerifySoftwareToken: the code does not match the secret being set up. */
  | "ENABLE_SOFTWARE_TOKEN_MFA"
  /** A challenge session that is expired, spent, tampered with or another client's. */
  | "INVALID_SESSION"
  /** A factor the pool does not offer or the user cannot use (e.g. email MFA without a verified email). */
  | "MFA_METHOD_NOT_FOUND"
  /** Too many codes asked for in a short time (Cognito's LimitExceededException). */
  | "LIMIT_EXCEEDED"
  /** CreateGroup for a name a group was created with before (Cognito's GroupExistsException). */
  | "GROUP_EXISTS"
  /**
   * An authorization code that is unknown, expired, spent, another client's or another
   * redirect URI's, or whose PKCE verifier does not match (RFC 6749's invalid_grant).
   */
  | "INVALID_GRANT"
  /**
   * A hook (DESIGN §14) threw, timed out or answered something it may not (Cognito's
   * UnexpectedLambdaException); the operation did nothing.
   */
  | "UNEXPECTED_LAMBDA";

export class PoolgateError extends Error {
  override readonly name = "PoolgateError";
  readonly code: ErrorCode;
  /** Detail for the log only; never sent to a client. */
  readonly logDetail: string | undefined;

  constructor(code: ErrorCode, message: string, options: { logDetail?: string } = {}) {
    super(message);
    this.code = code;
    this.logDetail = options.logDetail;
  }
}

export function isPoolgateError(err: unknown): err is PoolgateError {
  return err instanceof PoolgateError;
}
