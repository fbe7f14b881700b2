/**
 * Time-based one-time passwords (RFC 6238) as Cognito's software-token MFA uses them: SHA-1,
 * 6 digits, 30-second steps, a code of the step before or after accepted for clock drift.
 * The arithmetic is otpauth's; this file fixes the parameters and reports which time step a
 * code belongs to, so the caller can refuse a step already used (RFC 6238 §5.2). Pure: the
 * time comes in as an argument.
 */
import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one (DESIGN §11: ±1). */
export const TOTP_WINDOW = 1;
/** 160 bits, RFC 4226 §4's recommended length; Base32 of it is Cognito's 32-character SecretCode. */
const SECRET_BYTES = 20;

/** A new shared secret, Base32 (what AssociateSoftwareToken returns as SecretCode). */
export function newTotpSecret(): string {
  return new Secret({ buffer: new Uint8Array(randomBytes(SECRET_BYTES)).buffer }).base32;
}

function totp(secretBase32: string, issuer: string, label: string): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** The otpauth:// URI authenticator apps scan (Key URI Format), e.g. as a QR code. */
export function totpUri(secretBase32: string, issuer: string, account: string): string {
  return totp(secretBase32, issuer, account).toString();
}

/** The time step of a moment: the counter of RFC 6238 §4.2. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The time step whose code `code` is, within ±TOTP_WINDOW of `nowMs`, or undefined. Anything
 * but exactly six ASCII digits is undefined before any HMAC is computed.
 */
export function totpCodeStep(
  secretBase32: string,
  code: string,
  nowMs: number,
): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: nowMs,
    window: TOTP_WINDOW,
  });
  return delta === null ? undefined : totpStep(nowMs) + delta;
}

/** The code of a time step (tests and tools: what an authenticator app would show). */
export function totpCode(secretBase32: string, nowMs: number): string {
  return totp(secretBase32, "", "x").generate({ timestamp: nowMs });
}
