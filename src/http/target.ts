/**
 * requestPath(target): the path a request is routed on, taken from the request target as sent,
 * or undefined when that path is not canonical (then the gateway answers 404).
 *
 * Routing on `new URL(target, base).pathname` served `//x/metrics`, `/x/../metrics` and
 * `/x/%2e%2e/metrics` as `/metrics`: the WHATWG URL parser reads `//x` as a host and resolves
 * dot segments, percent-encoded ones included (URL Standard, "single-dot / double-dot URL path
 * segment"), while a proxy in front may match the target as sent. A rule such as "block
 * /metrics at the proxy" then only holds if both sides see the same path, so the gateway
 * routes on the exact bytes and refuses every spelling a normaliser could map elsewhere.
 *
 * Canonical: origin-form (RFC 9112 §3.2.1) starting with one `/`; no empty segment (`//`, a
 * trailing `/`), no `.` or `..` segment (RFC 3986 §3.3), no backslash (WHATWG reads it as `/`),
 * no percent-encoded `.`, `/` or `\` in any case, and no `#` (a fragment is never sent, RFC 9110
 * §7.1; the URL parser would drop it). The query string is kept as sent. Paths are
 * case-sensitive, as Cognito's and OAuth's are: `/METRICS` is not `/metrics`.
 */
export interface RequestPath {
  /** The path as sent, before `?`: what the gateway routes on. */
  path: string;
  /** The whole target parsed, for its query string (read as `URLSearchParams` reads it). */
  url: URL;
}

const ENCODED_SEPARATOR = /%(?:2e|2f|5c)/i;

function isCanonical(path: string): boolean {
  if (path.includes("\\") || path.includes("#") || ENCODED_SEPARATOR.test(path)) return false;
  if (path === "/") return true;
  for (const segment of path.slice(1).split("/")) {
    if (segment === "" || segment === "." || segment === "..") return false;
  }
  return true;
}

export function requestPath(target: string | undefined): RequestPath | undefined {
  if (target === undefined || !target.startsWith("/")) return undefined;
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  if (!isCanonical(path)) return undefined;
  try {
    return { path, url: new URL(target, "http://gateway.invalid") };
  } catch {
    return undefined;
  }
}
