/**
 * CORS for browser frontends (Fetch standard §3.2): an allow-list of exact origins
 * (POOLGATE_CORS_ORIGINS). A listed origin gets its own origin back with credentials; `*`
 * (development only) gets `*` and never credentials — the Fetch standard forbids the pair,
 * and reflecting any origin with credentials would hand every site the user's session.
 * Everything else gets no CORS headers at all, so the browser keeps the response from the
 * calling page. CORS is only a read barrier: the writes a cross-site page could still send
 * are stopped by Apollo's CSRF prevention (a preflight is required) and SameSite=Strict.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** How long a browser may cache a preflight answer (Chromium caps it at 7200 s). */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

const ALLOWED_METHODS = "GET, POST";
/** What the GraphQL and OAuth clients send; Apollo's CSRF headers included. */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "x-request-id",
  // Cognito's wire API, as Amplify and the AWS SDK send it from a browser.
  "x-amz-target",
  "x-amz-user-agent",
  "x-amz-date",
  "x-amz-content-sha256",
  "x-amz-security-token",
  "amz-sdk-invocation-id",
  "amz-sdk-request",
  "cache-control",
].join(", ");
const EXPOSED_HEADERS =
  "x-request-id, www-authenticate, x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage";

/** The routes a browser may call across origins. */
export function isCorsRoute(pathname: string): boolean {
  return (
    pathname === "/graphql" ||
    // Cognito's wire API (Amplify in the browser).
    pathname === "/" ||
    pathname.startsWith("/oauth2/") ||
    pathname.startsWith("/.well-known/")
  );
}

/** Adds `value` to the response's Vary header without dropping what is there. */
export function appendVary(res: ServerResponse, value: string): void {
  const current = res.getHeader("vary");
  if (current === undefined) {
    res.setHeader("vary", value);
    return;
  }
  const list = (Array.isArray(current) ? current.join(",") : String(current ?? ""))
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  if (!list.some((v) => v.toLowerCase() === value.toLowerCase() || v === "*")) list.push(value);
  res.setHeader("vary", list.join(", "));
}

export interface CorsPolicy {
  /** True if `origin` is on the allow-list (never true for `*`: that grants no credentials). */
  isListed(origin: string): boolean;
  /**
   * Sets the CORS headers of a response; answers a preflight itself and returns true then
   * (the caller stops). Requests without an Origin header are not CORS requests.
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean;
}

export function corsPolicy(origins: readonly string[]): CorsPolicy {
  const any = origins.length === 1 && origins[0] === "*";
  const listed = new Set(any ? [] : origins);
  const isListed = (origin: string) => listed.has(origin);

  return {
    isListed,
    apply(req, res) {
      // The answer depends on Origin, so shared caches must key on it.
      appendVary(res, "Origin");
      const origins = req.headersDistinct.origin ?? [];
      const origin = origins.length === 1 ? origins[0]! : undefined;
      const preflight =
        req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
      const allowed = origin !== undefined && (any || isListed(origin));
      if (allowed) {
        if (any) {
          res.setHeader("access-control-allow-origin", "*");
        } else {
          res.setHeader("access-control-allow-origin", origin);
          res.setHeader("access-control-allow-credentials", "true");
        }
        res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
      }
      if (req.method !== "OPTIONS") return false;
      if (!preflight) {
        // A plain OPTIONS: say what the resource supports.
        res.writeHead(204, { allow: `${ALLOWED_METHODS}, OPTIONS`, "content-length": 0 });
        res.end();
        return true;
      }
      if (!allowed) {
        res.writeHead(403, {
          "content-type": "application/json; charset=utf-8",
          "cache-control": "no-store",
        });
        res.end(JSON.stringify({ error: "origin_not_allowed" }));
        return true;
      }
      appendVary(res, "Access-Control-Request-Headers");
      res.writeHead(204, {
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
        "content-length": 0,
      });
      res.end();
      return true;
    },
  };
}
