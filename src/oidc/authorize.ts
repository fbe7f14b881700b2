/**
 * GET /oauth2/authorize (DESIGN §13): a checked request either finds a live hosted session
 * and goes straight back to the client with a code, or goes to the hosted sign-in page
 * (/login, with the same query, as Cognito's managed login does). Errors before the client and
 * redirect URI are proven are a page; after, a redirect with an RFC 6749 §4.1.2.1 error and
 * RFC 9207's `iss`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { isPoolgateError } from "../errors";
import type { HostedSignedIn } from "../identity/authorization";
import type { UserPool } from "../identity/pool";
import type { ClientView } from "../identity/views";
import { MESSAGES } from "../http/login/messages";
import { hostedMessagePage } from "./pages";
import {
  checkAuthorizeRequest,
  redirectWith,
  type AuthorizeRequest,
  type ErrorCode,
} from "./request";
import { cookieNames, newNonce, pageCsp, readCookie, sendPage, sendRedirect } from "./web";

export interface OidcContext {
  pool: UserPool;
  issuer: string;
  insecureCookies: boolean;
  maxBodyBytes: number;
  /** The pool offers self-registration / password reset by email on the hosted page. */
  signUp: boolean;
  forgotPassword: boolean;
}

/** An error page: the request cannot be trusted to say where to go back to. */
export function sendErrorPage(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
): void {
  const nonce = newNonce();
  const html = hostedMessagePage({ nonce, title: "Sign-in is not available", message });
  sendPage(req, res, status, html, pageCsp(nonce));
}

export function errorRedirect(
  issuer: string,
  request: AuthorizeRequest,
  error: ErrorCode,
  description: string,
): string {
  return redirectWith(request, {
    error,
    error_description: description,
    state: request.state,
    iss: issuer,
  });
}

/**
 * The end of a successful authorization, from a live hosted session or a finished sign-in:
 * where the browser goes next (the callback with a code, or with tokens in the fragment).
 */
export async function completeAuthorization(
  ctx: OidcContext,
  client: ClientView,
  request: AuthorizeRequest,
  signedIn: HostedSignedIn,
): Promise<string> {
  const { pool, issuer } = ctx;
  let scopes: string[];
  try {
    scopes = await pool.authorization.grantScopes(client, signedIn.sub, request.scopes);
  } catch (err) {
    if (isPoolgateError(err) && err.code === "INVALID_SCOPE")
      return errorRedirect(issuer, request, "invalid_scope", err.message);
    throw err;
  }
  if (request.responseType === "token") {
    const tokens = await pool.authorization.implicitTokens({
      client,
      sub: signedIn.sub,
      scopes,
      nonce: request.nonce ?? null,
      authTimeSeconds: signedIn.authTimeSeconds,
    });
    return redirectWith(request, {
      access_token: tokens.accessToken,
      id_token: tokens.idToken,
      token_type: "Bearer",
      expires_in: String(tokens.expiresIn),
      state: request.state,
      iss: issuer,
    });
  }
  const code = await pool.authorization.issueCode({
    client,
    sub: signedIn.sub,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge ?? null,
    scopes,
    nonce: request.nonce ?? null,
    authTimeSeconds: signedIn.authTimeSeconds,
  });
  return redirectWith(request, { code, state: request.state, iss: issuer });
}

/** `/login` with the same query: the hosted page re-checks it and shows the sign-in form. */
function loginUrl(search: string): string {
  return `/login${search}`;
}

export async function serveAuthorize(
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
  const check = await checkAuthorizeRequest(url.searchParams, (id) => ctx.pool.clients.get(id));
  if (!check.ok) {
    if ("page" in check) {
      log.info({ reason: check.page }, "authorize refused: error page");
      return sendErrorPage(req, res, 400, check.page);
    }
    log.info({ error: check.error }, "authorize refused: error sent to the client");
    return sendRedirect(
      res,
      errorRedirect(ctx.issuer, check.redirect, check.error, check.description),
      302,
    );
  }
  const { request, client } = check;
  const names = cookieNames(ctx.insecureCookies);
  const signedIn =
    request.prompt === "login"
      ? undefined
      : await ctx.pool.authorization.hostedSession(readCookie(req, names.hosted));
  const fresh =
    signedIn !== undefined &&
    (request.maxAge === undefined ||
      Math.floor(ctx.pool.deps.now() / 1000) - signedIn.authTimeSeconds <= request.maxAge);
  if (signedIn && fresh) {
    let location: string;
    try {
      location = await completeAuthorization(ctx, client, request, signedIn);
    } catch (err) {
      // The implicit flow's pre token generation hook refused: shown here, as Cognito's
      // managed login shows a trigger's failure.
      if (!isPoolgateError(err) || err.code !== "UNEXPECTED_LAMBDA") throw err;
      log.info({ code: err.code, detail: err.logDetail }, "authorize refused by a hook");
      return sendErrorPage(req, res, 400, MESSAGES["UNEXPECTED_LAMBDA"]!);
    }
    log.info(
      { event: "authorize", clientId: client.clientId },
      "authorized from the hosted session",
    );
    return sendRedirect(res, location, 302);
  }
  if (request.prompt === "none")
    return sendRedirect(
      res,
      errorRedirect(ctx.issuer, request, "login_required", "The user is not signed in."),
      302,
    );
  return sendRedirect(res, loginUrl(url.search), 302);
}
