#!/usr/bin/env node
// npm run bench — poolgate side by side with the stacks a user would otherwise pick and with
// the crypto ceilings and floors of this machine, measured in one run, as ratios. The targets
// (issue 7, revised by issue 19) are printed as met/missed rows; nothing fails on a miss.
// Needs `npm run build`; installs bench/peers on first use.
//
//   npm run bench                       every section, 3 runs each; writes docs/benchmarks.md
//   npm run bench -- --quick            shorter runs, smaller scale test; prints only
//   npm run bench -- --sections=1,4     some sections (1 request, 2 issuance, 3 sign-in,
//                                       4 verifier, 5 scale, 6 Cognito wire API and SRP,
//                                       7 authorization-code round trip, 8 the cost of
//                                       an in-process hook on refresh, 9 the revocation
//                                       feed at a subgraph, 10 signing algorithms ES256 and
//                                       EdDSA, 11 `me` during a sign-in storm); prints only
//   npm run bench -- --propagation      also bench/propagation.js (PostgreSQL)
//   npm run bench -- --runs=5 --seconds=5 --write --no-write --profile --no-profile
//   node bench/run.js verifier | enumeration   (the two original benchmarks alone)
//   node bench/run.js --report=FILE     rewrite docs/benchmarks.md from a saved results file
//
// Servers run in their own processes pinned to core 0 (taskset), the load generator
// (autocannon, in this process) on core 1. Every load is bounded in time or count, on
// 127.0.0.1 only. Server CPU is read from /proc/<pid>/stat around each measured window.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync, writeFileSync } = require("node:fs");
const os = require("node:os");
const { join } = require("node:path");
const { performance } = require("node:perf_hooks");
const { ensurePeers } = require("./lib/peers");
const { pinSelf, PIN, HAS_TASKSET, CORES } = require("./lib/proc");
const { DIST, ROOT } = require("./lib/root");
const report = require("./lib/report");

function parseArgs(argv) {
  const a = {
    sections: null,
    quick: false,
    propagation: false,
    write: undefined,
    profile: undefined,
  };
  for (const arg of argv) {
    const [k, v] = arg.replace(/^--/, "").split("=");
    if (k === "quick") a.quick = true;
    else if (k === "propagation") a.propagation = true;
    else if (k === "write") a.write = true;
    else if (k === "profile") a.profile = true;
    else if (k === "no-profile") a.profile = false;
    else if (k === "no-write") a.write = false;
    else if (k === "sections" || k === "only") a.sections = v.split(",").map(Number);
    else if (k === "runs") a.runs = Number(v);
    else if (k === "seconds") a.seconds = Number(v);
    else if (k === "verifier") a.sections = [4];
    else if (k === "enumeration") a.enumerationOnly = true;
    else if (k === "report") a.report = v;
    else if (k === "help" || k === "h") a.help = true;
    else throw new Error(`unknown option ${arg} (see the head of bench/run.js)`);
  }
  return a;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(
      require("node:fs").readFileSync(__filename, "utf8").split("\n").slice(1, 22).join("\n"),
    );
    return;
  }
  if (args.report) {
    const saved = JSON.parse(require("node:fs").readFileSync(args.report, "utf8"));
    writeFileSync(join(__dirname, "..", "docs", "benchmarks.md"), report.markdown(saved));
    console.log(report.console(saved));
    return;
  }
  if (!existsSync(join(DIST, "server.js"))) {
    throw new Error(`${DIST} is missing: run \`npm run build\` first`);
  }
  ensurePeers();
  const pinned = pinSelf();
  const ctx = {
    load: {
      runs: args.runs ?? 3,
      seconds: args.seconds ?? (args.quick ? 1.5 : 3),
      warmupSeconds: args.quick ? 0.5 : 1,
      connections: 10,
      issuanceConnections: 10,
      enumerationTries: args.quick ? 30 : 100,
      microMs: args.quick ? 250 : 600,
    },
    scale: args.quick
      ? {
          users: 1_000_000,
          liveTokens: 20_000,
          revoked: 100_000,
          passSeconds: 10,
          historySizes: [0, 10_000, 100_000],
          pruneSeconds: 60,
        }
      : {
          users: 1_000_000,
          liveTokens: 100_000,
          revoked: 100_000,
          passSeconds: 45,
          historySizes: [0, 100_000, 1_000_000],
          pruneSeconds: 180,
        },
    warnings: [],
    warn(msg) {
      ctx.warnings.push(msg);
      console.warn(`  ! ${msg}`);
    },
    progress: (msg) => console.log(msg),
  };
  if (ctx.load.runs < 3) ctx.warn("fewer than 3 runs: min/median/max are not meaningful");
  const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const sections = args.enumerationOnly ? [3] : (args.sections ?? all);
  if (args.enumerationOnly) ctx.load.runs = 0;
  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "?",
    cores: CORES,
    memoryGiB: os.totalmem() / 2 ** 30,
    loadavg: os.loadavg(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    pinned: pinned
      ? "server on core 0, load generator on core 1 (taskset)"
      : HAS_TASKSET
        ? "not pinned (one core)"
        : "not pinned (no taskset)",
    root: ROOT,
    commit:
      process.env.BENCH_POOLGATE_REF ??
      (spawnSync("git", ["-C", ROOT, "describe", "--always", "--dirty"], {
        encoding: "utf8",
      }).stdout.trim() ||
        "?"),
    mode: args.quick ? "quick" : "full",
  };
  console.log(
    `poolgate bench — ${machine.date}, Node ${machine.node}, ${machine.cores} × ${machine.cpu}; ${machine.pinned}`,
  );
  const t0 = performance.now();
  const results = { machine, sections: {}, timings: {} };
  const runners = {
    1: ["Authenticated request", "./sections/request"],
    2: ["Token issuance", "./sections/issuance"],
    3: ["Sign-in", "./sections/signin"],
    4: ["Verifier micro-benchmark", "./sections/verifier"],
    5: ["Scale", "./sections/scale"],
    6: ["Cognito wire API and SRP", "./sections/cognitoWire"],
    7: ["Authorization code round trip", "./sections/authCode"],
    8: ["In-process hook on refresh", "./sections/hooks"],
    9: ["Revocation feed at a subgraph", "./sections/feed"],
    10: ["Signing algorithms", "./sections/signingAlg"],
    11: ["`me` during a sign-in storm", "./sections/meStorm"],
  };
  for (const n of sections) {
    const [title, file] = runners[n];
    console.log(`\n${n}. ${title}`);
    const s0 = performance.now();
    try {
      results.sections[n] = await require(file).run(ctx);
    } catch (err) {
      ctx.warn(`section ${n} failed: ${err.stack ?? err}`);
      results.sections[n] = { error: String(err.message ?? err) };
    }
    results.timings[n] = (performance.now() - s0) / 1000;
  }
  if (args.propagation) {
    console.log("\nRevocation propagation (PostgreSQL, bench/propagation.js)");
    const s0 = performance.now();
    const r = spawnSync(process.execPath, [join(__dirname, "propagation.js")], {
      env: { ...process.env, BENCH_REVOCATIONS: process.env.BENCH_REVOCATIONS ?? "50" },
      encoding: "utf8",
      timeout: 180_000,
    });
    results.propagation = {
      status: r.status,
      output: `${r.stdout}${r.status === 0 ? "" : r.stderr}`.trim(),
    };
    console.log(results.propagation.output);
    results.timings.propagation = (performance.now() - s0) / 1000;
  }
  const complete = sections.length === all.length && !args.quick && !args.enumerationOnly;
  if (args.profile ?? complete) {
    console.log("\nProfile (node --cpu-prof on the gateway under load)");
    const s0 = performance.now();
    const { profileWorkload } = require("./profile");
    results.profiles = [];
    for (const w of ["me", "refresh-oauth"]) {
      try {
        const p = await profileWorkload(w, args.quick ? 3 : 5);
        results.profiles.push(p);
        console.log(
          `  ${w}: ` +
            p.own
              .slice(0, 4)
              .map((e) => `${e.fn} ${(100 * e.share).toFixed(1)} %`)
              .join(", "),
        );
      } catch (err) {
        ctx.warn(`profile ${w} failed: ${err.message}`);
      }
    }
    results.timings.profile = (performance.now() - s0) / 1000;
  }
  results.totalSeconds = (performance.now() - t0) / 1000;
  results.warnings = ctx.warnings;
  const md = report.markdown(results);
  console.log("\n" + report.console(results));
  const write = args.write ?? complete;
  if (write) {
    const out = join(__dirname, "..", "docs", "benchmarks.md");
    writeFileSync(out, md);
    console.log(`\nwrote ${out}`);
  }
  // Raw figures, for --report= (rewriting the markdown without measuring again).
  writeFileSync(join(os.tmpdir(), "poolgate-bench-results.json"), JSON.stringify(results, null, 2));
  console.log(
    `total ${results.totalSeconds.toFixed(0)} s (raw results: ${join(os.tmpdir(), "poolgate-bench-results.json")})`,
  );
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
