/**
 * Discovery and the public keys (DESIGN §6). Every URL derives from the issuer. Only
 * endpoints that exist are advertised: the /oauth2/* endpoints join when they are served.
 */
import type { JSONWebKeySet } from "jose";

export function openidConfiguration(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ["token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    scopes_supported: [...scopes],
    claims_supported: ["sub", "iss", "aud", "token_use", "auth_time", "cognito:username", "cognito:groups", "email", "email_verified", "phone_number", "phone_number_verified", "name", "given_name", "family_name"],
  };
}

export function jwksBody(jwks: JSONWebKeySet): string {
  return JSON.stringify(jwks);
}
