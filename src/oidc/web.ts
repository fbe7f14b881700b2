/**
 * What every page and redirect of the OpenID provider shares: its cookies, its security
 * headers and its answers. Cookies:
 *
 * - `__Host-poolgate-hosted`: the hosted session (identity/authorization.ts), HttpOnly,
 *   Secure, SameSite=Lax (a client's top-level redirect to /oauth2/authorize must carry it),
 *   one hour. Set only with a value the server has just made, so a value planted by someone
 *   else (session fixation) is never adopted: a sign-in always replaces it.
 * - `__Host-poolgate-csrf`: the browser's CSRF secret, HttpOnly, Secure, SameSite=Lax (a
 *   cross-site POST never carries it); every hosted form carries its HMAC (signed double
 *   submit), so a form posted from another site, or with another browser's token, fails.
 *
 * `__Host-` keeps sibling subdomains from planting either. The insecure development setting
 * (POOLGATE_DANGEROUSLY_INSECURE_COOKIES) drops the prefix and Secure, as for cookie mode.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseCookie, stringifySetCookie } from "cookie";
import { HOSTED_SESSION_SECONDS } from "../identity/authorization";

export interface CookieNames {
  hosted: string;
  csrf: string;
}

export function cookieNames(insecure: boolean): CookieNames {
  const prefix = insecure ? "" : "__Host-";
  return { hosted: `${prefix}poolgate-hosted`, csrf: `${prefix}poolgate-csrf` };
}

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** One cookie of the request, when it is there exactly once and has our values' shape. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  // Two cookies of one name (a planted one beside ours) are both refused. Names are compared
  // trimmed, as the parser reads them: "name =x" is the same cookie as "name=x".
  const count = header.split(";").filter((c) => c.split("=", 1)[0]!.trim() === name).length;
  if (count !== 1) return undefined;
  const value = parseCookie(header, { decode: (v) => v })[name];
  return value !== undefined && COOKIE_VALUE.test(value) ? value : undefined;
}

export function newCookieSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function setCookie(
  name: string,
  value: string,
  insecure: boolean,
  maxAgeSeconds?: number,
): string {
  return stringifySetCookie(name, value, {
    httpOnly: true,
    secure: !insecure,
    sameSite: "lax",
    path: "/",
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
    encode: (v) => v,
  });
}

export function hostedCookie(names: CookieNames, value: string, insecure: boolean): string {
  return setCookie(names.hosted, value, insecure, HOSTED_SESSION_SECONDS);
}

export function clearHostedCookie(names: CookieNames, insecure: boolean): string {
  return setCookie(names.hosted, "", insecure, 0);
}

/** The CSP source a form may be sent to, and be redirected to: the callback's origin or scheme. */
export function formTarget(redirectUri: string): string | undefined {
  try {
    const url = new URL(redirectUri);
    if (url.protocol === "https:" || url.protocol === "http:") return url.origin;
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
  } catch {
    return undefined;
  }
}

/** No script at all; styles by nonce; forms to this origin (and the callback, for its redirect). */
export function pageCsp(nonce: string, redirectUri?: string): string {
  const target = redirectUri === undefined ? undefined : formTarget(redirectUri);
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    "img-src 'none'",
    "base-uri 'none'",
    `form-action 'self'${target ? ` ${target}` : ""}`,
    "frame-ancestors 'none'",
  ].join("; ");
}

export function newNonce(): string {
  return randomBytes(18).toString("base64");
}

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  pragma: "no-cache",
  "x-content-type-options": "nosniff",
  // Clickjacking: no one may frame these pages (frame-ancestors, and this for old browsers).
  "x-frame-options": "DENY",
  // Not no-referrer: under it a browser sends `Origin: null` on the page's own form posts
  // (Fetch, "serializing a request origin"), which hosted.ts refuses as not this origin.
  // same-origin still sends no referrer to any other origin.
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export function sendPage(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  html: string,
  csp: string,
  cookies: readonly string[] = [],
): void {
  res.writeHead(status, {
    ...PAGE_HEADERS,
    "content-security-policy": csp,
    "content-length": Buffer.byteLength(html),
    ...(cookies.length > 0 ? { "set-cookie": [...cookies] } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : html);
}

/** A redirect that is never cached and leaks no referrer. 303 after a POST, 302 after a GET. */
export function sendRedirect(
  res: ServerResponse,
  location: string,
  status: 302 | 303,
  cookies: readonly string[] = [],
): void {
  res.writeHead(status, {
    location,
    "cache-control": "no-store",
    pragma: "no-cache",
    "referrer-policy": "no-referrer",
    "content-length": 0,
    ...(cookies.length > 0 ? { "set-cookie": [...cookies] } : {}),
  });
  res.end();
}
