/**
 * What a pre token generation hook may change in a token, and applying it (DESIGN §14). Pure:
 * the overrides come in already checked (identity/preTokenAnswer.ts reads the hook's answer
 * against the rules below), and these functions only edit fresh claim objects before signing.
 *
 * The rules are Cognito's "Claims and scopes reference" of the pre token generation trigger:
 * claims that identify the token, its session, its subject, its client or its lifetime can be
 * neither added, changed nor suppressed; `cognito:*` claims only through group overrides;
 * `scope` only through scopesToAdd / scopesToSuppress.
 */
import type { AccessTokenClaims, IdTokenClaims } from "./claims";

/** A JSON value as a claim may hold it (a JSON object's members may also be null). */
export type ClaimValue =
  | string
  | number
  | boolean
  | readonly (string | number | boolean)[]
  | { readonly [member: string]: unknown };

/** Claims no hook may add, change or suppress, in either token (Cognito's table: "No / No / No"). */
export const RESTRICTED_CLAIMS: ReadonlySet<string> = new Set([
  "acr",
  "amr",
  "at_hash",
  "aud",
  "auth_time",
  "azp",
  "client_id",
  "cognito:username",
  "device_key",
  "event_id",
  "exp",
  "iat",
  "identities",
  "iss",
  "jti",
  "nbf",
  "nonce",
  "origin_jti",
  "sub",
  "token_use",
  "username",
  "version",
]);

/** The `cognito:` claims a hook may suppress (they are set through groupOverrideDetails). */
export const GROUP_CLAIMS: ReadonlySet<string> = new Set([
  "cognito:groups",
  "cognito:roles",
  "cognito:preferred_role",
]);

/** ID-token claims whose value may not be an array or a JSON object (Cognito's note on V2_0). */
export const SCALAR_ID_CLAIMS: ReadonlySet<string> = new Set([
  "phone_number_verified",
  "email_verified",
  "updated_at",
  "address",
]);

export interface ClaimOverrides {
  readonly claimsToAddOrOverride: Readonly<Record<string, ClaimValue>>;
  readonly claimsToSuppress: readonly string[];
}

export interface AccessTokenOverrides extends ClaimOverrides {
  readonly scopesToAdd: readonly string[];
  readonly scopesToSuppress: readonly string[];
}

/** groupOverrideDetails: replaces the user's groups (`cognito:groups` in both tokens) and roles. */
export interface GroupOverrides {
  readonly groups: readonly string[];
  readonly iamRoles: readonly string[];
  readonly preferredRole: string | null;
}

export interface TokenOverrides {
  readonly idToken: ClaimOverrides;
  readonly accessToken: AccessTokenOverrides;
  /** Undefined: the groups stay as they are. */
  readonly groups: GroupOverrides | undefined;
}

export const NO_CLAIM_OVERRIDES: ClaimOverrides = {
  claimsToAddOrOverride: {},
  claimsToSuppress: [],
};
export const NO_ACCESS_OVERRIDES: AccessTokenOverrides = {
  ...NO_CLAIM_OVERRIDES,
  scopesToAdd: [],
  scopesToSuppress: [],
};

/**
 * The access token's scopes after the hook: suppressed ones removed, added ones appended in
 * their order, no duplicates. A scope both added and suppressed is suppressed, as a claim both
 * replaced and suppressed is (Cognito's rule for claims).
 */
export function finalScopes(scopes: readonly string[], o: AccessTokenOverrides): string[] {
  const suppressed = new Set(o.scopesToSuppress);
  const out = new Set(scopes.filter((s) => !suppressed.has(s)));
  for (const s of o.scopesToAdd) if (!suppressed.has(s)) out.add(s);
  return [...out];
}

function applyClaims(claims: Record<string, unknown>, o: ClaimOverrides): void {
  for (const [name, value] of Object.entries(o.claimsToAddOrOverride)) claims[name] = value;
  for (const name of o.claimsToSuppress) delete claims[name];
}

/** A machine-to-machine access token (V3_0): claims and scopes, no groups. */
export function applyAccessTokenOverrides(
  accessClaims: AccessTokenClaims,
  o: AccessTokenOverrides,
): void {
  accessClaims.scope = finalScopes(accessClaims.scope.split(" ").filter(Boolean), o).join(" ");
  applyClaims(accessClaims, o);
}

/**
 * A user's ID and access tokens (V2_0), edited in place: groups first (they replace
 * `cognito:groups` in both tokens, `cognito:roles` and `cognito:preferred_role` in the ID
 * token), then added claims, then suppressions, which win over everything else.
 */
export function applyUserTokenOverrides(
  idClaims: IdTokenClaims,
  accessClaims: AccessTokenClaims,
  o: TokenOverrides,
): void {
  if (o.groups) {
    for (const claims of [idClaims, accessClaims] as Record<string, unknown>[]) {
      delete claims["cognito:groups"];
      if (o.groups.groups.length > 0) claims["cognito:groups"] = [...o.groups.groups];
    }
    delete idClaims["cognito:roles"];
    delete idClaims["cognito:preferred_role"];
    if (o.groups.iamRoles.length > 0) idClaims["cognito:roles"] = [...o.groups.iamRoles];
    if (o.groups.preferredRole !== null)
      idClaims["cognito:preferred_role"] = o.groups.preferredRole;
  }
  applyClaims(idClaims, o.idToken);
  // Cognito: suppressing cognito:groups in the ID token takes the roles with it.
  if (o.idToken.claimsToSuppress.includes("cognito:groups")) {
    delete idClaims["cognito:roles"];
    delete idClaims["cognito:preferred_role"];
  }
  applyAccessTokenOverrides(accessClaims, o.accessToken);
}
