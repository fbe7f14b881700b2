/**
 * Access-token verification (DESIGN §5), shared by the gateway's context builder and the
 * library that subgraphs import. Pure apart from an LRU of verified tokens: keys come in
 * through a resolver, time through a clock.
 *
 * Order of checks: size and shape before any crypto; the header allow-list (an `alg` among
 * `algorithms`, no `jku`/`x5u`/`jwk`/`x5c`/`crit`, a known `kid` whose key is of exactly that
 * `alg`) before the signature; then signature,
 * `exp`/`nbf`/`iss`, and `token_use`. Every failure is the same UNAUTHENTICATED error to the
 * caller; the reason goes to the log only (a malformed token and a bad signature must look
 * alike from outside).
 */
import { hash } from "node:crypto";
import { decodeProtectedHeader, jwtVerify, errors as joseErrors, type CryptoKey } from "jose";
import { LRUCache } from "lru-cache";
import { PoolgateError } from "../errors";
import type { AccessTokenClaims } from "./claims";
import {
  algorithmOfKey,
  isSigningAlgorithm,
  ONLY,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from "./algorithms";

export type KeyResolver = (kid: string) => CryptoKey | undefined | Promise<CryptoKey | undefined>;

export interface AccessTokenVerifierOptions {
  issuer: string;
  keys: KeyResolver;
  /**
   * The `alg`s accepted at all, checked before any key lookup; a token's `alg` must also be
   * that of the key its `kid` names, so only the algorithms of the keys `keys` resolves ever
   * verify. @default ["RS256", "ES256", "EdDSA"]
   */
  algorithms?: readonly SigningAlgorithm[];
  /** Tolerance for exp/nbf. @default 0 */
  clockSkewSeconds?: number;
  /** Longer tokens are rejected before any parsing. @default 8192 */
  maxTokenBytes?: number;
  /** Verified tokens kept (LRU, each until its exp). 0 disables the cache. @default 10000 */
  cacheSize?: number;
  /** Accept only tokens of these app clients; `null` accepts any client of the issuer. @default null */
  clientIds?: readonly string[] | null;
  /** @default Date.now */
  nowMs?: () => number;
}

/** Why a token was refused: for logs and metrics only, never for the caller. */
export type TokenRejection =
  | "too_large"
  | "malformed"
  | "header_not_allowed"
  | "alg_not_allowed"
  | "unknown_kid"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "claim_invalid"
  | "wrong_token_use"
  | "client_not_allowed";

export class TokenRejectedError extends PoolgateError {
  readonly reason: TokenRejection;
  constructor(reason: TokenRejection) {
    // One message for every reason (jose's habit): the detail is for the log.
    super("UNAUTHENTICATED", "Unauthorized", { logDetail: `access token rejected: ${reason}` });
    this.reason = reason;
  }
}

const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c", "crit"] as const;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Translates jose's errors in one place, by their stable codes. */
function rejectionOf(err: unknown): TokenRejection {
  if (!(err instanceof joseErrors.JOSEError)) return "malformed";
  switch (err.code) {
    case "ERR_JWT_EXPIRED":
      return "expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "bad_signature";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return (err as joseErrors.JWTClaimValidationFailed).claim === "nbf"
        ? "not_yet_valid"
        : "claim_invalid";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "alg_not_allowed";
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "malformed";
    default:
      return "malformed";
  }
}

function hasStringClaims(p: Record<string, unknown>, names: readonly string[]): boolean {
  return names.every((n) => typeof p[n] === "string" && (p[n] as string).length > 0);
}

/** A verified token's claims and the key that verified it. */
interface Verified {
  claims: AccessTokenClaims;
  kid: string;
}

export class AccessTokenVerifier {
  private readonly cache: LRUCache<string, Verified> | undefined;
  private readonly skew: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly clientIds: ReadonlySet<string> | null;
  private readonly algorithms: ReadonlySet<string>;
  private hits = 0;
  private misses = 0;

  constructor(private readonly options: AccessTokenVerifierOptions) {
    this.skew = options.clockSkewSeconds ?? 0;
    this.maxBytes = options.maxTokenBytes ?? 8192;
    this.now = options.nowMs ?? Date.now;
    this.clientIds = options.clientIds ? new Set(options.clientIds) : null;
    this.algorithms = new Set(options.algorithms ?? SIGNING_ALGORITHMS);
    const size = options.cacheSize ?? 10000;
    this.cache = size > 0 ? new LRUCache({ max: size }) : undefined;
  }

  /** Cache statistics for metrics. */
  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.cache?.size ?? 0 };
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    if (token.length > this.maxBytes) throw new TokenRejectedError("too_large");
    const nowSeconds = Math.floor(this.now() / 1000);
    // One-shot hashing: the cache key is computed on every request.
    const cacheKey = this.cache ? hash("sha256", token, "base64url") : "";
    const cached = this.cache?.get(cacheKey);
    if (cached) {
      if (cached.claims.exp + this.skew <= nowSeconds) {
        this.cache?.delete(cacheKey);
        throw new TokenRejectedError("expired");
      }
      // The key may have left the ring since (expired or no longer published): a cached
      // verdict must not outlive the key it rests on (issue 12 #6).
      if (!(await this.options.keys(cached.kid))) {
        this.cache?.delete(cacheKey);
        throw new TokenRejectedError("unknown_kid");
      }
      this.hits++;
      return cached.claims;
    }
    this.misses++;
    const verified = await this.verifyUncached(token, nowSeconds);
    this.cache?.set(cacheKey, verified);
    return verified.claims;
  }

  private async verifyUncached(token: string, nowSeconds: number): Promise<Verified> {
    if (!COMPACT_JWS.test(token)) throw new TokenRejectedError("malformed");
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      throw new TokenRejectedError("malformed");
    }
    const alg = header["alg"];
    if (!isSigningAlgorithm(alg) || !this.algorithms.has(alg))
      throw new TokenRejectedError("alg_not_allowed");
    if (FORBIDDEN_HEADERS.some((h) => h in header))
      throw new TokenRejectedError("header_not_allowed");
    const kid = header["kid"];
    if (typeof kid !== "string") throw new TokenRejectedError("unknown_kid");
    const key = await this.options.keys(kid);
    if (!key) throw new TokenRejectedError("unknown_kid");
    // RFC 8725 §3.1: the key decides the algorithm, never the header (an ES256 header on an
    // RSA kid, an RS256 header on an Ed25519 kid…).
    if (algorithmOfKey(key) !== alg) throw new TokenRejectedError("alg_not_allowed");

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ONLY[alg] as SigningAlgorithm[],
        issuer: this.options.issuer,
        clockTolerance: this.skew,
        currentDate: new Date(nowSeconds * 1000),
        requiredClaims: ["exp", "iat", "sub", "jti"],
      }));
    } catch (err) {
      throw new TokenRejectedError(rejectionOf(err));
    }
    if (payload["token_use"] !== "access") throw new TokenRejectedError("wrong_token_use");
    if (!hasStringClaims(payload, ["sub", "client_id", "jti"]))
      throw new TokenRejectedError("claim_invalid");
    if (typeof payload["scope"] !== "string" || typeof payload["auth_time"] !== "number") {
      throw new TokenRejectedError("claim_invalid");
    }
    if (this.clientIds && !this.clientIds.has(payload["client_id"] as string)) {
      throw new TokenRejectedError("client_not_allowed");
    }
    return { claims: payload as AccessTokenClaims, kid };
  }
}
