/**
 * Attacks on the access-token verifier (DESIGN §5), each named after what it stops. Keys are
 * generated at test time; every rejection must look the same from outside.
 */
import { createHmac, generateKeyPairSync } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import type { SigningAlgorithm } from "../../src/tokens/algorithms";
import { createSealedKey, KeyRing } from "../../src/tokens/keyring";
import {
  TokenRejectedError,
  AccessTokenVerifier,
  type TokenRejection,
} from "../../src/tokens/verify";

const ISSUER = "https://issuer.test";
const b64 = (v: unknown) =>
  Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

let good: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey };
let stranger: { privateKey: CryptoKey };
let keyLookups = 0;
let verifier: AccessTokenVerifier;
let nowMs = Date.now();

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(nowMs / 1000);
  return {
    sub: "user-1",
    client_id: "client-1",
    iss: ISSUER,
    token_use: "access",
    scope: "openid",
    auth_time: now,
    iat: now,
    exp: now + 3600,
    jti: "jti-1",
    origin_jti: "session-1",
    event_id: "event-1",
    username: "alice",
    ...overrides,
  };
}

function sign(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key = good.privateKey,
) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", kid: good.kid, typ: "JWT", ...header })
    .sign(key);
}

async function rejection(token: string, v = verifier): Promise<TokenRejection> {
  try {
    await v.verify(token);
  } catch (err) {
    expect(err).toBeInstanceOf(TokenRejectedError);
    const e = err as TokenRejectedError;
    // Uniform from outside: one code, one message, whatever the reason.
    expect({ code: e.code, message: e.message }).toEqual({
      code: "UNAUTHENTICATED",
      message: "Unauthorized",
    });
    return e.reason;
  }
  throw new Error("token was accepted");
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  good = { kid: "kid-good", ...pair };
  stranger = await generateKeyPair("RS256");
  verifier = new AccessTokenVerifier({
    issuer: ISSUER,
    keys: (kid) => {
      keyLookups++;
      return kid === good.kid ? good.publicKey : undefined;
    },
    cacheSize: 0,
    nowMs: () => nowMs,
  });
});

describe("access-token verifier", () => {
  it("happy flow: accepts a well-formed RS256 access token of a known key", async () => {
    const token = await sign(claims());
    await expect(verifier.verify(token)).resolves.toMatchObject({
      sub: "user-1",
      token_use: "access",
    });
  });

  it("stops alg:none tokens", async () => {
    const token = `${b64({ alg: "none", kid: good.kid })}.${b64(claims())}.`;
    expect(await rejection(token)).toBe("malformed");
    const withSig = `${b64({ alg: "none", kid: good.kid })}.${b64(claims())}.${b64("x")}`;
    expect(await rejection(withSig)).toBe("alg_not_allowed");
  });

  it("stops algorithm confusion: HS256 signed with the RSA public key", async () => {
    const spki = (await exportJWK(good.publicKey)) as Record<string, string>;
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    // Sign with the PEM text of the public key as an HMAC secret, the classic confusion attack.
    for (const secret of [
      JSON.stringify(spki),
      publicKey.export({ type: "spki", format: "pem" }).toString(),
    ]) {
      const input = `${b64({ alg: "HS256", kid: good.kid })}.${b64(claims())}`;
      const sig = createHmac("sha256", secret).update(input).digest("base64url");
      expect(await rejection(`${input}.${sig}`)).toBe("alg_not_allowed");
    }
  });

  it("stops tokens naming an unknown kid, or none", async () => {
    expect(await rejection(await sign(claims(), { kid: "kid-unknown" }))).toBe("unknown_kid");
    const noKid = await new SignJWT(claims())
      .setProtectedHeader({ alg: "RS256" })
      .sign(good.privateKey);
    expect(await rejection(noKid)).toBe("unknown_kid");
  });

  it("never follows or trusts jku, x5u, jwk or x5c headers", async () => {
    const attackerJwk = await exportJWK(
      (await generateKeyPair("RS256", { extractable: true })).publicKey,
    );
    for (const header of [
      { jku: "http://127.0.0.1:1/jwks.json" },
      { x5u: "http://127.0.0.1:1/cert.pem" },
      { jwk: attackerJwk },
      { x5c: ["MIIB"] },
    ]) {
      expect(await rejection(await sign(claims(), header))).toBe("header_not_allowed");
    }
  });

  it("stops a valid signature from a key outside the ring", async () => {
    expect(await rejection(await sign(claims(), {}, stranger.privateKey))).toBe("bad_signature");
  });

  it("stops a payload tampered with after signing", async () => {
    const [h, , s] = (await sign(claims())).split(".");
    expect(await rejection(`${h}.${b64(claims({ scope: "poolgate/admin" }))}.${s}`)).toBe(
      "bad_signature",
    );
  });

  it("stops truncated, 2-part, 4-part and non-base64url tokens", async () => {
    const token = await sign(claims());
    const [h, p, s] = token.split(".");
    for (const bad of [
      token.slice(0, -10),
      `${h}.${p}`,
      `${token}.${s}`,
      `${h}.${p}.${s}!`,
      "not a token",
      "",
      `${h}.%%%.${s}`,
    ]) {
      expect(["malformed", "bad_signature"]).toContain(await rejection(bad));
    }
  });

  it("stops a 1 MB token before any parsing or key lookup", async () => {
    const before = keyLookups;
    expect(
      await rejection(`${b64({ alg: "RS256", kid: good.kid })}.${"A".repeat(1024 * 1024)}.x`),
    ).toBe("too_large");
    expect(keyLookups).toBe(before);
  });

  it("stops expired tokens and tokens not yet valid", async () => {
    const now = Math.floor(nowMs / 1000);
    expect(await rejection(await sign(claims({ iat: now - 7200, exp: now - 1 })))).toBe("expired");
    expect(await rejection(await sign(claims({ nbf: now + 60 })))).toBe("not_yet_valid");
  });

  it("stops tokens of another issuer", async () => {
    expect(await rejection(await sign(claims({ iss: "https://evil.test" })))).toBe("claim_invalid");
  });

  it("stops an ID token presented as an access token", async () => {
    expect(await rejection(await sign(claims({ token_use: "id", aud: "client-1" })))).toBe(
      "wrong_token_use",
    );
  });

  it("stops tokens missing exp, sub, client_id or scope", async () => {
    for (const missing of ["exp", "sub", "client_id", "scope"]) {
      const c = claims();
      delete c[missing];
      expect(["claim_invalid", "malformed"]).toContain(await rejection(await sign(c)));
    }
  });

  it("stops a cached token once it expires", async () => {
    const cached = new AccessTokenVerifier({
      issuer: ISSUER,
      keys: (kid) => (kid === good.kid ? good.publicKey : undefined),
      nowMs: () => nowMs,
    });
    const token = await sign(claims({ exp: Math.floor(nowMs / 1000) + 60 }));
    await cached.verify(token);
    await cached.verify(token);
    expect(cached.stats()).toMatchObject({ hits: 1, misses: 1 });
    const saved = nowMs;
    nowMs += 61_000;
    try {
      expect(await rejection(token, cached)).toBe("expired");
    } finally {
      nowMs = saved;
    }
  });

  it("restricts tokens to configured client ids when asked", async () => {
    const strict = new AccessTokenVerifier({
      issuer: ISSUER,
      keys: (kid) => (kid === good.kid ? good.publicKey : undefined),
      clientIds: ["other-client"],
      cacheSize: 0,
      nowMs: () => nowMs,
    });
    expect(await rejection(await sign(claims()), strict)).toBe("client_not_allowed");
  });
});

describe("a key ring of several algorithms (issue 19)", () => {
  const kek = new Uint8Array(32).fill(7);
  let ring: KeyRing;
  /** The ring's own private keys, by algorithm: an attacker who had one still gets nowhere else. */
  const privateKeys: Partial<Record<SigningAlgorithm, { kid: string; key: CryptoKey }>> = {};
  const publicJwks: Partial<Record<SigningAlgorithm, JWK>> = {};
  let ringVerifier: AccessTokenVerifier;

  const signAs = (alg: string, kid: string, key: CryptoKey) =>
    new SignJWT(claims()).setProtectedHeader({ alg, kid, typ: "JWT" }).sign(key);

  beforeAll(async () => {
    // The ring holds RS256 and ES256 keys (a change of algorithm under way), no EdDSA key.
    const records = [
      await createSealedKey(kek, nowMs - 2000, "RS256"),
      await createSealedKey(kek, nowMs - 1000, "ES256"),
    ];
    ring = await KeyRing.open(records, kek, nowMs);
    for (const record of records) {
      const signer = (await KeyRing.open([record], kek, nowMs)).signingKey(nowMs);
      privateKeys[record.alg] = { kid: signer.kid, key: signer.privateKey };
      publicJwks[record.alg] = JSON.parse(record.publicJwk) as JWK;
    }
    ringVerifier = new AccessTokenVerifier({
      issuer: ISSUER,
      keys: (kid) => ring.verificationKey(kid, nowMs),
      cacheSize: 0,
      nowMs: () => nowMs,
    });
  });

  it("happy flow: accepts a token of each algorithm the ring holds, under its own kid", async () => {
    for (const alg of ["RS256", "ES256"] as const) {
      const { kid, key } = privateKeys[alg]!;
      await expect(ringVerifier.verify(await signAs(alg, kid, key))).resolves.toMatchObject({
        sub: "user-1",
      });
    }
    expect(ring.algorithms(nowMs)).toEqual(["RS256", "ES256"]);
  });

  it("stops algorithm confusion: an ES256 header on an RSA kid", async () => {
    // Signed with the ring's own EC key, so the signature is genuine for ES256: only the
    // pairing of the kid's key with the header's alg can refuse it.
    const ec = privateKeys.ES256!;
    const rsa = privateKeys.RS256!;
    expect(await rejection(await signAs("ES256", rsa.kid, ec.key), ringVerifier)).toBe(
      "alg_not_allowed",
    );
    // And the other way round: an RS256 header on the EC kid, signed with the RSA key.
    expect(await rejection(await signAs("RS256", ec.kid, rsa.key), ringVerifier)).toBe(
      "alg_not_allowed",
    );
  });

  it("stops alg none", async () => {
    for (const { kid } of Object.values(privateKeys)) {
      const unsigned = `${b64({ alg: "none", kid })}.${b64(claims())}.${b64("x")}`;
      expect(await rejection(unsigned, ringVerifier)).toBe("alg_not_allowed");
      const empty = `${b64({ alg: "none", kid })}.${b64(claims())}.`;
      expect(await rejection(empty, ringVerifier)).toBe("malformed");
    }
  });

  it("stops an HS256 token keyed with the public key", async () => {
    for (const alg of ["RS256", "ES256"] as const) {
      const { kid } = privateKeys[alg]!;
      const jwk = publicJwks[alg]!;
      // The public JWK as published, and its raw coordinates, each tried as the HMAC secret.
      for (const secret of [JSON.stringify(jwk), String(jwk.x ?? jwk.n)]) {
        const input = `${b64({ alg: "HS256", kid })}.${b64(claims())}`;
        const sig = createHmac("sha256", secret).update(input).digest("base64url");
        expect(await rejection(`${input}.${sig}`, ringVerifier)).toBe("alg_not_allowed");
      }
    }
  });

  it("stops a key of an algorithm the ring does not hold", async () => {
    const ed = await generateKeyPair("EdDSA");
    // An Ed25519 token under a ring kid: the kid's key is not Ed25519.
    for (const { kid } of Object.values(privateKeys)) {
      expect(await rejection(await signAs("EdDSA", kid, ed.privateKey), ringVerifier)).toBe(
        "alg_not_allowed",
      );
    }
    // Under a kid of its own: no such key in the ring.
    expect(await rejection(await signAs("EdDSA", "kid-ed", ed.privateKey), ringVerifier)).toBe(
      "unknown_kid",
    );
    // Algorithms poolgate never signs with are refused before any key lookup.
    const es384 = await generateKeyPair("ES384");
    const lookups = keyLookups;
    expect(await rejection(await signAs("ES384", "kid-x", es384.privateKey), verifier)).toBe(
      "alg_not_allowed",
    );
    expect(keyLookups).toBe(lookups);
    // A verifier restricted to RS256 refuses the ring's genuine ES256 token.
    const rsaOnly = new AccessTokenVerifier({
      issuer: ISSUER,
      keys: (kid) => ring.verificationKey(kid, nowMs),
      algorithms: ["RS256"],
      cacheSize: 0,
      nowMs: () => nowMs,
    });
    const ec = privateKeys.ES256!;
    expect(await rejection(await signAs("ES256", ec.kid, ec.key), rsaOnly)).toBe("alg_not_allowed");
  });

  it("publishes each key's own public members only", () => {
    const keys = ring.jwks(nowMs).keys;
    const byAlg = Object.fromEntries(keys.map((k) => [k.alg, Object.keys(k).sort()]));
    expect(byAlg).toEqual({
      RS256: ["alg", "e", "kid", "kty", "n", "use"],
      ES256: ["alg", "crv", "kid", "kty", "use", "x", "y"],
    });
  });
});
