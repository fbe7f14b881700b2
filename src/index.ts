/**
 * The library for subgraphs: verify the gateway's access tokens against its JWKS, build the
 * same principal the gateway uses, and enforce @authenticated / @requiresScopes. Pulls in
 * no store.
 */
import { createRemoteJWKSet, type CryptoKey } from "jose";
import { authenticateBearer } from "./graphql/bearer";
import type { AuthContext, Principal } from "./graphql/principal";
import type { AccessTokenClaims } from "./tokens/claims";
import { AccessTokenVerifier } from "./tokens/verify";

export {
  authDirectives,
  authDirectivesTypeDefs,
  type AuthDirectivesOptions,
} from "./graphql/directives";
export type { AuthContext, Principal } from "./graphql/principal";
export type { AccessTokenClaims, IdTokenClaims } from "./tokens/claims";
export { PoolgateError, type ErrorCode } from "./errors";

export interface VerifierOptions {
  /** The gateway's POOLGATE_ISSUER. */
  issuer: string;
  /** @default `${issuer}/.well-known/jwks.json` */
  jwksUri?: string;
  /** Accept only tokens of these app clients; `null` accepts every client of the issuer. @default null */
  clientIds?: readonly string[] | null;
  /** @default 0 */
  clockSkewSeconds?: number;
  /** @default 10000 */
  cacheSize?: number;
  /** JWKS fetch timeout. @default 5000 */
  timeoutMs?: number;
  /** Minimum time between refetches on an unknown kid. @default 30000 */
  cooldownMs?: number;
}

export interface Verifier {
  verify(token: string): Promise<AccessTokenClaims>;
}

export function createVerifier(options: VerifierOptions): Verifier {
  const issuer = options.issuer.replace(/\/+$/, "");
  const jwks = createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/.well-known/jwks.json`), {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: options.cooldownMs ?? 30000,
  });
  return new AccessTokenVerifier({
    issuer,
    keys: async (kid) => {
      try {
        return (await jwks({ alg: "RS256", kid })) as CryptoKey;
      } catch {
        return undefined;
      }
    },
    clientIds: options.clientIds ?? null,
    clockSkewSeconds: options.clockSkewSeconds ?? 0,
    cacheSize: options.cacheSize ?? 10000,
  });
}

/** An Apollo Server context function: anonymous without a header, 401 for a bad token. */
export function createAuthContext(verifier: Verifier) {
  return async ({
    req,
  }: {
    req: { headers: Record<string, string | string[] | undefined> };
  }): Promise<AuthContext> => {
    const header = req.headers["authorization"];
    const principal: Principal | null = await authenticateBearer(
      typeof header === "string" ? header : undefined,
      (token) => verifier.verify(token),
    );
    return { principal };
  };
}
