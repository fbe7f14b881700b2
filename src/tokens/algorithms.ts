/**
 * The JWS algorithms poolgate signs with (issue 19): RS256 (RSA 2048, Cognito's), ES256
 * (ECDSA on P-256) and EdDSA (Ed25519 only). One name per key type, so a key's algorithm
 * follows from the key itself: a token's `alg` must be its key's, whatever the header claims
 * (RFC 8725 §3.1: no algorithm confusion). Pure.
 */
import type { CryptoKey, JWK } from "jose";

export type SigningAlgorithm = "RS256" | "ES256" | "EdDSA";

/** Every algorithm the gateway can sign with; RS256, Cognito's, is the default. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ["RS256", "ES256", "EdDSA"];

export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = "RS256";

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return value === "RS256" || value === "ES256" || value === "EdDSA";
}

/** One frozen one-element list per algorithm, for jose's `algorithms` option without a per-token allocation. */
export const ONLY: Readonly<Record<SigningAlgorithm, readonly SigningAlgorithm[]>> = {
  RS256: Object.freeze(["RS256"]),
  ES256: Object.freeze(["ES256"]),
  EdDSA: Object.freeze(["EdDSA"]),
};

/**
 * The algorithm a public or private CryptoKey signs with, read from the key's own WebCrypto
 * algorithm (not from any header or JWK member); undefined for any other kind of key.
 */
export function algorithmOfKey(key: CryptoKey): SigningAlgorithm | undefined {
  const algorithm = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string };
  switch (algorithm.name) {
    case "RSASSA-PKCS1-v1_5":
      return algorithm.hash?.name === "SHA-256" ? "RS256" : undefined;
    case "ECDSA":
      return algorithm.namedCurve === "P-256" ? "ES256" : undefined;
    case "Ed25519":
      return "EdDSA";
    default:
      return undefined;
  }
}

/**
 * The algorithm a public JWK is for: its `kty` (and `crv`) decide, and a declared `alg` must
 * agree. Undefined for a key poolgate never signs with (RSA-PSS, P-384, Ed448, X25519, HMAC…).
 */
export function algorithmOfJwk(jwk: Record<string, unknown>): SigningAlgorithm | undefined {
  let alg: SigningAlgorithm | undefined;
  if (jwk["kty"] === "RSA") alg = "RS256";
  else if (jwk["kty"] === "EC" && jwk["crv"] === "P-256") alg = "ES256";
  else if (jwk["kty"] === "OKP" && jwk["crv"] === "Ed25519") alg = "EdDSA";
  if (alg === undefined) return undefined;
  return jwk["alg"] === undefined || jwk["alg"] === alg ? alg : undefined;
}

/**
 * The public members of a JWK of `alg` (RFC 7518 §6.2.1 EC, §6.3.1 RSA; RFC 8037 §2 OKP),
 * whatever else the input holds: no private member (`d`, `p`, `q`…) can get through.
 */
export function publicMembers(alg: SigningAlgorithm, jwk: JWK): JWK {
  switch (alg) {
    case "RS256":
      return { kty: "RSA", n: jwk.n, e: jwk.e } as JWK;
    case "ES256":
      return { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } as JWK;
    case "EdDSA":
      return { kty: "OKP", crv: "Ed25519", x: jwk.x } as JWK;
  }
}
