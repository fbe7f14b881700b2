// The crypto ceilings, measured in a process pinned like the servers (same core, same libuv
// thread pool): RS256 signs through jose (WebCrypto), poolgate's refresh-token JWE decrypt
// (dir + A256GCM), argon2id verifications at poolgate's configured cost through
// @node-rs/argon2, and the modular exponentiations of an SRP sign-in through poolgate's own
// tokens/srp.js (OpenSSL by way of node:crypto's Diffie-Hellman) — the work one response
// needs, with nothing else around it.
"use strict";
const { randomBytes, randomUUID } = require("node:crypto");
const { performance } = require("node:perf_hooks");
const { serveChild } = require("../lib/child");
const { ROOT, dist } = require("../lib/root");
const { createRequire } = require("node:module");
const { join } = require("node:path");

// The product's own jose and argon2 (the exact versions poolgate runs).
const productRequire = createRequire(join(ROOT, "package.json"));
const jose = productRequire("jose");
const argon2 = productRequire("@node-rs/argon2");
// The built product's SRP math: the native path a USER_SRP_AUTH sign-in runs.
const srp = dist("tokens/srp.js");

async function saturate(seconds, concurrency, op) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSecond: done / elapsed, cpuUsPerOp: (cpu.user + cpu.system) / done, ops: done };
}

serveChild(async () => {
  const { privateKey } = await jose.generateKeyPair("RS256");
  const dirKey = randomBytes(32);
  const now = Math.floor(Date.now() / 1000);
  const claims = () => ({
    sub: randomUUID(),
    iss: "http://localhost:4000",
    version: 2,
    client_id: "xaovf0fw3igl2c066n8te2x3lm",
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: "access",
    scope: "aws.cognito.signin.user.admin openid email profile",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    username: "bench-0",
  });
  const sign = () =>
    new jose.SignJWT(claims())
      .setProtectedHeader({ alg: "RS256", kid: "k", typ: "JWT" })
      .sign(privateKey);
  const refreshToken = await new jose.CompactEncrypt(
    new TextEncoder().encode(
      JSON.stringify({ sid: randomUUID(), jti: randomUUID(), exp: now + 86400 }),
    ),
  )
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "poolgate-refresh+jwe" })
    .encrypt(dirKey);
  // Imported once, as poolgate does (src/tokens/refresh.ts): raw bytes would be re-imported
  // by jose on every call, which is about half a decrypt's cost.
  const dirCryptoKey = await crypto.subtle.importKey("raw", dirKey, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  const seal = async () =>
    new jose.CompactEncrypt(new TextEncoder().encode(JSON.stringify({ sid: randomUUID() })))
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "poolgate-refresh+jwe" })
      .encrypt(dirCryptoKey);
  const decrypt = () =>
    jose.compactDecrypt(refreshToken, dirCryptoKey, {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
  const memoryKib = Number(process.env.POOLGATE_PASSWORD_HASH_MEMORY_KIB ?? 19456);
  const iterations = Number(process.env.POOLGATE_PASSWORD_HASH_ITERATIONS ?? 2);
  const encoded = await argon2.hash("Bench-passw0rd!", {
    algorithm: 2,
    memoryCost: memoryKib,
    timeCost: iterations,
    parallelism: 1,
  });
  // SRP: one user's verifier and one client's A (the server's work does not depend on either),
  // a fresh 256-bit b and u per sign-in.
  const random256 = () => BigInt(`0x${randomBytes(32).toString("hex")}`);
  const { verifierHex } = srp.srpVerifier("bench", "bench-0", "Bench-passw0rd!");
  const v = BigInt(`0x${verifierHex}`);
  const AValue = srp.modPowN(srp.SRP_G, random256());
  const AHex = AValue.toString(16);
  // A SECRET_BLOCK of a real one's size (~3,400 characters): the claim's HMAC covers it.
  const secretBlockBase64 = randomBytes(2550).toString("base64");
  const ops = {
    /** One client-credentials response: one RS256 sign. */
    sign1: sign,
    /** One refresh response: ID + access token signs and the refresh-token decrypt. */
    refresh: () => Promise.all([sign(), sign(), decrypt()]),
    /** One sign-in's password check. */
    argon2: () => argon2.verify(encoded, "Bench-passw0rd!"),
    /** One sign-in's whole crypto: the hash, then the ID + access token signs and the JWE seal. */
    signin: async () => {
      await argon2.verify(encoded, "Bench-passw0rd!");
      await Promise.all([sign(), sign(), seal()]);
    },
    /**
     * An SRP sign-in's floor: the server's three modular exponentiations on the 3072-bit group
     * and nothing else — g^b (for B), v^u, (A·v^u)^b — with srp.ts's modPowN.
     */
    srpModexp: () => {
      const b = random256();
      srp.modPowN(srp.SRP_G, b);
      const vu = srp.modPowN(v, random256());
      srp.modPowN((AValue * vu) % srp.SRP_N, b);
    },
    /**
     * An SRP sign-in's whole crypto (issue 19): the three modexps, then what the answer carries,
     * as "a sign-in's whole crypto" above: the ID + access token signs and the refresh token's
     * JWE seal.
     */
    srpSignin: async () => {
      ops.srpModexp();
      await Promise.all([sign(), sign(), seal()]);
    },
    /**
     * An SRP sign-in's math as poolgate's two steps call it (identity/srpSignIn.ts): at
     * InitiateAuth srpServerStart (B = k·v + g^b); at RespondToAuthChallenge srpServerStart again
     * with the kept b (B is recomputed, not carried), then srpServerVerify (u, v^u, (A·v^u)^b,
     * HKDF, HMAC, the constant-time comparison).
     */
    srpSteps: () => {
      const { bHex, BHex } = srp.srpServerStart(verifierHex);
      srp.srpServerStart(verifierHex, bHex);
      srp.srpServerVerify({
        poolName: "bench",
        userId: "bench-0",
        AHex,
        bHex,
        BHex,
        verifierHex,
        secretBlockBase64,
        timestamp: "Tue Mar 5 09:04:07 UTC 2024",
        signatureBase64: "AAAA",
      });
    },
  };
  return {
    url: "ipc:",
    commands: {
      measure: (kind, seconds, concurrency) => saturate(seconds, concurrency, ops[kind]),
      params: () => ({
        memoryKib,
        iterations,
        parallelism: 1,
        threadpool: process.env.UV_THREADPOOL_SIZE ?? "4",
        /** Cores this (pinned) process may run on. */
        cores: require("node:os").availableParallelism(),
      }),
    },
  };
});
