/** The pieces of the sign-in engine (identity/signIn.ts) that need none of its services. */
import { maskEmail } from "../delivery/mask";
import { PoolgateError } from "../errors";
import type { ChallengeName, UserRecord } from "../store/store";
import type { MfaDecision } from "./mfa";

/** What a step decided, before anything is sent or stored for it. */
export type Next =
  /** `groups`: the user's groups when this request has read them already. */
  | { kind: "tokens"; groups?: readonly string[] }
  | {
      kind: "challenge";
      name: ChallengeName;
      parameters: Record<string, string>;
      context?: Record<string, string>;
    };

export const WRONG_CREDENTIALS = "Incorrect username or password.";
export const WRONG_CODE = "Invalid code received for user";
/** Cognito's message for a temporary password past TemporaryPasswordValidityDays. */
export const TEMPORARY_PASSWORD_EXPIRED =
  "Temporary password has expired and must be reset by an administrator.";

export function badInput(message: string): PoolgateError {
  return new PoolgateError("BAD_USER_INPUT", message);
}

export function required(responses: Readonly<Record<string, string>>, name: string): string {
  const value = responses[name];
  if (typeof value !== "string" || value === "")
    throw badInput(`Missing required parameter ${name}`);
  return value;
}

/** The MFA step that follows a proven first factor, from MfaService.decide. */
export function mfaStep(user: UserRecord, decision: MfaDecision): Next {
  const base = { USER_ID_FOR_SRP: user.username };
  switch (decision.kind) {
    case "none":
      return { kind: "tokens" };
    case "challenge":
      return decision.factor === "EMAIL_OTP"
        ? {
            kind: "challenge",
            name: "EMAIL_OTP",
            parameters: {
              ...base,
              CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL",
              CODE_DELIVERY_DESTINATION: maskEmail(user.attributes["email"] ?? ""),
            },
          }
        : { kind: "challenge", name: "SOFTWARE_TOKEN_MFA", parameters: base };
    case "select":
      return {
        kind: "challenge",
        name: "SELECT_MFA_TYPE",
        parameters: { ...base, MFAS_CAN_CHOOSE: JSON.stringify(decision.factors) },
        context: { factors: decision.factors.join(",") },
      };
    case "setup":
      return {
        kind: "challenge",
        name: "MFA_SETUP",
        parameters: { ...base, MFAS_CAN_SETUP: JSON.stringify(decision.factors) },
      };
  }
}
