/**
 * The authorization request (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core §3.1.2.1), read
 * and checked before anything is shown or stored. Two kinds of failure, as RFC 6749 §4.1.2.1
 * orders: while the client or the redirect URI is in doubt, an error page (never a redirect,
 * or the endpoint would be an open redirector); after both are proven, an error sent back
 * to the client at its redirect URI.
 */
import type { ClientView } from "../identity/views";

/** What the flow needs of a checked request; it travels sealed between the hosted forms. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  responseType: "code" | "token";
  /** Echoed back exactly; undefined when the client sent none. */
  state: string | undefined;
  nonce: string | undefined;
  /** Requested scopes; null: the client's allowed scopes (as Cognito). */
  scopes: string[] | null;
  codeChallenge: string | undefined;
  /** "login": ask for the password even with a live hosted session; "none": never show a form. */
  prompt: "login" | "none" | undefined;
  /** Seconds: a hosted session older than this signs in again (OpenID Connect max_age). */
  maxAge: number | undefined;
  loginHint: string | undefined;
}

export type ErrorCode =
  | "invalid_request"
  | "unauthorized_client"
  | "access_denied"
  | "unsupported_response_type"
  | "invalid_scope"
  | "server_error"
  | "temporarily_unavailable"
  | "login_required";

export type RequestCheck =
  | { ok: true; request: AuthorizeRequest; client: ClientView }
  /** The client or redirect URI is unproven: an error page, status 400. */
  | { ok: false; page: string }
  /** Sent back to the proven redirect URI. */
  | { ok: false; redirect: AuthorizeRequest; error: ErrorCode; description: string };

/** Every parameter this endpoint reads, with the most characters it may have. */
const LIMITS: Readonly<Record<string, number>> = {
  response_type: 32,
  client_id: 128,
  redirect_uri: 1024,
  state: 2048,
  nonce: 512,
  scope: 2048,
  code_challenge: 128,
  code_challenge_method: 16,
  prompt: 64,
  max_age: 10,
  login_hint: 128,
  response_mode: 16,
  identity_provider: 64,
  idp_identifier: 64,
  lang: 16,
};

/** RFC 7636 §4.2: S256 of a 43–128 character verifier is 43 base64url characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** RFC 6749 §A.4/A.5: printable ASCII, scope tokens without spaces, quotes or backslashes. */
const PRINTABLE = /^[\x20-\x7e]*$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** A URLSearchParams as single values; a repeated parameter is its own error (RFC 6749 §3.1). */
function singles(params: URLSearchParams): { values: Map<string, string>; repeated: string[] } {
  const values = new Map<string, string>();
  const repeated: string[] = [];
  for (const [name, value] of params) {
    if (values.has(name)) repeated.push(name);
    else values.set(name, value);
  }
  return { values, repeated };
}

/**
 * Checks an authorization request against its client. `lookup` reads an app client (the
 * cached one the API uses). The client and redirect URI are proven first; every other
 * check's failure is then a redirect.
 */
export async function checkAuthorizeRequest(
  params: URLSearchParams,
  lookup: (clientId: string) => Promise<ClientView | undefined>,
): Promise<RequestCheck> {
  const { values, repeated } = singles(params);
  const clientId = values.get("client_id");
  const redirectUri = values.get("redirect_uri");
  if (repeated.includes("client_id") || repeated.includes("redirect_uri"))
    return { ok: false, page: "The request repeats client_id or redirect_uri." };
  if (clientId === undefined || !CLIENT_ID.test(clientId))
    return { ok: false, page: "The request has no valid client_id." };
  const client = await lookup(clientId);
  if (!client || !client.enabled)
    return { ok: false, page: "The app client is unknown or disabled." };
  if (redirectUri === undefined || redirectUri.length > LIMITS["redirect_uri"]!)
    return { ok: false, page: "The request has no valid redirect_uri." };
  // Exact string match against the registered list (RFC 9700 §2.1): no prefix, no
  // normalisation, no wildcard.
  if (!client.callbackUrls.includes(redirectUri))
    return { ok: false, page: "The redirect_uri is not one of this app client's callback URLs." };

  const responseType = values.get("response_type");
  const state = values.get("state");
  // From here on the redirect URI is proven; a state too long or not printable is not echoed.
  const stateOk =
    state === undefined || (state.length <= LIMITS["state"]! && PRINTABLE.test(state));
  const base: AuthorizeRequest = {
    clientId,
    redirectUri,
    responseType: responseType === "token" ? "token" : "code",
    state: stateOk ? state : undefined,
    nonce: undefined,
    scopes: null,
    codeChallenge: undefined,
    prompt: undefined,
    maxAge: undefined,
    loginHint: undefined,
  };
  const fail = (error: ErrorCode, description: string): RequestCheck => ({
    ok: false,
    redirect: base,
    error,
    description,
  });
  if (!stateOk) return fail("invalid_request", "The state parameter is too long or not printable.");
  if (repeated.length > 0)
    return fail(
      "invalid_request",
      `Parameters must not repeat: ${[...new Set(repeated)].join(", ")}`,
    );
  for (const [name, value] of values) {
    const limit = LIMITS[name];
    if (limit !== undefined && value.length > limit)
      return fail("invalid_request", `The ${name} parameter is too long.`);
  }
  if (responseType === undefined)
    return fail("invalid_request", "The response_type parameter is required.");
  if (responseType !== "code" && responseType !== "token")
    return fail("unsupported_response_type", "Supported response types: code, token.");
  const flow = responseType === "code" ? "code" : "implicit";
  if (!client.allowedOAuthFlows.includes(flow))
    return fail("unauthorized_client", `The app client is not allowed the ${flow} flow.`);
  const responseMode = values.get("response_mode");
  if (responseMode !== undefined && responseMode !== (flow === "code" ? "query" : "fragment"))
    return fail("invalid_request", `response_mode ${responseMode} is not supported here.`);
  const idp = values.get("identity_provider") ?? values.get("idp_identifier");
  if (idp !== undefined && idp !== "COGNITO")
    return fail("invalid_request", "Only the user pool itself (COGNITO) signs users in here.");

  const scope = values.get("scope");
  let scopes: string[] | null = null;
  if (scope !== undefined) {
    scopes = [...new Set(scope.split(" ").filter(Boolean))];
    if (scopes.some((s) => !SCOPE_TOKEN.test(s)))
      return fail("invalid_scope", "The scope parameter is malformed.");
    const unknown = scopes.filter((s) => !client.allowedScopes.includes(s));
    if (unknown.length > 0)
      return fail("invalid_scope", `Scopes not allowed for this app client: ${unknown.join(" ")}`);
  }

  const challenge = values.get("code_challenge");
  const method = values.get("code_challenge_method");
  if (flow === "code") {
    if (challenge === undefined && method !== undefined)
      return fail("invalid_request", "code_challenge_method without code_challenge.");
    if (challenge !== undefined) {
      // RFC 9700 §2.1.1: plain offers nothing against a stolen request; only S256.
      if ((method ?? "plain") !== "S256")
        return fail("invalid_request", "Only the S256 code_challenge_method is supported.");
      if (!S256_CHALLENGE.test(challenge))
        return fail("invalid_request", "The code_challenge is not an S256 challenge.");
    } else if (!client.confidential) {
      return fail(
        "invalid_request",
        "PKCE (code_challenge with S256) is required for public clients.",
      );
    }
  } else if (challenge !== undefined || method !== undefined) {
    return fail("invalid_request", "PKCE applies to the code flow only.");
  }

  const nonce = values.get("nonce");
  if (nonce !== undefined && !PRINTABLE.test(nonce))
    return fail("invalid_request", "The nonce parameter is not printable.");
  // OpenID Connect Core §3.2.2.1: an ID token in the redirect needs a nonce against replay.
  if (flow === "implicit" && nonce === undefined)
    return fail("invalid_request", "The implicit flow requires a nonce.");

  const promptValue = values.get("prompt");
  let prompt: AuthorizeRequest["prompt"];
  if (promptValue !== undefined) {
    const prompts = new Set(promptValue.split(" ").filter(Boolean));
    if (prompts.has("none") && prompts.size > 1)
      return fail("invalid_request", "prompt=none cannot be combined with other values.");
    prompt = prompts.has("none") ? "none" : prompts.has("login") ? "login" : undefined;
  }
  const maxAgeValue = values.get("max_age");
  let maxAge: number | undefined;
  if (maxAgeValue !== undefined) {
    if (!/^[0-9]{1,10}$/.test(maxAgeValue))
      return fail("invalid_request", "max_age must be a number of seconds.");
    maxAge = Number(maxAgeValue);
  }
  const loginHint = values.get("login_hint");

  return {
    ok: true,
    client,
    request: {
      ...base,
      nonce,
      scopes,
      codeChallenge: challenge,
      prompt,
      maxAge,
      loginHint: loginHint !== undefined && PRINTABLE.test(loginHint) ? loginHint : undefined,
    },
  };
}

/** Where the browser goes with the answer: the query (code) or the fragment (token). */
export function redirectWith(
  request: Pick<AuthorizeRequest, "redirectUri" | "responseType">,
  members: Readonly<Record<string, string | undefined>>,
): string {
  const url = new URL(request.redirectUri);
  if (request.responseType === "token") {
    const fragment = new URLSearchParams();
    for (const [k, v] of Object.entries(members)) if (v !== undefined) fragment.set(k, v);
    url.hash = fragment.toString();
  } else {
    for (const [k, v] of Object.entries(members)) if (v !== undefined) url.searchParams.set(k, v);
  }
  return url.toString();
}
