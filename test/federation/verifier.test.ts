/**
 * createVerifier / createAuthContext, the library a subgraph uses (issue 6, part 2), against a
 * real gateway over real HTTP: remote JWKS with caching, the refetch cooldown on unknown
 * `kid`s, timeouts, and revocation through introspection with a short, bounded cache. A
 * stand-in between verifier and gateway counts requests and plays outages.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { GraphQLError } from "graphql";
import { principalFromClaims } from "../../src/subgraph/bearer";
import {
  createAuthContext,
  createVerifier,
  PoolgateError,
  type Verifier,
  type VerifierOptions,
} from "../../src/index";
import {
  claimsOf,
  createClient,
  createUser,
  headerOf,
  REVOKE,
  signInAs,
  startGateway,
  type TestGateway,
  type Tokens,
} from "../harness";
import { startStandIn, type StandIn } from "./support";

let gw: TestGateway;
let client: { clientId: string; clientSecret: string | undefined };
let introspector: { clientId: string; clientSecret: string };
let user: { sub: string; username: string; password: string };
let stranger: CryptoKey;
const standIns: StandIn[] = [];

/** A clock the verifier reads; it starts at real time (tokens are real) and moves only when told. */
function clock() {
  let t = Date.now();
  return { nowMs: () => t, advance: (ms: number) => void (t += ms) };
}

async function standIn(): Promise<StandIn> {
  const s = await startStandIn(gw.url);
  standIns.push(s);
  return s;
}

function verifierVia(jwks: StandIn, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: gw.config.issuer,
    jwksUri: `${jwks.url}/.well-known/jwks.json`,
    clientIds: null,
    ...options,
  });
}

function introspectionVia(s: StandIn, extra: Record<string, unknown> = {}) {
  return {
    endpoint: `${s.url}/oauth2/introspect`,
    clientId: introspector.clientId,
    clientSecret: introspector.clientSecret,
    ...extra,
  };
}

/** The PoolgateError code a verification fails with, or "ok". */
async function outcome(verifier: Verifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return "ok";
  } catch (err) {
    if (err instanceof PoolgateError) return err.code;
    throw err;
  }
}

async function signIn(): Promise<Tokens> {
  return signInAs(gw, client, user);
}

/** A token shaped like the gateway's, with the gateway's current kid, signed by a stranger. */
async function foreignToken(kid?: string): Promise<string> {
  const real = (await signIn()).accessToken;
  return new SignJWT(claimsOf(real))
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: kid ?? headerOf(real)["kid"] })
    .sign(stranger);
}

beforeAll(async () => {
  gw = await startGateway();
  client = await createClient(gw);
  const confidential = await createClient(gw, { name: "orders-service", generateSecret: true });
  introspector = { clientId: confidential.clientId, clientSecret: confidential.clientSecret! };
  user = await createUser(gw);
  stranger = (await generateKeyPair("RS256")).privateKey;
});

afterAll(async () => {
  await Promise.all(standIns.map((s) => s.close()));
  await gw?.close();
});

describe("createVerifier: remote JWKS", () => {
  it("happy flow: verifies the gateway's tokens, fetching the JWKS once for many tokens", async () => {
    const jwks = await standIn();
    const verifier = verifierVia(jwks);
    for (let i = 0; i < 3; i++) {
      const { accessToken } = await signIn();
      const claims = await verifier.verify(accessToken);
      expect(claims.sub).toBe(user.sub);
      expect(claims.token_use).toBe("access");
    }
    expect(jwks.requests).toBe(1);
    expect(verifier.stats().jwks).toEqual({ requests: 1, failures: 0, keys: 1 });
  });

  it("makes the same checks as the gateway: a foreign signature, an ID token, another issuer, a disallowed client", async () => {
    const jwks = await standIn();
    const tokens = await signIn();
    expect(await outcome(verifierVia(jwks), await foreignToken())).toBe("UNAUTHENTICATED");
    expect(await outcome(verifierVia(jwks), tokens.idToken)).toBe("UNAUTHENTICATED");
    expect(
      await outcome(verifierVia(jwks, { issuer: "https://elsewhere.example" }), tokens.accessToken),
    ).toBe("UNAUTHENTICATED");
    expect(
      await outcome(verifierVia(jwks, { clientIds: ["some-other-client"] }), tokens.accessToken),
    ).toBe("UNAUTHENTICATED");
    expect(
      await outcome(verifierVia(jwks, { clientIds: client.clientId }), tokens.accessToken),
    ).toBe("ok");
  });

  it("error flow: an unknown kid refetches at most once per cooldown, however many arrive", async () => {
    const jwks = await standIn();
    const time = clock();
    const verifier = verifierVia(jwks, { cooldownMs: 10_000, nowMs: time.nowMs, cacheSize: 0 });
    expect(await outcome(verifier, (await signIn()).accessToken)).toBe("ok");
    expect(jwks.requests).toBe(1);

    for (let i = 0; i < 5; i++) {
      expect(await outcome(verifier, await foreignToken(`made-up-${i}`))).toBe("UNAUTHENTICATED");
    }
    expect(jwks.requests).toBe(1); // within the cooldown of the first fetch: none

    time.advance(10_000);
    expect(await outcome(verifier, await foreignToken("made-up-after"))).toBe("UNAUTHENTICATED");
    expect(jwks.requests).toBe(2); // one, then the cooldown again
    expect(await outcome(verifier, await foreignToken("made-up-again"))).toBe("UNAUTHENTICATED");
    expect(jwks.requests).toBe(2);
  });

  it("happy flow: a key rotated in at the gateway is picked up by the next refetch after the cooldown", async () => {
    const jwks = await standIn();
    const time = clock();
    const verifier = verifierVia(jwks, { cooldownMs: 5_000, nowMs: time.nowMs, cacheSize: 0 });
    const before = (await signIn()).accessToken;
    expect(await outcome(verifier, before)).toBe("ok");

    await gw.pool.keys.rotate(Date.now());
    const after = (await signIn()).accessToken;
    expect(headerOf(after)["kid"]).not.toBe(headerOf(before)["kid"]);
    // Within the cooldown the new kid is unknown here: the price of a bounded refetch rate.
    expect(await outcome(verifier, after)).toBe("UNAUTHENTICATED");
    time.advance(5_000);
    expect(await outcome(verifier, after)).toBe("ok");
    expect(await outcome(verifier, before)).toBe("ok"); // the retired key is still listed
    expect(jwks.requests).toBe(2);
  });

  it("error flow: a JWKS endpoint that never answers gives UNAUTHENTICATED after timeoutMs, not a hang", async () => {
    const jwks = await standIn();
    jwks.mode = "hang";
    const verifier = verifierVia(jwks, { timeoutMs: 300 });
    const { accessToken } = await signIn();
    const started = performance.now();
    expect(await outcome(verifier, accessToken)).toBe("UNAUTHENTICATED");
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
    expect(verifier.stats().jwks).toMatchObject({ requests: 1, failures: 1, keys: 0 });

    // Through the context function: HTTP 401 for the whole request.
    const context = createAuthContext(verifier);
    const error = await context({
      req: { headers: { authorization: `Bearer ${accessToken}` } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions).toMatchObject({
      code: "UNAUTHENTICATED",
      http: { status: 401 },
    });
  });

  it("retries once, at once, when the connection is closed under it before any answer (a stale keep-alive)", async () => {
    const jwks = await standIn();
    const io = await standIn();
    jwks.mode = "reset-once";
    io.mode = "reset-once";
    const verifier = verifierVia(jwks, { introspection: introspectionVia(io) });
    expect(await outcome(verifier, (await signIn()).accessToken)).toBe("ok");
    expect([jwks.requests, io.requests]).toEqual([2, 2]);
    expect(verifier.stats().jwks.failures).toBe(0);
  });

  it("keeps verifying with the keys it has when a refresh fails (stale-if-error), and retries after the cooldown", async () => {
    const jwks = await standIn();
    const time = clock();
    const verifier = verifierVia(jwks, {
      jwksMaxAgeMs: 60_000,
      cooldownMs: 10_000,
      nowMs: time.nowMs,
      cacheSize: 0,
    });
    expect(await outcome(verifier, (await signIn()).accessToken)).toBe("ok");
    jwks.mode = "fail";
    time.advance(60_000); // the set is stale: the next use tries a refresh, which fails
    expect(await outcome(verifier, (await signIn()).accessToken)).toBe("ok");
    expect(jwks.requests).toBe(2);
    expect(await outcome(verifier, (await signIn()).accessToken)).toBe("ok");
    expect(jwks.requests).toBe(2); // no retry within the cooldown
    jwks.mode = "forward";
    time.advance(10_000);
    expect(await outcome(verifier, (await signIn()).accessToken)).toBe("ok");
    expect(verifier.stats().jwks).toEqual({ requests: 3, failures: 1, keys: 2 });
  });
  it("attack: a retired key stays trusted forever from a cached JWKS whose refreshes keep failing", async () => {
    const jwks = await standIn();
    const time = clock();
    const verifier = verifierVia(jwks, {
      jwksMaxAgeMs: 60_000,
      jwksMaxStaleMs: 120_000,
      cooldownMs: 10_000,
      nowMs: time.nowMs,
    });
    const token = (await signIn()).accessToken;
    expect(await outcome(verifier, token)).toBe("ok");
    jwks.mode = "fail";
    time.advance(60_000 + 119_000); // stale, refreshes failing: still within jwksMaxStaleMs
    expect(await outcome(verifier, token)).toBe("ok");
    time.advance(1_000);
    // What the gateway publishes now is unknown: no key, not even for a cached token.
    expect(await outcome(verifier, token)).toBe("UNAUTHENTICATED");
    expect(verifier.stats().jwks.keys).toBe(0);
    jwks.mode = "forward";
    time.advance(10_000);
    expect(await outcome(verifier, token)).toBe("ok");
  });
});

describe("createVerifier: revocation through introspection", () => {
  it("happy flow: asks the gateway once per token and TTL, then answers from its cache", async () => {
    const jwks = await standIn();
    const io = await standIn();
    const time = clock();
    const verifier = verifierVia(jwks, {
      nowMs: time.nowMs,
      introspection: introspectionVia(io, { cacheTtlSeconds: 5 }),
    });
    const { accessToken } = await signIn();
    for (let i = 0; i < 5; i++) expect(await outcome(verifier, accessToken)).toBe("ok");
    expect(io.requests).toBe(1);
    time.advance(5_000);
    expect(await outcome(verifier, accessToken)).toBe("ok");
    expect(io.requests).toBe(2);
    expect(verifier.stats().introspection).toMatchObject({ requests: 2, hits: 4, failures: 0 });
  });

  it("error flow: a revoked session is UNAUTHENTICATED as soon as the cached answer expires", async () => {
    const jwks = await standIn();
    const io = await standIn();
    const time = clock();
    const verifier = verifierVia(jwks, {
      nowMs: time.nowMs,
      introspection: introspectionVia(io, { cacheTtlSeconds: 5 }),
    });
    const tokens = await signIn();
    expect(await outcome(verifier, tokens.accessToken)).toBe("ok");
    const revoked = await gw.gql(REVOKE, {
      input: { clientId: client.clientId, token: tokens.refreshToken },
    });
    expect(revoked.body.data?.["revoke"]).toBe(true);
    // Still within the TTL of the "active" answer: the bounded window the cache costs.
    time.advance(4_999);
    expect(await outcome(verifier, tokens.accessToken)).toBe("ok");
    time.advance(1);
    expect(await outcome(verifier, tokens.accessToken)).toBe("UNAUTHENTICATED");
    // The inactive answer is cached too: no request per retry of a dead token.
    expect(await outcome(verifier, tokens.accessToken)).toBe("UNAUTHENTICATED");
    expect(io.requests).toBe(2);
  });

  it("bounds the cache: least recently used answers go first", async () => {
    const jwks = await standIn();
    const io = await standIn();
    const verifier = verifierVia(jwks, {
      introspection: introspectionVia(io, { cacheTtlSeconds: 60, cacheSize: 2 }),
    });
    const [a, b, c] = [await signIn(), await signIn(), await signIn()].map((t) => t.accessToken);
    for (const token of [a!, b!, c!]) expect(await outcome(verifier, token)).toBe("ok");
    expect(verifier.stats().introspection?.size).toBe(2);
    expect(io.requests).toBe(3);
    expect(await outcome(verifier, c!)).toBe("ok"); // kept
    expect(io.requests).toBe(3);
    expect(await outcome(verifier, a!)).toBe("ok"); // evicted: asked again
    expect(io.requests).toBe(4);
  });

  it("asks once for concurrent requests carrying the same new token", async () => {
    const jwks = await standIn();
    const io = await standIn();
    const verifier = verifierVia(jwks, { introspection: introspectionVia(io) });
    const { accessToken } = await signIn();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => outcome(verifier, accessToken)),
    );
    expect(results).toEqual(Array(10).fill("ok"));
    expect(io.requests).toBe(1);
  });

  it.each<[string, (io: StandIn) => void, Record<string, unknown>]>([
    ["a failing endpoint", (io) => void (io.mode = "fail"), {}],
    ["an endpoint that never answers", (io) => void (io.mode = "hang"), { timeoutMs: 300 }],
    ["wrong client credentials", () => undefined, { clientSecret: "not-the-secret" }],
  ])(
    "error flow: %s fails closed with SERVICE_UNAVAILABLE (HTTP 503), not cached",
    async (_what, breakIt, extra) => {
      const jwks = await standIn();
      const io = await standIn();
      breakIt(io);
      const verifier = verifierVia(jwks, { introspection: introspectionVia(io, extra) });
      const { accessToken } = await signIn();
      const started = performance.now();
      expect(await outcome(verifier, accessToken)).toBe("SERVICE_UNAVAILABLE");
      expect(performance.now() - started).toBeLessThan(2_000);
      const context = createAuthContext(verifier);
      const error = await context({
        req: { headers: { authorization: `Bearer ${accessToken}` } },
      }).catch((e: unknown) => e);
      expect((error as GraphQLError).extensions).toMatchObject({
        code: "SERVICE_UNAVAILABLE",
        http: { status: 503 },
      });
      expect(io.requests).toBe(2); // each attempt asked: outages are not cached
    },
  );

  it("dangerouslyAcceptOnOutage serves a locally verified token when the gateway cannot answer, but still refuses a revoked one it can", async () => {
    const jwks = await standIn();
    const io = await standIn();
    const verifier = verifierVia(jwks, {
      introspection: introspectionVia(io, { cacheTtlSeconds: 0, dangerouslyAcceptOnOutage: true }),
    });
    const tokens = await signIn();
    io.mode = "fail";
    expect(await outcome(verifier, tokens.accessToken)).toBe("ok");
    io.mode = "forward";
    await gw.gql(REVOKE, { input: { clientId: client.clientId, token: tokens.refreshToken } });
    expect(await outcome(verifier, tokens.accessToken)).toBe("UNAUTHENTICATED");
  });

  it("never sends a token that fails local verification to the gateway", async () => {
    const jwks = await standIn();
    const io = await standIn();
    const verifier = verifierVia(jwks, { introspection: introspectionVia(io) });
    expect(await outcome(verifier, await foreignToken())).toBe("UNAUTHENTICATED");
    expect(await outcome(verifier, "not.a.token")).toBe("UNAUTHENTICATED");
    expect(io.requests).toBe(0);
  });
});

describe("createVerifier: options are checked at start-up", () => {
  const base = { issuer: "http://localhost:4000", clientIds: null };
  it.each<[string, Record<string, unknown>]>([
    ["an algorithm other than RS256, ES256 and EdDSA", { algorithms: ["RS256", "HS256"] }],
    ["alg none", { algorithms: ["none"] }],
    ["ES384 (poolgate signs with P-256 only)", { algorithms: ["ES256", "ES384"] }],
    ["a string instead of a list", { algorithms: "RS256" }],
    ["no algorithm", { algorithms: [] }],
    ["no clientIds (null must be explicit)", { clientIds: undefined }],
    ["an empty clientIds list", { clientIds: [] }],
    ["a negative skew", { clockSkewSeconds: -1 }],
    ["a non-URL JWKS", { jwksUri: "file:///etc/passwd" }],
    [
      "an introspection TTL over 60 s",
      { introspection: { clientId: "a", clientSecret: "b", cacheTtlSeconds: 61 } },
    ],
    ["introspection without a secret", { introspection: { clientId: "a", clientSecret: "" } }],
  ])("refuses %s", (_what, extra) => {
    expect(() => createVerifier({ ...base, ...extra } as VerifierOptions)).toThrow(TypeError);
  });

  it.each([[["RS256"]], [["ES256"]], [["EdDSA"]], [["RS256", "ES256", "EdDSA"]]])(
    "accepts algorithms: %j",
    (algorithms) => {
      expect(() => createVerifier({ ...base, algorithms })).not.toThrow();
    },
  );
});

describe("createVerifier: the JWKS keys it imports (issue 19)", () => {
  const issuer = "https://issuer.test";
  let server: Server;
  let jwksUri: string;
  const privateKeys: Record<string, CryptoKey> = {};

  const accessToken = (alg: string, kid: string) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: "user-1",
      client_id: "client-1",
      token_use: "access",
      scope: "openid",
      auth_time: now,
      jti: "jti-1",
    })
      .setProtectedHeader({ alg, kid, typ: "JWT" })
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKeys[kid]!);
  };

  beforeAll(async () => {
    const keys: Record<string, unknown>[] = [];
    const add = async (kid: string, alg: string, published: Record<string, unknown>) => {
      const pair = await generateKeyPair(alg, { extractable: true });
      privateKeys[kid] = pair.privateKey;
      keys.push({ ...(await exportJWK(pair.publicKey)), kid, use: "sig", ...published });
      return pair;
    };
    await add("rsa", "RS256", { alg: "RS256" });
    // A leaked private member must not matter: only x and y are imported.
    const ec = await add("ec", "ES256", { alg: "ES256" });
    Object.assign(keys[keys.length - 1]!, { d: (await exportJWK(ec.privateKey)).d });
    await add("ed", "EdDSA", {}); // no alg member: the key type decides
    await add("mislabelled", "ES256", { alg: "RS256" }); // an EC key declared RS256
    await add("p384", "ES384", { alg: "ES384" }); // a curve poolgate never signs with
    await add("enc", "RS256", { alg: "RS256", use: "enc" }); // not a signature key
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("imports RSA, EC P-256 and OKP Ed25519 signature keys and accepts a token of each under its own alg", async () => {
    const verifier = createVerifier({ issuer, jwksUri, clientIds: null });
    for (const [alg, kid] of [
      ["RS256", "rsa"],
      ["ES256", "ec"],
      ["EdDSA", "ed"],
    ] as const) {
      await expect(verifier.verify(await accessToken(alg, kid))).resolves.toMatchObject({
        sub: "user-1",
      });
    }
    expect(verifier.stats().jwks.keys).toBe(3);
  });

  it("ignores an EC key declared RS256, a P-384 key and an encryption key", async () => {
    const verifier = createVerifier({ issuer, jwksUri, clientIds: null });
    for (const [alg, kid] of [
      ["ES256", "mislabelled"],
      ["ES384", "p384"],
      ["RS256", "enc"],
    ] as const) {
      expect(await outcome(verifier, await accessToken(alg, kid))).toBe("UNAUTHENTICATED");
    }
  });

  it("stops algorithm confusion: an ES256 header on the RSA kid, an RS256 header on the EC kid", async () => {
    const verifier = createVerifier({ issuer, jwksUri, clientIds: null });
    const forged = async (alg: string, kid: string, signWith: string) =>
      new SignJWT({ sub: "user-1", client_id: "c", token_use: "access", scope: "openid" })
        .setProtectedHeader({ alg, kid, typ: "JWT" })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(privateKeys[signWith]!);
    expect(await outcome(verifier, await forged("ES256", "rsa", "ec"))).toBe("UNAUTHENTICATED");
    expect(await outcome(verifier, await forged("RS256", "ec", "rsa"))).toBe("UNAUTHENTICATED");
  });

  it("a verifier restricted to ES256 refuses the JWKS's genuine RS256 and EdDSA tokens", async () => {
    const verifier = createVerifier({ issuer, jwksUri, clientIds: null, algorithms: ["ES256"] });
    expect(await outcome(verifier, await accessToken("RS256", "rsa"))).toBe("UNAUTHENTICATED");
    expect(await outcome(verifier, await accessToken("EdDSA", "ed"))).toBe("UNAUTHENTICATED");
    await expect(verifier.verify(await accessToken("ES256", "ec"))).resolves.toBeDefined();
  });
});

describe("createAuthContext", () => {
  it("builds the gateway's principal from a verified token, and only from one", async () => {
    const jwks = await standIn();
    const verifier = verifierVia(jwks);
    const context = createAuthContext(verifier);
    const { accessToken } = await signIn();

    const signedIn = await context({
      req: { headers: { authorization: `Bearer ${accessToken}` } },
    });
    expect(signedIn.principal).toEqual(principalFromClaims(await verifier.verify(accessToken)));
    expect(signedIn.principal).toMatchObject({
      sub: user.sub,
      username: user.username,
      clientId: client.clientId,
    });

    // Identity headers a caller could set are not identity.
    const bare = await context({
      req: { headers: { "x-user-id": user.sub, "x-forwarded-user": user.username } },
    });
    expect(bare).toEqual({ principal: null });
  });

  it("error flow: two Authorization headers are refused (401), as by the gateway", async () => {
    const verifier = verifierVia(await standIn());
    const { accessToken } = await signIn();
    const context = createAuthContext(verifier);
    const error = await context({
      req: {
        headers: { authorization: `Bearer ${accessToken}` },
        headersDistinct: { authorization: [`Bearer ${accessToken}`, "Bearer other"] },
      },
    }).catch((e: unknown) => e);
    expect((error as GraphQLError).extensions?.["code"]).toBe("UNAUTHENTICATED");
  });
});
