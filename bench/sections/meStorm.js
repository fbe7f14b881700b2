// Section 11 — `me` during a sign-in storm (issue 19): the p99 latency of
// `{ me { sub username email groups } }` at a fixed request rate, with no other load and while
// 10 connections run argon2id password sign-ins (section 3's `signIn` mutations, one user after
// the other) back to back on the same gateway. The rate is a fixed share of `me`'s capacity
// measured on that gateway in the same run (closed loop, 10 connections), so the p99 shows what
// the storm does to `me`, not a saturated server; the load is open loop (bench/lib/openLoop.js:
// each request timed from when it was due). Quiet and storm windows alternate in each run.
"use strict";
const { performance } = require("node:perf_hooks");
const { serverGroup } = require("../lib/proc");
const { startPoolgate, gql, post, PASSWORD } = require("../lib/fixture");
const { measureLoad, autocannonRun, waitIdle } = require("../lib/load");
const { openLoop } = require("../lib/openLoop");
const { summary } = require("../lib/stats");
const { QUERY } = require("./request");
const { rotating, SIGN_IN, USERS } = require("./signin");

/** `me`'s fixed rate as a share of its closed-loop capacity. */
const SHARE = 0.4;
const STORM_CONNECTIONS = 10;

async function run(ctx) {
  const { runs, seconds, warmupSeconds } = ctx.load;
  const servers = serverGroup();
  try {
    const poolgate = await servers.start(startPoolgate());
    const setup = await poolgate.call("setup", { users: USERS, password: PASSWORD });
    const url = `${poolgate.url}/graphql`;
    const token = setup.sessions[0].accessToken;
    const me = {
      url,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: gql(QUERY),
    };
    const bodies = setup.users.map((username) =>
      gql(SIGN_IN, { i: { clientId: setup.webClientId, username, password: PASSWORD } }),
    );
    const check = await post(url, me.body, me.headers);
    if (!check.json?.data?.me?.sub) throw new Error(`poolgate me: ${check.text.slice(0, 300)}`);
    const first = await post(url, bodies[0]);
    if (!first.json?.data?.signIn?.accessToken)
      throw new Error(`poolgate signIn: ${first.text.slice(0, 300)}`);

    const capacity = await measureLoad(
      { ...me, server: poolgate },
      { connections: 10, seconds, warmupSeconds },
    );
    const rate = Math.max(100, Math.round((SHARE * capacity.rps) / 50) * 50);
    ctx.progress(
      `  11. me capacity (closed loop, c=10): ${capacity.rps.toFixed(0)} req/s → fixed rate ${rate} req/s`,
    );
    // Warm the sign-in path (argon2id's memory, the first SRP verifier re-seal) unmeasured.
    await autocannonRun({
      url,
      method: "POST",
      headers: { "content-type": "application/json" },
      requests: rotating(bodies),
      connections: STORM_CONNECTIONS,
      duration: warmupSeconds,
    });

    const quietWindow = async () => {
      await waitIdle(poolgate);
      return openLoop({ ...me, rate, seconds });
    };
    const stormWindow = async () => {
      await waitIdle(poolgate);
      const t0 = performance.now();
      const storm = autocannonRun({
        url,
        method: "POST",
        headers: { "content-type": "application/json" },
        requests: rotating(bodies),
        connections: STORM_CONNECTIONS,
        duration: seconds + 1,
        timeout: 10,
      });
      // The storm's sign-ins queue up first; `me` is measured inside it.
      await new Promise((r) => setTimeout(r, 500));
      const during = await openLoop({ ...me, rate, seconds });
      const s = await storm;
      const bad = s.non2xx + s.errors + s.timeouts;
      if (bad > 0) ctx.warn(`section 11: ${bad} sign-ins of the storm failed`);
      return { ...during, stormRps: s["2xx"] / ((performance.now() - t0) / 1000) };
    };
    const out = { quiet: [], storm: [] };
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ["quiet", "storm"] : ["storm", "quiet"];
      for (const kind of order) {
        const r = kind === "quiet" ? await quietWindow() : await stormWindow();
        if (r.bad > 0) ctx.warn(`section 11: ${r.bad} \`me\` requests failed (${kind})`);
        out[kind].push(r);
        ctx.progress(
          `  11. me at ${rate} req/s, ${kind === "quiet" ? "no storm" : `storm (${r.stormRps.toFixed(1)} sign-ins/s)`}`.padEnd(
            52,
          ) +
            ` run ${i + 1}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.rate.toFixed(0)} req/s sent`,
        );
      }
    }
    const S = (arr, f) => summary(arr.map(f));
    const lat = (arr) => ({
      p50: S(arr, (r) => r.p50),
      p99: S(arr, (r) => r.p99),
      max: S(arr, (r) => r.max),
      bad: arr.reduce((a, r) => a + r.bad, 0),
    });
    return {
      share: SHARE,
      rate,
      capacity: capacity.rps,
      stormConnections: STORM_CONNECTIONS,
      quiet: lat(out.quiet),
      storm: lat(out.storm),
      stormRps: S(out.storm, (r) => r.stormRps),
      // storm ÷ quiet per run (the two windows of a run back to back).
      p99Ratio: summary(out.storm.map((r, k) => r.p99 / out.quiet[k].p99)),
    };
  } finally {
    await servers.stopAll();
  }
}

module.exports = { run };
