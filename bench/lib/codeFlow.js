// The authorization-code round trip (section 7), as a browser and its relying party run it:
// GET the authorization endpoint with the browser's session cookies (no redirect followed: the
// answer must be the redirect to the callback with a code), then the relying party's POST to
// the token endpoint with the code, the redirect URI, the PKCE verifier and its secret in HTTP
// Basic. The same code drives poolgate and oidc-provider; only the paths and how the browser's
// session is opened differ (openPoolgateSession, openOidcSession).
"use strict";
const http = require("node:http");
const { createHash, randomBytes } = require("node:crypto");

/** Registered with both providers; nothing listens there (redirects are never followed). */
const CALLBACK = "http://127.0.0.1/cb";

/** Requests to one server over at most `connections` keep-alive sockets. */
function httpClient(base, connections) {
  const target = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  return {
    request(method, path, headers = {}, body) {
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: target.hostname,
            port: target.port,
            path,
            method,
            agent,
            headers: body === undefined ? headers : { ...headers, "content-length": body.length },
          },
          (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () =>
              resolve({
                status: res.statusCode,
                headers: res.headers,
                text: Buffer.concat(chunks).toString("utf8"),
              }),
            );
            res.on("error", reject);
          },
        );
        req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
        req.on("error", reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** A browser's cookies for one origin: name → { value, path }; sent where the path matches. */
class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  absorb(headers) {
    for (const line of headers["set-cookie"] ?? []) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = "/";
      let expired = value === "";
      for (const a of attributes) {
        const [k, v = ""] = a.trim().split("=");
        const key = k.toLowerCase();
        if (key === "path") path = v || "/";
        else if (key === "max-age" && Number(v) <= 0) expired = true;
        else if (key === "expires" && Date.parse(v) <= Date.now()) expired = true;
      }
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path });
    }
  }

  /** The Cookie header a browser would send to `path` (an empty object when none). */
  header(path) {
    const pathname = path.split("?")[0];
    const sent = [...this.cookies]
      .filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.replace(/\/?$/, "/")))
      .map(([k, c]) => `${k}=${c.value}`);
    return sent.length ? { cookie: sent.join("; ") } : {};
  }

  names() {
    return [...this.cookies.keys()];
  }

  /** The names of the cookies sent to `path`. */
  sentTo(path) {
    const header = this.header(path).cookie;
    return header ? header.split("; ").map((c) => c.slice(0, c.indexOf("="))) : [];
  }
}

const basic = (id, secret) =>
  "Basic " +
  Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");

const b64json = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

/**
 * One provider's side of the round trip. p: { base, authorizePath, tokenPath, clientId,
 * clientSecret, scope }. `authorizeUrl()` is a fresh request (state, nonce, PKCE S256 pair);
 * `exchange()` the token request for a callback URL.
 */
function codeFlow(p) {
  const authorization = basic(p.clientId, p.clientSecret);
  return {
    ...p,
    authorizeRequest() {
      const verifier = randomBytes(32).toString("base64url");
      const state = randomBytes(16).toString("base64url");
      const nonce = randomBytes(16).toString("base64url");
      const query = new URLSearchParams({
        response_type: "code",
        client_id: p.clientId,
        redirect_uri: CALLBACK,
        scope: p.scope,
        state,
        nonce,
        code_challenge: createHash("sha256").update(verifier).digest("base64url"),
        code_challenge_method: "S256",
      });
      return { path: `${p.authorizePath}?${query}`, verifier, state, nonce };
    },
    /** The code of a redirect to the callback (after checking its state), or an Error. */
    codeOf(res, state) {
      const location = res.headers.location;
      if ((res.status !== 302 && res.status !== 303) || !location)
        return new Error(
          `authorize: expected a redirect, got ${res.status} ${res.text.slice(0, 200)}`,
        );
      const url = new URL(location, p.base);
      if (`${url.origin}${url.pathname}` !== CALLBACK)
        return new Error(`authorize: redirected to ${location.slice(0, 200)}, not the callback`);
      const code = url.searchParams.get("code");
      if (!code || url.searchParams.get("state") !== state)
        return new Error(`authorize: no code or a wrong state in ${location.slice(0, 200)}`);
      return code;
    },
    tokenRequest(code, verifier) {
      return {
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization,
        },
        body: Buffer.from(
          new URLSearchParams({
            grant_type: "authorization_code",
            code,
            redirect_uri: CALLBACK,
            code_verifier: verifier,
          }).toString(),
        ),
      };
    },
  };
}

/**
 * The relying party's half: the code exchanged at the token endpoint. Resolves the response's
 * JSON (an ID, access and refresh token checked present) with the request's nonce; throws
 * otherwise.
 */
async function redeem(flow, client, code, a) {
  const t = flow.tokenRequest(code, a.verifier);
  const res = await client.request("POST", flow.tokenPath, t.headers, t.body);
  let json;
  try {
    json = JSON.parse(res.text);
  } catch {
    json = undefined;
  }
  if (res.status !== 200 || !json?.id_token || !json.access_token || !json.refresh_token)
    throw new Error(`token: ${res.status} ${res.text.slice(0, 300)}`);
  return { json, nonce: a.nonce };
}

/** One whole round trip with `jar`'s session over `client` (see redeem). */
async function roundTrip(flow, client, jar) {
  const a = flow.authorizeRequest();
  const res = await client.request("GET", a.path, jar.header(a.path));
  jar.absorb(res.headers);
  const code = flow.codeOf(res, a.state);
  if (code instanceof Error) throw code;
  return redeem(flow, client, code, a);
}

/**
 * What one round trip returned, checked as a relying party would (the ID token's audience and
 * nonce) and described for the report: the response's fields, the tokens' algorithms, sizes
 * and the ID token's claim names.
 */
function describeTokens(flow, { json, nonce }) {
  const [idHeader, idPayload] = json.id_token.split(".").slice(0, 2).map(b64json);
  if (idPayload.nonce !== nonce) throw new Error("ID token: wrong or missing nonce");
  const aud = [idPayload.aud].flat();
  if (!aud.includes(flow.clientId)) throw new Error(`ID token: audience ${idPayload.aud}`);
  const parts = json.access_token.split(".");
  const access = parts.length === 3 ? b64json(parts[0]) : undefined;
  return {
    fields: Object.keys(json).sort(),
    idTokenAlg: idHeader.alg,
    idTokenBytes: json.id_token.length,
    idTokenClaims: Object.keys(idPayload).sort(),
    accessToken: access ? `JWT ${access.alg}` : "opaque",
    accessTokenBytes: json.access_token.length,
    accessScope: access ? (b64json(parts[1]).scope ?? null) : null,
    refreshTokenBytes: json.refresh_token.length,
  };
}

/** Every input of the page's first form whose name is in `names`, by regex over its HTML. */
function hiddenInputs(html, names) {
  const out = {};
  for (const m of html.matchAll(/<input\b([^>]*)>/g)) {
    const name = /\bname="([^"]*)"/.exec(m[1])?.[1];
    if (name !== undefined && names.includes(name) && !(name in out))
      out[name] = (/\bvalue="([^"]*)"/.exec(m[1])?.[1] ?? "").replace(/&amp;/g, "&");
  }
  return out;
}

/**
 * Opens poolgate's hosted session: authorize → /login → the sign-in form posted with its CSRF
 * token and flow, as its page does; checks the hosted-session cookie is in the jar, and
 * redeems the callback's code (see redeem).
 */
async function openPoolgateSession(flow, client, jar, username, password) {
  const a = flow.authorizeRequest();
  const first = await client.request("GET", a.path, jar.header(a.path));
  jar.absorb(first.headers);
  const login = first.headers.location;
  if (first.status !== 302 || !login?.startsWith("/login"))
    throw new Error(`poolgate authorize without a session: ${first.status} ${login}`);
  const page = await client.request("GET", login, jar.header(login));
  jar.absorb(page.headers);
  const form = hiddenInputs(page.text, ["csrf", "flow"]);
  if (page.status !== 200 || !form.csrf || !form.flow)
    throw new Error(`poolgate /login: ${page.status}, no csrf/flow in the form`);
  const body = Buffer.from(
    new URLSearchParams({ step: "sign-in", username, password, ...form }).toString(),
  );
  const done = await client.request(
    "POST",
    "/login",
    {
      ...jar.header("/login"),
      "content-type": "application/x-www-form-urlencoded",
      origin: flow.base,
      "sec-fetch-site": "same-origin",
    },
    body,
  );
  jar.absorb(done.headers);
  const code = flow.codeOf(done, a.state);
  if (code instanceof Error) throw code;
  if (!jar.names().some((n) => n.endsWith("poolgate-hosted")))
    throw new Error(`poolgate sign-in: no hosted-session cookie (${jar.names().join(", ")})`);
  return redeem(flow, client, code, a);
}

/**
 * Opens oidc-provider's session: /auth → its interaction URL (the peer's bench handler answers
 * login, then consent) → /auth/<uid> to resume, following its redirects on its own origin
 * until it sends the browser to the callback; redeems that code (see redeem).
 */
async function openOidcSession(flow, client, jar) {
  const a = flow.authorizeRequest();
  let path = a.path;
  for (let hop = 0; hop < 10; hop++) {
    const res = await client.request("GET", path, jar.header(path));
    jar.absorb(res.headers);
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || !location)
      throw new Error(
        `oidc-provider ${path.split("?")[0]}: ${res.status} ${res.text.slice(0, 300)}`,
      );
    const next = new URL(location, flow.base);
    if (`${next.origin}${next.pathname}` === CALLBACK) {
      const code = flow.codeOf(res, a.state);
      if (code instanceof Error) throw code;
      return redeem(flow, client, code, a);
    }
    // Its resume URL is built on its issuer (http://127.0.0.1, no port): the same server.
    path = `${next.pathname}${next.search}`;
  }
  throw new Error("oidc-provider: too many redirects opening the session");
}

module.exports = {
  CALLBACK,
  CookieJar,
  codeFlow,
  describeTokens,
  httpClient,
  openOidcSession,
  openPoolgateSession,
  redeem,
  roundTrip,
};
