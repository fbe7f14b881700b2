/**
 * OAuth 2.0 request plumbing (RFC 6749): form bodies, client authentication by HTTP Basic
 * or by form fields, and error responses.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyTooLargeError, readBody } from "./body";
import { sendJson } from "./respond";

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_token_type"
  | "invalid_token"
  | "insufficient_scope"
  | "temporarily_unavailable"
  | "server_error";

export class OAuthError extends Error {
  override readonly name = "OAuthError";
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
    /** poolgate's own, finer code (e.g. REFRESH_TOKEN_EXPIRED), as an extension member. */
    readonly poolgateCode?: string,
  ) {
    super(description);
  }
}

export function sendOAuthError(res: ServerResponse, err: OAuthError): void {
  sendJson(
    res,
    err.status,
    {
      error: err.error,
      error_description: err.description,
      ...(err.poolgateCode ? { poolgate_code: err.poolgateCode } : {}),
    },
    { "cache-control": "no-store", pragma: "no-cache", ...err.headers },
  );
}

/** Reads an application/x-www-form-urlencoded body; a parameter given twice is invalid (RFC 6749 §3.2). */
export async function readForm(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Map<string, string>> {
  if (req.method !== "POST")
    throw new OAuthError("invalid_request", "Use POST", 405, { allow: "POST" });
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded");
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError)
      throw new OAuthError("invalid_request", "Request body too large", 413);
    throw err;
  }
  const form = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(raw.toString("utf8"))) {
    if (seen.has(name))
      throw new OAuthError(
        "invalid_request",
        `Parameter "${name.slice(0, 40)}" given more than once`,
      );
    seen.add(name);
    // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    if (value !== "") form.set(name, value);
  }
  return form;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string | undefined;
  method: "client_secret_basic" | "client_secret_post" | "none";
}

const BASIC_CHALLENGE = { "www-authenticate": 'Basic realm="poolgate", charset="UTF-8"' };

export function invalidClient(description = "Client authentication failed"): OAuthError {
  return new OAuthError("invalid_client", description, 401, BASIC_CHALLENGE);
}

/**
 * The client's credentials: HTTP Basic with form-urlencoded id and secret (RFC 6749 §2.3.1),
 * or `client_id` (+ `client_secret`) in the body — never both methods at once.
 */
export function clientCredentialsOf(
  req: IncomingMessage,
  form: Map<string, string>,
): ClientCredentials {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!m || m[1] === undefined) throw invalidClient("Malformed Basic authorization header");
    if (form.has("client_secret"))
      throw new OAuthError("invalid_request", "Use one client authentication method");
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw invalidClient("Malformed Basic authorization header");
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "));
    } catch {
      throw invalidClient("Malformed Basic authorization header");
    }
    const formId = form.get("client_id");
    if (formId !== undefined && formId !== clientId)
      throw new OAuthError("invalid_request", "client_id does not match");
    return { clientId, clientSecret, method: "client_secret_basic" };
  }
  const clientId = form.get("client_id");
  if (clientId === undefined) throw invalidClient("Client authentication is required");
  const clientSecret = form.get("client_secret");
  return {
    clientId,
    clientSecret,
    method: clientSecret === undefined ? "none" : "client_secret_post",
  };
}
