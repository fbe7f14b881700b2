/**
 * Every claim of the ID and access tokens and its presence rule (DESIGN §2), checked on real
 * tokens from a real sign-in, and verified against the gateway's own JWKS and discovery
 * document the way a Cognito client (or a subgraph) would.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import {
  claimsOf,
  createClient,
  createUser,
  frozenClock,
  headerOf,
  REFRESH,
  signInAs,
  startGateway,
  type TestClock,
  type TestGateway,
  type Tokens,
} from "../harness";

const ACCESS_SECONDS = 900;
const ID_SECONDS = 1800;
const PROFILE_CLAIMS = [
  "email",
  "email_verified",
  "phone_number",
  "phone_number_verified",
  "name",
  "given_name",
  "family_name",
];
const PRIVATE_JWK_PARAMS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Client = { clientId: string; clientSecret: string | undefined };
type User = { sub: string; username: string; password: string };

async function fetchJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe("token claims (default issuer)", () => {
  let gw: TestGateway;
  let clock: TestClock;
  let client: Client;
  let jwks: JWTVerifyGetKey;
  /** A user with every profile attribute, custom attributes and two groups. */
  let full: User;
  let fullTokens: Tokens;
  /** A user with no attributes and no groups. */
  let bare: User;
  let bareTokens: Tokens;
  let signedInAtSeconds: number;

  beforeAll(async () => {
    clock = frozenClock();
    gw = await startGateway({ clock });
    jwks = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
    client = await createClient(gw, {
      accessTokenValiditySeconds: ACCESS_SECONDS,
      idTokenValiditySeconds: ID_SECONDS,
    });
    full = await createUser(gw, {
      attributes: {
        email: "ada@example.com",
        email_verified: "true",
        phone_number: "+15555550100",
        phone_number_verified: "false",
        name: "Ada Lovelace",
        given_name: "Ada",
        family_name: "Lovelace",
        "custom:tier": "gold",
        "custom:level": "7",
      },
      groups: ["staff", "editors"],
    });
    bare = await createUser(gw);
    signedInAtSeconds = Math.floor(clock.now() / 1000);
    fullTokens = await signInAs(gw, client, full);
    bareTokens = await signInAs(gw, client, bare);
  });
  afterAll(() => gw.close());

  describe("ID token", () => {
    it("has the header {alg: RS256, kid, typ: JWT} with a kid published in the JWKS", async () => {
      const header = headerOf(fullTokens.idToken);
      expect(header).toEqual({ alg: "RS256", kid: expect.any(String), typ: "JWT" });
      const { body } = await fetchJson(`${gw.url}/.well-known/jwks.json`);
      expect(body.keys.map((k: { kid: string }) => k.kid)).toContain(header["kid"]);
    });

    it("carries sub, aud = client id, iss = the configured issuer and token_use id", () => {
      expect(claimsOf(fullTokens.idToken)).toMatchObject({
        sub: full.sub,
        aud: client.clientId,
        iss: gw.config.issuer,
        token_use: "id",
      });
      expect(gw.config.issuer).toBe("http://localhost:4000");
    });

    it("carries cognito:username and, for a user in groups, cognito:groups", () => {
      const claims = claimsOf(fullTokens.idToken);
      expect(claims["cognito:username"]).toBe(full.username);
      expect([...claims["cognito:groups"]].sort()).toEqual(["editors", "staff"]);
    });

    it("has auth_time and iat at the sign-in and exp = iat + the client's ID-token lifetime", () => {
      const claims = claimsOf(fullTokens.idToken);
      expect(claims["iat"]).toBe(signedInAtSeconds);
      expect(claims["auth_time"]).toBe(signedInAtSeconds);
      expect(claims["exp"]).toBe(claims["iat"] + ID_SECONDS);
    });

    it("has jti, origin_jti and event_id as UUIDs", () => {
      const claims = claimsOf(fullTokens.idToken);
      expect(claims["jti"]).toMatch(UUID);
      expect(claims["origin_jti"]).toMatch(UUID);
      expect(claims["event_id"]).toMatch(UUID);
    });

    it("carries the profile claims that are set, with *_verified as booleans", () => {
      expect(claimsOf(fullTokens.idToken)).toMatchObject({
        email: "ada@example.com",
        email_verified: true,
        phone_number: "+15555550100",
        phone_number_verified: false,
        name: "Ada Lovelace",
        given_name: "Ada",
        family_name: "Lovelace",
      });
    });

    it("carries custom:* attributes as strings, even when they look like numbers", () => {
      const claims = claimsOf(fullTokens.idToken);
      expect(claims["custom:tier"]).toBe("gold");
      expect(claims["custom:level"]).toBe("7");
    });

    it("omits every profile claim that is not set, and cognito:groups for a user without groups", () => {
      const claims = claimsOf(bareTokens.idToken);
      for (const name of [...PROFILE_CLAIMS, "cognito:groups"])
        expect(Object.keys(claims)).not.toContain(name);
      expect(Object.keys(claims).filter((c) => c.startsWith("custom:"))).toEqual([]);
      expect(claims).toMatchObject({
        sub: bare.sub,
        "cognito:username": bare.username,
        aud: client.clientId,
        token_use: "id",
      });
    });

    it("omits email_verified and phone_number when only email is set", async () => {
      const user = await createUser(gw, { attributes: { email: "partial@example.com" } });
      const claims = claimsOf((await signInAs(gw, client, user)).idToken);
      expect(claims["email"]).toBe("partial@example.com");
      expect(Object.keys(claims)).not.toContain("email_verified");
      expect(Object.keys(claims)).not.toContain("phone_number");
    });

    it("verifies against the gateway's JWKS with the issuer and the client id as audience", async () => {
      const { payload, protectedHeader } = await jwtVerify(fullTokens.idToken, jwks, {
        issuer: gw.config.issuer,
        audience: client.clientId,
        algorithms: ["RS256"],
        currentDate: new Date(clock.now()),
      });
      expect(protectedHeader.alg).toBe("RS256");
      expect(payload.sub).toBe(full.sub);
    });
  });

  describe("access token", () => {
    it("has the header {alg: RS256, kid} with a kid published in the JWKS", async () => {
      const header = headerOf(fullTokens.accessToken);
      expect(header).toMatchObject({ alg: "RS256", kid: expect.any(String) });
      const { body } = await fetchJson(`${gw.url}/.well-known/jwks.json`);
      expect(body.keys.map((k: { kid: string }) => k.kid)).toContain(header["kid"]);
    });

    it("carries sub, client_id, iss, token_use access and username", () => {
      expect(claimsOf(fullTokens.accessToken)).toMatchObject({
        sub: full.sub,
        client_id: client.clientId,
        iss: gw.config.issuer,
        token_use: "access",
        username: full.username,
      });
    });

    it("has no aud claim (Cognito access tokens are told apart by client_id)", () => {
      expect(Object.keys(claimsOf(fullTokens.accessToken))).not.toContain("aud");
      expect(Object.keys(claimsOf(bareTokens.accessToken))).not.toContain("aud");
    });

    it("carries the granted scopes space-separated", () => {
      const scope = claimsOf(fullTokens.accessToken)["scope"];
      expect(scope).toMatch(/^\S+( \S+)*$/);
      expect(String(scope).split(" ").sort()).toEqual([
        "aws.cognito.signin.user.admin",
        "email",
        "openid",
        "profile",
      ]);
    });

    it("has auth_time and iat at the sign-in and exp = iat + the client's access-token lifetime", () => {
      const claims = claimsOf(fullTokens.accessToken);
      expect(claims["iat"]).toBe(signedInAtSeconds);
      expect(claims["auth_time"]).toBe(signedInAtSeconds);
      expect(claims["exp"]).toBe(claims["iat"] + ACCESS_SECONDS);
      expect(fullTokens.expiresIn).toBe(ACCESS_SECONDS);
    });

    it("has jti, origin_jti and event_id as UUIDs", () => {
      const claims = claimsOf(fullTokens.accessToken);
      expect(claims["jti"]).toMatch(UUID);
      expect(claims["origin_jti"]).toMatch(UUID);
      expect(claims["event_id"]).toMatch(UUID);
    });

    it("carries cognito:groups for a user in groups and omits it for a user without", () => {
      expect([...claimsOf(fullTokens.accessToken)["cognito:groups"]].sort()).toEqual([
        "editors",
        "staff",
      ]);
      expect(Object.keys(claimsOf(bareTokens.accessToken))).not.toContain("cognito:groups");
    });

    it("carries no profile claims (they belong to the ID token)", () => {
      const keys = Object.keys(claimsOf(fullTokens.accessToken));
      for (const name of PROFILE_CLAIMS) expect(keys).not.toContain(name);
      expect(keys.filter((c) => c.startsWith("custom:"))).toEqual([]);
    });

    it("verifies against the gateway's JWKS with the issuer", async () => {
      const { payload } = await jwtVerify(fullTokens.accessToken, jwks, {
        issuer: gw.config.issuer,
        algorithms: ["RS256"],
        currentDate: new Date(clock.now()),
      });
      expect(payload["token_use"]).toBe("access");
      expect(payload["client_id"]).toBe(client.clientId);
    });
  });

  describe("both tokens of one sign-in", () => {
    it("share origin_jti and event_id but have different jti", () => {
      const id = claimsOf(fullTokens.idToken);
      const access = claimsOf(fullTokens.accessToken);
      expect(id["origin_jti"]).toBe(access["origin_jti"]);
      expect(id["event_id"]).toBe(access["event_id"]);
      expect(id["jti"]).not.toBe(access["jti"]);
    });

    it("share sub, iss, auth_time, iat and groups", () => {
      const id = claimsOf(fullTokens.idToken);
      const access = claimsOf(fullTokens.accessToken);
      for (const name of ["sub", "iss", "auth_time", "iat", "cognito:groups"])
        expect(access[name]).toEqual(id[name]);
      expect(access["username"]).toBe(id["cognito:username"]);
    });

    it("two sign-ins of the same user start different sessions: different origin_jti, event_id and jti", async () => {
      const again = await signInAs(gw, client, full);
      const first = claimsOf(fullTokens.accessToken);
      const second = claimsOf(again.accessToken);
      expect(second["origin_jti"]).not.toBe(first["origin_jti"]);
      expect(second["event_id"]).not.toBe(first["event_id"]);
      expect(second["jti"]).not.toBe(first["jti"]);
      expect(claimsOf(again.idToken)["origin_jti"]).toBe(second["origin_jti"]);
    });

    it("a refresh keeps origin_jti and auth_time, with a new event_id, jti, iat and exp", async () => {
      const tokens = await signInAs(gw, client, full);
      const before = claimsOf(tokens.accessToken);
      clock.advance(120_000);
      const res = await gw.gql(REFRESH, {
        input: { clientId: client.clientId, refreshToken: tokens.refreshToken },
      });
      const refreshed = res.body.data?.["refresh"];
      expect(refreshed).toMatchObject({
        accessToken: expect.any(String),
        idToken: expect.any(String),
      });
      for (const token of [refreshed.accessToken, refreshed.idToken] as string[]) {
        const claims = claimsOf(token);
        expect(claims["origin_jti"]).toBe(before["origin_jti"]);
        expect(claims["auth_time"]).toBe(before["auth_time"]);
        expect(claims["iat"]).toBe(before["iat"] + 120);
        expect(claims["event_id"]).not.toBe(before["event_id"]);
        expect(claims["jti"]).not.toBe(before["jti"]);
      }
      expect(claimsOf(refreshed.accessToken)["exp"]).toBe(before["iat"] + 120 + ACCESS_SECONDS);
      expect(claimsOf(refreshed.idToken)["exp"]).toBe(before["iat"] + 120 + ID_SECONDS);
      expect(claimsOf(refreshed.accessToken)["event_id"]).toBe(
        claimsOf(refreshed.idToken)["event_id"],
      );
    });
  });

  describe("refresh token", () => {
    it("is an opaque compact JWE: five parts, an encryption header, no readable claims", () => {
      const parts = fullTokens.refreshToken.split(".");
      expect(parts).toHaveLength(5);
      const header = headerOf(fullTokens.refreshToken);
      expect(header["enc"]).toEqual(expect.any(String));
      expect(fullTokens.refreshToken).not.toContain(full.sub);
      expect(() => JSON.parse(Buffer.from(parts[3] ?? "", "base64url").toString("utf8"))).toThrow();
    });
  });

  describe("JWKS and discovery", () => {
    it("the JWKS publishes RS256 signing keys with no private key parameter", async () => {
      const { status, body } = await fetchJson(`${gw.url}/.well-known/jwks.json`);
      expect(status).toBe(200);
      expect(body.keys.length).toBeGreaterThan(0);
      for (const key of body.keys) {
        expect(key).toMatchObject({
          kty: "RSA",
          kid: expect.any(String),
          n: expect.any(String),
          e: expect.any(String),
        });
        for (const param of PRIVATE_JWK_PARAMS) expect(Object.keys(key)).not.toContain(param);
      }
    });

    it("the discovery document has the issuer and a jwks_uri derived from it", async () => {
      const { status, body } = await fetchJson(`${gw.url}/.well-known/openid-configuration`);
      expect(status).toBe(200);
      expect(body.issuer).toBe(gw.config.issuer);
      expect(body.jwks_uri).toBe(`${gw.config.issuer}/.well-known/jwks.json`);
      expect(body.id_token_signing_alg_values_supported).toContain("RS256");
    });
  });
});

describe("token claims with a Cognito-form issuer", () => {
  const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";
  let gw: TestGateway;
  let client: Client;
  let user: User;
  let tokens: Tokens;

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_ISSUER: ISSUER } });
    client = await createClient(gw);
    user = await createUser(gw, { groups: ["staff"] });
    tokens = await signInAs(gw, client, user);
  });
  afterAll(() => gw.close());

  it("puts the configured Cognito issuer in iss of both tokens", () => {
    expect(claimsOf(tokens.idToken)["iss"]).toBe(ISSUER);
    expect(claimsOf(tokens.accessToken)["iss"]).toBe(ISSUER);
  });

  it("both tokens verify against the JWKS with the Cognito issuer", async () => {
    const jwks = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
    const id = await jwtVerify(tokens.idToken, jwks, {
      issuer: ISSUER,
      audience: client.clientId,
      algorithms: ["RS256"],
    });
    const access = await jwtVerify(tokens.accessToken, jwks, {
      issuer: ISSUER,
      algorithms: ["RS256"],
    });
    expect(id.payload["token_use"]).toBe("id");
    expect(access.payload["token_use"]).toBe("access");
  });

  it("rejects verification with another issuer (the iss check is real)", async () => {
    const jwks = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
    await expect(
      jwtVerify(tokens.accessToken, jwks, {
        issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other",
      }),
    ).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "iss" });
  });

  it("the discovery document has the Cognito issuer and jwks_uri = issuer + /.well-known/jwks.json, as Cognito publishes", async () => {
    const { body } = await fetchJson(`${gw.url}/.well-known/openid-configuration`);
    expect(body.issuer).toBe(ISSUER);
    expect(body.jwks_uri).toBe(`${ISSUER}/.well-known/jwks.json`);
  });

  it("the gateway accepts its own access token under the Cognito issuer", async () => {
    const me = await gw.gql(`{ me { sub username groups } }`, {}, tokens.accessToken);
    expect(me.status).toBe(200);
    expect(me.body.data?.["me"]).toMatchObject({
      sub: user.sub,
      username: user.username,
      groups: ["staff"],
    });
  });
});
