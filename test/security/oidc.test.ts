/**
 * The OpenID provider's front door (DESIGN §13) under attack, over real HTTP on port 0 with the
 * real SQLite store: each test is named after the attack it stops. The browser is
 * test/support/hostedBrowser.ts (cookie jar, manual redirects, forms read from the HTML); the
 * relying party is plain fetch, so every hop and header is visible.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  claimsOf,
  codeOf,
  createClient,
  createUser,
  frozenClock,
  ME,
  startGateway,
  type TestClock,
  type TestGateway,
} from "../harness";
import { alertOf, formsOf, HostedBrowser, stepOf, type Page } from "../support/hostedBrowser";

const CALLBACK = "https://app.example.com/callback";
const CALLBACK_2 = "https://app.example.com/other-callback";
const SIGNED_OUT = "https://app.example.com/signed-out";
const HOSTED = "__Host-poolgate-hosted";
const CSRF = "__Host-poolgate-csrf";

interface Pkce {
  verifier: string;
  challenge: string;
}

function pkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

interface Answer {
  status: number;
  location: string | null;
  setCookies: string[];
  headers: Headers;
  html: string;
}

let gw: TestGateway;
let clock: TestClock;
let issuer: string;
/** A public client (PKCE required), a confidential one, another public one, an implicit one. */
let spa: { clientId: string };
let web: { clientId: string; clientSecret: string };
let other: { clientId: string };
let implicit: { clientId: string };
let user: { sub: string; username: string; password: string };
let user2: { sub: string; username: string; password: string };

/** One request without following redirects, with an optional raw Cookie header. */
async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(new URL(path, gw.url), { redirect: "manual", headers });
  return {
    status: res.status,
    location: res.headers.get("location"),
    setCookies: res.headers.getSetCookie(),
    headers: res.headers,
    html: await res.text(),
  };
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function authorizeParams(
  clientId: string,
  challenge: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    response_type: "code",
    client_id: clientId,
    redirect_uri: CALLBACK,
    scope: "openid email",
    state: "st-" + randomBytes(4).toString("hex"),
    ...(challenge !== undefined
      ? { code_challenge: challenge, code_challenge_method: "S256" }
      : {}),
    ...extra,
  };
}

function authorizeUrl(params: Record<string, string>): string {
  return `${gw.url}/oauth2/authorize?${query(params)}`;
}

/** A 400 HTML error page that sends the browser nowhere. */
function expectErrorPage(answer: { status: number; location?: string | null; html: string }): void {
  expect({ status: answer.status, location: answer.location ?? null }).toEqual({
    status: 400,
    location: null,
  });
  expect(answer.html).toContain("<!doctype html>");
}

/** A hosted-session cookie set with a value (not the clearing of one). */
function setsHostedSession(setCookies: readonly string[]): boolean {
  return setCookies.some((c) => c.startsWith(`${HOSTED}=`) && !c.startsWith(`${HOSTED}=;`));
}

/** Authorize → the sign-in form → the password → the callback URL. */
async function signInAt(
  browser: HostedBrowser,
  params: Record<string, string>,
  who: { username: string; password: string } = user,
): Promise<URL> {
  const first = await browser.follow(authorizeUrl(params));
  if (first.left !== undefined) return new URL(first.left);
  expect(stepOf(first.page)).toBe("sign-in");
  const done = await browser.submit(first.page, "sign-in", {
    username: who.username,
    password: who.password,
  });
  expect(alertOf(done.page)).toBeUndefined();
  expect(done.left).toBeDefined();
  return new URL(done.left!);
}

async function tokenRequest(
  form: Record<string, string>,
  basic?: { clientId: string; clientSecret: string },
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${gw.url}/oauth2/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(basic
        ? {
            authorization: `Basic ${Buffer.from(`${basic.clientId}:${basic.clientSecret}`).toString("base64")}`,
          }
        : {}),
    },
    body: query(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function exchangeForm(
  clientId: string,
  code: string,
  verifier: string | undefined,
  redirectUri = CALLBACK,
): Record<string, string> {
  return {
    grant_type: "authorization_code",
    client_id: clientId,
    code,
    redirect_uri: redirectUri,
    ...(verifier !== undefined ? { code_verifier: verifier } : {}),
  };
}

/** A signed-in browser (its hosted session lets later authorizations skip the form). */
async function signedInBrowser(
  who: { username: string; password: string } = user,
): Promise<HostedBrowser> {
  const browser = new HostedBrowser(gw.url);
  await signInAt(browser, authorizeParams(spa.clientId, pkce().challenge), who);
  return browser;
}

/** A fresh code for the spa client from a signed-in browser. */
async function codeFrom(browser: HostedBrowser, p: Pkce, extra: Record<string, string> = {}) {
  const callback = await signInAt(browser, authorizeParams(spa.clientId, p.challenge, extra));
  const code = callback.searchParams.get("code");
  expect(code).toBeTruthy();
  return code!;
}

beforeAll(async () => {
  clock = frozenClock();
  gw = await startGateway({ clock });
  issuer = gw.config.issuer;
  spa = await createClient(gw, {
    allowedScopes: ["openid", "email", "profile"],
    callbackUrls: [CALLBACK, CALLBACK_2],
    logoutUrls: [SIGNED_OUT],
    allowedOAuthFlows: ["code"],
  });
  const confidential = await createClient(gw, {
    generateSecret: true,
    allowedScopes: ["openid", "email"],
    callbackUrls: [CALLBACK],
    allowedOAuthFlows: ["code"],
  });
  web = { clientId: confidential.clientId, clientSecret: confidential.clientSecret! };
  other = await createClient(gw, {
    allowedScopes: ["openid", "email"],
    callbackUrls: [CALLBACK],
    logoutUrls: [SIGNED_OUT],
    allowedOAuthFlows: ["code"],
  });
  implicit = await createClient(gw, {
    allowedScopes: ["openid", "email"],
    callbackUrls: [CALLBACK],
    allowedOAuthFlows: ["implicit"],
  });
  user = await createUser(gw, { attributes: { email: "a@example.com", email_verified: "true" } });
  user2 = await createUser(gw, { attributes: { email: "b@example.com", email_verified: "true" } });
});
afterAll(() => gw.close());

/** Look-alikes of a registered URI: each must be refused, by exact string comparison. */
function lookAlikes(registered: string): [string, string][] {
  const u = new URL(registered);
  const path = u.pathname;
  return [
    ["prefix of the registered URI", registered.slice(0, -2)],
    ["registered URI as a prefix", `${registered}.evil.example`],
    ["registered URI as a prefix of a path", `${registered}evil`],
    ["host suffix", `https://app.example.com.evil.example${path}`],
    ["extra path", `${registered}/extra`],
    ["dot-dot path", `${registered}/../../evil`],
    ["userinfo", `https://app.example.com@evil.example${path}`],
    ["userinfo with the full URI", `https://app.example.com${path}@evil.example/`],
    ["different port", `https://app.example.com:8443${path}`],
    ["explicit default port", `https://app.example.com:443${path}`],
    ["different scheme", `http://app.example.com${path}`],
    ["javascript scheme", `javascript://app.example.com${path}%0aalert(1)`],
    ["encoded slash", `https://app.example.com%2F${path.slice(1)}`],
    ["encoded at sign", `https://app.example.com%40evil.example${path}`],
    ["encoded path", `https://app.example.com${path.replace("/", "%2F")}`],
    ["trailing slash", `${registered}/`],
    ["host in upper case", registered.replace("app.example.com", "APP.example.com")],
    [
      "path in upper case",
      registered.toUpperCase().replace("HTTPS://APP.EXAMPLE.COM", "https://app.example.com"),
    ],
    ["a fragment", `${registered}#evil`],
    ["an empty fragment", `${registered}#`],
    ["an added query", `${registered}?next=https://evil.example`],
    ["leading whitespace", ` ${registered}`],
    ["trailing whitespace", `${registered} `],
    ["protocol-relative", `//evil.example${path}`],
    ["another site", `https://evil.example${path}`],
  ];
}

describe("open redirect through redirect_uri", () => {
  it.each(lookAlikes(CALLBACK))(
    "stops an open redirect: %s → an error page, no Location",
    async (_name, uri) => {
      const params = authorizeParams(spa.clientId, pkce().challenge, { redirect_uri: uri });
      for (const path of ["/oauth2/authorize", "/login"]) {
        const answer = await get(`${path}?${query(params)}`);
        expectErrorPage(answer);
      }
      // An error that would otherwise be redirected (a plain PKCE) is still only a page.
      const downgraded = await get(
        `/oauth2/authorize?${query({ ...params, code_challenge_method: "plain" })}`,
      );
      expectErrorPage(downgraded);
    },
  );

  it("stops an open redirect through a client_id that is unknown, or one repeated", async () => {
    expectErrorPage(
      await get(`/oauth2/authorize?${query(authorizeParams("nope", pkce().challenge))}`),
    );
    const twice = `${query(authorizeParams(spa.clientId, pkce().challenge))}&client_id=${other.clientId}`;
    expectErrorPage(await get(`/oauth2/authorize?${twice}`));
    const twoUris = `${query(authorizeParams(spa.clientId, pkce().challenge))}&redirect_uri=${encodeURIComponent("https://evil.example/")}`;
    expectErrorPage(await get(`/oauth2/authorize?${twoUris}`));
  });
});

describe("open redirect through /logout", () => {
  it.each(lookAlikes(SIGNED_OUT))(
    "stops an open redirect through logout_uri and post_logout_redirect_uri: %s",
    async (_name, uri) => {
      const cognito = await get(`/logout?${query({ client_id: spa.clientId, logout_uri: uri })}`);
      expectErrorPage(cognito);
      const oidc = await get(
        `/logout?${query({ client_id: spa.clientId, post_logout_redirect_uri: uri, state: "s" })}`,
      );
      expectErrorPage(oidc);
    },
  );

  it("stops an open redirect through /logout's redirect_uri (sign in again) outside the callback URLs", async () => {
    for (const [, uri] of lookAlikes(CALLBACK)) {
      const answer = await get(
        `/logout?${query({ client_id: spa.clientId, redirect_uri: uri, response_type: "code" })}`,
      );
      expectErrorPage(answer);
    }
    // A sign-out URL is not a callback URL, and the reverse.
    expectErrorPage(
      await get(`/logout?${query({ client_id: spa.clientId, redirect_uri: SIGNED_OUT })}`),
    );
    expectErrorPage(
      await get(`/logout?${query({ client_id: spa.clientId, logout_uri: CALLBACK })}`),
    );
  });

  it("stops a sign-out redirect without a client, or to another client's URL, or with a forged id_token_hint", async () => {
    expectErrorPage(await get(`/logout?${query({ logout_uri: SIGNED_OUT })}`));
    expectErrorPage(await get(`/logout?${query({ post_logout_redirect_uri: SIGNED_OUT })}`));
    expectErrorPage(
      await get(`/logout?${query({ client_id: "unknown-client", logout_uri: SIGNED_OUT })}`),
    );
    // The web client registered no sign-out URL at all.
    expectErrorPage(
      await get(`/logout?${query({ client_id: web.clientId, logout_uri: SIGNED_OUT })}`),
    );
    const forged = [
      Buffer.from(JSON.stringify({ alg: "RS256", kid: "x" })).toString("base64url"),
      Buffer.from(JSON.stringify({ iss: issuer, aud: spa.clientId, token_use: "id" })).toString(
        "base64url",
      ),
      "c2ln",
    ].join(".");
    expectErrorPage(
      await get(
        `/logout?${query({ id_token_hint: forged, post_logout_redirect_uri: SIGNED_OUT })}`,
      ),
    );
  });

  it("happy flow: the registered sign-out URL is followed exactly (the control for the refusals)", async () => {
    const answer = await get(
      `/logout?${query({ client_id: spa.clientId, logout_uri: SIGNED_OUT })}`,
    );
    expect({ status: answer.status, location: answer.location }).toEqual({
      status: 302,
      location: SIGNED_OUT,
    });
  });
});

describe("authorization code attacks", () => {
  let browser: HostedBrowser;
  beforeAll(async () => {
    browser = await signedInBrowser();
  });

  it("stops authorization code replay: a second exchange is invalid_grant and revokes the first exchange's tokens", async () => {
    const p = pkce();
    const code = await codeFrom(browser, p);
    const first = await tokenRequest(exchangeForm(spa.clientId, code, p.verifier));
    expect(first.status).toBe(200);
    const tokens = first.body as { access_token: string; refresh_token: string };
    expect((await gw.gql(ME, {}, tokens.access_token)).body.data?.["me"]).toMatchObject({
      sub: user.sub,
    });

    const second = await tokenRequest(exchangeForm(spa.clientId, code, p.verifier));
    expect(second).toEqual({
      status: 400,
      body: expect.objectContaining({ error: "invalid_grant" }),
    });
    expect(second.body["access_token"]).toBeUndefined();

    const refresh = await tokenRequest({
      grant_type: "refresh_token",
      client_id: spa.clientId,
      refresh_token: tokens.refresh_token,
    });
    expect(refresh.body["error"]).toBe("invalid_grant");
    expect(codeOf(await gw.gql(ME, {}, tokens.access_token))).toBe("UNAUTHENTICATED");
  });

  it("stops a code issued to one client being redeemed by another", async () => {
    const p = pkce();
    const code = await codeFrom(browser, p);
    const stolen = await tokenRequest(exchangeForm(other.clientId, code, p.verifier));
    expect(stolen.body["error"]).toBe("invalid_grant");
    // Spent by the attempt: the rightful client gets nothing either (no second guess).
    const owner = await tokenRequest(exchangeForm(spa.clientId, code, p.verifier));
    expect(owner.body["error"]).toBe("invalid_grant");
  });

  it("stops a code redeemed by a confidential client that did not ask for it", async () => {
    const p = pkce();
    const code = await codeFrom(browser, p);
    const stolen = await tokenRequest(
      { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: p.verifier },
      web,
    );
    expect(stolen.body["error"]).toBe("invalid_grant");
  });

  it("stops a code presented with another redirect_uri, or without one", async () => {
    const p = pkce();
    const code = await codeFrom(browser, p);
    const moved = await tokenRequest(exchangeForm(spa.clientId, code, p.verifier, CALLBACK_2));
    expect(moved.body["error"]).toBe("invalid_grant");

    const p2 = pkce();
    const code2 = await codeFrom(browser, p2);
    const { redirect_uri: _dropped, ...withoutUri } = exchangeForm(
      spa.clientId,
      code2,
      p2.verifier,
    );
    expect((await tokenRequest(withoutUri)).body["error"]).toBe("invalid_grant");
  });

  it("stops a stolen code without the PKCE verifier: missing, wrong, or the challenge itself", async () => {
    for (const verifier of [undefined, pkce().verifier, "short", "CHALLENGE"]) {
      const p = pkce();
      const code = await codeFrom(browser, p);
      const attempt = await tokenRequest(
        exchangeForm(spa.clientId, code, verifier === "CHALLENGE" ? p.challenge : verifier),
      );
      expect({ verifier, error: attempt.body["error"] }).toEqual({
        verifier,
        error: "invalid_grant",
      });
      // The right verifier afterwards is too late: the code was spent by the attempt.
      expect((await tokenRequest(exchangeForm(spa.clientId, code, p.verifier))).body["error"]).toBe(
        "invalid_grant",
      );
    }
  });

  it("stops a code used after its 5 minutes", async () => {
    const p = pkce();
    const code = await codeFrom(browser, p);
    clock.advance(300_000 + 1000);
    const late = await tokenRequest(exchangeForm(spa.clientId, code, p.verifier));
    expect(late.body["error"]).toBe("invalid_grant");
  });

  it("happy flow: a code used within its lifetime, by its client, with its verifier (the control)", async () => {
    const p = pkce();
    const code = await codeFrom(browser, p);
    clock.advance(290_000);
    const ok = await tokenRequest(exchangeForm(spa.clientId, code, p.verifier));
    expect(ok.status).toBe(200);
    expect(claimsOf(ok.body["access_token"] as string)).toMatchObject({
      sub: user.sub,
      client_id: spa.clientId,
    });
  });
});

describe("PKCE downgrade", () => {
  async function expectRedirectError(params: Record<string, string>, error: string) {
    const answer = await get(`/oauth2/authorize?${query(params)}`);
    expect(answer.status).toBe(302);
    const to = new URL(answer.location!);
    expect(to.origin + to.pathname).toBe(CALLBACK);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      error,
      state: params["state"],
      iss: issuer,
    });
    expect(to.searchParams.get("code")).toBeNull();
  }

  it("stops a PKCE downgrade to plain", async () => {
    const verifier = pkce().verifier.slice(0, 43);
    await expectRedirectError(
      authorizeParams(spa.clientId, undefined, {
        code_challenge: verifier,
        code_challenge_method: "plain",
      }),
      "invalid_request",
    );
  });

  it("stops a PKCE downgrade by omitting the method (RFC 7636's default is plain)", async () => {
    await expectRedirectError(
      authorizeParams(spa.clientId, undefined, { code_challenge: pkce().challenge }),
      "invalid_request",
    );
  });

  it("stops a public client's code flow without PKCE", async () => {
    await expectRedirectError(authorizeParams(spa.clientId, undefined), "invalid_request");
    await expectRedirectError(
      authorizeParams(spa.clientId, undefined, { code_challenge_method: "S256" }),
      "invalid_request",
    );
  });

  it("stops a malformed S256 challenge", async () => {
    await expectRedirectError(
      authorizeParams(spa.clientId, undefined, {
        code_challenge: "x".repeat(42),
        code_challenge_method: "S256",
      }),
      "invalid_request",
    );
  });
});

describe("login CSRF on the hosted forms", () => {
  /** A browser at the sign-in form, with its page and its form fields. */
  async function atSignIn(): Promise<{
    browser: HostedBrowser;
    page: Page;
    fields: Record<string, string>;
  }> {
    const browser = new HostedBrowser(gw.url);
    const { page } = await browser.follow(
      authorizeUrl(authorizeParams(spa.clientId, pkce().challenge)),
    );
    expect(stepOf(page)).toBe("sign-in");
    const fields = formsOf(page.html).find((f) => f.step === "sign-in")!.fields;
    return {
      browser,
      page,
      fields: { ...fields, username: user.username, password: user.password },
    };
  }

  const sameSite = (origin: string) => ({ origin, "sec-fetch-site": "same-origin" });

  async function post(
    fields: Record<string, string>,
    headers: Record<string, string>,
  ): Promise<Answer> {
    const res = await fetch(`${gw.url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: query(fields),
    });
    return {
      status: res.status,
      location: res.headers.get("location"),
      setCookies: res.headers.getSetCookie(),
      headers: res.headers,
      html: await res.text(),
    };
  }

  function cookieOf(browser: HostedBrowser, names = [CSRF]): string {
    return names.map((n) => `${n}=${browser.cookies.get(n)}`).join("; ");
  }

  function expectRefused(answer: Answer): void {
    expect([400, 403]).toContain(answer.status);
    expect(answer.location).toBeNull();
    expect(setsHostedSession(answer.setCookies)).toBe(false);
    expect(formsOf(answer.html)).toEqual([]);
  }

  it("stops login CSRF: a form posted without the CSRF cookie", async () => {
    const a = await atSignIn();
    expectRefused(await post(a.fields, sameSite(gw.url)));
  });

  it("stops login CSRF: a form with another browser's CSRF token", async () => {
    const a = await atSignIn();
    const b = await atSignIn();
    expectRefused(
      await post(
        { ...a.fields, csrf: b.fields["csrf"]! },
        {
          ...sameSite(gw.url),
          cookie: cookieOf(a.browser),
        },
      ),
    );
    // The attacker's own cookie and token with the victim's flow: the flow is bound to its browser.
    expectRefused(
      await post(
        { ...a.fields, csrf: b.fields["csrf"]! },
        {
          ...sameSite(gw.url),
          cookie: cookieOf(b.browser),
        },
      ),
    );
  });

  it("stops login CSRF: the right token with a flow from another browser", async () => {
    const a = await atSignIn();
    const b = await atSignIn();
    expectRefused(
      await post(
        { ...a.fields, flow: b.fields["flow"]! },
        {
          ...sameSite(gw.url),
          cookie: cookieOf(a.browser),
        },
      ),
    );
  });

  it("stops login CSRF: a tampered or empty flow", async () => {
    const a = await atSignIn();
    const flow = a.fields["flow"]!;
    for (const bad of ["", flow.slice(0, -4) + "AAAA", `${flow}x`]) {
      expectRefused(
        await post(
          { ...a.fields, flow: bad },
          { ...sameSite(gw.url), cookie: cookieOf(a.browser) },
        ),
      );
    }
  });

  it("stops login CSRF: Sec-Fetch-Site cross-site or same-site", async () => {
    const a = await atSignIn();
    for (const site of ["cross-site", "same-site", "none"]) {
      expectRefused(
        await post(a.fields, {
          origin: gw.url,
          "sec-fetch-site": site,
          cookie: cookieOf(a.browser),
        }),
      );
    }
  });

  it("stops login CSRF: a foreign Origin, or the string null", async () => {
    const a = await atSignIn();
    for (const origin of [
      "https://evil.example",
      "null",
      gw.url.replace("127.0.0.1", "localhost.evil.example"),
    ]) {
      const answer = await post(a.fields, { origin, cookie: cookieOf(a.browser) });
      expectRefused(answer);
    }
  });

  it("stops login CSRF: two CSRF cookies (one planted beside the browser's own)", async () => {
    const a = await atSignIn();
    const b = await atSignIn();
    const answer = await post(a.fields, {
      ...sameSite(gw.url),
      cookie: `${cookieOf(a.browser)}; ${cookieOf(b.browser)}`,
    });
    expectRefused(answer);
  });

  it("happy flow: the same form from its own browser signs in (the control)", async () => {
    const a = await atSignIn();
    const answer = await post(a.fields, { ...sameSite(gw.url), cookie: cookieOf(a.browser) });
    expect(answer.status).toBe(303);
    expect(new URL(answer.location!).searchParams.get("code")).toBeTruthy();
    expect(setsHostedSession(answer.setCookies)).toBe(true);
  });
});

describe("mix-up (RFC 9207)", () => {
  it("stops mix-up: every authorization response carries iss, success and error alike", async () => {
    const browser = new HostedBrowser(gw.url);
    const locations: string[] = [];
    // An error redirect before any sign-in: prompt=none without a session.
    locations.push(
      (
        await get(
          `/oauth2/authorize?${query(authorizeParams(spa.clientId, pkce().challenge, { prompt: "none" }))}`,
        )
      ).location!,
    );
    // Success through the form, and through the hosted session.
    locations.push(
      (await signInAt(browser, authorizeParams(spa.clientId, pkce().challenge))).toString(),
    );
    locations.push(
      (await signInAt(browser, authorizeParams(spa.clientId, pkce().challenge))).toString(),
    );
    // Error redirects: unknown scope, unsupported response type, unauthorized flow, bad PKCE.
    const errors: Record<string, string>[] = [
      { scope: "openid admin:everything" },
      { response_type: "code id_token" },
      { response_type: "token", nonce: "n" },
      { code_challenge_method: "plain" },
      { max_age: "soon" },
    ];
    for (const extra of errors) {
      const answer = await get(
        `/oauth2/authorize?${query(authorizeParams(spa.clientId, pkce().challenge, extra))}`,
      );
      expect(answer.status).toBe(302);
      locations.push(answer.location!);
    }
    for (const location of locations) {
      const url = new URL(location);
      expect(url.origin + url.pathname).toBe(CALLBACK);
      // The implicit flow's answers (errors included) travel in the fragment.
      const members = url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
      expect({ location, iss: members.getAll("iss") }).toEqual({ location, iss: [issuer] });
    }

    // The implicit flow answers in the fragment, with iss too.
    const tokenAnswer = await browser.follow(
      authorizeUrl({
        response_type: "token",
        client_id: implicit.clientId,
        redirect_uri: CALLBACK,
        scope: "openid",
        nonce: "n-1",
        state: "s-1",
      }),
    );
    const fragment = new URLSearchParams(new URL(tokenAnswer.left!).hash.slice(1));
    expect(fragment.get("access_token")).toBeTruthy();
    expect(fragment.get("iss")).toBe(issuer);
  });
});

describe("clickjacking", () => {
  function expectUnframeable(page: { headers: Headers; html: string }, what: string): void {
    const csp = page.headers.get("content-security-policy") ?? "";
    expect({
      what,
      frameAncestors: csp
        .split(";")
        .map((d) => d.trim())
        .includes("frame-ancestors 'none'"),
    }).toEqual({
      what,
      frameAncestors: true,
    });
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src/);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.html).not.toMatch(/<script\b/i);
    expect(page.html).not.toMatch(/\son[a-z]+\s*=/i);
  }

  it("stops clickjacking: every hosted page forbids framing and has no script", async () => {
    const browser = new HostedBrowser(gw.url);
    const signIn = await browser.follow(
      authorizeUrl(authorizeParams(spa.clientId, pkce().challenge)),
    );
    expectUnframeable(signIn.page, "sign-in form");
    const wrong = await browser.submit(signIn.page, "sign-in", {
      username: user.username,
      password: "wrong-password",
    });
    expect(wrong.page.status).toBe(400);
    expectUnframeable(wrong.page, "sign-in form with an error");
    expectUnframeable(await get(`/oauth2/authorize?client_id=nope`), "authorize error page");
    expectUnframeable(await get(`/login?client_id=nope&response_type=code`), "login error page");
    const refused = await fetch(`${gw.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "csrf=x&flow=y&step=sign-in",
    });
    expectUnframeable(
      { headers: refused.headers, html: await refused.text() },
      "refused form post",
    );
    expectUnframeable(await get(`/logout`), "signed-out page");
    expectUnframeable(
      await get(
        `/logout?${query({ client_id: spa.clientId, logout_uri: "https://evil.example" })}`,
      ),
      "logout error page",
    );
  });
});

describe("reflected markup", () => {
  it("stops reflected XSS through login_hint: the value is escaped into the form", async () => {
    const hint = `"><script>alert(1)</script><a href="`;
    const page = await get(
      `/login?${query(authorizeParams(spa.clientId, pkce().challenge, { login_hint: hint }))}`,
    );
    expect(page.status).toBe(200);
    expect(page.html).not.toMatch(/<script\b/i);
    expect(formsOf(page.html).find((f) => f.step === "sign-in")!.fields["username"]).toBe(hint);
  });
});

describe("session fixation on the hosted session cookie", () => {
  it("stops session fixation: a planted random value is never adopted and never authorizes", async () => {
    const planted = randomBytes(32).toString("base64url");
    const browser = new HostedBrowser(gw.url);
    browser.cookies.set(HOSTED, planted);
    const first = await browser.follow(
      authorizeUrl(authorizeParams(spa.clientId, pkce().challenge)),
    );
    expect(first.left).toBeUndefined();
    expect(stepOf(first.page)).toBe("sign-in");
    const done = await browser.submit(first.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(setsHostedSession(done.page.headers.getSetCookie())).toBe(true);
    const issued = browser.cookies.get(HOSTED)!;
    expect(issued).not.toBe(planted);
    expect(issued).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The planted value still opens nothing.
    const withPlanted = await get(
      `/oauth2/authorize?${query(authorizeParams(spa.clientId, pkce().challenge, { prompt: "none" }))}`,
      { cookie: `${HOSTED}=${planted}` },
    );
    expect(new URL(withPlanted.location!).searchParams.get("error")).toBe("login_required");
  });

  it("stops session fixation: a value once valid for another user, then signed out, is never adopted", async () => {
    const victimOfBefore = await signedInBrowser(user2);
    const stale = victimOfBefore.cookies.get(HOSTED)!;
    expect(stale).toBeDefined();
    const out = await victimOfBefore.follow(`/logout`);
    expect(out.page.status).toBe(200);
    expect(victimOfBefore.cookies.has(HOSTED)).toBe(false);

    const browser = new HostedBrowser(gw.url);
    browser.cookies.set(HOSTED, stale);
    const first = await browser.follow(
      authorizeUrl(authorizeParams(spa.clientId, pkce().challenge)),
    );
    expect(first.left).toBeUndefined();
    expect(stepOf(first.page)).toBe("sign-in");
    const done = await browser.submit(first.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(done.left).toBeDefined();
    expect(browser.cookies.get(HOSTED)).not.toBe(stale);
    const none = await get(
      `/oauth2/authorize?${query(authorizeParams(spa.clientId, pkce().challenge, { prompt: "none" }))}`,
      { cookie: `${HOSTED}=${stale}` },
    );
    expect(new URL(none.location!).searchParams.get("error")).toBe("login_required");
  });

  it("stops session fixation: a sign-in over a live session of another user replaces it", async () => {
    const browser = await signedInBrowser(user2);
    const before = browser.cookies.get(HOSTED)!;
    const callback = await (async () => {
      const first = await browser.follow(
        authorizeUrl(authorizeParams(spa.clientId, pkce().challenge, { prompt: "login" })),
      );
      expect(stepOf(first.page)).toBe("sign-in");
      const done = await browser.submit(first.page, "sign-in", {
        username: user.username,
        password: user.password,
      });
      return new URL(done.left!);
    })();
    expect(callback.searchParams.get("code")).toBeTruthy();
    expect(browser.cookies.get(HOSTED)).not.toBe(before);
    // The replaced session is over, not merely forgotten by this browser.
    const old = await get(
      `/oauth2/authorize?${query(authorizeParams(spa.clientId, pkce().challenge, { prompt: "none" }))}`,
      { cookie: `${HOSTED}=${before}` },
    );
    expect(new URL(old.location!).searchParams.get("error")).toBe("login_required");
  });

  it("stops cookie tossing: two hosted-session cookies of one name are refused, even a live one beside it", async () => {
    const browser = await signedInBrowser();
    const live = browser.cookies.get(HOSTED)!;
    const params = query(authorizeParams(spa.clientId, pkce().challenge, { prompt: "none" }));
    const alone = await get(`/oauth2/authorize?${params}`, { cookie: `${HOSTED}=${live}` });
    expect(new URL(alone.location!).searchParams.get("code")).toBeTruthy();
    for (const cookie of [
      `${HOSTED}=${live}; ${HOSTED}=${randomBytes(32).toString("base64url")}`,
      `${HOSTED}=${randomBytes(32).toString("base64url")}; ${HOSTED}=${live}`,
      `${HOSTED}=${live}; ${HOSTED}=${live}`,
      `${HOSTED}=${live};${HOSTED}=${live}`,
    ]) {
      const twice = await get(`/oauth2/authorize?${params}`, { cookie });
      expect({ cookie, error: new URL(twice.location!).searchParams.get("error") }).toEqual({
        cookie,
        error: "login_required",
      });
    }
  });
});

describe("cookie tossing with a look-alike name", () => {
  it("stops cookie tossing: a second hosted-session cookie spelled with blanks before '=' is counted as the same name", async () => {
    // The attacker's live session, tossed in front of the victim's own cookie; the cookie
    // parser trims names, so "name =x" is the same cookie as "name=x" and both are refused.
    const attacker = await signedInBrowser(user2);
    const victim = await signedInBrowser(user);
    const params = query(authorizeParams(spa.clientId, pkce().challenge, { prompt: "none" }));
    for (const blank of [" ", "\t", "  "]) {
      const cookie = `${HOSTED}${blank}=${attacker.cookies.get(HOSTED)}; ${HOSTED}=${victim.cookies.get(HOSTED)}`;
      const answer = await get(`/oauth2/authorize?${params}`, { cookie });
      expect({ blank, error: new URL(answer.location!).searchParams.get("error") }).toEqual({
        blank,
        error: "login_required",
      });
    }
  });
});

describe("huge or repeated parameters", () => {
  const valid = () => authorizeParams(spa.clientId, pkce().challenge);

  /** Never a 5xx; a redirect only to the registered callback, carrying an error. */
  function expectSafe(answer: Answer, what: string): void {
    expect({ what, status: answer.status < 500 }).toEqual({ what, status: true });
    if (answer.location !== null) {
      const to = new URL(answer.location, gw.url);
      const allowed =
        to.origin === new URL(gw.url).origin ||
        [CALLBACK, SIGNED_OUT].includes(to.origin + to.pathname);
      expect({ what, location: answer.location, allowed }).toEqual({
        what,
        location: answer.location,
        allowed: true,
      });
      // A sign-out URL may be reached without an error; a callback only with one.
      if (to.origin + to.pathname === CALLBACK)
        expect({ what, error: to.searchParams.get("error") }).toEqual({
          what,
          error: expect.any(String),
        });
    }
  }

  function expect4xx(answer: Answer, what: string): void {
    expect({ what, status: answer.status >= 400 && answer.status < 500 }).toEqual({
      what,
      status: true,
    });
    expect(answer.location).toBeNull();
  }

  it("stops oversized requests: a 100 KB state on /oauth2/authorize, /login and /logout is a 4xx", async () => {
    const state = "s".repeat(100_000);
    for (const path of ["/oauth2/authorize", "/login", "/logout"]) {
      expect4xx(await get(`${path}?${query({ ...valid(), state })}`), path);
    }
  });

  it("stops a long state under the header limit from being echoed: an error without it", async () => {
    const state = "s".repeat(5000);
    for (const path of ["/oauth2/authorize", "/login"]) {
      const answer = await get(`${path}?${query({ ...valid(), state })}`);
      expectSafe(answer, path);
      expect(answer.location).not.toContain(state);
      expect(new URL(answer.location!).searchParams.get("error")).toBe("invalid_request");
    }
  });

  it("stops parameter pollution: repeated client_id, redirect_uri and state", async () => {
    const base = query(valid());
    const cases: [string, string][] = [
      ["client_id", `${base}&client_id=${other.clientId}`],
      ["same client_id twice", `${base}&client_id=${spa.clientId}`],
      ["redirect_uri", `${base}&redirect_uri=${encodeURIComponent(CALLBACK)}`],
      ["state", `${base}&state=second`],
      ["code_challenge_method", `${base}&code_challenge_method=plain`],
      ["scope", `${base}&scope=profile`],
    ];
    for (const [what, q] of cases) {
      for (const path of ["/oauth2/authorize", "/login"]) {
        const answer = await get(`${path}?${q}`);
        expectSafe(answer, `${path} ${what}`);
        if (what.includes("client_id") || what === "redirect_uri") expectErrorPage(answer);
        else expect(new URL(answer.location!).searchParams.get("error")).toBe("invalid_request");
      }
    }
    for (const q of [
      `client_id=${spa.clientId}&client_id=${other.clientId}&logout_uri=${encodeURIComponent(SIGNED_OUT)}`,
      `client_id=${spa.clientId}&logout_uri=${encodeURIComponent(SIGNED_OUT)}&logout_uri=https%3A%2F%2Fevil.example`,
      `client_id=${spa.clientId}&post_logout_redirect_uri=${encodeURIComponent(SIGNED_OUT)}&state=a&state=b`,
    ]) {
      const answer = await get(`/logout?${q}`);
      expectSafe(answer, `/logout ${q}`);
      expect(answer.location).toBeNull();
    }
  });

  it("stops parameter floods: 1000 parameters on /oauth2/authorize, /login and /logout", async () => {
    const flood = Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join("&");
    for (const path of ["/oauth2/authorize", "/login"]) {
      const answer = await get(`${path}?${query(valid())}&${flood}`);
      expectSafe(answer, path);
    }
    const repeated = Array.from({ length: 1000 }, () => `state=x`).join("&");
    expectSafe(await get(`/oauth2/authorize?${query(valid())}&${repeated}`), "1000 states");
    expectSafe(
      await get(
        `/logout?client_id=${spa.clientId}&logout_uri=${encodeURIComponent(SIGNED_OUT)}&${flood}`,
      ),
      "/logout flood",
    );
    expectSafe(
      await get(
        `/logout?client_id=${spa.clientId}&logout_uri=${encodeURIComponent(SIGNED_OUT)}&${repeated}`,
      ),
      "/logout repeated",
    );
  });

  it("stops oversized form posts: a huge body, a flood of fields, or a field given twice on /login is a 4xx", async () => {
    const browser = new HostedBrowser(gw.url);
    const { page } = await browser.follow(authorizeUrl(valid()));
    const fields = formsOf(page.html).find((f) => f.step === "sign-in")!.fields;
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      origin: gw.url,
      "sec-fetch-site": "same-origin",
      cookie: `${CSRF}=${browser.cookies.get(CSRF)}`,
    };
    const bodies = [
      query({ ...fields, username: user.username, password: "p".repeat(2_000_000) }),
      `${query({ ...fields, username: user.username, password: user.password })}&${Array.from({ length: 1000 }, (_, i) => `f${i}=1`).join("&")}`,
      `${query({ ...fields, username: user.username, password: user.password })}&csrf=${fields["csrf"]}`,
      `${query({ ...fields, username: user.username, password: user.password })}&step=sign-up`,
    ];
    for (const body of bodies) {
      let status: number;
      let location: string | null = null;
      let setCookies: string[] = [];
      try {
        const res = await fetch(`${gw.url}/login`, {
          method: "POST",
          redirect: "manual",
          headers,
          body,
        });
        status = res.status;
        location = res.headers.get("location");
        setCookies = res.headers.getSetCookie();
        await res.text();
      } catch {
        // The server may close the connection on a body it will not read: no answer is not a 5xx.
        status = 413;
      }
      expect({ size: body.length, status: status >= 400 && status < 500 }).toEqual({
        size: body.length,
        status: true,
      });
      expect(location).toBeNull();
      expect(setsHostedSession(setCookies)).toBe(false);
    }
  });
});

describe("requests the flow must refuse", () => {
  it("stops silent authentication without a session: prompt=none is login_required", async () => {
    const params = authorizeParams(spa.clientId, pkce().challenge, { prompt: "none" });
    const answer = await get(`/oauth2/authorize?${query(params)}`);
    expect(answer.status).toBe(302);
    const to = new URL(answer.location!);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      error: "login_required",
      state: params["state"],
      iss: issuer,
    });
    expect(setsHostedSession(answer.setCookies)).toBe(false);
  });

  it("stops the implicit flow for a client without it: unauthorized_client", async () => {
    const params = {
      response_type: "token",
      client_id: spa.clientId,
      redirect_uri: CALLBACK,
      scope: "openid",
      nonce: "n",
      state: "s",
    };
    for (const path of ["/oauth2/authorize", "/login"]) {
      const answer = await get(`${path}?${query(params)}`);
      expect(answer.status).toBe(302);
      const to = new URL(answer.location!);
      const members = new URLSearchParams(to.hash.slice(1) || to.search);
      expect(members.get("error")).toBe("unauthorized_client");
      expect(members.get("access_token")).toBeNull();
    }
    // The converse: a code request to an implicit-only client.
    const code = await get(
      `/oauth2/authorize?${query({ ...params, response_type: "code", client_id: implicit.clientId })}`,
    );
    expect(new URL(code.location!).searchParams.get("error")).toBe("unauthorized_client");
  });

  it("stops a disabled client: an error page at authorize, and at a form already open", async () => {
    const client = await createClient(gw, {
      allowedScopes: ["openid"],
      callbackUrls: [CALLBACK],
      allowedOAuthFlows: ["code"],
    });
    const params = {
      ...authorizeParams(client.clientId, pkce().challenge),
      scope: "openid",
    };
    const browser = new HostedBrowser(gw.url);
    const open = await browser.follow(authorizeUrl(params));
    expect(stepOf(open.page)).toBe("sign-in");

    await gw.pool.clients.setEnabled(client.clientId, false, gw.pool.deps.now());
    expectErrorPage(await get(`/oauth2/authorize?${query(params)}`));
    expectErrorPage(await get(`/login?${query(params)}`));
    const submitted = await browser.submit(open.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(submitted.left).toBeUndefined();
    expectErrorPage({ ...submitted.page, location: submitted.page.headers.get("location") });
    expect(browser.cookies.has(HOSTED)).toBe(false);
  });

  it("stops a session outliving global sign-out: globalSignOut ends the hosted session", async () => {
    const browser = await signedInBrowser();
    const p = pkce();
    const code = await codeFrom(browser, p);
    const tokens = await tokenRequest(exchangeForm(spa.clientId, code, p.verifier));
    const access = tokens.body["access_token"] as string;
    const out = await gw.gql(`mutation { globalSignOut }`, {}, access);
    expect(out.body.data).toEqual({ globalSignOut: true });

    const next = await browser.follow(
      authorizeUrl(authorizeParams(spa.clientId, pkce().challenge)),
    );
    expect(next.left).toBeUndefined();
    expect(stepOf(next.page)).toBe("sign-in");
    expect(codeOf(await gw.gql(ME, {}, access))).toBe("UNAUTHENTICATED");
  });

  it("stops a code outliving global sign-out: a code issued before globalSignOut gives no tokens after it", async () => {
    const browser = await signedInBrowser();
    const first = pkce();
    const used = await codeFrom(browser, first);
    const tokens = await tokenRequest(exchangeForm(spa.clientId, used, first.verifier));
    const access = tokens.body["access_token"] as string;
    // A second code, issued while signed in and not yet exchanged (a stalled tab, a thief).
    const pending = pkce();
    const unexchanged = await codeFrom(browser, pending);
    expect((await gw.gql(`mutation { globalSignOut }`, {}, access)).body.data).toEqual({
      globalSignOut: true,
    });
    const late = await tokenRequest(exchangeForm(spa.clientId, unexchanged, pending.verifier));
    expect(late.status).toBe(400);
    expect(late.body["error"]).toBe("invalid_grant");
  });
});
