/**
 * The rules for an app client's callback and sign-out URLs (Cognito's CallbackURLs and
 * LogoutURLs): what may be registered, so that /oauth2/authorize and /logout, which match a
 * request's URI against this list exactly, can only ever send a browser (and a code or
 * token) where the client's owner meant. The choices are in docs/decisions.md.
 */
import { PoolgateError } from "../errors";

/** Cognito's bounds: a URL of at most 1024 characters, at most 100 URLs in a list. */
export const REDIRECT_URI_MAX_LENGTH = 1024;
export const REDIRECT_URIS_MAX = 100;

/**
 * RFC 8252 §7.3: a native app's loopback redirect. `host` as `URL.hostname` gives it
 * (`[::1]` keeps its brackets there); the bare `::1` is accepted too.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "127.0.0.1" || h === "[::1]" || h === "::1";
}

/**
 * Schemes a browser acts on itself instead of handing the URL to a web server or an app:
 * a redirect to them runs script in, or reads from, whatever the browser has at hand.
 */
const REFUSED_SCHEMES = new Set([
  "javascript",
  "vbscript",
  "data",
  "file",
  "blob",
  "filesystem",
  "about",
]);

/**
 * RFC 3986's characters only (unreserved, reserved, `%`): no space, backslash, quote or
 * angle bracket. Browsers and URL parsers repair such URLs differently (`https:\\evil.com`
 * is `https://evil.com/` to the WHATWG parser), and an exact match must compare what the
 * browser will actually follow.
 */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** An authority (`//…`) holding a `@`: userinfo, whatever the parser makes of it. */
const USERINFO = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/;

/** Why `uri` may not be registered, or undefined when it may. */
function refusal(uri: string): string | undefined {
  if (uri.length === 0) return "is empty";
  if (uri.length > REDIRECT_URI_MAX_LENGTH)
    return `is longer than ${REDIRECT_URI_MAX_LENGTH} characters`;
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && REFUSED_SCHEMES.has(scheme))
    return `uses the ${scheme}: scheme, which is never allowed`;
  if (!URI_CHARACTERS.test(uri))
    return "holds characters a URL may not (spaces, controls, backslashes, quotes, non-ASCII: percent-encode them)";
  if (scheme === undefined) return "is not an absolute URL (it has no scheme)";
  // RFC 6749 §3.1.2: the redirection endpoint URI must not include a fragment component.
  if (uri.includes("#")) return "has a fragment (#), which a redirect URI may not have";
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return "is not a valid URL";
  }
  if (USERINFO.test(uri) || parsed.username !== "" || parsed.password !== "")
    return "has user information (user@ or user:password@) before its host";
  if (scheme === "https" || scheme === "http") {
    // The WHATWG parser turns `https:evil.com` and `https:/evil.com` into `https://evil.com/`.
    if (!/^https?:\/\/[^/?#]/i.test(uri)) return `must start with ${scheme}:// and a host`;
    // OAuth security BCP (RFC 9700 §2.6), RFC 8252 §8.3: plain http only to this machine.
    if (scheme === "http" && !isLoopbackHost(parsed.hostname))
      return "uses http:, which is allowed only for localhost, 127.0.0.1 and [::1]; use https:";
    return undefined;
  }
  // A native app's private-use scheme: reverse DNS as RFC 8252 §7.1 advises
  // (`com.example.app:/callback`), or Cognito's `myapp://callback`. A scheme without a dot
  // must be followed by `//`, so `localhost:3000/cb` (a forgotten `http://`), `mailto:` or
  // `tel:` is not taken for an app's scheme.
  if (/^[^:]+:\/*$/.test(uri)) return "has nothing after its scheme";
  if (!scheme.includes(".") && !uri.slice(scheme.length + 1).startsWith("//"))
    return "is not https:, a loopback http: or an app's scheme (com.example.app:/path or myapp://path)";
  return undefined;
}

/**
 * Validates a list of callback or sign-out URLs: each must be allowed (see `refusal`), at
 * most REDIRECT_URIS_MAX of them; duplicates are dropped, the order kept. `what` names the
 * list in the message ("callbackUrls").
 */
export function validateRedirectUris(uris: readonly string[], what: string): string[] {
  const unique = [...new Set(uris)];
  if (unique.length > REDIRECT_URIS_MAX) {
    throw new PoolgateError("BAD_USER_INPUT", `${what} may hold at most ${REDIRECT_URIS_MAX} URLs`);
  }
  unique.forEach((uri, i) => {
    if (typeof uri !== "string")
      throw new PoolgateError("BAD_USER_INPUT", `${what} must hold strings`);
    const why = refusal(uri);
    if (why === undefined) return;
    // Named by itself only when it is short and plain enough to print anywhere.
    const label =
      uri.length <= 100 && URI_CHARACTERS.test(uri) ? `"${uri}"` : `URL number ${i + 1}`;
    throw new PoolgateError("BAD_USER_INPUT", `${what}: ${label} ${why}`);
  });
  return unique;
}
