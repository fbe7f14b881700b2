#!/usr/bin/env node
// Revocation propagation between two gateway processes on one PostgreSQL database (DESIGN §3:
// "within 1 s on others sharing the same database"; issue 4).
//
// Creates a database of its own (poolgate_bench_<hex>), starts two `poolgate serve`
// processes A and B on it with the default sync settings (LISTEN/NOTIFY plus the
// POOLGATE_SYNC_INTERVAL_MS resync), then, for each of N revocations: signs in on A, checks
// that B accepts the access token, revokes the session on A and measures the time from A's
// revoke response to the first 401 from B, polling B every 5 ms (at most 5 s). Prints the
// median, p90 and max, stops both processes and drops the database.
//
//   node bench/propagation.js            (requires `npm run build` and PostgreSQL)
//
// Environment: BENCH_PG_URL (admin connection, default postgres://postgres@127.0.0.1:5432/test,
// or POOLGATE_TEST_PG_URL), BENCH_REVOCATIONS (default 100, at least 50),
// BENCH_POLL_MS (default 5).
"use strict";
const { execFile, spawn } = require("node:child_process");
const { randomBytes } = require("node:crypto");
const { join } = require("node:path");
const { performance } = require("node:perf_hooks");
const pg = require("pg");

const ROOT = join(__dirname, "..");
const BIN = join(ROOT, "bin", "poolgate.js");
const ADMIN_URL =
  process.env.BENCH_PG_URL ??
  process.env.POOLGATE_TEST_PG_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const REVOCATIONS = Math.max(50, Number(process.env.BENCH_REVOCATIONS ?? 100));
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 5);
const TIMEOUT_MS = 5000;
const PASSWORD = "Correct-h0rse!";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function withAdmin(use) {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  admin.on("error", () => {});
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end().catch(() => {});
  }
}

/** The environment without the caller's POOLGATE_* settings, plus `extra`. */
function envWith(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("POOLGATE_") && k !== "NODE_ENV") env[k] = v;
  }
  return { ...env, ...extra };
}

function cli(args, env) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args, "--json"],
      { cwd: ROOT, env, timeout: 30000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`poolgate ${args.join(" ")} failed: ${stdout}${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

const children = new Set();

function serve(name, env) {
  const child = spawn(process.execPath, [BIN, "serve"], {
    cwd: ROOT,
    env: { ...env, POOLGATE_PORT: "0", POOLGATE_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: not listening after 20 s:\n${output}`)),
      20000,
    );
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited (${code ?? signal}) before listening:\n${output}`));
    });
    child.stdout.on("data", (chunk) => {
      output += chunk;
      for (const line of output.split("\n")) {
        if (!line.includes('"poolgate listening"')) continue;
        clearTimeout(timer);
        // Keep draining stdout so the process never blocks on a full pipe.
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        return resolve({ name, child, url: JSON.parse(line).url });
      }
    });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function gql(gateway, query, variables = {}, token) {
  const res = await fetch(gateway.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken } }`;
const REVOKE = `mutation ($input: RevokeInput!) { revoke(input: $input) }`;
const ME = `{ me { sub } }`;

function percentile(sorted, p) {
  // Nearest rank.
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

async function main() {
  const name = `poolgate_bench_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`),
  );
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const env = envWith({
    POOLGATE_ENV: "production",
    POOLGATE_DATABASE_URL: url.toString(),
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    // Production needs SMTP for recovery by email (src/config.ts mailFeatures); nothing here mails.
    POOLGATE_ACCOUNT_RECOVERY: "admin_only",
    // Cheap hashing: sign-in cost is not what is measured here.
    POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
    POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
  });
  try {
    // One after the other: the first creates the schema and the signing key.
    const a = await serve("A", env);
    const b = await serve("B", env);
    const { clientId } = await cli(["clients", "create", "--name", "bench"], env);
    await cli(["users", "create", "--username", "bench", "--password", PASSWORD], env);

    const delays = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const signedIn = await gql(a, SIGN_IN, {
        input: { clientId, username: "bench", password: PASSWORD },
      });
      const tokens = signedIn.body.data && signedIn.body.data.signIn;
      if (!tokens) throw new Error(`sign-in on A failed: ${JSON.stringify(signedIn.body.errors)}`);
      const warm = await gql(b, ME, {}, tokens.accessToken);
      if (warm.status !== 200)
        throw new Error(`B did not accept a fresh token of A: ${warm.status}`);

      const revoked = await gql(a, REVOKE, { input: { clientId, token: tokens.refreshToken } });
      const t0 = performance.now();
      if (!revoked.body.data || revoked.body.data.revoke !== true) {
        throw new Error(`revoke on A failed: ${JSON.stringify(revoked.body.errors)}`);
      }
      let delay;
      for (;;) {
        const res = await gql(b, ME, {}, tokens.accessToken);
        const now = performance.now();
        if (res.status === 401) {
          delay = now - t0;
          break;
        }
        if (now - t0 > TIMEOUT_MS)
          throw new Error(`B still accepts a token revoked on A after ${TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      delays.push(delay);
    }

    const sorted = [...delays].sort((x, y) => x - y);
    const fmt = (ms) => ms.toFixed(1);
    console.log(
      `\nRevocation propagation A → B (two poolgate processes, one PostgreSQL database, ` +
        `${REVOCATIONS} revocations, B polled every ${POLL_MS} ms)`,
    );
    console.log(`  median ${fmt(percentile(sorted, 50))} ms`);
    console.log(`  p90    ${fmt(percentile(sorted, 90))} ms`);
    console.log(`  max    ${fmt(sorted[sorted.length - 1])} ms`);
    console.log(`  min    ${fmt(sorted[0])} ms`);
    console.log(
      "  (time from A's revoke response to B's first 401; includes one HTTP round trip to B)",
    );
  } finally {
    await Promise.all([...children].map(stop));
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
