/**
 * Prometheus metrics (GET /metrics, prom-client). Every gateway has its own Registry, never
 * prom-client's global one: a process may run several gateways (tests do), and each must
 * count only its own traffic. Process metrics (CPU, memory, event loop, GC) describe the
 * process, not a gateway, so they live in one registry per process, created on first use.
 *
 * Label values are bounded: routes and store operations come from fixed sets, outcomes from
 * the error-code union, and GraphQL operation names from the operator's list
 * (POOLGATE_METRICS_OPERATION_NAMES), so no caller can grow the scrape or take its label
 * slots: names are chosen by callers, and any cap first-come first-served would be filled by
 * the first anonymous caller with a hundred made-up names (issue 12 #10).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { isPoolgateError } from "../errors";
import type { AuthEvents } from "../events";
import { bearerToken } from "../subgraph/bearer";

/** Routes the gateway serves; any other path is counted as `other`. */
const ROUTES = new Set([
  "/graphql",
  "/.well-known/jwks.json",
  "/.well-known/openid-configuration",
  "/oauth2/token",
  "/oauth2/revoke",
  "/oauth2/userInfo",
  "/oauth2/introspect",
  "/oauth2/authorize",
  "/logout",
  "/healthz",
  "/readyz",
  "/metrics",
  "/login",
  "/revocations",
  // Cognito's JSON wire API.
  "/",
]);
const METHODS = new Set(["GET", "HEAD", "POST", "OPTIONS"]);
const ERROR_CODE = /^[A-Z][A-Z_]{0,47}$/;

export interface StoreTimer {
  (operation: string, seconds: number, ok: boolean): void;
}

export interface GatewayMetrics extends AuthEvents {
  readonly registry: Registry;
  /** A message handed to the sender (delivery/): sent, or failed (CODE_DELIVERY_FAILURE). */
  message(kind: string, ok: boolean): void;
  /**
   * One call of Cognito's wire API: its operation (one the gateway serves, else `other`) and
   * outcome (`success` or Cognito's exception name).
   */
  cognitoOperation(operation: string, outcome: string): void;
  /** One hook call (POOLGATE_HOOKS): which, how it ended, how long it took. */
  hookCall(hook: string, outcome: string, seconds: number): void;
  requestStarted(): void;
  requestFinished(pathname: string, method: string | undefined, status: number, s: number): void;
  storeCall: StoreTimer;
  /** The exposition text of this gateway's and the process's metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsSources {
  /** The verified-token cache (pool.verifier.stats()). */
  tokenCache: () => { hits: number; misses: number; size: number };
  /** The prepared-operation path (src/graphql/prepared.ts). */
  prepared?: () => { served: number; documents: number };
}

let processRegistry: Registry | undefined;

/** CPU, memory, event-loop lag, GC, handles: once per process (prom-client's default set). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

function packageVersion(): string {
  try {
    // package.json sits two levels above both src/http and dist/http.
    const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** Label values that come from a fixed list (DESIGN §11), so callers cannot add label values. */
const CHALLENGE_NAMES = new Set([
  "NEW_PASSWORD_REQUIRED",
  "SOFTWARE_TOKEN_MFA",
  "EMAIL_OTP",
  "MFA_SETUP",
  "SELECT_MFA_TYPE",
  "SELECT_CHALLENGE",
  "PASSWORD",
  "PASSWORD_SRP",
  "PASSWORD_VERIFIER",
]);
const MESSAGE_KINDS = new Set(["verification", "invitation", "mfa"]);

/** The stable code of an error, for an outcome label. */
function codeOf(error: unknown): string {
  if (isPoolgateError(error)) return error.code;
  return "INTERNAL_SERVER_ERROR";
}

function signInOutcome(error: unknown): string {
  if (error === undefined) return "success";
  switch (codeOf(error)) {
    case "NOT_AUTHORIZED":
      return "failure";
    case "TOO_MANY_FAILED_ATTEMPTS":
      return "locked_out";
    default:
      return "error";
  }
}

function refreshOutcome(error: unknown): string {
  if (error === undefined) return "success";
  switch (codeOf(error)) {
    case "REFRESH_TOKEN_EXPIRED":
      return "expired";
    case "REFRESH_TOKEN_REVOKED":
      return "revoked";
    case "INVALID_REFRESH_TOKEN":
      return "invalid";
    default:
      return "error";
  }
}

export interface MetricsOptions {
  /** Operation names counted under their own label; any other name counts as `__other`. */
  operationNames?: readonly string[];
}

export function createMetrics(
  sources: MetricsSources,
  options: MetricsOptions = {},
): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  // prom-client counts process CPU from the moment its collectors exist: made at start, not
  // at the first scrape, or that scrape would report the few microseconds since (often 0).
  processMetrics();

  new Gauge({
    name: "poolgate_info",
    help: "Always 1; the version label says which poolgate runs.",
    labelNames: ["version"],
    registers,
  }).set({ version: packageVersion() }, 1);

  const httpRequests = new Counter({
    name: "poolgate_http_requests_total",
    help: "HTTP requests answered, by route, method and status code.",
    labelNames: ["route", "method", "status"],
    registers,
  });
  const httpDuration = new Histogram({
    name: "poolgate_http_request_duration_seconds",
    help: "Time from the request's arrival to the end of its response, by route.",
    labelNames: ["route"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const inFlight = new Gauge({
    name: "poolgate_http_requests_in_flight",
    help: "HTTP requests being served now (what a graceful stop waits for).",
    registers,
  });
  const operations = new Counter({
    name: "poolgate_graphql_operations_total",
    help: "GraphQL operations, by operation name (those of POOLGATE_METRICS_OPERATION_NAMES; __anonymous, __invalid, or __other for any other name), type and outcome (success or the first error code).",
    labelNames: ["operation", "type", "outcome"],
    registers,
  });
  const signIns = new Counter({
    name: "poolgate_sign_ins_total",
    help: "signIn attempts: success, failure (wrong credentials), locked_out (TOO_MANY_FAILED_ATTEMPTS) or error (any other refusal).",
    labelNames: ["outcome"],
    registers,
  });
  const refreshes = new Counter({
    name: "poolgate_refreshes_total",
    help: "Refresh-token uses (the refresh mutation and the refresh_token grant), by outcome and entry point.",
    labelNames: ["outcome", "via"],
    registers,
  });
  const revocations = new Counter({
    name: "poolgate_revocations_total",
    help: "Successful revocations: a refresh token's session (token) or all of a user's sessions (global_sign_out).",
    labelNames: ["kind", "via"],
    registers,
  });
  const challengeAnswers = new Counter({
    name: "poolgate_challenge_answers_total",
    help: "Answers to sign-in challenges (respondToAuthChallenge), by challenge and outcome: success (tokens or the next step) or the error code (CODE_MISMATCH, INVALID_SESSION, …).",
    labelNames: ["challenge", "outcome"],
    registers,
  });
  const messages = new Counter({
    name: "poolgate_messages_total",
    help: "Messages handed to the mail server (codes, invitations), by kind (verification, invitation, mfa) and outcome (sent or failed).",
    labelNames: ["kind", "outcome"],
    registers,
  });
  const hookCalls = new Counter({
    name: "poolgate_hook_calls_total",
    help: "Calls of the in-process hooks (POOLGATE_HOOKS), by hook (preTokenGeneration, userMigration) and outcome: success, refused (userMigration threw: Cognito's way to say no such user), error (threw, or answered what the trigger may not), timeout.",
    labelNames: ["hook", "outcome"],
    registers,
  });
  const hookDuration = new Histogram({
    name: "poolgate_hook_duration_seconds",
    help: "How long each hook call took, by hook (a timeout counts its whole wait).",
    labelNames: ["hook"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const cognitoOperations = new Counter({
    name: "poolgate_cognito_operations_total",
    help: "Calls of Cognito's wire API (POST /), by operation (those it serves; any other name is `other`) and outcome (success or Cognito's exception name).",
    labelNames: ["operation", "outcome"],
    registers,
  });
  const store = new Histogram({
    name: "poolgate_store_operation_duration_seconds",
    help: "Duration of each call into the store (SQLite or PostgreSQL), by Store method and outcome.",
    labelNames: ["operation", "outcome"],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  new Counter({
    name: "poolgate_token_cache_hits_total",
    help: "Access-token verifications answered from the verified-token cache (no signature work).",
    registers,
    collect() {
      this.reset();
      this.inc(sources.tokenCache().hits);
    },
  });
  new Counter({
    name: "poolgate_token_cache_misses_total",
    help: "Access-token verifications that needed signature work.",
    registers,
    collect() {
      this.reset();
      this.inc(sources.tokenCache().misses);
    },
  });
  new Gauge({
    name: "poolgate_token_cache_hit_ratio",
    help: "Cache hits / all verifications since start (0 before the first); for a window use rate() of the two counters.",
    registers,
    collect() {
      const { hits, misses } = sources.tokenCache();
      this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
    },
  });
  new Counter({
    name: "poolgate_graphql_prepared_operations_total",
    help: "Queries answered on the prepared-operation path (a query Apollo Server answered before, run again without its request pipeline); also counted in poolgate_graphql_operations_total.",
    registers,
    collect() {
      this.reset();
      this.inc(sources.prepared?.().served ?? 0);
    },
  });
  new Gauge({
    name: "poolgate_graphql_prepared_documents",
    help: "Validated documents held for the prepared-operation path (at most 1000 and 512 Ki characters of query text).",
    registers,
    collect() {
      this.set(sources.prepared?.().documents ?? 0);
    },
  });
  new Gauge({
    name: "poolgate_token_cache_entries",
    help: "Verified access tokens held in the cache.",
    registers,
    collect() {
      this.set(sources.tokenCache().size);
    },
  });

  const names = new Set(options.operationNames ?? []);
  const operationLabel = (name: string | undefined): string => {
    if (name === undefined || name === "") return "__anonymous";
    if (name === "__invalid") return name;
    return names.has(name) ? name : "__other";
  };

  return {
    registry,
    requestStarted: () => inFlight.inc(),
    requestFinished(pathname, method, status, seconds) {
      inFlight.dec();
      const route = ROUTES.has(pathname) ? pathname : "other";
      const m = method !== undefined && METHODS.has(method) ? method : "other";
      httpRequests.inc({ route, method: m, status: String(status) });
      httpDuration.observe({ route }, seconds);
    },
    storeCall(operation, seconds, ok) {
      store.observe({ operation, outcome: ok ? "ok" : "error" }, seconds);
    },
    signIn: (error) => signIns.inc({ outcome: signInOutcome(error) }),
    refresh: (via, error) => refreshes.inc({ outcome: refreshOutcome(error), via }),
    revocation: (kind, via) => revocations.inc({ kind, via }),
    challengeAnswer(challengeName, error) {
      challengeAnswers.inc({
        challenge: CHALLENGE_NAMES.has(challengeName) ? challengeName : "other",
        outcome: error === undefined ? "success" : codeOf(error),
      });
    },
    cognitoOperation(operation, outcome) {
      cognitoOperations.inc({
        operation,
        outcome: outcome === "success" || /^[A-Za-z]{1,64}$/.test(outcome) ? outcome : "other",
      });
    },
    hookCall(hook, outcome, seconds) {
      hookCalls.inc({ hook, outcome });
      hookDuration.observe({ hook }, seconds);
    },
    message(kind, ok) {
      messages.inc({
        kind: MESSAGE_KINDS.has(kind) ? kind : "other",
        outcome: ok ? "sent" : "failed",
      });
    },
    operation(name, type, outcome) {
      operations.inc({
        operation: operationLabel(name),
        type: type === "query" || type === "mutation" || type === "subscription" ? type : "none",
        outcome: outcome === "success" || ERROR_CODE.test(outcome) ? outcome : "OTHER",
      });
    },
    async render() {
      const own = await registry.metrics();
      const proc = await processMetrics().metrics();
      return { contentType: registry.contentType, body: `${own}\n${proc}` };
    },
  };
}

/**
 * Wraps every method of `target` (the store) so that each call that returns a promise is
 * timed from the call to its settlement. Only the store's own method names become labels.
 */
export function timed<T extends object>(target: T, observe: StoreTimer): T {
  const wrappers = new Map<string, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof prop !== "string" || typeof value !== "function") return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        const fn = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]) => {
          const started = process.hrtime.bigint();
          const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
          const result = fn.apply(obj, args);
          if (result instanceof Promise) {
            return result.then(
              (v: unknown) => {
                observe(prop, seconds(), true);
                return v;
              },
              (err: unknown) => {
                observe(prop, seconds(), false);
                throw err;
              },
            );
          }
          return result;
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
}

/** True if `header` is exactly `Bearer <expected>`, compared in constant time. */
export function bearerMatches(header: readonly string[] | undefined, expected: string): boolean {
  if (header === undefined || header.length !== 1) return false;
  const token = bearerToken(header[0]!);
  const presented = token ?? "";
  // Hashing first gives equal lengths, so timingSafeEqual leaks neither length nor prefix.
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && token !== undefined;
}

/** GET /metrics: the exposition text, behind POOLGATE_METRICS_TOKEN when it is set. */
export async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: GatewayMetrics,
  token: string | undefined,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-length": 0 });
    res.end();
    return;
  }
  if (token !== undefined && !bearerMatches(req.headersDistinct.authorization, token)) {
    const body = JSON.stringify({ error: "unauthorized" });
    res.writeHead(401, {
      "content-type": "application/json; charset=utf-8",
      "www-authenticate": 'Bearer realm="poolgate-metrics"',
      "cache-control": "no-store",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const { contentType, body } = await metrics.render();
  res.writeHead(200, {
    "content-type": contentType,
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
