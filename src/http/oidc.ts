/** Discovery and the public keys (DESIGN §6). Every URL derives from the issuer. */
import type { JSONWebKeySet } from "jose";
import { STANDARD_ATTRIBUTES } from "../tokens/claims";

export function openidConfiguration(
  issuer: string,
  scopes: readonly string[],
  /** The algorithms of the ring's live keys: during an algorithm change, the old and the new. */
  signingAlgorithms: readonly string[],
): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    authorization_endpoint: `${issuer}/oauth2/authorize`,
    token_endpoint: `${issuer}/oauth2/token`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    userinfo_endpoint: `${issuer}/oauth2/userInfo`,
    introspection_endpoint: `${issuer}/oauth2/introspect`,
    end_session_endpoint: `${issuer}/logout`,
    // The implicit flow ("token") works for app clients that allow it, but is not advertised:
    // RFC 9700 §2.1.2 says not to use it; "code" with PKCE is the flow to use.
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    code_challenge_methods_supported: ["S256"],
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...signingAlgorithms],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
    revocation_endpoint_auth_methods_supported: [
      "client_secret_basic",
      "client_secret_post",
      "none",
    ],
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    scopes_supported: [...scopes],
    // Every claim an ID token can carry: the token's own, then the user's attributes.
    claims_supported: [
      "sub",
      "iss",
      "aud",
      "token_use",
      "auth_time",
      "cognito:username",
      "cognito:groups",
      "nonce",
      "at_hash",
      ...STANDARD_ATTRIBUTES,
    ],
  };
}

export function jwksBody(jwks: JSONWebKeySet): string {
  return JSON.stringify(jwks);
}
