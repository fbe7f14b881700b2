/**
 * The gateway's public keys, fetched from its JWKS endpoint and kept in memory, for services
 * that verify its tokens from another process (DESIGN §5: "remote, cached, refetched on
 * unknown `kid` at a bounded rate").
 *
 * - One request at a time (concurrent callers share it), each bounded by `timeoutMs`.
 * - At most one request per `cooldownMs`, whatever triggered it (an unknown `kid`, a stale
 *   set) and whether it succeeded or not: a stream of tokens with made-up `kid`s cannot turn
 *   the service into a JWKS flooder. Until a first set has been fetched, a failed attempt may
 *   be retried after `min(cooldownMs, 1 s)`, so a blip at start-up does not lock every caller
 *   out for a whole cooldown.
 * - A set older than `maxAgeMs`, or than the response's `Cache-Control: max-age` when that is
 *   shorter, is refreshed on the next use, and the refreshed set replaces the old one whole: a
 *   kid the gateway stopped publishing is gone here too. The gateway bounds `max-age` by its
 *   next key expiry, so a retired key is dropped here soon after it expires there.
 * - If a refresh fails, the keys already known keep working (a JWKS outage must not reject
 *   tokens that were verifiable a moment ago) for at most `maxStaleMs` past the set's
 *   freshness, then none does: a cache that cannot be refreshed is not trusted forever. The
 *   refresh is tried again after every cooldown.
 * - Only signature keys of what poolgate signs with are imported (RSA for RS256, EC P-256 for
 *   ES256, OKP Ed25519 for EdDSA; a declared `alg` must agree with the key type), from their
 *   public parts only; `x5u`, `x5c` and other indirections are never followed, and redirects
 *   are refused. The imported key carries its algorithm, which a token's `alg` must match.
 */
import { importJWK, type CryptoKey } from "jose";
import { algorithmOfJwk, publicMembers } from "../tokens/algorithms";
import { fetchWithRetry } from "./fetchWithRetry";

export interface RemoteJwksOptions {
  uri: URL;
  /** Per request, connection to last byte. */
  timeoutMs: number;
  /** Minimum time between two requests. */
  cooldownMs: number;
  /** Age after which the set is refreshed on next use (shorter if the response says so). */
  maxAgeMs: number;
  /** How long past its freshness a set whose refresh fails is still used. */
  maxStaleMs: number;
  /** @default Date.now */
  nowMs?: () => number;
}

export interface RemoteJwksStats {
  /** Requests sent to the JWKS endpoint. */
  requests: number;
  /** Requests that timed out or failed (status, body, network). */
  failures: number;
  /** Keys known now. */
  keys: number;
}

const EMPTY_RETRY_MS = 1000;

export class RemoteJwks {
  private keys = new Map<string, CryptoKey>();
  private fetchedAtMs: number | undefined;
  /** How long the current set is fresh: maxAgeMs, or the response's max-age if shorter. */
  private freshForMs = 0;
  private attemptedAtMs: number | undefined;
  private pending: Promise<void> | undefined;
  private requests = 0;
  private failures = 0;
  private readonly now: () => number;

  constructor(private readonly options: RemoteJwksOptions) {
    this.now = options.nowMs ?? Date.now;
  }

  /** The key for `kid`, or undefined when the endpoint does not list it (or cannot be read). */
  async key(kid: string): Promise<CryptoKey | undefined> {
    const now = this.now();
    const stale = this.fetchedAtMs === undefined || now - this.fetchedAtMs >= this.freshForMs;
    if (stale || !this.keys.has(kid)) {
      if (this.mayRequest(now)) await this.refresh();
    }
    if (this.fetchedAtMs === undefined) return undefined;
    const age = this.now() - this.fetchedAtMs;
    if (age >= this.freshForMs + this.options.maxStaleMs) {
      // Too old to trust: what the gateway publishes now is unknown, so no key is.
      this.keys = new Map();
      return undefined;
    }
    return this.keys.get(kid);
  }

  /** The gateway's keys changed (revocation feed): refresh on next use, cooldown permitting. */
  expire(): void {
    this.freshForMs = 0;
  }

  stats(): RemoteJwksStats {
    return { requests: this.requests, failures: this.failures, keys: this.keys.size };
  }

  private mayRequest(now: number): boolean {
    if (this.pending) return true; // join the request in flight
    if (this.attemptedAtMs === undefined) return true;
    const wait =
      this.fetchedAtMs === undefined
        ? Math.min(this.options.cooldownMs, EMPTY_RETRY_MS)
        : this.options.cooldownMs;
    return now - this.attemptedAtMs >= wait;
  }

  private refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAtMs = this.now();
    this.requests++;
    try {
      const response = await fetchWithRetry(this.options.uri, {
        method: "GET",
        redirect: "error",
        headers: { accept: "application/json, application/jwk-set+json" },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`JWKS answered ${response.status}`);
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body?.keys)) throw new Error("JWKS has no keys array");
      const next = new Map<string, CryptoKey>();
      for (const jwk of body.keys as unknown[]) {
        const key = await importSigningKey(jwk);
        if (key) next.set(key.kid, key.key);
      }
      this.keys = next;
      this.fetchedAtMs = this.now();
      this.freshForMs = Math.min(
        this.options.maxAgeMs,
        maxAgeMsOf(response.headers.get("cache-control")) ?? Infinity,
      );
    } catch {
      // Keep what we had: the caller sees an unknown kid, never the transport error.
      this.failures++;
    }
  }
}

/** `max-age` of a Cache-Control header (RFC 9111 §5.2.2.1) in ms; `no-cache`/`no-store` are 0. */
function maxAgeMsOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  let result: number | undefined;
  for (const directive of header.toLowerCase().split(",")) {
    const [name, value] = directive.trim().split("=", 2) as [string, string | undefined];
    if (name === "no-cache" || name === "no-store") return 0;
    if (name === "max-age" && value !== undefined && /^\d{1,10}$/.test(value.trim())) {
      result = Number(value.trim()) * 1000;
    }
  }
  return result;
}

async function importSigningKey(
  jwk: unknown,
): Promise<{ kid: string; key: CryptoKey } | undefined> {
  if (typeof jwk !== "object" || jwk === null) return undefined;
  const members = jwk as Record<string, unknown>;
  const { kid, use } = members;
  const alg = algorithmOfJwk(members);
  if (alg === undefined || typeof kid !== "string" || (use !== undefined && use !== "sig"))
    return undefined;
  try {
    // Public parts only: a JWKS that leaked a private member still yields a public key.
    const key = await importJWK(publicMembers(alg, members), alg);
    return key instanceof Uint8Array ? undefined : { kid, key };
  } catch {
    return undefined;
  }
}
