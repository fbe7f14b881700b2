/**
 * Interop with openid-client v6 (panva), a certified relying-party library nobody on this
 * project wrote: discovery, the client-credentials and refresh-token grants, revocation,
 * userinfo and introspection, each over real HTTP against a real gateway.
 *
 * openid-client checks that the discovered `issuer` equals the URL it was given and that
 * every token response's ID token has that `iss`, so the gateway must run with its own URL
 * as POOLGATE_ISSUER: we pick a free loopback port first and start the gateway on it. The
 * library refuses plain-HTTP servers unless told otherwise (`allowInsecureRequests`); the
 * gateway runs on loopback http here, TLS being the reverse proxy's job in production.
 */
import * as client from "openid-client";
import {
  claimsOf,
  createClient,
  createUser,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { freePort } from "../support/ports";

type Client = { clientId: string; clientSecret: string | undefined };

/**
 * How openid-client surfaces a refusal: a ResponseBodyError carrying the RFC 6749 body, or,
 * for a 401 with a WWW-Authenticate header, a WWWAuthenticateChallengeError carrying the
 * parsed challenges (the body is still unread on its `response`).
 */
interface Refusal {
  status: number;
  /** `error` of the JSON body. */
  error: string | undefined;
  body: any;
  /** Lower-cased scheme and `error` parameter of the first WWW-Authenticate challenge. */
  challenge?: { scheme: string; error: string | undefined };
}

async function refusalOf(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof client.ResponseBodyError) {
      return { status: err.status, error: err.error, body: err.cause };
    }
    if (err instanceof client.WWWAuthenticateChallengeError) {
      const body = (await err.response.json()) as any;
      const first = err.cause[0];
      return {
        status: err.status,
        error: body?.error,
        body,
        ...(first ? { challenge: { scheme: first.scheme, error: first.parameters.error } } : {}),
      };
    }
    throw err;
  }
  throw new Error("expected the request to fail");
}

describe("openid-client v6 against poolgate", () => {
  let gw: TestGateway;
  let issuer: string;
  /** Confidential machine client, allowed orders/read and orders/write. */
  let machine: Client;
  /** Public client for user sign-ins. */
  let web: Client;
  /** Confidential client for user sign-ins. */
  let confidentialWeb: Client;
  let user: { sub: string; username: string; password: string };

  /** Discovery from the issuer URL; the client authenticates with `auth` (its secret lives there). */
  const discover = (c: Client, auth: client.ClientAuth) =>
    client.discovery(new URL(issuer), c.clientId, undefined, auth, {
      execute: [client.allowInsecureRequests],
    });

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    gw = await startGateway({ env: { POOLGATE_PORT: String(port), POOLGATE_ISSUER: issuer } });
    expect(gw.url).toBe(issuer);
    const now = gw.pool.deps.now();
    await gw.pool.resourceServers.create({ id: "orders", scopes: ["read", "write"] }, now);
    machine = await createClient(gw, {
      generateSecret: true,
      allowedScopes: ["orders/read", "orders/write"],
    });
    web = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
    confidentialWeb = await createClient(gw, {
      generateSecret: true,
      allowedScopes: ["openid", "email", "profile", "orders/read"],
    });
    user = await createUser(gw, {
      attributes: { email: "oc@example.com", email_verified: "true", "custom:team": "blue" },
      groups: ["readers"],
    });
  });
  afterAll(() => gw.close());

  it("discovery: reads every endpoint of the gateway", async () => {
    const config = await discover(machine, client.ClientSecretBasic(machine.clientSecret!));
    const meta = config.serverMetadata();
    expect(meta).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/oauth2/token`,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      userinfo_endpoint: `${issuer}/oauth2/userInfo`,
      introspection_endpoint: `${issuer}/oauth2/introspect`,
    });
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(["client_credentials", "refresh_token"]),
    );
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(["openid", "orders/read", "orders/write"]),
    );
  });

  it("client-credentials grant with ClientSecretBasic: the default scopes and an explicit one", async () => {
    const config = await discover(machine, client.ClientSecretBasic(machine.clientSecret!));
    const all = await client.clientCredentialsGrant(config);
    expect(all.token_type.toLowerCase()).toBe("bearer");
    expect(all.expiresIn()).toBeGreaterThan(3590);
    expect(claimsOf(all.access_token)).toMatchObject({
      sub: machine.clientId,
      client_id: machine.clientId,
      token_use: "access",
      iss: issuer,
    });
    expect(claimsOf(all.access_token)["scope"].split(" ").sort()).toEqual([
      "orders/read",
      "orders/write",
    ]);

    const one = await client.clientCredentialsGrant(config, { scope: "orders/write" });
    expect(claimsOf(one.access_token)["scope"]).toBe("orders/write");
  });

  it("client-credentials grant with ClientSecretPost", async () => {
    const config = await discover(machine, client.ClientSecretPost(machine.clientSecret!));
    const result = await client.clientCredentialsGrant(config, { scope: "orders/read" });
    expect(claimsOf(result.access_token)["scope"]).toBe("orders/read");
  });

  it("client-credentials grant: the library surfaces invalid_scope, unauthorized_client and invalid_client", async () => {
    const config = await discover(machine, client.ClientSecretBasic(machine.clientSecret!));
    expect(
      await refusalOf(client.clientCredentialsGrant(config, { scope: "openid" })),
    ).toMatchObject({
      error: "invalid_scope",
      status: 400,
    });
    const publicConfig = await discover(web, client.None());
    expect(await refusalOf(client.clientCredentialsGrant(publicConfig))).toMatchObject({
      error: "unauthorized_client",
      status: 400,
    });
    const wrong = await discover(machine, client.ClientSecretBasic("wrong-secret"));
    expect(await refusalOf(client.clientCredentialsGrant(wrong))).toMatchObject({
      error: "invalid_client",
      status: 401,
      challenge: { scheme: "basic" },
    });
  });

  it("refresh-token grant (None) with a refresh token from a GraphQL signIn; the ID token passes its checks", async () => {
    const tokens = await signInAs(gw, web, user);
    const config = await discover(web, client.None());
    const result = await client.refreshTokenGrant(config, tokens.refreshToken);
    // openid-client validated the ID token's iss, aud, exp and iat before returning it.
    const idClaims = result.claims();
    expect(idClaims).toMatchObject({
      iss: issuer,
      aud: web.clientId,
      sub: user.sub,
      token_use: "id",
      email: "oc@example.com",
    });
    expect(result.refresh_token).toBeUndefined();
    expect(claimsOf(result.access_token)["origin_jti"]).toBe(
      claimsOf(tokens.accessToken)["origin_jti"],
    );
  });

  it("refresh-token grant with ClientSecretBasic, and invalid_grant with poolgate_code for a revoked token", async () => {
    const tokens = await signInAs(gw, confidentialWeb, user);
    const config = await discover(
      confidentialWeb,
      client.ClientSecretBasic(confidentialWeb.clientSecret!),
    );
    const result = await client.refreshTokenGrant(config, tokens.refreshToken);
    expect(result.claims()?.sub).toBe(user.sub);

    await client.tokenRevocation(config, tokens.refreshToken);
    const failure = await refusalOf(client.refreshTokenGrant(config, tokens.refreshToken));
    expect(failure).toMatchObject({ error: "invalid_grant", status: 400 });
    expect(failure.body.poolgate_code).toBe("REFRESH_TOKEN_REVOKED");
  });

  it("refresh-token grant on a rotating client returns the next refresh token", async () => {
    const rotating = await createClient(gw, {
      allowedScopes: ["openid"],
      rotateRefreshTokens: true,
    });
    const tokens = await signInAs(gw, rotating, user);
    const config = await discover(rotating, client.None());
    const first = await client.refreshTokenGrant(config, tokens.refreshToken);
    expect(first.refresh_token).toEqual(expect.any(String));
    const second = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(second.claims()?.sub).toBe(user.sub);
  });

  it("revocation (None): the session's access token stops working on GraphQL", async () => {
    const tokens = await signInAs(gw, web, user);
    const config = await discover(web, client.None());
    await client.tokenRevocation(config, tokens.refreshToken);
    expect((await gw.gql(`{ me { sub } }`, {}, tokens.accessToken)).status).toBe(401);
    // RFC 7009 §2.2: revoking again is fine.
    await expect(client.tokenRevocation(config, tokens.refreshToken)).resolves.toBeUndefined();
  });

  it("revocation of an access token is refused with unsupported_token_type", async () => {
    const tokens = await signInAs(gw, web, user);
    const config = await discover(web, client.None());
    const failure = await refusalOf(
      client.tokenRevocation(config, tokens.accessToken, { token_type_hint: "access_token" }),
    );
    expect(failure).toMatchObject({ error: "unsupported_token_type", status: 400 });
  });

  it("userinfo: the claims of the signed-in user, checked against the expected sub", async () => {
    const tokens = await signInAs(gw, web, user);
    const config = await discover(web, client.None());
    const info = await client.fetchUserInfo(config, tokens.accessToken, user.sub);
    expect(info).toMatchObject({
      sub: user.sub,
      username: user.username,
      email: "oc@example.com",
      email_verified: true,
      "custom:team": "blue",
      "cognito:groups": ["readers"],
    });
    // The library itself rejects a response for another subject.
    await expect(
      client.fetchUserInfo(config, tokens.accessToken, "someone-else"),
    ).rejects.toThrow();
  });

  it("userinfo: a revoked access token surfaces as a Bearer invalid_token challenge", async () => {
    const tokens = await signInAs(gw, web, user);
    const config = await discover(web, client.None());
    await client.tokenRevocation(config, tokens.refreshToken);
    const failure = await refusalOf(client.fetchUserInfo(config, tokens.accessToken, user.sub));
    expect(failure).toMatchObject({
      error: "invalid_token",
      status: 401,
      challenge: { scheme: "bearer", error: "invalid_token" },
    });
  });

  it("introspection (ClientSecretBasic and ClientSecretPost): active, then inactive after revocation", async () => {
    const tokens = await signInAs(gw, web, user);
    const basic = await discover(machine, client.ClientSecretBasic(machine.clientSecret!));
    const post = await discover(machine, client.ClientSecretPost(machine.clientSecret!));

    const access = await client.tokenIntrospection(basic, tokens.accessToken);
    expect(access).toMatchObject({
      active: true,
      sub: user.sub,
      client_id: web.clientId,
      token_use: "access",
    });
    const refresh = await client.tokenIntrospection(post, tokens.refreshToken, {
      token_type_hint: "refresh_token",
    });
    expect(refresh).toMatchObject({ active: true, sub: user.sub, client_id: web.clientId });

    await client.tokenRevocation(await discover(web, client.None()), tokens.refreshToken);
    expect((await client.tokenIntrospection(basic, tokens.accessToken)).active).toBe(false);
    expect((await client.tokenIntrospection(post, tokens.refreshToken)).active).toBe(false);
  });

  it("introspection of a machine token issued through the library", async () => {
    const config = await discover(machine, client.ClientSecretBasic(machine.clientSecret!));
    const { access_token } = await client.clientCredentialsGrant(config, { scope: "orders/read" });
    expect(await client.tokenIntrospection(config, access_token)).toMatchObject({
      active: true,
      sub: machine.clientId,
      client_id: machine.clientId,
      scope: "orders/read",
    });
  });
});
