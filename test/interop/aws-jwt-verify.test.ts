/**
 * Interop with aws-jwt-verify v5 (awslabs), the verifier code written for Cognito uses:
 *
 * - `JwtVerifier` with `issuer` and `jwksUri` pointed at poolgate verifies ID, access and
 *   machine tokens, fetching the JWKS over real HTTP from the gateway. The library's default
 *   fetcher is HTTPS-only (Node's `https.request`: `Protocol "http:" not supported`), and the
 *   gateway runs on loopback http here, so the test plugs a `Fetcher` — the library's own
 *   extension point (`new SimpleJwksCache({ fetcher })`) — that does a plain `fetch` of the
 *   same URI. Everything else (JWKS parsing, key selection, signature and claim checks) is
 *   the library's.
 * - `CognitoJwtVerifier` with a gateway whose issuer is in Cognito's form
 *   (`https://cognito-idp.<region>.amazonaws.com/<poolId>`) and the JWKS handed over with
 *   `cacheJwks`: accepts ID and access tokens with `tokenUse`, `clientId`, `groups` and
 *   `scope` checks, and rejects what those checks exist to reject.
 */
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { Fetcher } from "aws-jwt-verify/https";
import type { Jwks } from "aws-jwt-verify/jwk";
import type { CognitoVerifyProperties } from "aws-jwt-verify/cognito-verifier";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidGroupError,
  CognitoJwtInvalidTokenUseError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidScopeError,
  KidNotFoundInJwksError,
} from "aws-jwt-verify/error";
import {
  claimsOf,
  createClient,
  createUser,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

type Client = { clientId: string; clientSecret: string | undefined };

/** A Fetcher over plain `fetch` that records the URIs it fetched. */
function recordingFetcher(): Fetcher & { uris: string[] } {
  const uris: string[] = [];
  return {
    uris,
    async fetch(uri: string) {
      uris.push(uri);
      const res = await fetch(uri);
      if (res.status !== 200) throw new Error(`JWKS fetch failed: ${res.status}`);
      return res.arrayBuffer();
    },
  };
}

async function clientCredentials(gw: TestGateway, client: Client, scope?: string): Promise<string> {
  const res = await fetch(`${gw.url}/oauth2/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      ...(scope ? { scope } : {}),
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

describe("aws-jwt-verify JwtVerifier with issuer and jwksUri pointed at poolgate", () => {
  let gw: TestGateway;
  let web: Client;
  let machine: Client;
  let user: { sub: string; username: string; password: string };

  beforeAll(async () => {
    gw = await startGateway();
    await gw.pool.resourceServers.create({ id: "orders", scopes: ["read"] }, gw.pool.deps.now());
    web = await createClient(gw, { allowedScopes: ["openid", "email", "orders/read"] });
    machine = await createClient(gw, { generateSecret: true, allowedScopes: ["orders/read"] });
    user = await createUser(gw, { attributes: { email: "ajv@example.com" } });
  });
  afterAll(() => gw.close());

  const verifierFor = (fetcher: Fetcher, audience: string | null = null) =>
    JwtVerifier.create(
      { issuer: gw.config.issuer, jwksUri: `${gw.url}/.well-known/jwks.json`, audience },
      { jwksCache: new SimpleJwksCache({ fetcher }) },
    );

  it("happy flow: verifies an access token and an ID token, fetching the JWKS from jwksUri", async () => {
    const fetcher = recordingFetcher();
    const verifier = verifierFor(fetcher);
    const tokens = await signInAs(gw, web, user);

    const access = await verifier.verify(tokens.accessToken);
    expect(access).toMatchObject({ sub: user.sub, token_use: "access", client_id: web.clientId });
    const id = await verifier.verify(tokens.idToken);
    expect(id).toMatchObject({
      sub: user.sub,
      token_use: "id",
      aud: web.clientId,
      email: "ajv@example.com",
    });
    expect(fetcher.uris).toEqual([`${gw.url}/.well-known/jwks.json`]);
  });

  it("happy flow: verifies a machine-to-machine token, with a scope check", async () => {
    const verifier = JwtVerifier.create(
      {
        issuer: gw.config.issuer,
        jwksUri: `${gw.url}/.well-known/jwks.json`,
        audience: null,
        scope: "orders/read",
      },
      { jwksCache: new SimpleJwksCache({ fetcher: recordingFetcher() }) },
    );
    const token = await clientCredentials(gw, machine, "orders/read");
    expect(await verifier.verify(token)).toMatchObject({
      sub: machine.clientId,
      client_id: machine.clientId,
      token_use: "access",
      scope: "orders/read",
    });
  });

  it("happy flow: checks the ID token's audience when one is configured", async () => {
    const tokens = await signInAs(gw, web, user);
    await expect(
      verifierFor(recordingFetcher(), web.clientId).verify(tokens.idToken),
    ).resolves.toMatchObject({
      aud: web.clientId,
    });
    await expect(
      verifierFor(recordingFetcher(), "another-client").verify(tokens.idToken),
    ).rejects.toBeInstanceOf(JwtInvalidAudienceError);
  });

  it("error flow: rejects a token for another issuer", async () => {
    const tokens = await signInAs(gw, web, user);
    const verifier = JwtVerifier.create(
      {
        issuer: "https://someone-else.example",
        jwksUri: `${gw.url}/.well-known/jwks.json`,
        audience: null,
      },
      { jwksCache: new SimpleJwksCache({ fetcher: recordingFetcher() }) },
    );
    await expect(verifier.verify(tokens.accessToken)).rejects.toBeInstanceOf(JwtInvalidIssuerError);
  });
});

describe("aws-jwt-verify CognitoJwtVerifier with a Cognito-form issuer and cacheJwks", () => {
  const userPoolId = "eu-west-1_Test";
  const issuer = `https://cognito-idp.eu-west-1.amazonaws.com/${userPoolId}`;
  let gw: TestGateway;
  let jwks: Jwks;
  let web: Client;
  let machine: Client;
  let admin: { sub: string; username: string; password: string };
  let reader: { sub: string; username: string; password: string };

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_ISSUER: issuer } });
    await gw.pool.resourceServers.create(
      { id: "orders", scopes: ["read", "write"] },
      gw.pool.deps.now(),
    );
    web = await createClient(gw, { allowedScopes: ["openid", "email", "profile", "orders/read"] });
    machine = await createClient(gw, {
      generateSecret: true,
      allowedScopes: ["orders/read", "orders/write"],
    });
    admin = await createUser(gw, { groups: ["admins"] });
    reader = await createUser(gw, { groups: ["readers"] });
    const res = await fetch(`${gw.url}/.well-known/jwks.json`);
    jwks = (await res.json()) as Jwks;
  });
  afterAll(() => gw.close());

  /** A verifier with the gateway's JWKS cached: it never goes to the network. */
  function cognitoVerifier(props: { userPoolId: string } & CognitoVerifyProperties) {
    const verifier = CognitoJwtVerifier.create(props);
    verifier.cacheJwks(jwks);
    return verifier;
  }

  it("issues tokens whose iss is the Cognito-form issuer", async () => {
    const tokens = await signInAs(gw, web, admin);
    expect(claimsOf(tokens.accessToken)["iss"]).toBe(issuer);
    expect(claimsOf(tokens.idToken)["iss"]).toBe(issuer);
  });

  it("happy flow: accepts an access token with tokenUse, clientId, groups and scope checks", async () => {
    const tokens = await signInAs(gw, web, admin);
    const verifier = cognitoVerifier({
      userPoolId,
      tokenUse: "access",
      clientId: web.clientId,
      groups: "admins",
      scope: "orders/read",
    });
    const payload = await verifier.verify(tokens.accessToken);
    expect(payload).toMatchObject({
      sub: admin.sub,
      token_use: "access",
      client_id: web.clientId,
      username: admin.username,
      "cognito:groups": ["admins"],
    });
    // verifySync works from the cache alone.
    expect(verifier.verifySync(tokens.accessToken).sub).toBe(admin.sub);
  });

  it("happy flow: accepts an ID token with tokenUse, clientId (aud) and groups checks", async () => {
    const tokens = await signInAs(gw, web, admin);
    const verifier = cognitoVerifier({
      userPoolId,
      tokenUse: "id",
      clientId: web.clientId,
      groups: "admins",
    });
    expect(await verifier.verify(tokens.idToken)).toMatchObject({
      sub: admin.sub,
      token_use: "id",
      aud: web.clientId,
      "cognito:username": admin.username,
    });
  });

  it("happy flow: accepts either token kind with tokenUse null and a list of client ids", async () => {
    const tokens = await signInAs(gw, web, reader);
    const verifier = cognitoVerifier({
      userPoolId,
      tokenUse: null,
      clientId: [machine.clientId, web.clientId],
    });
    expect((await verifier.verify(tokens.accessToken)).token_use).toBe("access");
    expect((await verifier.verify(tokens.idToken)).token_use).toBe("id");
  });

  it("happy flow: accepts a machine-to-machine token with clientId and scope checks", async () => {
    const token = await clientCredentials(gw, machine, "orders/write");
    const verifier = cognitoVerifier({
      userPoolId,
      tokenUse: "access",
      clientId: machine.clientId,
      scope: ["orders/write"],
    });
    expect(await verifier.verify(token)).toMatchObject({
      sub: machine.clientId,
      scope: "orders/write",
    });
  });

  it("error flow: rejects a wrong clientId", async () => {
    const tokens = await signInAs(gw, web, admin);
    const access = cognitoVerifier({ userPoolId, tokenUse: "access", clientId: machine.clientId });
    const id = cognitoVerifier({ userPoolId, tokenUse: "id", clientId: machine.clientId });
    await expect(access.verify(tokens.accessToken)).rejects.toBeInstanceOf(
      CognitoJwtInvalidClientIdError,
    );
    await expect(id.verify(tokens.idToken)).rejects.toBeInstanceOf(CognitoJwtInvalidClientIdError);
  });

  it("error flow: rejects a user without the required group", async () => {
    const tokens = await signInAs(gw, web, reader);
    const verifier = cognitoVerifier({
      userPoolId,
      tokenUse: "access",
      clientId: web.clientId,
      groups: "admins",
    });
    await expect(verifier.verify(tokens.accessToken)).rejects.toBeInstanceOf(
      CognitoJwtInvalidGroupError,
    );
    const idVerifier = cognitoVerifier({
      userPoolId,
      tokenUse: "id",
      clientId: web.clientId,
      groups: "admins",
    });
    await expect(idVerifier.verify(tokens.idToken)).rejects.toBeInstanceOf(
      CognitoJwtInvalidGroupError,
    );
  });

  it("error flow: rejects an access token without the required scope", async () => {
    const tokens = await signInAs(gw, web, admin, ["openid", "email"]);
    expect(claimsOf(tokens.accessToken)["scope"]).not.toContain("orders/read");
    const verifier = cognitoVerifier({
      userPoolId,
      tokenUse: "access",
      clientId: web.clientId,
      scope: "orders/read",
    });
    await expect(verifier.verify(tokens.accessToken)).rejects.toBeInstanceOf(JwtInvalidScopeError);
  });

  it("error flow: rejects an ID token where an access token is expected (and the reverse)", async () => {
    const tokens = await signInAs(gw, web, admin);
    const access = cognitoVerifier({ userPoolId, tokenUse: "access", clientId: web.clientId });
    await expect(access.verify(tokens.idToken)).rejects.toBeInstanceOf(
      CognitoJwtInvalidTokenUseError,
    );
    const id = cognitoVerifier({ userPoolId, tokenUse: "id", clientId: web.clientId });
    await expect(id.verify(tokens.accessToken)).rejects.toBeInstanceOf(
      CognitoJwtInvalidTokenUseError,
    );
  });

  it("error flow: rejects a token signed by another gateway with the same issuer (unknown kid)", async () => {
    const other = await startGateway({ env: { POOLGATE_ISSUER: issuer } });
    try {
      const client = await createClient(other);
      const tokens = await signInAs(other, client, await createUser(other));
      const verifier = cognitoVerifier({
        userPoolId,
        tokenUse: "access",
        clientId: client.clientId,
      });
      // verifySync: the cached JWKS only (verify() would try to refetch from AWS).
      expect(() => verifier.verifySync(tokens.accessToken)).toThrow(KidNotFoundInJwksError);
    } finally {
      await other.close();
    }
  });
});
