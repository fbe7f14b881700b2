/**
 * The OAuth 2.0 endpoints of a Cognito user-pool domain, plus introspection (DESIGN §6):
 * each is a short list of named steps over the same identity services as GraphQL.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { isPoolgateError, type PoolgateError } from "../errors";
import type { AuthEvents } from "../events";
import type { UserPool } from "../identity/pool";
import type { ClientView } from "../identity/views";
import { errorSummary } from "../log";
import { bearerToken } from "../subgraph/bearer";
import { sendJson } from "./respond";
import {
  clientCredentialsOf,
  invalidClient,
  OAuthError,
  readForm,
  sendOAuthError,
  type ClientCredentials,
} from "./form";

export type Handler = (req: IncomingMessage, res: ServerResponse, log: Logger) => Promise<void>;

/** RFC 6749 §5.1: token responses (and, here, every other answer) are never cached. */
function sendNoStoreJson(res: ServerResponse, body: unknown): void {
  sendJson(res, 200, body, { "cache-control": "no-store", pragma: "no-cache" });
}

/** poolgate's error codes → RFC 6749 §5.2 errors, in one place. */
function oauthErrorOf(err: PoolgateError): OAuthError {
  switch (err.code) {
    case "INVALID_REFRESH_TOKEN":
    case "REFRESH_TOKEN_EXPIRED":
    case "REFRESH_TOKEN_REVOKED":
      return new OAuthError("invalid_grant", err.message, 400, {}, err.code);
    case "INVALID_GRANT":
      return new OAuthError("invalid_grant", err.message);
    case "INVALID_SCOPE":
      return new OAuthError("invalid_scope", err.message);
    case "UNAUTHORIZED_CLIENT":
    case "NOT_AUTHORIZED":
      return new OAuthError("unauthorized_client", err.message);
    case "BAD_USER_INPUT":
      return new OAuthError("invalid_request", err.message);
    case "UNEXPECTED_LAMBDA":
      // A pre token generation hook failed or broke a rule: no tokens, nothing stored. Not
      // server_error (the gateway is well; the operator's hook refused), so clients do not
      // retry it blindly; poolgate_code says which.
      return new OAuthError("invalid_request", err.message, 400, {}, err.code);
    case "SERVICE_UNAVAILABLE":
      return new OAuthError("temporarily_unavailable", err.message, 503);
    default:
      return new OAuthError("server_error", "Internal server error", 500);
  }
}

async function handle(res: ServerResponse, log: Logger, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof OAuthError) return sendOAuthError(res, err);
    if (isPoolgateError(err)) {
      if (err.logDetail)
        log.info({ code: err.code, detail: err.logDetail }, "oauth2 request refused");
      return sendOAuthError(res, oauthErrorOf(err));
    }
    log.error({ err: errorSummary(err) }, "oauth2 request failed");
    return sendOAuthError(res, new OAuthError("server_error", "Internal server error", 500));
  }
}

export function oauth2Routes(
  pool: UserPool,
  maxBodyBytes: number,
  events?: Pick<AuthEvents, "refresh" | "revocation">,
): Record<string, Handler> {
  /** Client authentication is its own step, so its failure is always `invalid_client` (401). */
  const authenticateClient = async (creds: ClientCredentials): Promise<ClientView> => {
    try {
      return await pool.clients.authenticate(creds.clientId, creds.clientSecret);
    } catch (err) {
      if (isPoolgateError(err) && err.code === "NOT_AUTHORIZED") throw invalidClient();
      throw err;
    }
  };

  const required = (form: Map<string, string>, name: string): string => {
    const value = form.get(name);
    if (value === undefined) throw new OAuthError("invalid_request", `Missing parameter "${name}"`);
    return value;
  };

  const token: Handler = (req, res, log) =>
    handle(res, log, async () => {
      const form = await readForm(req, maxBodyBytes);
      const grantType = required(form, "grant_type");
      const client = await authenticateClient(clientCredentialsOf(req, form));
      switch (grantType) {
        case "client_credentials": {
          const scope = form.get("scope");
          const result = await pool.machine.clientCredentials(
            client,
            scope?.split(" ").filter(Boolean),
          );
          log.info(
            { event: "client_credentials", clientId: client.clientId },
            "issued a client token",
          );
          // RFC 6749 §5.1: the granted scope, since it may differ from the request.
          return sendNoStoreJson(res, {
            access_token: result.accessToken,
            token_type: "Bearer",
            expires_in: result.expiresIn,
            scope: result.scope,
          });
        }
        case "refresh_token": {
          const refreshToken = required(form, "refresh_token");
          let result;
          try {
            result = await pool.sessions.refreshFor(client, refreshToken);
          } catch (err) {
            events?.refresh("oauth2", err);
            throw err;
          }
          events?.refresh("oauth2");
          log.info(
            { event: "refresh", clientId: client.clientId, sessionId: result.sessionId },
            "refreshed",
          );
          return sendNoStoreJson(res, {
            access_token: result.accessToken,
            id_token: result.idToken,
            ...(result.refreshToken ? { refresh_token: result.refreshToken } : {}),
            token_type: "Bearer",
            expires_in: result.expiresIn,
          });
        }
        case "authorization_code": {
          // RFC 6749 §4.1.3; the code is bound to this client, redirect URI and verifier.
          if (!client.allowedOAuthFlows.includes("code"))
            throw new OAuthError(
              "unauthorized_client",
              "The app client is not allowed the code flow",
            );
          const result = await pool.authorization.exchange(client, {
            code: required(form, "code"),
            redirectUri: form.get("redirect_uri"),
            codeVerifier: form.get("code_verifier"),
          });
          log.info(
            { event: "authorization_code", clientId: client.clientId, sessionId: result.sessionId },
            "exchanged an authorization code",
          );
          return sendNoStoreJson(res, {
            access_token: result.accessToken,
            id_token: result.idToken,
            refresh_token: result.refreshToken,
            token_type: "Bearer",
            expires_in: result.expiresIn,
          });
        }
        default:
          throw new OAuthError(
            "unsupported_grant_type",
            "Supported grants: authorization_code, client_credentials, refresh_token",
          );
      }
    });

  const revoke: Handler = (req, res, log) =>
    handle(res, log, async () => {
      const form = await readForm(req, maxBodyBytes);
      const tokenValue = required(form, "token");
      const client = await authenticateClient(clientCredentialsOf(req, form));
      // Cognito's rule: only refresh tokens can be revoked here; an access token is refused.
      if (tokenValue.split(".").length === 3) {
        throw new OAuthError(
          "unsupported_token_type",
          "Only refresh tokens can be revoked; revoke the session's refresh token",
        );
      }
      await pool.sessions.revokeFor(client, tokenValue);
      events?.revocation("token", "oauth2");
      res.writeHead(200, { "cache-control": "no-store", "content-length": 0 });
      res.end();
    });

  const userInfo: Handler = async (req, res, log) => {
    if (req.method !== "GET" && req.method !== "POST") {
      res.writeHead(405, { allow: "GET, POST" });
      res.end();
      return;
    }
    const headers = req.headersDistinct.authorization ?? [];
    // Two Authorization headers are refused outright, as on /graphql.
    const token = headers.length === 1 ? bearerToken(headers[0]!) : undefined;
    if (token === undefined) {
      return sendOAuthError(
        res,
        new OAuthError("invalid_token", "A bearer access token is required", 401, {
          "www-authenticate": 'Bearer realm="poolgate"',
        }),
      );
    }
    const invalidToken = new OAuthError("invalid_token", "The access token is invalid", 401, {
      "www-authenticate": 'Bearer realm="poolgate", error="invalid_token"',
    });
    try {
      const claims = await pool.authenticate(token);
      sendNoStoreJson(res, await pool.machine.userInfo(claims));
    } catch (err) {
      if (!isPoolgateError(err)) {
        log.error({ err: errorSummary(err) }, "userInfo failed");
        return sendOAuthError(res, new OAuthError("server_error", "Internal server error", 500));
      }
      if (err.code === "UNAUTHENTICATED") {
        log.info({ reason: err.logDetail }, "userInfo refused: bad bearer token");
        return sendOAuthError(res, invalidToken);
      }
      if (err.code === "FORBIDDEN") {
        return sendOAuthError(
          res,
          new OAuthError("insufficient_scope", err.message, 403, {
            "www-authenticate":
              'Bearer realm="poolgate", error="insufficient_scope", scope="openid"',
          }),
        );
      }
      return sendOAuthError(res, oauthErrorOf(err));
    }
  };

  const introspect: Handler = (req, res, log) =>
    handle(res, log, async () => {
      const form = await readForm(req, maxBodyBytes);
      const tokenValue = required(form, "token");
      const client = await authenticateClient(clientCredentialsOf(req, form));
      if (!client.confidential) throw invalidClient("Introspection needs a client with a secret");
      sendNoStoreJson(res, await pool.machine.introspect(client, tokenValue));
    });

  return {
    "/oauth2/token": token,
    "/oauth2/revoke": revoke,
    "/oauth2/userInfo": userInfo,
    "/oauth2/introspect": introspect,
  };
}
