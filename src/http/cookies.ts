/**
 * The refresh-token cookie of cookie mode (docs/browser.md): one cookie per app client,
 * `__Host-poolgate-refresh-<clientId>`, `HttpOnly; Secure; SameSite=Strict; Path=/`.
 *
 * - `__Host-` (RFC 6265bis §4.1.3.2): the browser accepts it only with Secure, Path=/ and no
 *   Domain, so no sibling subdomain can plant or overwrite it (cookie tossing).
 * - HttpOnly: script on the page, including injected script, cannot read it.
 * - SameSite=Strict: the browser never attaches it to a request started by another site.
 *
 * The jar collects Set-Cookie values while the request runs; server.ts writes them on the
 * response. The cookie is read only when the request comes from a trusted origin (no
 * Origin header, the gateway's own origin, or a listed CORS origin), a third defence next to
 * SameSite and Apollo's CSRF prevention.
 */
import type { IncomingMessage } from "node:http";
import { parseCookie, stringifySetCookie } from "cookie";

/** The hooks resolvers use (GatewayContext.cookies); names and attributes stay here. */
export interface RefreshTokenCookies {
  /** Whether this request may use cookies at all (see originTrusted). */
  readonly trusted: boolean;
  /** The refresh token this browser holds for the client, if the request may use it. */
  get(clientId: string): string | undefined;
  set(clientId: string, token: string, maxAgeSeconds: number): void;
  clear(clientId: string): void;
}

export interface CookieJar extends RefreshTokenCookies {
  /** The Set-Cookie header values collected so far. */
  setCookieHeaders(): string[];
}

export interface CookieOptions {
  /** Development escape hatch: no `__Host-` prefix and no Secure (POOLGATE_DANGEROUSLY_INSECURE_COOKIES). */
  insecure: boolean;
  /** Whether the request's origin may use the cookie (see originTrusted). */
  trusted: boolean;
}

/** Client ids are 26 lowercase alphanumerics; anything else can never name a cookie of ours. */
const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function refreshCookieName(clientId: string, insecure: boolean): string {
  return `${insecure ? "" : "__Host-"}poolgate-refresh-${clientId}`;
}

/**
 * A request may use the cookie when it carries no Origin (not a cross-origin browser call),
 * or exactly one Origin that is the gateway's own (the Host it was sent to, or the public
 * issuer URL behind a proxy) or a listed CORS origin.
 */
export function originTrusted(
  req: IncomingMessage,
  /** `new URL(POOLGATE_ISSUER).origin`, computed once by the caller. */
  issuerOrigin: string,
  isListed: (origin: string) => boolean,
): boolean {
  const origins = req.headersDistinct.origin;
  if (origins === undefined) return true;
  if (origins.length !== 1) return false;
  const origin = origins[0]!;
  if (origin === "null") return false;
  if (isListed(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin === issuerOrigin) return true;
  const host = req.headers.host;
  return host !== undefined && url.host === host.toLowerCase();
}

export function cookieJar(req: IncomingMessage, options: CookieOptions): CookieJar {
  const pending = new Map<string, string>();
  let parsed: Record<string, string | undefined> | undefined;
  const attributes = {
    httpOnly: true,
    secure: !options.insecure,
    sameSite: "strict" as const,
    path: "/",
  };
  return {
    trusted: options.trusted,
    get(clientId) {
      if (!options.trusted || !CLIENT_ID.test(clientId)) return undefined;
      parsed ??= parseCookie(req.headers.cookie ?? "", { decode: (v) => v });
      const value = parsed[refreshCookieName(clientId, options.insecure)];
      return value === undefined || value === "" ? undefined : value;
    },
    set(clientId, token, maxAgeSeconds) {
      if (!CLIENT_ID.test(clientId)) return;
      const name = refreshCookieName(clientId, options.insecure);
      pending.set(
        name,
        stringifySetCookie(name, token, {
          ...attributes,
          maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
          encode: (v) => v,
        }),
      );
    },
    clear(clientId) {
      if (!CLIENT_ID.test(clientId)) return;
      const name = refreshCookieName(clientId, options.insecure);
      pending.set(name, stringifySetCookie(name, "", { ...attributes, maxAge: 0 }));
    },
    setCookieHeaders: () => [...pending.values()],
  };
}
