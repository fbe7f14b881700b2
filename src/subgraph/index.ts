/**
 * The library for subgraphs, whole: everything `import … from "poolgate"` offers is listed
 * here, and src/index.ts re-exports exactly this. It pulls in no store and no identity
 * service (DESIGN §10, test/unit/architecture.test.ts).
 */
export {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifierStats,
} from "./createVerifier";
export type { IntrospectionOptions, IntrospectionStats } from "./introspection";
export type { RevocationFeedOptions, RevocationFeedStats } from "./revocationFeed";
export {
  createTokenProvider,
  type TokenProvider,
  type TokenProviderOptions,
  type TokenProviderStats,
} from "./createTokenProvider";
export type { RemoteJwksStats } from "./remoteJwks";
export {
  createAuthContext,
  type AuthContextOptions,
  type AuthContextRequest,
} from "./createAuthContext";
export { authDirectives, authDirectivesTypeDefs, type AuthDirectivesOptions } from "./directives";
export type { AuthContext, Principal } from "./principal";
export type { AccessTokenClaims, IdTokenClaims } from "../tokens/claims";
export { PoolgateError, type ErrorCode } from "../errors";
