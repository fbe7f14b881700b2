/**
 * The library for subgraphs (`import { createVerifier, createAuthContext, authDirectives }
 * from "poolgate"`): verify the gateway's access tokens against its JWKS (and, optionally,
 * its introspection endpoint), build the same principal the gateway uses, and enforce
 * `@authenticated` / `@requiresScopes` with the gateway's semantics. docs/federation.md shows
 * a whole subgraph. Pulls in no store and no identity service (test/unit/architecture.test.ts).
 */
export {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifierStats,
} from "./subgraph/createVerifier";
export type { IntrospectionOptions, IntrospectionStats } from "./subgraph/introspection";
export type { RemoteJwksStats } from "./subgraph/remoteJwks";
export {
  createAuthContext,
  type AuthContextOptions,
  type AuthContextRequest,
} from "./subgraph/createAuthContext";
export {
  authDirectives,
  authDirectivesTypeDefs,
  type AuthDirectivesOptions,
} from "./subgraph/directives";
export type { AuthContext, Principal } from "./subgraph/principal";
export type { AccessTokenClaims, IdTokenClaims } from "./tokens/claims";
export { PoolgateError, type ErrorCode } from "./errors";
