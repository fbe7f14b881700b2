/**
 * Cookie mode (docs/browser.md): signIn with `cookie: true` puts the refresh token in an
 * HttpOnly `__Host-` cookie instead of the body; refresh and revoke read it when no token is
 * passed; revoke and globalSignOut clear it. Over real HTTP, with the Cookie header a browser
 * would send; the real browser is driven in test/browser/login.test.ts.
 */
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../src/config";
import { isPoolgateError } from "../../src/errors";
import {
  claimsOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  ME,
  REFRESH,
  REVOKE,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestGateway,
} from "../harness";

interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

function setCookiesOf(res: GqlResult): SetCookie[] {
  return res.headers.getSetCookie().map((line) => {
    const [pair = "", ...attrs] = line.split(";").map((p) => p.trim());
    const eq = pair.indexOf("=");
    const attributes: Record<string, string | true> = {};
    for (const a of attrs) {
      const i = a.indexOf("=");
      if (i < 0) attributes[a.toLowerCase()] = true;
      else attributes[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
    }
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
  });
}

const cookieName = (clientId: string) => `__Host-poolgate-refresh-${clientId}`;

/** A browser-like caller: keeps the cookies the gateway sets and sends them back. */
function browser(gw: TestGateway, origin?: string) {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...(jar.size > 0 ? { cookie: cookieHeader() } : {}),
    ...(origin !== undefined ? { origin } : {}),
    ...extra,
  });
  const remember = (res: GqlResult) => {
    for (const c of setCookiesOf(res)) {
      if (c.attributes["max-age"] === "0") jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return res;
  };
  const gql = async (query: string, variables?: Record<string, unknown>, token?: string) =>
    remember(await gw.gql(query, variables, token, headers()));
  return {
    jar,
    cookieHeader,
    gql,
    /** signIn in cookie mode: the refresh token lands in the jar, not in the body. */
    signIn: (clientId: string, user: { username: string; password: string }) =>
      gql(SIGN_IN, {
        input: { clientId, username: user.username, password: user.password, cookie: true },
      }),
  };
}

describe("cookie mode", () => {
  let gw: TestGateway;
  let client: { clientId: string; clientSecret: string | undefined };
  beforeAll(async () => {
    gw = await startGateway();
    client = await createClient(gw, { refreshTokenValiditySeconds: 7200 });
  });
  afterAll(() => gw.close());

  it("happy flow: signIn sets an HttpOnly, Secure, SameSite=Strict __Host- cookie and returns no refresh token", async () => {
    const user = await createUser(gw);
    const res = await gw.gql(SIGN_IN, {
      input: {
        clientId: client.clientId,
        username: user.username,
        password: user.password,
        cookie: true,
      },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.["signIn"]).toMatchObject({
      refreshToken: null,
      tokenType: "Bearer",
      accessToken: expect.any(String),
      idToken: expect.any(String),
    });
    const [cookie, ...others] = setCookiesOf(res);
    expect(others).toEqual([]);
    expect(cookie).toEqual({
      name: cookieName(client.clientId),
      value: expect.stringMatching(/^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/), // compact JWE
      attributes: {
        "max-age": "7200", // the client's refresh-token lifetime
        path: "/",
        httponly: true,
        secure: true,
        samesite: "Strict",
      },
    });
    expect(cookie!.attributes["domain"]).toBeUndefined(); // __Host- forbids it
  });

  it("happy flow: refresh without a token uses the cookie and keeps the session", async () => {
    const user = await createUser(gw);
    const b = browser(gw);
    const signIn = await b.signIn(client.clientId, user);
    const session = claimsOf(signIn.body.data?.["signIn"].accessToken)["origin_jti"];
    const res = await b.gql(REFRESH, { input: { clientId: client.clientId } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.["refresh"].refreshToken).toBeNull();
    expect(claimsOf(res.body.data?.["refresh"].accessToken)["origin_jti"]).toBe(session);
    // Without rotation the cookie stays as it is: no Set-Cookie.
    expect(setCookiesOf(res)).toEqual([]);
    const me = await b.gql(ME, {}, res.body.data?.["refresh"].accessToken);
    expect(me.body.data?.["me"].username).toBe(user.username);
  });

  it("happy flow: an explicit refresh token still works as before, and sets no cookie", async () => {
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    const res = await gw.gql(REFRESH, {
      input: { clientId: client.clientId, refreshToken: tokens.refreshToken },
    });
    expect(res.body.errors).toBeUndefined();
    expect(setCookiesOf(res)).toEqual([]);
  });

  it("error flow: refresh with neither a token nor a cookie is INVALID_REFRESH_TOKEN", async () => {
    const res = await gw.gql(REFRESH, { input: { clientId: client.clientId } });
    expectCode(res, "INVALID_REFRESH_TOKEN");
    expect(res.status).toBe(200);
  });

  it("keeps one cookie per app client: another client's cookie is not used", async () => {
    const other = await createClient(gw);
    const user = await createUser(gw);
    const b = browser(gw);
    await b.signIn(client.clientId, user);
    expectCode(
      await b.gql(REFRESH, { input: { clientId: other.clientId } }),
      "INVALID_REFRESH_TOKEN",
    );
    expect(
      (await b.gql(REFRESH, { input: { clientId: client.clientId } })).body.errors,
    ).toBeUndefined();
  });

  it("happy flow: revoke without a token revokes the cookie's session and clears the cookie", async () => {
    const user = await createUser(gw);
    const b = browser(gw);
    const signIn = await b.signIn(client.clientId, user);
    const access = signIn.body.data?.["signIn"].accessToken as string;
    const res = await b.gql(REVOKE, { input: { clientId: client.clientId } });
    expect(res.body.data?.["revoke"]).toBe(true);
    expect(setCookiesOf(res)).toEqual([
      expect.objectContaining({
        name: cookieName(client.clientId),
        value: "",
        attributes: expect.objectContaining({ "max-age": "0", path: "/", secure: true }),
      }),
    ]);
    expect(b.jar.size).toBe(0);
    // The session's access token is rejected from the next request on.
    const me = await gw.gql(ME, {}, access);
    expect(me.status).toBe(401);
    expectCode(me, "UNAUTHENTICATED");
  });

  it("revoke without a token or cookie answers true (RFC 7009) but still authenticates the client", async () => {
    const res = await gw.gql(REVOKE, { input: { clientId: client.clientId } });
    expect(res.body.data?.["revoke"]).toBe(true);
    expectCode(await gw.gql(REVOKE, { input: { clientId: "nosuchclient" } }), "NOT_AUTHORIZED");
  });

  it("revoke naming another token leaves the browser's cookie alone", async () => {
    const user = await createUser(gw);
    const b = browser(gw);
    await b.signIn(client.clientId, user);
    const other = await signInAs(gw, client, user);
    const res = await b.gql(REVOKE, {
      input: { clientId: client.clientId, token: other.refreshToken },
    });
    expect(res.body.data?.["revoke"]).toBe(true);
    expect(setCookiesOf(res)).toEqual([]);
    expect(
      (await b.gql(REFRESH, { input: { clientId: client.clientId } })).body.errors,
    ).toBeUndefined();
  });

  it("a refresh with a revoked cookie is REFRESH_TOKEN_REVOKED and clears the cookie", async () => {
    const user = await createUser(gw);
    const b = browser(gw);
    const signIn = await b.signIn(client.clientId, user);
    const access = signIn.body.data?.["signIn"].accessToken as string;
    // Signed out elsewhere (another tab's global sign-out, say) with the bearer token only.
    await gw.gql(`mutation { globalSignOut }`, {}, access);
    const res = await b.gql(REFRESH, { input: { clientId: client.clientId } });
    expectCode(res, "REFRESH_TOKEN_REVOKED");
    expect(setCookiesOf(res)).toEqual([
      expect.objectContaining({
        name: cookieName(client.clientId),
        attributes: expect.objectContaining({ "max-age": "0" }),
      }),
    ]);
  });

  it("globalSignOut clears the calling client's cookie", async () => {
    const user = await createUser(gw);
    const b = browser(gw);
    const signIn = await b.signIn(client.clientId, user);
    const res = await b.gql(
      `mutation { globalSignOut }`,
      {},
      signIn.body.data?.["signIn"].accessToken,
    );
    expect(res.body.data?.["globalSignOut"]).toBe(true);
    expect(b.jar.size).toBe(0);
  });

  it("stops CSRF: a form-like text/plain POST carrying the cookie is refused before execution", async () => {
    const user = await createUser(gw);
    const b = browser(gw);
    await b.signIn(client.clientId, user);
    const cookie = b.cookieHeader();
    // What a cross-site <form> or a no-preflight fetch could send: a "simple" request.
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "text/plain", cookie, origin: "https://evil.example" },
      body: JSON.stringify({ query: REVOKE, variables: { input: { clientId: client.clientId } } }),
    });
    expect(res.status).toBe(400); // Apollo's CSRF prevention: a preflighted request is required
    expect(res.headers.getSetCookie()).toEqual([]);
    // The session is untouched.
    expect(
      (await b.gql(REFRESH, { input: { clientId: client.clientId } })).body.errors,
    ).toBeUndefined();
  });

  it("refuses cookie mode to a sign-in from a foreign origin, before any session starts", async () => {
    const user = await createUser(gw);
    const counted = await gw.gateway.metrics.registry
      .getSingleMetric("poolgate_sign_ins_total")!
      .get();
    const before = counted.values.reduce((sum, v) => sum + v.value, 0);
    const res = await gw.gql(
      SIGN_IN,
      {
        input: {
          clientId: client.clientId,
          username: user.username,
          password: user.password,
          cookie: true,
        },
      },
      undefined,
      { origin: "https://evil.example" },
    );
    expectCode(res, "BAD_USER_INPUT");
    expect(setCookiesOf(res)).toEqual([]);
    // Refused before the sign-in ran: it was never counted.
    const signIns = await gw.gateway.metrics.registry
      .getSingleMetric("poolgate_sign_ins_total")!
      .get();
    expect(signIns.values.reduce((sum, v) => sum + v.value, 0)).toBe(before);
  });

  it("ignores the cookie on a request from a foreign origin, uses it from the gateway's own", async () => {
    const user = await createUser(gw);
    const b = browser(gw);
    await b.signIn(client.clientId, user);
    const cookie = b.cookieHeader();
    const attempt = (origin: string) =>
      gw.gql(REFRESH, { input: { clientId: client.clientId } }, undefined, { cookie, origin });
    expectCode(await attempt("https://evil.example"), "INVALID_REFRESH_TOKEN");
    expectCode(await attempt("null"), "INVALID_REFRESH_TOKEN");
    // The Host the request was sent to, and the public issuer URL (behind a TLS proxy).
    expect((await attempt(gw.url)).body.errors).toBeUndefined();
    expect((await attempt("http://localhost:4000")).body.errors).toBeUndefined();
  });
});

describe("cookie mode with refresh-token rotation", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ clock: frozenClock() });
  });
  afterAll(() => gw.close());

  it("a rotated refresh token replaces the cookie; the body never carries it", async () => {
    const client = await createClient(gw, { rotateRefreshTokens: true });
    const user = await createUser(gw);
    const b = browser(gw);
    await b.signIn(client.clientId, user);
    const first = b.jar.get(cookieName(client.clientId));
    const res = await b.gql(REFRESH, { input: { clientId: client.clientId } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.["refresh"].refreshToken).toBeNull();
    const second = b.jar.get(cookieName(client.clientId));
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    expect(setCookiesOf(res)[0]?.attributes).toMatchObject({
      "max-age": String(30 * 86400),
      httponly: true,
    });
    // After the reuse grace, the old token is reuse: the whole session is revoked.
    gw.clock!.advance(61_000);
    const reuse = await gw.gql(REFRESH, {
      input: { clientId: client.clientId, refreshToken: first },
    });
    expectCode(reuse, "REFRESH_TOKEN_REVOKED");
    expectCode(
      await b.gql(REFRESH, { input: { clientId: client.clientId } }),
      "REFRESH_TOKEN_REVOKED",
    );
  });
});

describe("POOLGATE_DANGEROUSLY_INSECURE_COOKIES", () => {
  it("in development: the cookie drops the __Host- prefix and Secure, and still works", async () => {
    const gw = await startGateway({ env: { POOLGATE_DANGEROUSLY_INSECURE_COOKIES: "true" } });
    try {
      const client = await createClient(gw);
      const user = await createUser(gw);
      const b = browser(gw);
      const res = await b.signIn(client.clientId, user);
      const [cookie] = setCookiesOf(res);
      expect(cookie?.name).toBe(`poolgate-refresh-${client.clientId}`);
      expect(cookie?.attributes).toEqual({
        "max-age": String(30 * 86400),
        path: "/",
        httponly: true,
        samesite: "Strict",
      });
      expect(
        (await b.gql(REFRESH, { input: { clientId: client.clientId } })).body.errors,
      ).toBeUndefined();
    } finally {
      await gw.close();
    }
  });

  it("is refused in production", () => {
    let thrown: unknown;
    try {
      loadConfig({
        POOLGATE_ENV: "production",
        POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
        POOLGATE_DANGEROUSLY_INSECURE_COOKIES: "true",
      });
    } catch (err) {
      thrown = err;
    }
    expect(isPoolgateError(thrown) && thrown.code).toBe("BAD_USER_INPUT");
    expect(String((thrown as Error).message)).toContain("POOLGATE_DANGEROUSLY_INSECURE_COOKIES");
  });
});
