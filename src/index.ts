/**
 * The library for subgraphs (`import { createVerifier, createAuthContext, authDirectives }
 * from "poolgate"`): verify the gateway's access tokens against its JWKS (and, optionally,
 * its introspection endpoint), build the same principal the gateway uses, and enforce
 * `@authenticated` / `@requiresScopes` with the gateway's semantics. docs/federation.md shows
 * a whole subgraph. It lives in src/subgraph/; this file only re-exports it.
 */
export {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifierStats,
  type IntrospectionOptions,
  type IntrospectionStats,
  type RemoteJwksStats,
  type RevocationFeedOptions,
  type RevocationFeedStats,
  createTokenProvider,
  type TokenProvider,
  type TokenProviderOptions,
  type TokenProviderStats,
  createAuthContext,
  type AuthContextOptions,
  type AuthContextRequest,
  authDirectives,
  authDirectivesTypeDefs,
  type AuthDirectivesOptions,
  type AuthContext,
  type Principal,
  type AccessTokenClaims,
  type IdTokenClaims,
  PoolgateError,
  type ErrorCode,
} from "./subgraph";
