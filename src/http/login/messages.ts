/**
 * Every sentence the hosted sign-in page's script can show, in one place (the static text is
 * in ./page.ts). The script receives these objects as JSON.
 */

/**
 * Error codes → what the page says: the gateway's codes (README "Error codes") and a few of
 * the page's own (client-side checks). A key `<where>:<CODE>` overrides `<CODE>` in one part
 * of the page: `step` (a challenge being answered) or `forgot` (password reset).
 */
export const MESSAGES: Readonly<Record<string, string>> = {
  NOT_AUTHORIZED: "Incorrect username or password.",
  "step:NOT_AUTHORIZED": "Sign-in could not be completed. Please sign in again.",
  "forgot:NOT_AUTHORIZED": "Password reset by email is not available. Ask your administrator.",
  TOO_MANY_FAILED_ATTEMPTS: "Too many failed attempts. Wait a moment, then try again.",
  USER_NOT_CONFIRMED:
    "Your account is not confirmed yet. Confirm it with the code you were sent, then sign in.",
  PASSWORD_RESET_REQUIRED:
    "You need a new password before you can sign in. Use “Forgot your password?” or ask your administrator.",
  SERVICE_UNAVAILABLE: "The service is temporarily unavailable. Try again in a moment.",
  INVALID_SCOPE: "This application may not request the access it asked for.",
  REFRESH_TOKEN_EXPIRED: "Your session has expired. Please sign in again.",
  REFRESH_TOKEN_REVOKED: "Your session has ended. Please sign in again.",
  INVALID_REFRESH_TOKEN: "Your session is no longer valid. Please sign in again.",
  UNAUTHENTICATED: "Your session has ended. Please sign in again.",
  BAD_USER_INPUT: "Enter a valid username and password.",
  "step:BAD_USER_INPUT": "Check what you entered and try again.",
  "forgot:BAD_USER_INPUT": "Check what you entered and try again.",
  BAD_REQUEST: "The request was not understood. Reload the page and try again.",
  NETWORK_ERROR: "Could not reach the server. Check your connection and try again.",
  INTERNAL_SERVER_ERROR: "Something went wrong on our side. Try again.",
  // The sign-in conversation and password reset (DESIGN §11).
  CODE_MISMATCH: "That code is not right. Check it and try again.",
  ENABLE_SOFTWARE_TOKEN_MFA:
    "That code does not match. Enter the code your authenticator app shows now.",
  EXPIRED_CODE: "That code has expired. Send a new code and try again.",
  INVALID_SESSION: "Your sign-in took too long or was interrupted. Please sign in again.",
  /** Shown only when the server sends no message of its own (it names the rule broken). */
  INVALID_PASSWORD: "The new password does not meet the password rules.",
  CODE_DELIVERY_FAILURE: "We could not send you a code. Try again later.",
  LIMIT_EXCEEDED: "Too many codes were requested. Wait a while, then try again.",
  CHALLENGE_REQUIRED: "Your account needs another sign-in step. Reload the page and sign in again.",
  SOFTWARE_TOKEN_MFA_NOT_FOUND: "Your authenticator app is not set up. Please sign in again.",
  MFA_METHOD_NOT_FOUND: "That sign-in method is not available for your account.",
  // A hook (POOLGATE_HOOKS) failed: nothing was done; the operator's log says why.
  UNEXPECTED_LAMBDA: "Sign-in could not be completed right now. Try again later.",
  "forgot:UNEXPECTED_LAMBDA": "Password reset could not be started right now. Try again later.",
  // The page's own.
  UNSUPPORTED_CHALLENGE: "This sign-in step is not supported by this page.",
  ENTER_USERNAME: "Enter your username.",
  ENTER_PASSWORD: "Enter your password.",
  ENTER_NEW_PASSWORD: "Enter a new password.",
  PASSWORDS_DIFFER: "The two passwords do not match.",
  ENTER_CODE: "Enter the 6-digit code.",
  ENTER_VALUE: "Fill in every field.",
  CHOOSE_FACTOR: "Choose how you want to get your code.",
  QR_UNAVAILABLE: "The QR code could not be shown. Enter the key by hand instead.",
  // Status messages (polite).
  RESTORING: "Checking your session…",
  PREPARING_SETUP: "Preparing your authenticator set-up…",
  CODE_RESENT: "We sent a new code.",
  PASSWORD_CHANGED: "Your password has been changed. Sign in with your new password.",
  TOKENS_REFRESHED: "Tokens refreshed.",
  SIGNED_OUT: "You have signed out.",
  SIGNED_OUT_EVERYWHERE: "You have signed out on every device.",
  // Labels.
  QR_LABEL: "QR code for your authenticator app",
  YOUR_EMAIL: "your email address",
};

/** Labels of the attributes NEW_PASSWORD_REQUIRED may ask for (OIDC standard claims); others show their name. */
export const ATTRIBUTE_LABELS: Readonly<Record<string, string>> = {
  name: "Full name",
  given_name: "Given name",
  family_name: "Family name",
  middle_name: "Middle name",
  nickname: "Nickname",
  preferred_username: "Preferred username",
  email: "Email address",
  phone_number: "Phone number",
  birthdate: "Date of birth (YYYY-MM-DD)",
  gender: "Gender",
  locale: "Locale",
  zoneinfo: "Time zone",
  address: "Address",
  website: "Website",
  profile: "Profile page",
  picture: "Picture URL",
};

/** SELECT_MFA_TYPE: how each second factor is offered. */
export const FACTOR_LABELS: Readonly<Record<string, string>> = {
  SOFTWARE_TOKEN_MFA: "Authenticator app",
  EMAIL_OTP: "Email code",
};
