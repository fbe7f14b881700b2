/**
 * Attacks on the context builder (DESIGN §5): tokens presented to a running gateway over real
 * HTTP as `Authorization: Bearer …` on `{ me { sub } }`. Every rejected token must get the same
 * answer — HTTP 401, `extensions.code` UNAUTHENTICATED, `WWW-Authenticate: Bearer
 * error="invalid_token"` (RFC 6750 §3.1) and a body identical byte for byte — so that nothing
 * tells an attacker which check stopped the token. The pure verifier attacks are in
 * test/security/verifier.test.ts; here they are replayed through the whole HTTP stack, together
 * with the checks only the gateway can make (client, session and user state).
 */
import { execFile } from "node:child_process";
import { createHmac, createPublicKey, randomBytes, type JsonWebKey } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import {
  claimsOf,
  codeOf,
  createClient,
  createUser,
  frozenClock,
  headerOf,
  REVOKE,
  SIGN_IN,
  signInAs,
  startGateway,
  type TestClock,
  type TestGateway,
  type Tokens,
} from "../harness";

const ROOT = join(__dirname, "..", "..");
const ME_SUB = `{ me { sub } }`;
const INVALID_TOKEN = 'Bearer error="invalid_token"';

const b64 = (v: unknown) =>
  Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** What the caller sees of one request: status, the challenge header and the raw body. */
interface Answer {
  status: number;
  wwwAuthenticate: string | null;
  text: string;
  body: {
    data?: Record<string, any> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

/** `{ me { sub } }` with the given Authorization header value (none when undefined). */
async function present(
  gw: TestGateway,
  authorization: string | undefined,
  query = ME_SUB,
): Promise<Answer> {
  const res = await fetch(`${gw.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(authorization !== undefined ? { authorization } : {}),
    },
    body: JSON.stringify({ query }),
  });
  const text = await res.text();
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get("www-authenticate"),
    text,
    body: JSON.parse(text),
  };
}

const bearer = (token: string) => `Bearer ${token}`;

/**
 * The one answer every bad token gets, taken from a token that is not even a JWS. Each attack
 * below must produce exactly this (status, challenge and body byte for byte).
 */
let reference: Answer;

async function referenceAnswer(gw: TestGateway): Promise<Answer> {
  const answer = await present(gw, bearer("not-a-token"));
  expect(answer.status).toBe(401);
  expect(answer.wwwAuthenticate).toBe(INVALID_TOKEN);
  expect(answer.body.data ?? null).toBeNull();
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  return answer;
}

function expectSameRejection(answer: Answer): void {
  expect({
    status: answer.status,
    code: answer.body.errors?.[0]?.extensions?.code,
    wwwAuthenticate: answer.wwwAuthenticate,
    text: answer.text,
  }).toEqual({
    status: 401,
    code: "UNAUTHENTICATED",
    wwwAuthenticate: INVALID_TOKEN,
    text: reference.text,
  });
}

async function expectRejected(gw: TestGateway, token: string): Promise<void> {
  expectSameRejection(await present(gw, bearer(token)));
}

async function expectServed(gw: TestGateway, token: string, sub: string): Promise<void> {
  const answer = await present(gw, bearer(token));
  expect({
    status: answer.status,
    code: answer.body.errors?.[0]?.extensions?.code,
    sub: answer.body.data?.["me"]?.sub,
  }).toEqual({
    status: 200,
    code: undefined,
    sub,
  });
}

/** Polls until the token is rejected; the contract is "within 1 s" (the sync interval here is 50 ms). */
async function rejectedWithin(gw: TestGateway, token: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await present(gw, bearer(token));
    if (answer.status === 401) {
      expectSameRejection(answer);
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function servedWithin(gw: TestGateway, token: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await present(gw, bearer(token))).status === 200) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Signs `payload` with `key`, under any header (alg RS256 unless overridden). */
function signWith(
  key: CryptoKey,
  payload: Record<string, unknown>,
  header: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", ...header } as { alg: string })
    .sign(key);
}

/** A local "attacker" server: serves a JWKS/certificate for the attacker's key and counts every request. */
async function attackerServer(
  jwks: unknown,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A raw HTTP request with any headers (fetch would refuse or merge some of them). */
function rawRequest(
  url: string,
  headers: Record<string, string | string[]>,
  body: string,
): Promise<{ status: number; text: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}/graphql`, { method: "POST" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", (err) => resolve({ error: String(err) }));
    });
    req.on("error", (err) =>
      resolve({ error: (err as NodeJS.ErrnoException).code ?? String(err) }),
    );
    req.setHeader("content-type", "application/json");
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end(body);
  });
}

function cli(
  gw: TestGateway,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "poolgate.js"), ...args],
      { env: gw.env, cwd: ROOT },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

type Client = { clientId: string; clientSecret: string | undefined };

describe("bearer tokens presented to the gateway", () => {
  let gw: TestGateway;
  let client: Client;
  let user: { sub: string; username: string; password: string };
  let tokens: Tokens;
  let gatewayKid: string;
  let gatewayJwk: JWK;
  let attacker: { privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK };

  beforeAll(async () => {
    gw = await startGateway();
    client = await createClient(gw);
    user = await createUser(gw);
    tokens = await signInAs(gw, client, user);
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    gatewayKid = headerOf(tokens.accessToken)["kid"];
    const published = jwks.keys.find((k) => k.kid === gatewayKid);
    if (!published) throw new Error("the access token's kid is not in the JWKS");
    gatewayJwk = published;
    const pair = await generateKeyPair("RS256", { extractable: true });
    attacker = {
      ...pair,
      jwk: { ...(await exportJWK(pair.publicKey)), kid: "attacker", alg: "RS256", use: "sig" },
    };
    reference = await referenceAnswer(gw);
  });
  afterAll(() => gw.close());

  it("happy flow: serves me for the gateway's own access token, with the scheme in any case (RFC 7235 §2.1)", async () => {
    await expectServed(gw, tokens.accessToken, user.sub);
    const lower = await present(gw, `bearer ${tokens.accessToken}`);
    expect(lower.body.data?.["me"]?.sub).toBe(user.sub);
  });

  describe("forged and malformed tokens", () => {
    it("stops alg:none tokens, with or without a signature part", async () => {
      const payload = b64(claimsOf(tokens.accessToken));
      for (const header of [
        { alg: "none" },
        { alg: "none", kid: gatewayKid },
        { alg: "None", kid: gatewayKid },
      ]) {
        await expectRejected(gw, `${b64(header)}.${payload}.`);
        await expectRejected(gw, `${b64(header)}.${payload}.${b64("sig")}`);
      }
    });

    it("stops algorithm confusion: HS256 signed with the gateway's RSA public key from its JWKS", async () => {
      const publicKey = createPublicKey({ key: gatewayJwk as JsonWebKey, format: "jwk" });
      const secrets: (string | Buffer)[] = [
        JSON.stringify(gatewayJwk),
        publicKey.export({ type: "spki", format: "pem" }).toString(),
        publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
        publicKey.export({ type: "spki", format: "der" }),
        Buffer.from(String(gatewayJwk.n), "base64url"),
      ];
      const input = `${b64({ alg: "HS256", kid: gatewayKid, typ: "JWT" })}.${b64(claimsOf(tokens.accessToken))}`;
      for (const secret of secrets) {
        await expectRejected(
          gw,
          `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`,
        );
      }
    });

    it("stops a token naming an unknown kid, or no kid at all", async () => {
      const claims = claimsOf(tokens.accessToken);
      await expectRejected(
        gw,
        await signWith(attacker.privateKey, claims, { kid: "attacker", typ: "JWT" }),
      );
      await expectRejected(gw, await signWith(attacker.privateKey, claims, { typ: "JWT" }));
    });

    it("never fetches a jku or x5u URL and never trusts an embedded jwk: the attacker's server gets zero requests", async () => {
      const server = await attackerServer({ keys: [attacker.jwk] });
      try {
        const claims = claimsOf(tokens.accessToken);
        const headers: Record<string, unknown>[] = [];
        for (const kid of ["attacker", gatewayKid]) {
          headers.push(
            { kid, jku: `${server.url}/jwks.json` },
            { kid, x5u: `${server.url}/cert.pem` },
            { kid, jwk: attacker.jwk },
            { jwk: attacker.jwk },
          );
        }
        for (const header of headers)
          await expectRejected(gw, await signWith(attacker.privateKey, claims, header));
        // A header naming the gateway's own kid and signed with the gateway's key is still refused
        // (x5u/jku make a token invalid outright, docs/decisions.md); checked in verifier.test.ts.
        await new Promise((r) => setTimeout(r, 100));
        expect(server.requests()).toBe(0);
      } finally {
        await server.close();
      }
    });

    it("stops a valid signature from a key outside the ring, even under the gateway's kid", async () => {
      const claims = claimsOf(tokens.accessToken);
      await expectRejected(
        gw,
        await signWith(attacker.privateKey, claims, { kid: gatewayKid, typ: "JWT" }),
      );
    });

    it("stops privilege escalation by a payload tampered with after signing (scope upgraded to poolgate/admin)", async () => {
      const [h, p, s] = tokens.accessToken.split(".");
      const claims = JSON.parse(Buffer.from(p!, "base64url").toString("utf8")) as Record<
        string,
        unknown
      >;
      expect(String(claims["scope"]).split(" ")).not.toContain("poolgate/admin");
      const upgraded = {
        ...claims,
        scope: `${String(claims["scope"])} poolgate/admin`,
        "cognito:groups": ["admins"],
      };
      await expectRejected(gw, `${h}.${b64(upgraded)}.${s}`);
      await expectRejected(gw, `${h}.${b64({ ...claims, sub: "someone-else" })}.${s}`);
    });

    it("stops truncated, 2-part, 4-part and non-base64url tokens", async () => {
      const token = tokens.accessToken;
      const [h, p, s] = token.split(".");
      for (const bad of [
        token.slice(0, -10),
        token.slice(0, token.lastIndexOf(".")),
        `${h}.${p}`,
        `${token}.${s}`,
        `${h}.${p}.${s}.`,
        `${h}.${p}.${s}!`,
        `${h}.${p}.${s}=`,
        `${h}.${p!.replace(/-/g, "+").replace(/_/g, "/")}+/.${s}`,
        `${h}.%%%.${s}`,
        "..",
        "x.y.z",
      ]) {
        await expectRejected(gw, bad);
      }
    });

    it("a malformed token and a bad signature are indistinguishable from outside: same status, headers and body byte for byte", async () => {
      const [h, p] = tokens.accessToken.split(".");
      const badSignature = await present(gw, bearer(`${h}.${p}.${b64(randomBytes(256))}`));
      const malformed = await present(gw, bearer(`${h}.${p}`));
      expect(malformed.status).toBe(401);
      expect(badSignature.status).toBe(malformed.status);
      expect(badSignature.wwwAuthenticate).toBe(malformed.wwwAuthenticate);
      expect(Buffer.from(badSignature.text).equals(Buffer.from(malformed.text))).toBe(true);
      expect(badSignature.text).toBe(reference.text);
    });

    it("stops a 10 KB token (over POOLGATE_MAX_TOKEN_BYTES, under Node's header limit) with the same 401", async () => {
      const [h, , s] = tokens.accessToken.split(".");
      const big = `${h}.${"A".repeat(10 * 1024)}.${s}`;
      expect(big.length).toBeGreaterThan(gw.config.maxTokenBytes);
      await expectRejected(gw, big);
    });

    it("stops header-size denial of service: a 1 MB Authorization header gets a 4xx (431), never a 5xx", async () => {
      const answer = await rawRequest(
        gw.url,
        { authorization: bearer("A".repeat(1024 * 1024)) },
        JSON.stringify({ query: ME_SUB }),
      );
      if ("status" in answer) {
        expect(answer.status).toBe(431);
      } else {
        // Node may close the socket while the client is still sending; never a 5xx either way.
        expect(["ECONNRESET", "EPIPE"]).toContain(answer.error);
      }
      // The gateway is still serving.
      await expectServed(gw, tokens.accessToken, user.sub);
    });

    it("/oauth2/userInfo refuses the same forged tokens with one uniform 401 invalid_token answer", async () => {
      const claims = claimsOf(tokens.accessToken);
      const [h, p, s] = tokens.accessToken.split(".");
      const input = `${b64({ alg: "HS256", kid: gatewayKid })}.${p}`;
      const server = await attackerServer({ keys: [attacker.jwk] });
      const forged = [
        `${b64({ alg: "none", kid: gatewayKid })}.${p}.`,
        `${input}.${createHmac(
          "sha256",
          createPublicKey({ key: gatewayJwk as JsonWebKey, format: "jwk" }).export({
            type: "spki",
            format: "pem",
          }),
        )
          .update(input)
          .digest("base64url")}`,
        await signWith(attacker.privateKey, claims, { kid: "attacker" }),
        await signWith(attacker.privateKey, claims, {
          kid: gatewayKid,
          jku: `${server.url}/jwks.json`,
        }),
        await signWith(attacker.privateKey, claims, { kid: gatewayKid }),
        `${h}.${b64({ ...claims, scope: `${String(claims["scope"])} poolgate/admin` })}.${s}`,
        `${h}.${p}`,
        `${h}.${"A".repeat(10 * 1024)}.${s}`,
        tokens.idToken,
        tokens.refreshToken,
      ];
      try {
        const good = await fetch(`${gw.url}/oauth2/userInfo`, {
          headers: { authorization: bearer(tokens.accessToken) },
        });
        expect(good.status).toBe(200);
        const answers = await Promise.all(
          forged.map(async (token) => {
            const res = await fetch(`${gw.url}/oauth2/userInfo`, {
              headers: { authorization: bearer(token) },
            });
            return {
              status: res.status,
              challenge: res.headers.get("www-authenticate"),
              text: await res.text(),
            };
          }),
        );
        expect(answers[0]?.status).toBe(401);
        expect(answers[0]?.challenge).toContain('error="invalid_token"');
        for (const answer of answers) expect(answer).toEqual(answers[0]);
        expect(server.requests()).toBe(0);
      } finally {
        await server.close();
      }
    });

    it("stops an ID token presented as an access token", async () => {
      expect(claimsOf(tokens.idToken)["token_use"]).toBe("id");
      await expectRejected(gw, tokens.idToken);
    });

    it("stops a refresh token presented as an access token", async () => {
      await expectRejected(gw, tokens.refreshToken);
    });
  });

  describe("malformed Authorization headers", () => {
    it("stops a Basic credential, an empty Bearer and other schemes with the same 401", async () => {
      for (const header of [
        `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`,
        "Bearer",
        "Bearer    ",
        `Token ${tokens.accessToken}`,
        `Bearer: ${tokens.accessToken}`,
        `Bearer${tokens.accessToken}`,
        tokens.accessToken,
        'Digest username="x"',
      ]) {
        expectSameRejection(await present(gw, header));
      }
    });

    it("stops two tokens in one header, even when one of them is valid", async () => {
      for (const header of [
        `Bearer ${tokens.accessToken} ${tokens.accessToken}`,
        `Bearer ${tokens.accessToken} not-a-token`,
        `Bearer ${tokens.accessToken}, Bearer ${tokens.accessToken}`,
        `Bearer not-a-token, Bearer ${tokens.accessToken}`,
      ]) {
        expectSameRejection(await present(gw, header));
      }
    });

    it("stops a request with two Authorization headers, whichever of them is valid (a proxy and the gateway could read different ones)", async () => {
      const query = JSON.stringify({ query: ME_SUB });
      for (const pair of [
        [bearer(tokens.accessToken), bearer("not-a-token")],
        [bearer("not-a-token"), bearer(tokens.accessToken)],
      ]) {
        const answer = await rawRequest(gw.url, { authorization: pair }, query);
        expect(answer).toEqual({ status: 401, text: reference.text });
      }
    });

    it("/oauth2/userInfo also refuses a request with two Authorization headers, whichever of them is valid", async () => {
      for (const pair of [
        [bearer(tokens.accessToken), bearer("not-a-token")],
        [bearer("not-a-token"), bearer(tokens.accessToken)],
      ]) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(`${gw.url}/oauth2/userInfo`, { method: "GET" }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          });
          req.on("error", reject);
          req.setHeader("authorization", pair);
          req.end();
        });
        expect(status).toBe(401);
      }
    });
  });

  describe("anonymous requests", () => {
    it("happy flow: without an Authorization header the public signIn mutation works", async () => {
      const res = await gw.gql(SIGN_IN, {
        input: { clientId: client.clientId, username: user.username, password: user.password },
      });
      expect(res.status).toBe(200);
      expect(codeOf(res)).toBeUndefined();
      expect(typeof res.body.data?.["signIn"]?.accessToken).toBe("string");
    });

    it("without an Authorization header me is null with UNAUTHENTICATED in errors, not an HTTP 401", async () => {
      const answer = await present(gw, undefined);
      expect(answer.status).toBe(200);
      expect(answer.wwwAuthenticate).toBeNull();
      expect(answer.body.data).toEqual({ me: null });
      expect(answer.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    });
  });

  describe("live state checked on every request", () => {
    it("stops the token of a disabled app client, and re-enabling the client restores it", async () => {
      const own = await createClient(gw);
      const t = await signInAs(gw, own, user);
      await expectServed(gw, t.accessToken, user.sub);
      await gw.pool.clients.setEnabled(own.clientId, false, Date.now());
      await expectRejected(gw, t.accessToken);
      await gw.pool.clients.setEnabled(own.clientId, true, Date.now());
      await expectServed(gw, t.accessToken, user.sub);
    });

    it("stops the token of a deleted app client", async () => {
      const own = await createClient(gw);
      const t = await signInAs(gw, own, user);
      await expectServed(gw, t.accessToken, user.sub);
      await gw.pool.clients.delete(own.clientId, Date.now());
      await expectRejected(gw, t.accessToken);
    });

    it("stops the access token of a revoked session on the next request", async () => {
      const t = await signInAs(gw, client, user);
      await expectServed(gw, t.accessToken, user.sub);
      const res = await gw.gql(REVOKE, {
        input: { clientId: client.clientId, token: t.refreshToken },
      });
      expect(res.body.data?.["revoke"]).toBe(true);
      await expectRejected(gw, t.accessToken);
    });

    it("stops a token issued before a global sign-out, while a sign-in after it works", async () => {
      const own = await createUser(gw);
      const first = await signInAs(gw, client, own);
      const second = await signInAs(gw, client, own);
      const res = await gw.gql(`mutation { globalSignOut }`, {}, first.accessToken);
      expect(res.body.data?.["globalSignOut"]).toBe(true);
      await expectRejected(gw, first.accessToken);
      await expectRejected(gw, second.accessToken);
      const after = await signInAs(gw, client, own);
      await expectServed(gw, after.accessToken, own.sub);
    });

    it("stops the token of a disabled user", async () => {
      const own = await createUser(gw);
      const t = await signInAs(gw, client, own);
      await expectServed(gw, t.accessToken, own.sub);
      await gw.pool.users.setEnabled(own.username, false);
      await expectRejected(gw, t.accessToken);
    });

    it("stops the token of a deleted user", async () => {
      const own = await createUser(gw);
      const t = await signInAs(gw, client, own);
      await expectServed(gw, t.accessToken, own.sub);
      await gw.pool.users.delete(own.username);
      await expectRejected(gw, t.accessToken);
    });
  });

  describe("changes made by another process on the same store", () => {
    it("a client disabled through the CLI is rejected by the running gateway within a bounded poll, and enabling it restores its tokens", async () => {
      const own = await createClient(gw);
      const t = await signInAs(gw, own, user);
      await expectServed(gw, t.accessToken, user.sub);

      const disabled = await cli(gw, ["clients", "disable", own.clientId]);
      expect({ code: disabled.code, stderr: disabled.stderr }).toEqual({ code: 0, stderr: "" });
      expect(await rejectedWithin(gw, t.accessToken, 1000)).toBe(true);

      const enabled = await cli(gw, ["clients", "enable", own.clientId]);
      expect({ code: enabled.code, stderr: enabled.stderr }).toEqual({ code: 0, stderr: "" });
      expect(await servedWithin(gw, t.accessToken, 1000)).toBe(true);
    });

    it("a client deleted through the CLI is rejected by the running gateway within a bounded poll", async () => {
      const own = await createClient(gw);
      const t = await signInAs(gw, own, user);
      await expectServed(gw, t.accessToken, user.sub);
      const deleted = await cli(gw, ["clients", "delete", own.clientId]);
      expect({ code: deleted.code, stderr: deleted.stderr }).toEqual({ code: 0, stderr: "" });
      expect(await rejectedWithin(gw, t.accessToken, 1000)).toBe(true);
    });

    it("a user deleted through the CLI is rejected by the running gateway within a bounded poll", async () => {
      // `users disable` through the CLI: test/integration/sessions.test.ts.
      const own = await createUser(gw);
      const t = await signInAs(gw, client, own);
      await expectServed(gw, t.accessToken, own.sub);
      const deleted = await cli(gw, ["users", "delete", own.username]);
      expect({ code: deleted.code, stderr: deleted.stderr }).toEqual({ code: 0, stderr: "" });
      expect(await rejectedWithin(gw, t.accessToken, 1000)).toBe(true);
    });
  });

  describe("tokens of another issuer", () => {
    it("stops a token of a gateway with another POOLGATE_ISSUER, even one signed with the same key", async () => {
      // Same store and master key, so the same signing key: only `iss` tells the tokens apart.
      const other = await startGateway({
        reuse: { dir: gw.dir, env: { ...gw.env, POOLGATE_ISSUER: "https://other-issuer.example" } },
      });
      try {
        const foreign = await signInAs(other, client, user);
        expect(claimsOf(foreign.accessToken)["iss"]).toBe("https://other-issuer.example");
        expect(headerOf(foreign.accessToken)["kid"]).toBe(gatewayKid);
        await expectServed(other, foreign.accessToken, user.sub);
        await expectRejected(gw, foreign.accessToken);
        await expectRejected(other, tokens.accessToken);
      } finally {
        // stop(), not close(): the data folder belongs to the first gateway.
        await other.stop();
      }
    });

    it("stops a token of an unrelated gateway (its own keys and issuer)", async () => {
      const other = await startGateway({ env: { POOLGATE_ISSUER: "https://unrelated.example" } });
      try {
        const otherClient = await createClient(other);
        const otherUser = await createUser(other);
        const foreign = await signInAs(other, otherClient, otherUser);
        await expectRejected(gw, foreign.accessToken);
      } finally {
        await other.close();
      }
    });
  });
});

describe("token lifetime on a frozen clock", () => {
  let gw: TestGateway;
  let clock: TestClock;
  let client: Client;

  beforeAll(async () => {
    clock = frozenClock();
    gw = await startGateway({ clock });
    client = await createClient(gw);
    reference = await referenceAnswer(gw);
  });
  afterAll(() => gw.close());

  it("stops an expired access token at exp, whether or not it was verified (and cached) before", async () => {
    // nbf in the future is a verifier-level test (verifier.test.ts): the gateway only signs tokens
    // without nbf, and its private key is not reachable through the API.
    const user = await createUser(gw);
    const used = await signInAs(gw, client, user);
    const unused = await signInAs(gw, client, user);
    await expectServed(gw, used.accessToken, user.sub);
    const exp = claimsOf(used.accessToken)["exp"] as number;
    expect(claimsOf(unused.accessToken)["exp"]).toBe(exp);

    clock.advance(exp * 1000 - clock.now() - 1000);
    await expectServed(gw, used.accessToken, user.sub);

    clock.advance(1000);
    await expectRejected(gw, used.accessToken);
    await expectRejected(gw, unused.accessToken);
  });
});
