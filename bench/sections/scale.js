// Section 5 — scale: a store of 1 000 000 users and 100 000 revoked sessions (written by
// SQL), then `me` throughput (a) over 1 000 tokens of random users (verifier cache warm,
// every request a store read among 1M rows), (b) over 100 000 distinct live tokens (ten times
// the verifier cache: LRU churn, signature work on most requests), with the gateway's memory
// before and after every token was presented once: caches stay bounded.
//
// Then the history (issue 13 #2): gateway start time and RSS on stores holding 0, 100 000 and
// 1 000 000 past sessions (expired) and feed events (older than the revocation window),
// written by SQL; and the row counts before and after the scheduled prune of the largest.
"use strict";
const { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync } = require("node:fs");
const { randomBytes, randomUUID } = require("node:crypto");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { performance } = require("node:perf_hooks");
const { startServer } = require("../lib/proc");
const { startPoolgate, gql, post, ISSUER, SERVERS } = require("../lib/fixture");
const { measureLoad, autocannonRun } = require("../lib/load");
const { summary } = require("../lib/stats");
const { dist, ROOT } = require("../lib/root");
const { populate, subOf } = require("../lib/population");
const { QUERY } = require("./request");
const { createRequire } = require("node:module");

function rotatingTokens(tokens, state) {
  return [
    {
      setupRequest: (req) => {
        const t = tokens[state.next++ % tokens.length];
        return { ...req, headers: { ...req.headers, authorization: `Bearer ${t}` } };
      },
    },
  ];
}

const DAY_MS = 86400_000;

/** Adds `count` expired sessions and as many feed events older than the revocation window. */
function seedHistory(path, count) {
  const Database = createRequire(join(ROOT, "package.json"))("better-sqlite3");
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = OFF");
    const now = Date.now();
    const insertSession = db.prepare(
      "INSERT INTO sessions (id, sub, client_id, scope, auth_time_seconds, created_at_ms, expires_at_ms, refresh_token_hash, revoked_at_ms, revoked_reason) VALUES (?, ?, 'bench-history', 'openid', ?, ?, ?, ?, ?, ?)",
    );
    const insertChange = db.prepare(
      "INSERT INTO changes (kind, subject, at_ms) VALUES ('session_revoked', ?, ?)",
    );
    const CHUNK = 100_000;
    for (let start = 0; start < count; start += CHUNK) {
      db.transaction(() => {
        for (let i = start; i < Math.min(count, start + CHUNK); i++) {
          const id = randomUUID();
          // Spread over the 30 days before the window: sessions expired, events of no live token.
          const atMs = now - 2 * DAY_MS - (i % (30 * 24)) * 3600_000;
          const revoked = i % 2 === 0;
          insertSession.run(
            id,
            subOf(i),
            Math.floor((atMs - DAY_MS) / 1000),
            atMs - DAY_MS,
            atMs,
            `h-${id}`,
            revoked ? atMs - 1000 : null,
            revoked ? "revoked" : null,
          );
          insertChange.run(id, atMs);
        }
      })();
    }
  } finally {
    db.close();
  }
}

function rowCounts(path) {
  const Database = createRequire(join(ROOT, "package.json"))("better-sqlite3");
  const db = new Database(path, { readonly: true });
  try {
    const n = (table) => db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
    return { sessions: n("sessions"), changes: n("changes") };
  } finally {
    db.close();
  }
}

/**
 * Start time (spawn to listening, the whole process) and RSS after a GC of gateways on a store
 * with `size` past rows, `runs` starts each; the prune of the largest store by the schedule.
 */
async function history(ctx) {
  const sizes = ctx.scale.historySizes;
  const runs = ctx.load.runs;
  const rows = [];
  let prune = null;
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), "poolgate-bench-history-"));
    const path = join(dir, "bench.db");
    const masterKey = randomBytes(32).toString("base64");
    try {
      const { openStore } = dist("store/open.js");
      const store = await openStore(`sqlite:${path}`);
      await store.migrate();
      await store.close();
      let t0 = performance.now();
      seedHistory(path, size);
      const seedSeconds = (performance.now() - t0) / 1000;
      // Written through before the starts: the kernel's writeback of the seeded pages would
      // otherwise land in the first measured start (seen: +60 % at 1M rows).
      const fd = openSync(path, "r+");
      fsyncSync(fd);
      closeSync(fd);
      // One start not measured: the first start of a store creates its signing key (an RSA
      // key generation, of varying length), a cost no later start has.
      await (
        await startPoolgate({
          dir,
          env: { POOLGATE_MASTER_KEY: masterKey, POOLGATE_PRUNE_INTERVAL_SECONDS: "0" },
        })
      ).stop();
      const starts = [];
      const rss = [];
      const heap = [];
      for (let i = 0; i < runs; i++) {
        t0 = performance.now();
        // No prune while the start is measured: the rows stay for every run.
        const gw = await startPoolgate({
          dir,
          env: { POOLGATE_MASTER_KEY: masterKey, POOLGATE_PRUNE_INTERVAL_SECONDS: "0" },
        });
        starts.push((performance.now() - t0) / 1000);
        try {
          await gw.call("gc");
          const stats = await gw.call("stats");
          rss.push(stats.mem.rss);
          heap.push(stats.mem.heapUsed);
        } finally {
          await gw.stop();
        }
      }
      const row = {
        size,
        seedSeconds,
        start: summary(starts),
        rss: summary(rss),
        heap: summary(heap),
      };
      rows.push(row);
      ctx.progress(
        `  5. history ${size.toLocaleString("en-US")} past sessions + feed events (seeded by SQL in ${seedSeconds.toFixed(1)} s): start ${row.start.median.toFixed(2)} s, RSS ${(row.rss.median / 2 ** 20).toFixed(0)} MiB (median of ${runs})`,
      );

      if (size === sizes[sizes.length - 1] && size > 0) {
        // The schedule's first prune comes min(60 s, interval) after start: 1 s here.
        const before = rowCounts(path);
        // What stays: the rows the gateways themselves wrote (the first key's feed event).
        const kept = { sessions: before.sessions - size, changes: before.changes - size };
        t0 = performance.now();
        const gw = await startPoolgate({
          dir,
          env: { POOLGATE_MASTER_KEY: masterKey, POOLGATE_PRUNE_INTERVAL_SECONDS: "1" },
        });
        let after = rowCounts(path);
        const done = () => after.sessions <= kept.sessions && after.changes <= kept.changes;
        try {
          const deadline = performance.now() + ctx.scale.pruneSeconds * 1000;
          while (!done() && performance.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            after = rowCounts(path);
          }
        } finally {
          await gw.stop();
        }
        prune = { before, after, seconds: (performance.now() - t0) / 1000 };
        ctx.progress(
          `  5. scheduled prune: sessions ${before.sessions.toLocaleString("en-US")} → ${after.sessions.toLocaleString("en-US")}, feed events ${before.changes.toLocaleString("en-US")} → ${after.changes.toLocaleString("en-US")}, within ${prune.seconds.toFixed(1)} s of the gateway's spawn`,
        );
        if (!done())
          ctx.warn(`section 5: the prune did not finish within ${ctx.scale.pruneSeconds} s`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rows, prune };
}

async function run(ctx) {
  const past = await history(ctx);
  const { runs, seconds, warmupSeconds, connections } = ctx.load;
  const { users, liveTokens, revoked } = ctx.scale;
  const dir = mkdtempSync(join(tmpdir(), "poolgate-bench-scale-"));
  const path = join(dir, "bench.db");
  const masterKey = randomBytes(32).toString("base64");
  const started = [];
  try {
    // The schema, then the rows.
    const { openStore } = dist("store/open.js");
    await (await openStore(`sqlite:${path}`)).close();
    const argon2 = createRequire(join(ROOT, "package.json"))("@node-rs/argon2");
    const passwordHash = await argon2.hash("Bench-passw0rd!", {
      algorithm: 2,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    let t0 = performance.now();
    await populate(path, { users, revoked, passwordHash });
    const populateSeconds = (performance.now() - t0) / 1000;
    ctx.progress(
      `  5. ${users.toLocaleString("en-US")} users and ${revoked.toLocaleString("en-US")} revoked sessions written by SQL in ${populateSeconds.toFixed(1)} s`,
    );

    t0 = performance.now();
    const poolgate = await startPoolgate({ dir, env: { POOLGATE_MASTER_KEY: masterKey } });
    started.push(poolgate);
    const startSeconds = (performance.now() - t0) / 1000;
    const clientId = await poolgate.call("createClient");
    await poolgate.call("gc");
    const atStart = await poolgate.call("stats");

    const minter = await startServer(join(SERVERS, "mint.js"), {
      cpus: "0,1",
      env: { POOLGATE_DATABASE_URL: `sqlite:${path}`, POOLGATE_MASTER_KEY: masterKey },
    });
    started.push(minter);
    const file = join(dir, "tokens.txt");
    t0 = performance.now();
    await minter.call("mint", { count: liveTokens, users, clientId, issuer: ISSUER, file });
    const mintSeconds = (performance.now() - t0) / 1000;
    await minter.stop();
    started.pop();
    const tokens = readFileSync(file, "utf8").trim().split("\n");
    ctx.progress(
      `  5. ${tokens.length.toLocaleString("en-US")} access tokens minted in ${mintSeconds.toFixed(1)} s (setup, not measured)`,
    );

    const url = `${poolgate.url}/graphql`;
    const check = await post(url, gql(QUERY), { authorization: `Bearer ${tokens[0]}` });
    if (!check.json?.data?.me?.sub)
      throw new Error(`section 5: me failed: ${check.text.slice(0, 300)}`);

    const hot = tokens.slice(0, 1000);
    const hotState = { next: 0 };
    const wideState = { next: 1000 };
    const target = (list, state) => ({
      url,
      headers: { "content-type": "application/json" },
      body: gql(QUERY),
      requests: rotatingTokens(list, state),
      server: poolgate,
    });
    const warm = [];
    const wide = [];
    for (let i = 0; i < runs; i++) {
      const r = await measureLoad(target(hot, hotState), {
        connections,
        seconds,
        warmupSeconds: i === 0 ? warmupSeconds : 0.5,
      });
      warm.push(r);
      ctx.progress(
        `  5. me, 1M users, 1 000 tokens          run ${i + 1}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(0)} µs CPU/req`,
      );
      const w = await measureLoad(target(tokens, wideState), {
        connections,
        seconds,
        warmupSeconds: 0,
      });
      wide.push(w);
      ctx.progress(
        `  5. me, 1M users, 100k distinct tokens   run ${i + 1}: ${w.rps.toFixed(0)} req/s, ${w.cpuUsPerReq.toFixed(0)} µs CPU/req`,
      );
      if (r.bad + w.bad > 0) ctx.warn(`section 5: ${r.bad + w.bad} failed requests`);
    }
    // Present every remaining token once (bounded: at most ctx.scale.passSeconds).
    const remaining = Math.max(0, tokens.length - wideState.next);
    let pass = null;
    if (remaining > 0) {
      const tp = performance.now();
      const r = await autocannonRun({
        ...target(tokens, wideState),
        method: "POST",
        connections,
        amount: remaining,
        duration: ctx.scale.passSeconds,
        timeout: 10,
      });
      pass = {
        requests: r["2xx"],
        seconds: (performance.now() - tp) / 1000,
        bad: r.non2xx + r.errors + r.timeouts,
      };
    }
    await poolgate.call("gc");
    const atEnd = await poolgate.call("stats");
    ctx.progress(
      `  5. presented ${Math.min(wideState.next, tokens.length).toLocaleString("en-US")} distinct tokens; heap ${(atStart.mem.heapUsed / 2 ** 20).toFixed(0)} → ${(atEnd.mem.heapUsed / 2 ** 20).toFixed(0)} MiB, RSS ${(atStart.mem.rss / 2 ** 20).toFixed(0)} → ${(atEnd.mem.rss / 2 ** 20).toFixed(0)} MiB, verifier cache ${atEnd.verifier.size}`,
    );
    const S = (arr, f) => summary(arr.map(f));
    const load = (arr) => ({
      rps: S(arr, (r) => r.rps),
      p50: S(arr, (r) => r.p50),
      p99: S(arr, (r) => r.p99),
      cpu: S(arr, (r) => r.cpuUsPerReq),
    });
    return {
      users,
      revoked,
      liveTokens: tokens.length,
      presented: Math.min(wideState.next, tokens.length),
      populateSeconds,
      startSeconds,
      mintSeconds,
      atStart,
      atEnd,
      warm: load(warm),
      wide: load(wide),
      pass,
      history: past,
    };
  } finally {
    for (const s of started.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };
