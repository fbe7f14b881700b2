/**
 * A client-credentials access token for a service, cached the way Cognito's "Caching tokens"
 * page tells every machine-to-machine client to: reused until 75 % of its lifetime, then
 * renewed in the background while the old one, still valid, keeps being handed out; one
 * token request in flight however many callers wait (single-flight); failures retried with
 * exponential backoff and jitter, then a clear error. The revocation feed of the verifier
 * uses one; a subgraph calling other services can use its own.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { PoolgateError } from "../errors";

export interface TokenProviderOptions {
  /** The gateway's `${issuer}/oauth2/token`. */
  tokenEndpoint: string;
  /** A confidential app client allowed the client-credentials flow. */
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for. @default none: the client's default custom scopes */
  scopes?: readonly string[];
  /** Each token request, 1 to 60000 ms. @default 5000 */
  timeoutMs?: number;
  /** Token requests per getToken before it fails, 1 to 20. @default 5 */
  maxAttempts?: number;
  /** First retry delay; doubled each time, with jitter. @default 200 */
  initialBackoffMs?: number;
  /** Longest retry delay. @default 5000 */
  maxBackoffMs?: number;
  /** Fraction of the lifetime after which the token is renewed. @default 0.75 */
  renewAtFraction?: number;
  /** @default Date.now */
  nowMs?: () => number;
}

export interface TokenProviderStats {
  /** Token requests sent. */
  requests: number;
  /** Token requests that failed. */
  failures: number;
}

export interface TokenProvider {
  /**
   * A valid access token. Throws PoolgateError UNAUTHORIZED_CLIENT when the endpoint refuses
   * the client (4xx: wrong secret, scope not allowed: no retry), SERVICE_UNAVAILABLE after
   * `maxAttempts` failed requests.
   */
  getToken(): Promise<string>;
  /** Forgets the cached token (a resource server answered 401 to it). */
  invalidate(): void;
  /**
   * Aborts the token request in flight and its retry sleeps, so nothing is left waiting;
   * getToken then throws SERVICE_UNAVAILABLE.
   */
  close(): void;
  stats(): TokenProviderStats;
}

interface Cached {
  token: string;
  renewAtMs: number;
  expiresAtMs: number;
}

function bounded(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
    throw new TypeError(`createTokenProvider: ${name} must be a number from ${min} to ${max}`);
  return value;
}

class Refused extends Error {}

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  let endpoint: URL;
  try {
    endpoint = new URL(options.tokenEndpoint);
    if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") throw new Error();
  } catch {
    throw new TypeError(
      `createTokenProvider: tokenEndpoint must be an http(s) URL, got "${String(options.tokenEndpoint)}"`,
    );
  }
  if (typeof options.clientId !== "string" || options.clientId === "")
    throw new TypeError("createTokenProvider: clientId is required");
  if (typeof options.clientSecret !== "string" || options.clientSecret === "")
    throw new TypeError("createTokenProvider: clientSecret is required");
  const timeoutMs = bounded("timeoutMs", options.timeoutMs, 1, 60_000, 5000);
  const maxAttempts = bounded("maxAttempts", options.maxAttempts, 1, 20, 5);
  const initialBackoffMs = bounded("initialBackoffMs", options.initialBackoffMs, 0, 60_000, 200);
  const maxBackoffMs = bounded("maxBackoffMs", options.maxBackoffMs, 0, 300_000, 5000);
  const fraction = bounded("renewAtFraction", options.renewAtFraction, 0.1, 1, 0.75);
  const now = options.nowMs ?? Date.now;
  // RFC 6749 §2.3.1: client_secret_basic, each part form-urlencoded first.
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
  const authorization = `Basic ${Buffer.from(
    `${encode(options.clientId)}:${encode(options.clientSecret)}`,
  ).toString("base64")}`;
  const body = new URLSearchParams({ grant_type: "client_credentials" });
  if (options.scopes && options.scopes.length > 0) body.set("scope", options.scopes.join(" "));
  const form = body.toString();

  let cached: Cached | undefined;
  let pending: Promise<Cached> | undefined;
  let requests = 0;
  let failures = 0;
  const closing = new AbortController();
  const closed = () =>
    new PoolgateError(
      "SERVICE_UNAVAILABLE",
      `Token provider for ${endpoint.origin}${endpoint.pathname} closed`,
    );

  async function requestOnce(): Promise<Cached> {
    requests++;
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        redirect: "error",
        headers: {
          authorization,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: form,
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (err) {
      const name = err instanceof Error ? err.name : typeof err;
      throw new Error(name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : name);
    }
    const text = await response.text().catch(() => "");
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      const error = typeof parsed?.["error"] === "string" ? ` ${parsed["error"]}` : "";
      throw new Refused(`HTTP ${response.status}${error}`);
    }
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    const token = parsed?.["access_token"];
    const expiresIn = parsed?.["expires_in"];
    if (typeof token !== "string" || typeof expiresIn !== "number" || !(expiresIn > 0))
      throw new Error("not a token response");
    const at = now();
    return {
      token,
      renewAtMs: at + expiresIn * 1000 * fraction,
      expiresAtMs: at + expiresIn * 1000,
    };
  }

  async function fetchToken(): Promise<Cached> {
    let last = "";
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) {
        // Exponential backoff with "equal jitter": half the delay fixed, half random, so
        // many services restarted together do not hammer the endpoint in step.
        const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
        await sleep(delay / 2 + (Math.random() * delay) / 2, undefined, {
          signal: closing.signal,
        }).catch(() => undefined);
      }
      if (closing.signal.aborted) throw closed();
      try {
        return await requestOnce();
      } catch (err) {
        if (closing.signal.aborted) throw closed();
        failures++;
        last = err instanceof Error ? err.message : String(err);
        if (err instanceof Refused)
          throw new PoolgateError(
            "UNAUTHORIZED_CLIENT",
            `Token endpoint ${endpoint.origin}${endpoint.pathname} refused client ${options.clientId}: ${last}`,
          );
      }
    }
    throw new PoolgateError(
      "SERVICE_UNAVAILABLE",
      `No client-credentials token from ${endpoint.origin}${endpoint.pathname} after ${maxAttempts} attempts (last: ${last})`,
    );
  }

  function refresh(): Promise<Cached> {
    pending ??= fetchToken()
      .then((fresh) => (cached = fresh))
      .finally(() => (pending = undefined));
    return pending;
  }

  return {
    async getToken() {
      if (closing.signal.aborted) throw closed();
      const at = now();
      if (cached && at < cached.expiresAtMs) {
        if (at >= cached.renewAtMs) {
          // Renewed in the background; a failure leaves the current token until it expires.
          refresh().catch(() => undefined);
        }
        return cached.token;
      }
      return (await refresh()).token;
    },
    invalidate() {
      cached = undefined;
    },
    stats() {
      return { requests, failures };
    },
    close() {
      closing.abort();
    },
  };
}
