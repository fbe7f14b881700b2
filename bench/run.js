#!/usr/bin/env node
// npm run bench — side-by-side ratios measured in one run on this machine (no thresholds).
// Today it holds the verifier micro-benchmark; the full suite (HTTP load against peer stacks,
// issuance, sign-in, scale) is tracked by the benchmark issue. Requires `npm run build`.
"use strict";
const { performance } = require("node:perf_hooks");

async function measure(name, iterations, fn) {
  for (let i = 0; i < Math.min(200, iterations); i++) await fn(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn(i);
  const ms = performance.now() - start;
  return { name, opsPerSecond: (iterations / ms) * 1000, microsPerOp: (ms * 1000) / iterations };
}

async function verifierBench() {
  const { generateKeyPair, SignJWT, jwtVerify } = require("jose");
  const { AccessTokenVerifier } = require("../dist/tokens/verify.js");
  const issuer = "https://bench.invalid";
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    sub: "u", client_id: "c", token_use: "access", scope: "openid", auth_time: now, jti: "j", username: "u",
  })
    .setProtectedHeader({ alg: "RS256", kid: "k" })
    .setIssuer(issuer).setIssuedAt(now).setExpirationTime(now + 3600)
    .sign(privateKey);
  const keys = (kid) => (kid === "k" ? publicKey : undefined);
  const cold = new AccessTokenVerifier({ issuer, keys, cacheSize: 0 });
  const cached = new AccessTokenVerifier({ issuer, keys, cacheSize: 1000 });
  const n = Number(process.env.BENCH_ITERATIONS ?? 5000);
  const rows = [
    await measure("jose jwtVerify (baseline)", n, () => jwtVerify(token, publicKey, { issuer, algorithms: ["RS256"] })),
    await measure("poolgate verifier, cold", n, () => cold.verify(token)),
    await measure("poolgate verifier, cached", n * 10, () => cached.verify(token)),
  ];
  const base = rows[0].opsPerSecond;
  console.log("\nVerifier micro-benchmark (one RS256 access token, %d iterations)", n);
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(30)} ${r.opsPerSecond.toFixed(0).padStart(10)} ops/s ${r.microsPerOp.toFixed(1).padStart(8)} µs/op  ${(r.opsPerSecond / base).toFixed(2)}× baseline`,
    );
  }
}

verifierBench().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
