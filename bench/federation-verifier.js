#!/usr/bin/env node
// The cost per request of the subgraph library's check (issue 6): what `createVerifier` and
// `createAuthContext` add to every request a subgraph serves, in the steady state (token and
// introspection answers cached) and on the slow paths (a token seen for the first time: one
// RS256 verification; an introspection answer not cached: one loopback HTTP round trip).
//
//   node bench/federation-verifier.js       (requires `npm run build`)
//
// Starts a gateway in this process (dist/, temporary SQLite file, port 0), signs a user in,
// and times each path sequentially: a warm-up, then BENCH_BATCHES batches (default 7) of
// BENCH_OPS operations (default 20000; the HTTP path uses a tenth); prints the median batch
// in µs per operation and the spread (min–max of the batches). Not part of `npm run bench`.
"use strict";
const { randomBytes } = require("node:crypto");
const { mkdtempSync, rmSync } = require("node:fs");
const os = require("node:os");
const { join } = require("node:path");
const { performance } = require("node:perf_hooks");
// The library exactly as a subgraph imports it: through the package's "exports" map.
const { createAuthContext, createVerifier } = require("poolgate");
const { loadConfig } = require("../dist/config");
const { createGateway } = require("../dist/server");

const BATCHES = Number(process.env.BENCH_BATCHES ?? 7);
const OPS = Number(process.env.BENCH_OPS ?? 20000);
const PASSWORD = "Correct-h0rse!";

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function time(label, ops, op) {
  for (let i = 0; i < Math.min(ops, 2000); i++) await op(); // warm-up (JIT, caches)
  const perOp = [];
  for (let b = 0; b < BATCHES; b++) {
    const started = performance.now();
    for (let i = 0; i < ops; i++) {
      await op();
      // A server interleaves I/O with its work: let timers and sockets run now and then.
      if (i % 1000 === 999) await tick();
    }
    perOp.push(((performance.now() - started) * 1000) / ops);
  }
  perOp.sort((x, y) => x - y);
  return {
    label,
    median: perOp[Math.floor(perOp.length / 2)],
    min: perOp[0],
    max: perOp[perOp.length - 1],
  };
}

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), "poolgate-bench-fed-"));
  const config = loadConfig({
    POOLGATE_PORT: "0",
    POOLGATE_LOG_LEVEL: "silent",
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
    POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
  });
  const gateway = await createGateway({ config });
  const base = await gateway.listen();
  try {
    const now = Date.now();
    const { client } = await gateway.pool.clients.create({ name: "web" }, now);
    const service = await gateway.pool.clients.create(
      { name: "orders-service", generateSecret: true },
      now,
    );
    await gateway.pool.users.adminCreate({
      username: "bench",
      password: PASSWORD,
      attributes: {},
      groups: [],
    });
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "mutation ($i: SignInInput!) { signIn(input: $i) { accessToken } }",
        variables: { i: { clientId: client.clientId, username: "bench", password: PASSWORD } },
      }),
    });
    const token = (await res.json()).data.signIn.accessToken;

    const common = {
      issuer: config.issuer,
      jwksUri: `${base}/.well-known/jwks.json`,
      clientIds: [client.clientId],
    };
    const introspection = (cacheTtlSeconds) => ({
      endpoint: `${base}/oauth2/introspect`,
      clientId: service.client.clientId,
      clientSecret: service.clientSecret,
      cacheTtlSeconds,
    });
    const signatureOnly = createVerifier(common);
    const withIntrospection = createVerifier({ ...common, introspection: introspection(60) });
    const uncachedToken = createVerifier({ ...common, cacheSize: 0 });
    const uncachedIntrospection = createVerifier({ ...common, introspection: introspection(0) });
    const context = createAuthContext(withIntrospection);
    const req = { headers: { authorization: `Bearer ${token}` } };

    // Each verifier fetches the JWKS on its first token, as a subgraph does on its first request.
    for (const v of [signatureOnly, withIntrospection, uncachedToken, uncachedIntrospection]) {
      await v.verify(token);
    }
    const rows = [
      await time("verify: token cache hit (signature only)", OPS, () =>
        signatureOnly.verify(token),
      ),
      await time("verify: token cache hit + introspection cache hit", OPS, () =>
        withIntrospection.verify(token),
      ),
      await time("createAuthContext: whole context function (both caches hit)", OPS, () =>
        context({ req }),
      ),
      await time("verify: new token (RS256 signature, JWKS cached)", OPS / 4, () =>
        uncachedToken.verify(token),
      ),
      await time("verify: introspection miss (loopback HTTP to the gateway)", OPS / 10, () =>
        uncachedIntrospection.verify(token),
      ),
    ];
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    console.log(`node ${process.version}, ${cpu}, ${os.cpus().length} cores`);
    console.log(`${BATCHES} batches; median batch, µs per operation (min–max of batches)\n`);
    console.log("| path | µs/op | spread |");
    console.log("|---|---:|---:|");
    for (const r of rows) {
      console.log(
        `| ${r.label} | ${r.median.toFixed(2)} | ${r.min.toFixed(2)}–${r.max.toFixed(2)} |`,
      );
    }
    const jwksRequests = [signatureOnly, withIntrospection, uncachedToken, uncachedIntrospection]
      .map((v) => v.stats().jwks.requests)
      .join(", ");
    console.log(`\nJWKS requests per verifier: ${jwksRequests}`);
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
