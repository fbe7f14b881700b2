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
    sub: "u",
    client_id: "c",
    token_use: "access",
    scope: "openid",
    auth_time: now,
    jti: "j",
    username: "u",
  })
    .setProtectedHeader({ alg: "RS256", kid: "k" })
    .setIssuer(issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  const keys = (kid) => (kid === "k" ? publicKey : undefined);
  const cold = new AccessTokenVerifier({ issuer, keys, cacheSize: 0 });
  const cached = new AccessTokenVerifier({ issuer, keys, cacheSize: 1000 });
  const n = Number(process.env.BENCH_ITERATIONS ?? 5000);
  const rows = [
    await measure("jose jwtVerify (baseline)", n, () =>
      jwtVerify(token, publicKey, { issuer, algorithms: ["RS256"] }),
    ),
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

/**
 * No user enumeration by timing: sign-in with an unknown username verifies a dummy hash, so
 * it should cost what a wrong password costs. Measured at the production hash cost, over
 * real HTTP, one attempt per username (so the lockout never interferes).
 */
async function enumerationBench() {
  const { mkdtempSync, rmSync } = require("node:fs");
  const { tmpdir } = require("node:os");
  const { join } = require("node:path");
  const { randomBytes } = require("node:crypto");
  const { loadConfig } = require("../dist/config.js");
  const { createGateway } = require("../dist/server.js");
  const tries = Number(process.env.BENCH_ENUMERATION_TRIES ?? 200);
  const dir = mkdtempSync(join(tmpdir(), "poolgate-bench-"));
  const config = loadConfig({
    POOLGATE_PORT: "0",
    POOLGATE_LOG_LEVEL: "silent",
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
  });
  const gateway = await createGateway({ config });
  try {
    const url = await gateway.listen();
    const { client } = await gateway.pool.clients.create({ name: "bench" }, Date.now());
    const users = [];
    for (let i = 0; i < tries; i++) {
      users.push(
        (
          await gateway.pool.users.adminCreate({
            username: `bench-${i}`,
            password: "Bench-passw0rd!",
          })
        ).username,
      );
    }
    const attempt = async (username) => {
      const started = performance.now();
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: "mutation($i: SignInInput!) { signIn(input: $i) { accessToken } }",
          variables: { i: { clientId: client.clientId, username, password: "Wrong-passw0rd!" } },
        }),
      });
      const body = await res.json();
      const code = body.errors?.[0]?.extensions?.code;
      if (code !== "NOT_AUTHORIZED") throw new Error(`expected NOT_AUTHORIZED, got ${code}`);
      return performance.now() - started;
    };
    const unknown = [];
    const wrong = [];
    // Interleaved, so drift in machine load hits both series alike.
    for (let i = 0; i < tries; i++) {
      unknown.push(await attempt(`nobody-${i}-${randomBytes(4).toString("hex")}`));
      wrong.push(await attempt(users[i]));
    }
    const stats = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
      return { median: q(0.5), p90: q(0.9), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
    };
    const u = stats(unknown);
    const w = stats(wrong);
    console.log(
      "\nUser enumeration by timing (%d sign-ins each, production argon2id cost, real HTTP)",
      tries,
    );
    console.log(
      `  unknown username   median ${u.median.toFixed(2)} ms  p90 ${u.p90.toFixed(2)} ms  mean ${u.mean.toFixed(2)} ms`,
    );
    console.log(
      `  wrong password     median ${w.median.toFixed(2)} ms  p90 ${w.p90.toFixed(2)} ms  mean ${w.mean.toFixed(2)} ms`,
    );
    console.log(
      `  difference         median ${(u.median - w.median).toFixed(2)} ms (${((u.median / w.median - 1) * 100).toFixed(1)}%)  mean ${(u.mean - w.mean).toFixed(2)} ms`,
    );
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const only = process.argv[2];
  if (!only || only === "verifier") await verifierBench();
  if (!only || only === "enumeration") await enumerationBench();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
