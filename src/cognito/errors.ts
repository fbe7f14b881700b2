/**
 * Cognito's errors on the wire (the AWS JSON 1.1 protocol): `{"__type": "<Name>", "message"}`
 * with the name also in `x-amzn-ErrorType`, HTTP 400 for the caller's mistakes and 500 only for
 * the service's own. The one place where poolgate's stable codes (src/errors.ts) become
 * Cognito's exception names, with Cognito's messages where its clients show or match them.
 */
import { isPoolgateError, type ErrorCode } from "../errors";

export class CognitoError extends Error {
  override readonly name = "CognitoError";
  constructor(
    /** Cognito's exception name, e.g. NotAuthorizedException. */
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const invalidParameter = (message: string) =>
  new CognitoError("InvalidParameterException", message);

/**
 * The request-authentication errors of AWS's JSON services (SigV4, DESIGN §12), with AWS's
 * names and messages: the AWS SDK surfaces them by name, and its clock-skew handling keys on
 * InvalidSignatureException. The detail of a refusal goes to the log, not to the caller.
 */
export const missingAuthenticationToken = () =>
  new CognitoError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
export const unrecognizedClient = () =>
  new CognitoError(
    "UnrecognizedClientException",
    "The security token included in the request is invalid.",
  );
export const invalidSignature = (message: string) =>
  new CognitoError("InvalidSignatureException", message);
export const incompleteSignature = (message: string) =>
  new CognitoError("IncompleteSignatureException", message);
/** UserPoolId naming a pool this gateway is not. */
export const resourceNotFound = (message: string) =>
  new CognitoError("ResourceNotFoundException", message);

/** Which exception each code is, and the message when Cognito's differs from poolgate's. */
const BY_CODE: Record<ErrorCode, { type: string; message?: string; status?: number }> = {
  UNAUTHENTICATED: { type: "NotAuthorizedException", message: "Invalid Access Token" },
  FORBIDDEN: {
    type: "NotAuthorizedException",
    message: "Access Token does not have required scopes",
  },
  NOT_AUTHORIZED: { type: "NotAuthorizedException" },
  USER_NOT_CONFIRMED: { type: "UserNotConfirmedException" },
  PASSWORD_RESET_REQUIRED: { type: "PasswordResetRequiredException" },
  // Cognito answers a lockout with NotAuthorizedException and this message.
  TOO_MANY_FAILED_ATTEMPTS: {
    type: "NotAuthorizedException",
    message: "Password attempts exceeded",
  },
  INVALID_PASSWORD: { type: "InvalidPasswordException" },
  USERNAME_EXISTS: { type: "UsernameExistsException" },
  USER_NOT_FOUND: { type: "UserNotFoundException" },
  CODE_MISMATCH: { type: "CodeMismatchException" },
  EXPIRED_CODE: { type: "ExpiredCodeException" },
  BAD_USER_INPUT: { type: "InvalidParameterException" },
  INVALID_SCOPE: { type: "InvalidParameterException" },
  UNAUTHORIZED_CLIENT: { type: "NotAuthorizedException" },
  REFRESH_TOKEN_EXPIRED: { type: "NotAuthorizedException", message: "Refresh Token has expired" },
  REFRESH_TOKEN_REVOKED: {
    type: "NotAuthorizedException",
    message: "Refresh Token has been revoked",
  },
  INVALID_REFRESH_TOKEN: { type: "NotAuthorizedException", message: "Invalid Refresh Token" },
  SERVICE_UNAVAILABLE: {
    type: "InternalErrorException",
    message: "Service temporarily unavailable",
    status: 500,
  },
  INTERNAL_SERVER_ERROR: {
    type: "InternalErrorException",
    message: "Internal server error",
    status: 500,
  },
  CHALLENGE_REQUIRED: { type: "NotAuthorizedException" },
  CODE_DELIVERY_FAILURE: { type: "CodeDeliveryFailureException" },
  SOFTWARE_TOKEN_MFA_NOT_FOUND: { type: "SoftwareTokenMFANotFoundException" },
  ENABLE_SOFTWARE_TOKEN_MFA: { type: "EnableSoftwareTokenMFAException" },
  INVALID_SESSION: {
    type: "NotAuthorizedException",
    message: "Invalid session for the user, session is expired.",
  },
  MFA_METHOD_NOT_FOUND: { type: "MFAMethodNotFoundException" },
  LIMIT_EXCEEDED: { type: "LimitExceededException" },
  GROUP_EXISTS: { type: "GroupExistsException" },
  // Only /oauth2/token speaks of authorization codes; Cognito's API never meets one.
  INVALID_GRANT: { type: "NotAuthorizedException" },
  UNEXPECTED_LAMBDA: { type: "UnexpectedLambdaException" },
};

/** Any error as Cognito's: a PoolgateError by its code; anything else is internal (masked). */
export function toCognitoError(err: unknown): CognitoError {
  if (err instanceof CognitoError) return err;
  if (isPoolgateError(err)) {
    const mapped = BY_CODE[err.code];
    return new CognitoError(mapped.type, mapped.message ?? err.message, mapped.status ?? 400);
  }
  return new CognitoError("InternalErrorException", "Internal server error", 500);
}
