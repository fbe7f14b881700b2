/**
 * One error type for the whole gateway. Every failure the outside world may see has a
 * stable `code` from this literal union (DESIGN §4); the message is safe to show, and the
 * HTTP status travels with it. Library errors (jose, SQLite, pg) are translated into this
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
  | "BAD_USER_INPUT"
  | "INVALID_SCOPE"
  | "UNAUTHORIZED_CLIENT"
  | "REFRESH_TOKEN_EXPIRED"
  | "REFRESH_TOKEN_REVOKED"
  | "INVALID_REFRESH_TOKEN"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR";

/** HTTP status per code: 401 only where the caller's own credential is bad. */
const STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_AUTHORIZED: 200,
  USER_NOT_CONFIRMED: 200,
  PASSWORD_RESET_REQUIRED: 200,
  TOO_MANY_FAILED_ATTEMPTS: 200,
  INVALID_PASSWORD: 200,
  USERNAME_EXISTS: 200,
  USER_NOT_FOUND: 200,
  CODE_MISMATCH: 200,
  EXPIRED_CODE: 200,
  BAD_USER_INPUT: 400,
  INVALID_SCOPE: 200,
  UNAUTHORIZED_CLIENT: 200,
  REFRESH_TOKEN_EXPIRED: 200,
  REFRESH_TOKEN_REVOKED: 200,
  INVALID_REFRESH_TOKEN: 200,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

export class PoolgateError extends Error {
  override readonly name = "PoolgateError";
  readonly code: ErrorCode;
  readonly httpStatus: number;
  /** Detail for the log only; never sent to a client. */
  readonly logDetail: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { logDetail?: string; httpStatus?: number } = {},
  ) {
    super(message);
    this.code = code;
    this.httpStatus = options.httpStatus ?? STATUS[code];
    this.logDetail = options.logDetail;
  }
}

export function isPoolgateError(err: unknown): err is PoolgateError {
  return err instanceof PoolgateError;
}
