/**
 * The authorization code flow with PKCE through openid-client v6, as a relying party runs it:
 * discovery, buildAuthorizationUrl, the hosted sign-in pages driven over HTTP (forms, cookies,
 * redirects: test/support/hostedBrowser.ts), authorizationCodeGrant with its checks of state,
 * nonce, PKCE and RFC 9207's `iss`, refresh, and buildEndSessionUrl. openid-client validates
 * every ID token (signature through the JWKS, iss, aud, nonce, at_hash? — it checks what the
 * specification asks of a code-flow ID token), so a wrong claim fails here, not in our asserts.
 */
import * as client from "openid-client";
import { claimsOf, createClient, createUser, startGateway, type TestGateway } from "../harness";
import { alertOf, HostedBrowser, stepOf } from "../support/hostedBrowser";
import { freePort } from "../support/ports";

const CALLBACK = "https://app.example.com/callback";
const SIGNED_OUT = "https://app.example.com/signed-out";

describe("openid-client v6: authorization code flow with PKCE", () => {
  let gw: TestGateway;
  let issuer: string;
  let spa: { clientId: string };
  let web: { clientId: string; clientSecret: string };
  let user: { sub: string; username: string; password: string };

  const discover = (clientId: string, auth: client.ClientAuth) =>
    client.discovery(new URL(issuer), clientId, undefined, auth, {
      execute: [client.allowInsecureRequests],
    });

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    gw = await startGateway({ env: { POOLGATE_PORT: String(port), POOLGATE_ISSUER: issuer } });
    spa = await createClient(gw, {
      allowedScopes: ["openid", "email", "profile"],
      callbackUrls: [CALLBACK],
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
    user = await createUser(gw, {
      attributes: { email: "code@example.com", email_verified: "true" },
    });
  });
  afterAll(() => gw.close());

  /** Authorize → the hosted sign-in form → the password → back at the callback. */
  async function signInThroughPages(browser: HostedBrowser, authorizationUrl: URL): Promise<URL> {
    const first = await browser.follow(authorizationUrl.toString());
    if (first.left) return new URL(first.left);
    expect(first.page.status).toBe(200);
    expect(stepOf(first.page)).toBe("sign-in");
    const done = await browser.submit(first.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(alertOf(done.page)).toBeUndefined();
    expect(done.left).toBeDefined();
    return new URL(done.left!);
  }

  it("discovery advertises the authorization and end-session endpoints, S256 and iss", async () => {
    const config = await discover(spa.clientId, client.None());
    expect(config.serverMetadata()).toMatchObject({
      authorization_endpoint: `${issuer}/oauth2/authorize`,
      end_session_endpoint: `${issuer}/logout`,
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it("a public client signs a user in: code, tokens with nonce and at_hash, refresh, end session", async () => {
    const config = await discover(spa.clientId, client.None());
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: "openid email",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    const browser = new HostedBrowser(issuer);
    const callback = await signInThroughPages(browser, url);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get("iss")).toBe(issuer);
    expect(callback.searchParams.get("state")).toBe(state);

    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const id = tokens.claims()!;
    expect(id).toMatchObject({ sub: user.sub, aud: spa.clientId, nonce, token_use: "id" });
    expect(typeof id["at_hash"]).toBe("string");
    expect(claimsOf(tokens.access_token)).toMatchObject({
      sub: user.sub,
      client_id: spa.clientId,
      scope: "openid email",
    });
    expect(tokens.refresh_token).toBeDefined();

    // The access token works at the gateway like any other.
    const me = await gw.gql(`{ me { sub email } }`, {}, tokens.access_token);
    expect(me.body.data).toEqual({ me: { sub: user.sub, email: "code@example.com" } });

    // Refresh: the session is like every other session's.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(claimsOf(refreshed.access_token)["origin_jti"]).toBe(
      claimsOf(tokens.access_token)["origin_jti"],
    );
    expect(claimsOf(refreshed.id_token!)["auth_time"]).toBe(id["auth_time"]);

    // A second authorization with the live hosted session skips the form.
    const again = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: "openid",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    const skipped = await browser.follow(again.toString());
    expect(skipped.left).toBeDefined();
    expect(new URL(skipped.left!).searchParams.get("code")).toBeTruthy();

    // End session: back to the registered sign-out URL with the state; the hosted session is over.
    const end = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: SIGNED_OUT,
      state: "bye",
    });
    const out = await browser.follow(end.toString());
    expect(out.left).toBe(`${SIGNED_OUT}?state=bye`);
    const afterLogout = await browser.follow(again.toString());
    expect(afterLogout.left).toBeUndefined();
    expect(stepOf(afterLogout.page)).toBe("sign-in");
  });

  it("a confidential client exchanges its code with its secret (PKCE optional for it)", async () => {
    const config = await discover(web.clientId, client.ClientSecretBasic(web.clientSecret));
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: "openid email",
      state,
    });
    const callback = await signInThroughPages(new HostedBrowser(issuer), url);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      expectedState: state,
      idTokenExpected: true,
    });
    expect(tokens.claims()).toMatchObject({ sub: user.sub, aud: web.clientId });
  });

  it("a wrong password shows the form again with the error, and nothing leaves for the client", async () => {
    const config = await discover(spa.clientId, client.None());
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: "openid",
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const browser = new HostedBrowser(issuer);
    const first = await browser.follow(url.toString());
    const wrong = await browser.submit(first.page, "sign-in", {
      username: user.username,
      password: "not-the-password",
    });
    expect(wrong.left).toBeUndefined();
    expect(wrong.page.status).toBe(400);
    expect(stepOf(wrong.page)).toBe("sign-in");
    expect(alertOf(wrong.page)).toBe("Incorrect username or password.");
  });
});
