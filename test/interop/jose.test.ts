/**
 * Interop with jose (panva) as a subgraph or any JOSE-based service would use it:
 * `createRemoteJWKSet` on the gateway's /.well-known/jwks.json plus `jwtVerify` with
 * `algorithms: ["RS256"]`, over real HTTP, for ID, access and machine tokens, and across a
 * signing-key rotation (the remote set refetches on an unknown `kid`).
 */
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import {
  claimsOf,
  createClient,
  createUser,
  headerOf,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

type Client = { clientId: string; clientSecret: string | undefined };

/** A remote JWKS over the real gateway that counts its fetches. */
function remoteSet(gw: TestGateway, options: { cooldownDuration?: number } = {}) {
  const fetches: string[] = [];
  const jwks = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`), {
    ...options,
    [customFetch]: (url: string, init: RequestInit) => {
      fetches.push(url);
      return fetch(url, init);
    },
  });
  return { jwks, fetches };
}

async function clientCredentials(gw: TestGateway, client: Client, scope: string): Promise<string> {
  const res = await fetch(`${gw.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.clientId,
      client_secret: client.clientSecret!,
      scope,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** jose's stable error code of a failed verification. */
async function joseCodeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  throw new Error("expected verification to fail");
}

describe("jose createRemoteJWKSet + jwtVerify against poolgate", () => {
  let gw: TestGateway;
  let web: Client;
  let machine: Client;
  let user: { sub: string; username: string; password: string };

  beforeAll(async () => {
    gw = await startGateway();
    await gw.pool.resourceServers.create({ id: "orders", scopes: ["read"] }, gw.pool.deps.now());
    web = await createClient(gw, { allowedScopes: ["openid", "email"] });
    machine = await createClient(gw, { generateSecret: true, allowedScopes: ["orders/read"] });
    user = await createUser(gw, { attributes: { email: "jose@example.com" }, groups: ["readers"] });
  });
  afterAll(() => gw.close());

  const verifyOptions = () => ({ issuer: gw.config.issuer, algorithms: ["RS256"] });

  it("happy flow: verifies an ID token (issuer, audience = client id, RS256)", async () => {
    const { jwks } = remoteSet(gw);
    const tokens = await signInAs(gw, web, user);
    const { payload, protectedHeader } = await jwtVerify(tokens.idToken, jwks, {
      ...verifyOptions(),
      audience: web.clientId,
    });
    expect(protectedHeader).toMatchObject({ alg: "RS256", typ: "JWT", kid: expect.any(String) });
    expect(payload).toMatchObject({
      sub: user.sub,
      aud: web.clientId,
      token_use: "id",
      "cognito:username": user.username,
      "cognito:groups": ["readers"],
      email: "jose@example.com",
    });
  });

  it("happy flow: verifies a user's access token", async () => {
    const { jwks } = remoteSet(gw);
    const tokens = await signInAs(gw, web, user);
    const { payload } = await jwtVerify(tokens.accessToken, jwks, verifyOptions());
    expect(payload).toMatchObject({
      sub: user.sub,
      client_id: web.clientId,
      token_use: "access",
      username: user.username,
    });
    expect(payload.aud).toBeUndefined();
  });

  it("happy flow: verifies a machine-to-machine access token", async () => {
    const { jwks } = remoteSet(gw);
    const token = await clientCredentials(gw, machine, "orders/read");
    const { payload } = await jwtVerify(token, jwks, verifyOptions());
    expect(payload).toMatchObject({
      sub: machine.clientId,
      client_id: machine.clientId,
      token_use: "access",
      scope: "orders/read",
    });
    expect(payload["username"]).toBeUndefined();
  });

  it("happy flow: after a key rotation, old and new tokens verify through the same remote set", async () => {
    // cooldownDuration 0: jose refetches on the first unknown kid instead of waiting out its
    // default 30 s cooldown since the last fetch (see docs/oauth.md on key rotation).
    const { jwks, fetches } = remoteSet(gw, { cooldownDuration: 0 });
    const before = await signInAs(gw, web, user);
    const beforeM2m = await clientCredentials(gw, machine, "orders/read");
    await jwtVerify(before.accessToken, jwks, verifyOptions());
    expect(fetches).toHaveLength(1);

    const newKid = await gw.pool.keys.rotate(gw.pool.deps.now());
    expect(headerOf(before.accessToken)["kid"]).not.toBe(newKid);
    const after = await signInAs(gw, web, user);
    const afterM2m = await clientCredentials(gw, machine, "orders/read");
    expect(headerOf(after.accessToken)["kid"]).toBe(newKid);
    expect(headerOf(afterM2m)["kid"]).toBe(newKid);

    // The new kid is unknown to the cached set: one refetch, then it verifies.
    const fresh = await jwtVerify(after.accessToken, jwks, verifyOptions());
    expect(fresh.protectedHeader.kid).toBe(newKid);
    expect(fetches).toHaveLength(2);
    // Everything else verifies from the refreshed set, old key included (it stays published).
    await jwtVerify(after.idToken, jwks, { ...verifyOptions(), audience: web.clientId });
    await jwtVerify(afterM2m, jwks, verifyOptions());
    const old = await jwtVerify(before.accessToken, jwks, verifyOptions());
    expect(old.payload["sub"]).toBe(user.sub);
    await jwtVerify(before.idToken, jwks, { ...verifyOptions(), audience: web.clientId });
    await jwtVerify(beforeM2m, jwks, verifyOptions());
    expect(fetches).toHaveLength(2);
  });

  it("error flow: a token whose alg is not RS256 is refused before any key lookup", async () => {
    const { jwks, fetches } = remoteSet(gw);
    const tokens = await signInAs(gw, web, user);
    const [, payload, signature] = tokens.accessToken.split(".");
    const header = Buffer.from(
      JSON.stringify({ alg: "HS256", typ: "JWT", kid: headerOf(tokens.accessToken)["kid"] }),
    ).toString("base64url");
    const forged = `${header}.${payload}.${signature}`;
    expect(await joseCodeOf(jwtVerify(forged, jwks, verifyOptions()))).toBe(
      "ERR_JOSE_ALG_NOT_ALLOWED",
    );
    expect(fetches).toHaveLength(0);
  });

  it("error flow: a token of another gateway with the same issuer has no matching key", async () => {
    const other = await startGateway();
    try {
      const client = await createClient(other);
      const tokens = await signInAs(other, client, await createUser(other));
      expect(claimsOf(tokens.accessToken)["iss"]).toBe(gw.config.issuer);
      const { jwks } = remoteSet(gw);
      expect(await joseCodeOf(jwtVerify(tokens.accessToken, jwks, verifyOptions()))).toBe(
        "ERR_JWKS_NO_MATCHING_KEY",
      );
    } finally {
      await other.close();
    }
  });

  it("error flow: an access token does not pass as an ID token (no aud)", async () => {
    const { jwks } = remoteSet(gw);
    const tokens = await signInAs(gw, web, user);
    expect(
      await joseCodeOf(
        jwtVerify(tokens.accessToken, jwks, { ...verifyOptions(), audience: web.clientId }),
      ),
    ).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
  });
});
