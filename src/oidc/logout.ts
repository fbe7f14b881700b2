/**
 * GET /logout: the end of the hosted session, in both dialects (DESIGN §13).
 *
 * - Cognito's: `client_id` with `logout_uri` (one of the client's sign-out URLs), or with
 *   `redirect_uri` + `response_type` (one of its callback URLs) to sign in again.
 * - OpenID Connect RP-initiated logout 1.0 (`end_session_endpoint`): `id_token_hint`,
 *   `post_logout_redirect_uri` (one of the client's sign-out URLs), `state`, `client_id`.
 *
 * The browser goes only where the client registered, matched exactly; anything else gets a
 * page that says the user is signed out, never a redirect. The hosted session ends either
 * way: signing out must not depend on the request being well formed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { ClientView } from "../identity/views";
import { sendErrorPage, type OidcContext } from "./authorize";
import { hostedMessagePage } from "./pages";
import {
  clearHostedCookie,
  cookieNames,
  newNonce,
  pageCsp,
  readCookie,
  sendPage,
  sendRedirect,
} from "./web";

const MAX_PARAMETER = 8192;

function signedOutPage(req: IncomingMessage, res: ServerResponse, cookies: string[]): void {
  const nonce = newNonce();
  const html = hostedMessagePage({
    nonce,
    title: "You are signed out",
    message: "You have signed out. You can close this window.",
  });
  sendPage(req, res, 200, html, pageCsp(nonce), cookies);
}

export async function serveLogout(
  ctx: OidcContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  log: Logger,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-length": 0 });
    res.end();
    return;
  }
  const names = cookieNames(ctx.insecureCookies);
  await ctx.pool.authorization.endHostedSession(readCookie(req, names.hosted));
  const cookies = [clearHostedCookie(names, ctx.insecureCookies)];

  const values = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    // A repeated or oversized parameter: signed out, and sent nowhere.
    if (values.has(name) || value.length > MAX_PARAMETER) {
      log.info({ parameter: name.slice(0, 40) }, "logout: parameter repeated or too long");
      return signedOutPage(req, res, cookies);
    }
    values.set(name, value);
  }

  let clientId = values.get("client_id");
  const hint = values.get("id_token_hint");
  if (hint !== undefined) {
    const hinted = await ctx.pool.authorization.idTokenHint(hint);
    if (!hinted) return sendErrorPage(req, res, 400, "The id_token_hint is not valid.");
    if (clientId !== undefined && clientId !== hinted.clientId)
      return sendErrorPage(req, res, 400, "The id_token_hint is another app client's.");
    clientId = hinted.clientId;
  }
  const logoutUri = values.get("logout_uri") ?? values.get("post_logout_redirect_uri");
  const signInAgain = values.get("redirect_uri");
  if (clientId === undefined) {
    if (logoutUri !== undefined || signInAgain !== undefined)
      return sendErrorPage(req, res, 400, "A sign-out redirect needs client_id or id_token_hint.");
    return signedOutPage(req, res, cookies);
  }
  const client: ClientView | undefined = /^[A-Za-z0-9_-]{1,128}$/.test(clientId)
    ? await ctx.pool.clients.get(clientId)
    : undefined;
  if (!client) return sendErrorPage(req, res, 400, "The app client is unknown.");

  if (logoutUri !== undefined) {
    if (!client.logoutUrls.includes(logoutUri)) {
      log.info({ clientId }, "logout refused: the URI is not one of the client's sign-out URLs");
      return sendErrorPage(req, res, 400, "The sign-out URL is not one of this app client's.");
    }
    const target = new URL(logoutUri);
    const state = values.get("state");
    if (values.has("post_logout_redirect_uri") && state !== undefined)
      target.searchParams.set("state", state);
    log.info({ event: "logout", clientId }, "signed out at the hosted page");
    return sendRedirect(res, target.toString(), 302, cookies);
  }
  if (signInAgain !== undefined) {
    // Cognito's second form: sign out, then straight to the sign-in page for this client.
    if (!client.callbackUrls.includes(signInAgain))
      return sendErrorPage(
        req,
        res,
        400,
        "The redirect_uri is not one of this app client's callback URLs.",
      );
    const again = new URLSearchParams();
    for (const name of [
      "client_id",
      "redirect_uri",
      "response_type",
      "state",
      "scope",
      "nonce",
      "code_challenge",
      "code_challenge_method",
    ]) {
      const value = values.get(name);
      if (value !== undefined) again.set(name, value);
    }
    log.info({ event: "logout", clientId }, "signed out at the hosted page; signing in again");
    return sendRedirect(res, `/oauth2/authorize?${again.toString()}`, 302, cookies);
  }
  return signedOutPage(req, res, cookies);
}
