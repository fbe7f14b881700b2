/**
 * POOLGATE_SIGNING_ALGORITHM=ES256 and =EdDSA (issue 19), each against a real gateway over
 * real HTTP: sign-in and `me`, the JWKS and discovery, and the tokens verified by the
 * verifiers a relying party or a subgraph would use — aws-jwt-verify (JwtVerifier over the
 * JWKS URI; its default fetcher is HTTPS-only, so a plain-fetch Fetcher is plugged in, as in
 * aws-jwt-verify.test.ts), jose (createRemoteJWKSet + jwtVerify), openid-client (discovery,
 * and the refresh grant's ID token with its signature checked through the JWKS) and the
 * subgraph library's createVerifier.
 */
import { JwtVerifier } from "aws-jwt-verify";
import type { Fetcher } from "aws-jwt-verify/https";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { calculateJwkThumbprint, createRemoteJWKSet, jwtVerify, type JWK } from "jose";
import * as client from "openid-client";
import { createHash, randomBytes } from "node:crypto";
import { createVerifier } from "../../src/index";
import {
  claimsOf,
  createClient,
  createUser,
  headerOf,
  ME,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { HostedBrowser, stepOf } from "../support/hostedBrowser";
import { freePort } from "../support/ports";

const CALLBACK = "https://app.example.com/callback";

const plainFetcher: Fetcher = {
  async fetch(uri: string) {
    const res = await fetch(uri);
    if (res.status !== 200) throw new Error(`JWKS fetch failed: ${res.status}`);
    return res.arrayBuffer();
  },
};

/** The public members each key type must publish, and nothing else (RFC 7518 §6, RFC 8037 §2). */
const MEMBERS: Record<string, { kty: string; crv: string; members: string[] }> = {
  ES256: { kty: "EC", crv: "P-256", members: ["alg", "crv", "kid", "kty", "use", "x", "y"] },
  EdDSA: { kty: "OKP", crv: "Ed25519", members: ["alg", "crv", "kid", "kty", "use", "x"] },
};

describe.each(["ES256", "EdDSA"] as const)("POOLGATE_SIGNING_ALGORITHM=%s", (alg) => {
  let gw: TestGateway;
  let issuer: string;
  let web: { clientId: string; clientSecret: string | undefined };
  let codeClient: { clientId: string; clientSecret: string | undefined };
  let user: { sub: string; username: string; password: string };

  beforeAll(async () => {
    // openid-client insists that the discovered issuer is the URL it was given.
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    gw = await startGateway({
      env: {
        POOLGATE_PORT: String(port),
        POOLGATE_ISSUER: issuer,
        POOLGATE_SIGNING_ALGORITHM: alg,
      },
    });
    web = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
    codeClient = await createClient(gw, {
      allowedScopes: ["openid", "email"],
      callbackUrls: [CALLBACK],
      allowedOAuthFlows: ["code"],
    });
    user = await createUser(gw, { attributes: { email: `${alg.toLowerCase()}@example.com` } });
  });
  afterAll(() => gw.close());

  it(`happy flow: sign-in returns ${alg} tokens and \`me\` accepts the access token`, async () => {
    const tokens = await signInAs(gw, web, user);
    for (const token of [tokens.idToken, tokens.accessToken]) {
      expect(headerOf(token)).toEqual({ alg, kid: expect.any(String), typ: "JWT" });
    }
    const me = await gw.gql(ME, {}, tokens.accessToken);
    expect(me.body.data?.["me"]?.sub).toBe(user.sub);
  });

  it(`the JWKS publishes one ${alg} key: its public members, alg, use sig, the RFC 7638 thumbprint as kid`, async () => {
    const res = await fetch(`${gw.url}/.well-known/jwks.json`);
    const { keys } = (await res.json()) as { keys: JWK[] };
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(Object.keys(key).sort()).toEqual(MEMBERS[alg]!.members);
    expect(key).toMatchObject({ kty: MEMBERS[alg]!.kty, crv: MEMBERS[alg]!.crv, alg, use: "sig" });
    expect(key.kid).toBe(await calculateJwkThumbprint(key));
    expect(key).not.toHaveProperty("d");
  });

  it(`discovery lists ${alg} as the ID token signing algorithm`, async () => {
    const res = await fetch(`${gw.url}/.well-known/openid-configuration`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body["id_token_signing_alg_values_supported"]).toEqual([alg]);
  });

  it("aws-jwt-verify JwtVerifier verifies the ID and the access token over the JWKS URI", async () => {
    const tokens = await signInAs(gw, web, user);
    const verifier = JwtVerifier.create(
      { issuer, jwksUri: `${issuer}/.well-known/jwks.json`, audience: null },
      { jwksCache: new SimpleJwksCache({ fetcher: plainFetcher }) },
    );
    await expect(verifier.verify(tokens.idToken)).resolves.toMatchObject({
      sub: user.sub,
      token_use: "id",
      aud: web.clientId,
    });
    await expect(verifier.verify(tokens.accessToken)).resolves.toMatchObject({
      sub: user.sub,
      token_use: "access",
    });
  });

  it(`jose createRemoteJWKSet + jwtVerify with algorithms [${alg}] verifies both tokens`, async () => {
    const tokens = await signInAs(gw, web, user);
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const id = await jwtVerify(tokens.idToken, jwks, {
      issuer,
      audience: web.clientId,
      algorithms: [alg],
    });
    expect(id.protectedHeader.alg).toBe(alg);
    expect(id.payload["token_use"]).toBe("id");
    const access = await jwtVerify(tokens.accessToken, jwks, { issuer, algorithms: [alg] });
    expect(access.payload["sub"]).toBe(user.sub);
    // And a verifier pinned to Cognito's RS256 refuses it, as it should.
    await expect(
      jwtVerify(tokens.accessToken, jwks, { issuer, algorithms: ["RS256"] }),
    ).rejects.toMatchObject({ code: "ERR_JOSE_ALG_NOT_ALLOWED" });
  });

  it("openid-client: the refresh grant's ID token passes its checks, signature included (non-repudiation on)", async () => {
    const tokens = await signInAs(gw, web, user);
    const config = await client.discovery(new URL(issuer), web.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    expect(config.serverMetadata().id_token_signing_alg_values_supported).toEqual([alg]);
    // Verifies the ID token's signature against the discovered JWKS, and that its alg is one
    // the server declared (an undeclared alg would fail with "unexpected JWT alg").
    client.enableNonRepudiationChecks(config);
    const result = await client.refreshTokenGrant(config, tokens.refreshToken);
    expect(result.claims()).toMatchObject({ iss: issuer, aud: web.clientId, sub: user.sub });
    expect(headerOf(result.id_token!)["alg"]).toBe(alg);
  });

  it("the subgraph library's createVerifier accepts the access token by default and refuses it when restricted to RS256", async () => {
    const tokens = await signInAs(gw, web, user);
    const any = createVerifier({ issuer, clientIds: web.clientId });
    await expect(any.verify(tokens.accessToken)).resolves.toMatchObject({ sub: user.sub });
    const only = createVerifier({ issuer, clientIds: web.clientId, algorithms: [alg] });
    await expect(only.verify(tokens.accessToken)).resolves.toMatchObject({ sub: user.sub });
    const rsaOnly = createVerifier({ issuer, clientIds: web.clientId, algorithms: ["RS256"] });
    await expect(rsaOnly.verify(tokens.accessToken)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(claimsOf(tokens.accessToken)["client_id"]).toBe(web.clientId);
  });

  it(`the code flow's ID token is ${alg}, verifies, and carries at_hash with ${alg}'s hash (${alg === "EdDSA" ? "SHA-512" : "SHA-256"})`, async () => {
    const verifier = randomBytes(32).toString("base64url");
    const browser = new HostedBrowser(gw.url);
    const first = await browser.follow(
      `${gw.url}/oauth2/authorize?${new URLSearchParams({
        client_id: codeClient.clientId,
        redirect_uri: CALLBACK,
        response_type: "code",
        scope: "openid email",
        state: "st",
        nonce: "n-1",
        code_challenge: createHash("sha256").update(verifier).digest("base64url"),
        code_challenge_method: "S256",
      })}`,
    );
    expect(stepOf(first.page)).toBe("sign-in");
    const done = await browser.submit(first.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    const code = new URL(done.left!).searchParams.get("code")!;
    const res = await fetch(`${gw.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: codeClient.clientId,
        code,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id_token: string; access_token: string };
    const jwks = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.id_token, jwks, {
      issuer,
      audience: codeClient.clientId,
      algorithms: [alg],
    });
    expect(protectedHeader.alg).toBe(alg);
    expect(payload["nonce"]).toBe("n-1");
    const digest = createHash(alg === "EdDSA" ? "sha512" : "sha256")
      .update(body.access_token, "ascii")
      .digest();
    expect(payload["at_hash"]).toBe(digest.subarray(0, digest.length / 2).toString("base64url"));
  });
});
