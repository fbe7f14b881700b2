/**
 * The verifier a subgraph uses to trust poolgate's access tokens: the gateway's own checks
 * (AccessTokenVerifier: an `alg` the JWKS key named by `kid` is for, signature, `exp`/`nbf`, `iss`,
 * `token_use: access`, required claims, the client allow-list, no `jku`/`x5u`/`jwk`/`x5c`/
 * `crit`) against the gateway's JWKS, plus optional revocation checking by introspection.
 * Every option is validated here, at start-up, with a message naming it.
 */
import type { AccessTokenClaims } from "../tokens/claims";
import { AccessTokenVerifier } from "../tokens/verify";
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from "../tokens/algorithms";
import {
  IntrospectionCheck,
  MAX_INTROSPECTION_TTL_SECONDS,
  type IntrospectionOptions,
  type IntrospectionStats,
} from "./introspection";
import { createTokenProvider } from "./createTokenProvider";
import { RemoteJwks, type RemoteJwksStats } from "./remoteJwks";
import {
  RevocationFeedClient,
  type RevocationFeedOptions,
  type RevocationFeedStats,
} from "./revocationFeed";

export interface VerifierOptions {
  /** The gateway's POOLGATE_ISSUER: tokens must carry exactly this `iss`. */
  issuer: string;
  /** @default `${issuer}/.well-known/jwks.json` */
  jwksUri?: string;
  /**
   * Accept only access tokens of these app clients (their `client_id`; access tokens have no
   * `aud`, as in Cognito). Required: `null` accepts every client of the issuer, and says so.
   */
  clientIds: string | readonly string[] | null;
  /**
   * The algorithms to accept, a non-empty subset of `["RS256", "ES256", "EdDSA"]` (what the
   * gateway can sign with; anything else, `none` and HMAC included, throws at start-up). A
   * token's `alg` must in any case be the `alg` of the JWKS key its `kid` names, so the
   * default accepts exactly the algorithms the gateway's JWKS declares; a list narrows that.
   * @default ["RS256", "ES256", "EdDSA"] (in effect: those of the JWKS's keys)
   */
  algorithms?: readonly string[];
  /** Tolerance for `exp`/`nbf`, 0 to 300. @default 0 */
  clockSkewSeconds?: number;
  /** Verified tokens kept (LRU, each until its `exp`); 0 disables the cache. @default 10000 */
  cacheSize?: number;
  /** Each JWKS or introspection request, 1 to 60000 ms. @default 5000 */
  timeoutMs?: number;
  /**
   * Minimum time between two JWKS requests (unknown `kid`, refresh): bounds what made-up
   * `kid`s can cost, and how long a key rotated in at the gateway can go unrecognised here.
   * @default 10000
   */
  cooldownMs?: number;
  /**
   * Age after which the JWKS is refreshed on next use, or the response's `Cache-Control:
   * max-age` when shorter (the gateway bounds it by its next key expiry). @default 600000
   */
  jwksMaxAgeMs?: number;
  /**
   * How long known keys survive refreshes that keep failing, past the set's freshness; then
   * every token is rejected until a refresh succeeds, so a key the gateway retired is not
   * trusted forever from an unrefreshable cache. @default 3600000
   */
  jwksMaxStaleMs?: number;
  /** Check every token with the gateway's introspection endpoint, cached briefly. @default null (signature only) */
  introspection?: IntrospectionOptions | null;
  /**
   * Follow the gateway's revocation feed (GET /revocations) and refuse revoked tokens from an
   * in-memory set, with no call per request (docs/federation.md "Revocation at subgraphs").
   * Call `close()` to stop it. @default null (signature only)
   */
  revocations?: RevocationFeedOptions | null;
  /** @default Date.now */
  nowMs?: () => number;
}

export interface VerifierStats {
  tokens: { hits: number; misses: number; size: number };
  jwks: RemoteJwksStats;
  introspection: IntrospectionStats | null;
  revocations: RevocationFeedStats | null;
}

export interface Verifier {
  /**
   * The token's claims; throws a PoolgateError with code UNAUTHENTICATED for any bad token
   * (one message whatever the reason), or SERVICE_UNAVAILABLE when introspection is on and
   * the gateway cannot answer.
   */
  verify(token: string): Promise<AccessTokenClaims>;
  stats(): VerifierStats;
  /** Stops the revocation feed, if any; the verifier then fails closed as the feed goes stale. */
  close(): Promise<void>;
}

function option(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`createVerifier: ${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

function url(name: string, value: string): URL {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === "https:" || parsed.protocol === "http:") return parsed;
  } catch {
    // reported below
  }
  throw new TypeError(`createVerifier: ${name} must be an http(s) URL, got "${value}"`);
}

export function createVerifier(options: VerifierOptions): Verifier {
  if (typeof options.issuer !== "string" || options.issuer === "") {
    throw new TypeError("createVerifier: issuer is required");
  }
  const issuer = options.issuer.replace(/\/+$/, "");
  if (options.clientIds === undefined) {
    throw new TypeError(
      "createVerifier: clientIds is required (a client id, a list, or null to accept every client of the issuer)",
    );
  }
  const clientIds =
    options.clientIds === null
      ? null
      : typeof options.clientIds === "string"
        ? [options.clientIds]
        : [...options.clientIds];
  if (clientIds !== null && (clientIds.length === 0 || clientIds.some((c) => c === ""))) {
    throw new TypeError("createVerifier: clientIds must name at least one client, or be null");
  }
  const algorithms = options.algorithms ?? SIGNING_ALGORITHMS;
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    algorithms.some((a) => !SIGNING_ALGORITHMS.includes(a as SigningAlgorithm))
  ) {
    throw new TypeError(
      'createVerifier: algorithms must be a non-empty subset of ["RS256", "ES256", "EdDSA"] (what poolgate signs with)',
    );
  }
  const timeoutMs = option("timeoutMs", options.timeoutMs, 1, 60_000, 5000);
  const nowMs = options.nowMs ?? Date.now;

  const jwks = new RemoteJwks({
    uri: url("jwksUri", options.jwksUri ?? `${issuer}/.well-known/jwks.json`),
    timeoutMs,
    cooldownMs: option("cooldownMs", options.cooldownMs, 0, 3_600_000, 10_000),
    maxAgeMs: option("jwksMaxAgeMs", options.jwksMaxAgeMs, 1000, 86_400_000, 600_000),
    maxStaleMs: option("jwksMaxStaleMs", options.jwksMaxStaleMs, 0, 86_400_000, 3_600_000),
    nowMs,
  });
  const local = new AccessTokenVerifier({
    issuer,
    keys: (kid) => jwks.key(kid),
    algorithms: algorithms as readonly SigningAlgorithm[],
    clientIds,
    clockSkewSeconds: option("clockSkewSeconds", options.clockSkewSeconds, 0, 300, 0),
    cacheSize: option("cacheSize", options.cacheSize, 0, 1_000_000, 10000),
    nowMs,
  });

  let introspection: IntrospectionCheck | null = null;
  const io = options.introspection;
  if (io !== undefined && io !== null) {
    if (
      typeof io.clientId !== "string" ||
      io.clientId === "" ||
      typeof io.clientSecret !== "string" ||
      io.clientSecret === ""
    ) {
      throw new TypeError("createVerifier: introspection needs clientId and clientSecret");
    }
    const ttl = option(
      "introspection.cacheTtlSeconds",
      io.cacheTtlSeconds,
      0,
      MAX_INTROSPECTION_TTL_SECONDS,
      5,
    );
    introspection = new IntrospectionCheck(
      url("introspection.endpoint", io.endpoint ?? `${issuer}/oauth2/introspect`),
      {
        ...io,
        cacheTtlSeconds: ttl,
        cacheSize: option("introspection.cacheSize", io.cacheSize, 0, 1_000_000, 10000),
        timeoutMs: option("introspection.timeoutMs", io.timeoutMs, 1, 60_000, timeoutMs),
      },
      nowMs,
    );
  }

  let feed: RevocationFeedClient | null = null;
  const ro = options.revocations;
  if (ro !== undefined && ro !== null) {
    if (
      typeof ro.clientId !== "string" ||
      ro.clientId === "" ||
      typeof ro.clientSecret !== "string" ||
      ro.clientSecret === ""
    ) {
      throw new TypeError("createVerifier: revocations needs clientId and clientSecret");
    }
    option("revocations.maxStalenessSeconds", ro.maxStalenessSeconds, 1, 3600, 30);
    option("revocations.reconnectInitialDelayMs", ro.reconnectInitialDelayMs, 1, 60_000, 250);
    option("revocations.reconnectMaxDelayMs", ro.reconnectMaxDelayMs, 1, 600_000, 10_000);
    const tokenEndpoint = url(
      "revocations.tokenEndpoint",
      ro.tokenEndpoint ?? `${issuer}/oauth2/token`,
    ).toString();
    const tokens = createTokenProvider({
      tokenEndpoint,
      clientId: ro.clientId,
      clientSecret: ro.clientSecret,
      scopes: ["poolgate/revocations"],
      timeoutMs,
      nowMs,
    });
    feed = new RevocationFeedClient(
      url("revocations.endpoint", ro.endpoint ?? `${issuer}/revocations`),
      tokens,
      { ...ro, timeoutMs },
      nowMs,
      () => jwks.expire(),
    );
  }

  return {
    async verify(token) {
      // Local checks first: nothing unsigned or foreign ever reaches the gateway.
      const claims = await local.verify(token);
      if (feed) {
        // Only until the first stream has synced: afterwards a Map lookup, no await.
        if (!feed.synced) await feed.ready(timeoutMs);
        feed.check(claims);
      }
      if (introspection) await introspection.check(token);
      return claims;
    },
    stats() {
      return {
        tokens: local.stats(),
        jwks: jwks.stats(),
        introspection: introspection?.stats() ?? null,
        revocations: feed?.stats() ?? null,
      };
    },
    async close() {
      await feed?.close();
    },
  };
}
