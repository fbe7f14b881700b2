/**
 * Claim sets with Cognito's names exactly (DESIGN §2), so code written for Cognito
 * (aws-jwt-verify, Amplify) reads poolgate tokens unchanged. Claim sets are open-ended:
 * readers ignore what they do not know.
 */

export interface AccessTokenClaims {
  sub: string;
  client_id: string;
  iss: string;
  token_use: "access";
  scope: string;
  auth_time: number;
  iat: number;
  exp: number;
  jti: string;
  event_id: string;
  /** Absent for machine-to-machine tokens. */
  origin_jti?: string;
  /** Absent for machine-to-machine tokens. */
  username?: string;
  "cognito:groups"?: string[];
  version: 2;
  [claim: string]: unknown;
}

export interface IdTokenClaims {
  sub: string;
  aud: string;
  iss: string;
  token_use: "id";
  auth_time: number;
  iat: number;
  exp: number;
  jti: string;
  origin_jti: string;
  event_id: string;
  "cognito:username": string;
  "cognito:groups"?: string[];
  /** The authorization request's nonce (OpenID Connect Core §2), on the code flow's first ID token. */
  nonce?: string;
  /** Left half of SHA-256 of the access token issued with it, base64url (OpenID Connect Core §3.1.3.6). */
  at_hash?: string;
  email?: string;
  email_verified?: boolean;
  phone_number?: string;
  phone_number_verified?: boolean;
  [claim: string]: unknown;
}

/** OIDC standard attributes a user may carry (Cognito's list); `custom:*` come in addition. */
export const STANDARD_ATTRIBUTES = [
  "email",
  "email_verified",
  "phone_number",
  "phone_number_verified",
  "name",
  "given_name",
  "family_name",
  "middle_name",
  "nickname",
  "preferred_username",
  "profile",
  "picture",
  "website",
  "gender",
  "birthdate",
  "zoneinfo",
  "locale",
  "address",
  "updated_at",
] as const;

const BOOLEAN_ATTRIBUTES = new Set(["email_verified", "phone_number_verified"]);
const STANDARD = new Set<string>(STANDARD_ATTRIBUTES);

export function isKnownAttributeName(name: string): boolean {
  return STANDARD.has(name) || /^custom:[A-Za-z0-9_.-]{1,20}$/.test(name);
}

/**
 * Profile claims of the ID token from stored attributes: only attributes that are set,
 * `*_verified` as booleans and `updated_at` as a number, as Cognito does; custom
 * attributes stay strings.
 */
export function profileClaims(
  attributes: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (!isKnownAttributeName(name)) continue;
    if (BOOLEAN_ATTRIBUTES.has(name)) claims[name] = value === "true";
    else if (name === "updated_at" && /^\d+$/.test(value)) claims[name] = Number(value);
    else claims[name] = value;
  }
  return claims;
}
