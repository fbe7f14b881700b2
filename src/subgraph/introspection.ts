/**
 * Revocation checking for services outside the gateway: RFC 7662 introspection at the
 * gateway's `/oauth2/introspect`, which applies the gateway's own full check (session not
 * revoked, user and client enabled), with a short, bounded cache of the answers.
 *
 * A signature alone cannot tell that a session was revoked a second ago; asking the gateway
 * on every request would make it a hop on every subgraph call. The cache is the trade: a
 * revoked token keeps working at a subgraph for at most `cacheTtlSeconds` after revocation.
 *
 * Failure policy (docs/federation.md): an answer of `active: false` is UNAUTHENTICATED. When
 * the gateway cannot answer (timeout, network error, a status other than 200, a body that is
 * not an introspection response — including a 401 for wrong client credentials), the request
 * fails closed with SERVICE_UNAVAILABLE (HTTP 503): the token may be fine, so telling the
 * client to sign in again (401) would be wrong, but serving it unchecked would be too.
 * `dangerouslyAcceptOnOutage` serves it on its signature alone instead. Outages are never
 * cached.
 */
import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { PoolgateError } from "../errors";
import { fetchWithRetry } from "./fetchWithRetry";

export interface IntrospectionOptions {
  /** @default `${issuer}/oauth2/introspect` */
  endpoint?: string;
  /** A confidential app client of the gateway (introspection needs a client secret). */
  clientId: string;
  clientSecret: string;
  /**
   * How long an answer (active or not) is reused, in seconds: the longest a revoked token
   * can still pass. 0 asks on every request. At most 60.
   * @default 5
   */
  cacheTtlSeconds?: number;
  /**
   * Answers kept (least recently used evicted first).
   * @default 10000
   */
  cacheSize?: number;
  /** Per request. @default the verifier's timeoutMs */
  timeoutMs?: number;
  /**
   * When the gateway cannot answer, accept a token whose signature, expiry, issuer and client
   * verified locally, without knowing whether its session was revoked.
   * @default false (fail closed: SERVICE_UNAVAILABLE)
   */
  dangerouslyAcceptOnOutage?: boolean;
}

export interface IntrospectionStats {
  /** Requests sent to the endpoint. */
  requests: number;
  /** Answers served from the cache. */
  hits: number;
  /** Requests that got no usable answer. */
  failures: number;
  /** Answers cached now. */
  size: number;
}

export const MAX_INTROSPECTION_TTL_SECONDS = 60;

interface Answer {
  active: boolean;
  expiresAtMs: number;
}

type Outcome = { kind: "answer"; active: boolean } | { kind: "outage"; detail: string };

export class IntrospectionCheck {
  private readonly cache: LRUCache<string, Answer> | undefined;
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private readonly ttlMs: number;
  private readonly authorization: string;
  private readonly now: () => number;
  private requests = 0;
  private hits = 0;
  private failures = 0;

  constructor(
    private readonly endpoint: URL,
    private readonly options: IntrospectionOptions & { timeoutMs: number },
    nowMs: () => number = Date.now,
  ) {
    this.now = nowMs;
    const ttl = options.cacheTtlSeconds ?? 5;
    const size = options.cacheSize ?? 10000;
    this.ttlMs = ttl * 1000;
    this.cache = ttl > 0 && size > 0 ? new LRUCache({ max: size }) : undefined;
    // RFC 6749 §2.3.1: client_secret_basic, each part form-urlencoded first.
    const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
    this.authorization = `Basic ${Buffer.from(
      `${encode(options.clientId)}:${encode(options.clientSecret)}`,
    ).toString("base64")}`;
  }

  stats(): IntrospectionStats {
    return {
      requests: this.requests,
      hits: this.hits,
      failures: this.failures,
      size: this.cache?.size ?? 0,
    };
  }

  /** Resolves when the gateway holds the token active; throws UNAUTHENTICATED or SERVICE_UNAVAILABLE. */
  async check(token: string): Promise<void> {
    const key = hash("sha256", token, "base64url");
    const cached = this.cache?.get(key);
    if (cached && cached.expiresAtMs > this.now()) {
      this.hits++;
      return settle(cached.active);
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.ask(token).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const outcome = await pending;
    if (outcome.kind === "answer") {
      this.cache?.set(key, { active: outcome.active, expiresAtMs: this.now() + this.ttlMs });
      return settle(outcome.active);
    }
    if (this.options.dangerouslyAcceptOnOutage) return;
    throw new PoolgateError("SERVICE_UNAVAILABLE", "Token check unavailable", {
      logDetail: `introspection failed: ${outcome.detail}`,
    });
  }

  private async ask(token: string): Promise<Outcome> {
    this.requests++;
    try {
      const response = await fetchWithRetry(this.endpoint, {
        method: "POST",
        redirect: "error",
        headers: {
          authorization: this.authorization,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        this.failures++;
        return { kind: "outage", detail: `HTTP ${response.status}` };
      }
      const body = (await response.json()) as { active?: unknown } | null;
      if (typeof body?.active !== "boolean") {
        this.failures++;
        return { kind: "outage", detail: "not an introspection response" };
      }
      return { kind: "answer", active: body.active };
    } catch (err) {
      this.failures++;
      const name = err instanceof Error ? err.name : typeof err;
      return { kind: "outage", detail: name === "TimeoutError" ? "timeout" : name };
    }
  }
}

function settle(active: boolean): void {
  if (!active) {
    throw new PoolgateError("UNAUTHENTICATED", "Unauthorized", {
      logDetail: "access token rejected: inactive at introspection (revoked or disabled)",
    });
  }
}
