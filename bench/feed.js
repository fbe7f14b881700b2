#!/usr/bin/env node
// The revocation feed (issue 18, DESIGN §15), three figures:
//
// 1. Propagation: a gateway in its own process (`poolgate serve`, SQLite, default
//    POOLGATE_SYNC_INTERVAL_MS) and a subgraph's verifier in this one, following GET
//    /revocations. For each of N revocations: sign in, check the verifier accepts the token,
//    revoke the refresh token, and time from the revoke's response to the verifier's first
//    rejection (polled every BENCH_POLL_MS, at most 5 s). Prints median, p90 and max.
// 2. Cost per request: verify() of one cached token with the feed off and on (synced), in
//    batches timed by hand (bench/peers' tinybench is not needed for a ratio), plus the feed on
//    while it holds 100 000 revoked sessions.
// 3. Memory: the verifier's heap growth for 100 000 live revoked sessions, read from a
//    stand-in feed that sends a snapshot of that size (and the bytes of that snapshot).
//
//   node bench/feed.js        (requires `npm run build`)
//
// Environment: BENCH_REVOCATIONS (default 50), BENCH_POLL_MS (default 1), BENCH_OPS (default
// 200000), BENCH_BATCHES (default 7), BENCH_LIVE (default 100000), BENCH_JSON_OUT (a file
// for the figures as JSON: `npm run bench` runs this as its section 9, bench/sections/feed.js).
"use strict";
const { execFile, spawn } = require("node:child_process");
const { randomBytes, randomUUID } = require("node:crypto");
const { mkdtempSync, rmSync } = require("node:fs");
const { createServer } = require("node:http");
const os = require("node:os");
const { join } = require("node:path");
const { performance } = require("node:perf_hooks");
const v8 = require("node:v8");
const vm = require("node:vm");
const { createVerifier } = require("poolgate");

const ROOT = join(__dirname, "..");
const BIN = join(ROOT, "bin", "poolgate.js");
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 50);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 1);
const OPS = Number(process.env.BENCH_OPS ?? 200000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 7);
const LIVE = Number(process.env.BENCH_LIVE ?? 100000);
const PASSWORD = "Correct-h0rse!";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

function envWith(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("POOLGATE_") && k !== "NODE_ENV") env[k] = v;
  }
  return { ...env, ...extra };
}

function cli(args, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args, "--json"], { cwd: ROOT, env }, (err, out, e) =>
      err ? reject(new Error(`poolgate ${args.join(" ")}: ${out}${e}`)) : resolve(JSON.parse(out)),
    );
  });
}

function serve(env) {
  const child = spawn(process.execPath, [BIN, "serve"], {
    cwd: ROOT,
    env: { ...env, POOLGATE_PORT: "0", POOLGATE_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  process.on("exit", () => child.kill("SIGKILL"));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      const m = /"url":"(http:\/\/[^"]+?)(\/graphql)?"/.exec(out);
      if (m) resolve({ child, base: new URL(m[1]).origin });
    });
    child.once("exit", (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
  });
}

async function gql(base, query, variables) {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()).data;
}

async function rejected(verifier, token) {
  try {
    await verifier.verify(token);
    return false;
  } catch (err) {
    if (err.code === "UNAUTHENTICATED") return true;
    throw err;
  }
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
}

async function time(op) {
  for (let i = 0; i < 5000; i++) await op();
  const perOp = [];
  for (let b = 0; b < BATCHES; b++) {
    const started = performance.now();
    for (let i = 0; i < OPS; i++) {
      await op();
      if (i % 1000 === 999) await tick();
    }
    perOp.push(((performance.now() - started) * 1e6) / OPS);
  }
  return stats(perOp).median;
}

/** A stand-in gateway: a token endpoint and a feed whose snapshot holds `live` sessions. */
async function standInFeed(live) {
  const until = Date.now() + 86_400_000;
  const frames = [];
  for (let i = 0; i < live; i++)
    frames.push(
      `data: ${JSON.stringify({ type: "session", id: randomUUID(), at: Date.now(), until })}\n\n`,
    );
  const snapshot = `event: reset\ndata: {}\n\n${frames.join("")}id: 1\nevent: synced\ndata: {"heartbeatSeconds":15}\n\n`;
  const server = createServer((req, res) => {
    if (req.url === "/oauth2/token") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ access_token: "x", token_type: "Bearer", expires_in: 3600 }));
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(snapshot);
    const hb = setInterval(() => res.write(": hb\n\n"), 15000);
    res.once("close", () => clearInterval(hb));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, bytes: Buffer.byteLength(snapshot), close: () => server.close() };
}

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), "poolgate-bench-feed-"));
  const env = envWith({
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
    POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
  });
  let gateway;
  const verifiers = [];
  try {
    const web = await cli(["clients", "create", "--name", "web", "--scopes", "openid"], env);
    const feed = await cli(
      ["clients", "create", "--name", "feed", "--secret", "--scopes", "poolgate/revocations"],
      env,
    );
    await cli(["users", "create", "--username", "bench", "--password", PASSWORD], env);
    gateway = await serve(env);
    const { base } = gateway;
    const signIn = async () =>
      (
        await gql(
          base,
          "mutation ($i: SignInInput!) { signIn(input: $i) { accessToken refreshToken } }",
          {
            i: { clientId: web.clientId, username: "bench", password: PASSWORD },
          },
        )
      ).signIn;
    const first = await signIn();
    const issuer = JSON.parse(Buffer.from(first.accessToken.split(".")[1], "base64url")).iss;
    const common = { issuer, jwksUri: `${base}/.well-known/jwks.json`, clientIds: null };
    const revocations = {
      clientId: feed.clientId,
      clientSecret: feed.clientSecret,
      tokenEndpoint: `${base}/oauth2/token`,
      endpoint: `${base}/revocations`,
    };
    const withFeed = createVerifier({ ...common, revocations });
    const without = createVerifier(common);
    verifiers.push(withFeed, without);

    // 1. Propagation.
    const ms = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const tokens = await signIn();
      if (await rejected(withFeed, tokens.accessToken)) throw new Error("fresh token rejected");
      await gql(base, "mutation ($i: RevokeInput!) { revoke(input: $i) }", {
        i: { clientId: web.clientId, token: tokens.refreshToken },
      });
      const started = performance.now();
      while (!(await rejected(withFeed, tokens.accessToken))) {
        if (performance.now() - started > 5000) throw new Error("not rejected within 5 s");
        await sleep(POLL_MS);
      }
      ms.push(performance.now() - started);
    }
    const p = stats(ms);
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    console.log(`node ${process.version}, ${cpu}, ${os.cpus().length} cores\n`);
    console.log(
      `Propagation, revoke response → verifier rejects (${REVOCATIONS} revocations, ` +
        `poll ${POLL_MS} ms, default POOLGATE_SYNC_INTERVAL_MS):`,
    );
    console.log(
      `  median ${p.median.toFixed(1)} ms, p90 ${p.p90.toFixed(1)} ms, max ${p.max.toFixed(1)} ms\n`,
    );

    // 2. Cost per request (cached token: the steady state of a subgraph).
    const token = (await signIn()).accessToken;
    await without.verify(token);
    await withFeed.verify(token);
    const off = await time(() => without.verify(token));
    const on = await time(() => withFeed.verify(token));

    // 3. Memory for LIVE revoked sessions, and the cost with them held.
    const standIn = await standInFeed(LIVE);
    gc();
    const before = process.memoryUsage().heapUsed;
    const big = createVerifier({
      ...common,
      revocations: {
        clientId: "x",
        clientSecret: "y",
        tokenEndpoint: `${standIn.base}/oauth2/token`,
        endpoint: `${standIn.base}/revocations`,
      },
    });
    verifiers.push(big);
    await big.verify(token);
    while (big.stats().revocations.revokedSessions < LIVE) await sleep(10);
    gc();
    const heapMiB = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    const full = await time(() => big.verify(token));
    standIn.close();

    console.log(`verify() of a cached token, ${BATCHES} batches of ${OPS}, median ns/op:`);
    console.log("| verifier | ns/op | ratio |");
    console.log("|---|---:|---:|");
    console.log(`| signature only (feed off) | ${off.toFixed(0)} | 1.00 |`);
    console.log(`| feed on | ${on.toFixed(0)} | ${(on / off).toFixed(2)} |`);
    console.log(
      `| feed on, ${LIVE} revoked sessions held | ${full.toFixed(0)} | ${(full / off).toFixed(2)} |`,
    );
    if (process.env.BENCH_JSON_OUT)
      require("node:fs").writeFileSync(
        process.env.BENCH_JSON_OUT,
        JSON.stringify({
          revocations: REVOCATIONS,
          propagationMs: p,
          nsPerVerify: { off, on, full },
          live: LIVE,
          heapMiB,
          snapshotMiB: standIn.bytes / 1024 / 1024,
        }),
      );
    console.log(
      `\nMemory for ${LIVE} live revoked sessions: ${heapMiB.toFixed(1)} MiB of heap ` +
        `(${((heapMiB * 1024 * 1024) / LIVE).toFixed(0)} B each); snapshot on the wire ` +
        `${(standIn.bytes / 1024 / 1024).toFixed(1)} MiB`,
    );
  } finally {
    await Promise.all(verifiers.map((v) => v.close()));
    gateway?.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
