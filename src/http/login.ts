/**
 * GET /login: the hosted sign-in page (docs/browser.md). Server-rendered, one HTML document
 * with its style and script inline under a per-response CSP nonce; it signs in through the
 * GraphQL mutations in cookie mode, the whole conversation of DESIGN §11 (challenges, TOTP set-up
 * with a QR code, password reset). The app client comes from POOLGATE_LOGIN_CLIENT_ID, or
 * else from `?client_id=`; it must be an enabled public client (the page cannot keep a secret).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config";
import type { UserPool } from "../identity/pool";
import { loginPage } from "./login/page";

const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Strict CSP: nothing but the nonce-bound inline script and style, and fetches to this origin. */
export function loginCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    // The script submits through fetch; a native submission (script disabled) goes nowhere,
    // so a password never lands in a URL.
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

async function problemWith(pool: UserPool, clientId: string): Promise<string | undefined> {
  const client = await pool.clients.get(clientId);
  if (!client || !client.enabled) return "Unknown or disabled app client.";
  if (client.confidential)
    return "This app client has a secret; the sign-in page needs a public client.";
  return undefined;
}

export async function serveLogin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  config: Readonly<Config>,
  pool: UserPool,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-length": 0 });
    res.end();
    return;
  }
  const requested = config.loginClientId ?? url.searchParams.get("client_id") ?? undefined;
  let clientId: string | undefined;
  let problem: string | undefined;
  if (requested === undefined || requested === "") {
    problem = "No app client is configured for this page.";
  } else if (!CLIENT_ID.test(requested)) {
    problem = "The client_id parameter is not an app client id.";
  } else {
    clientId = requested;
    problem = await problemWith(pool, requested);
  }
  const nonce = randomBytes(18).toString("base64");
  const html = loginPage({
    clientId,
    problem,
    nonce,
    forgotPassword: config.accountRecovery === "verified_email",
  });
  res.writeHead(problem === undefined ? 200 : 400, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "content-security-policy": loginCsp(nonce),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
  });
  res.end(req.method === "HEAD" ? undefined : html);
}
