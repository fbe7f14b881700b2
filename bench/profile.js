#!/usr/bin/env node
// CPU profile of poolgate under a bounded load: node --cpu-prof on the gateway process
// (pinned like the bench), then the top self-time frames, overall, in poolgate's own code
// and by package.
//
//   node bench/profile.js [me|refresh|refresh-oauth|cc|signin] [--seconds=10] [--top=25]
"use strict";
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, relative } = require("node:path");
const { ensurePeers } = require("./lib/peers");
const { pinSelf } = require("./lib/proc");
const { startPoolgate, gql, PASSWORD } = require("./lib/fixture");
const { measureLoad } = require("./lib/load");
const { ROOT } = require("./lib/root");
const { QUERY } = require("./sections/request");

function frames(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    self.set(n, (self.get(n) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const agg = new Map();
  let total = 0;
  for (const [n, us] of self) {
    total += us;
    const cf = n.callFrame;
    const key = `${cf.functionName || "(anonymous)"} ${cf.url}:${cf.lineNumber + 1}`;
    const e = agg.get(key) ?? {
      fn: cf.functionName || "(anonymous)",
      url: cf.url,
      line: cf.lineNumber + 1,
      us: 0,
    };
    e.us += us;
    agg.set(key, e);
  }
  return { list: [...agg.values()].sort((a, b) => b.us - a.us), total };
}

function where(url) {
  if (!url) return "(native/V8)";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + 13).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith("node:")) return "node core";
  if (path.startsWith(ROOT)) return "poolgate";
  return path;
}

const WORKLOADS = ["me", "refresh", "refresh-oauth", "cc", "signin"];

/** Profiles one workload; resolves with the load figures and the frames. */
async function profileWorkload(workload, seconds) {
  const dir = mkdtempSync(join(tmpdir(), "poolgate-prof-"));
  const gw = await startPoolgate({
    nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=100"],
  });
  let r;
  try {
    const setup = await gw.call("setup", { users: 1, password: PASSWORD });
    const s = setup.sessions[0];
    const basic =
      "Basic " + Buffer.from(`${setup.svcClientId}:${setup.svcSecret}`).toString("base64");
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const targets = {
      me: {
        url: `${gw.url}/graphql`,
        headers: { "content-type": "application/json", authorization: `Bearer ${s.accessToken}` },
        body: gql(QUERY),
      },
      refresh: {
        url: `${gw.url}/graphql`,
        headers: { "content-type": "application/json" },
        body: gql("mutation($i: RefreshInput!) { refresh(input: $i) { accessToken idToken } }", {
          i: { clientId: setup.webClientId, refreshToken: s.refreshToken },
        }),
      },
      "refresh-oauth": {
        url: `${gw.url}/oauth2/token`,
        headers: form,
        body: `grant_type=refresh_token&client_id=${setup.webClientId}&refresh_token=${s.refreshToken}`,
      },
      cc: {
        url: `${gw.url}/oauth2/token`,
        headers: { ...form, authorization: basic },
        body: "grant_type=client_credentials",
      },
      signin: {
        url: `${gw.url}/graphql`,
        headers: { "content-type": "application/json" },
        body: gql("mutation($i: SignInInput!) { signIn(input: $i) { accessToken } }", {
          i: { clientId: setup.webClientId, username: setup.users[0], password: PASSWORD },
        }),
      },
    };
    const t = targets[workload];
    if (!t) throw new Error(`unknown workload ${workload}: ${WORKLOADS.join(", ")}`);
    // The profile covers the whole process life; the load dominates it.
    r = await measureLoad({ ...t, server: gw }, { connections: 10, seconds, warmupSeconds: 1 });
  } finally {
    await gw.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
  rmSync(dir, { recursive: true, force: true });
  const { list, total } = frames(profile);
  const busy = total - list.filter((e) => e.fn === "(idle)").reduce((a, e) => a + e.us, 0);
  const byPkg = new Map();
  for (const e of list)
    if (e.fn !== "(idle)") byPkg.set(where(e.url), (byPkg.get(where(e.url)) ?? 0) + e.us);
  const show = (e) =>
    where(e.url) === "poolgate"
      ? relative(ROOT, e.url.replace(/^file:\/\//, ""))
      : e.url.startsWith("node:")
        ? e.url
        : where(e.url);
  const share = (us) => us / busy;
  return {
    workload,
    rps: r.rps,
    cpuUsPerReq: r.cpuUsPerReq,
    top: list
      .filter((e) => e.fn !== "(idle)")
      .map((e) => ({ fn: e.fn, where: `${show(e)}:${e.line}`, share: share(e.us) })),
    own: list
      .filter((e) => where(e.url) === "poolgate")
      .map((e) => ({ fn: e.fn, where: `${show(e)}:${e.line}`, share: share(e.us) })),
    byPackage: [...byPkg]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, share: share(us) })),
  };
}

async function main() {
  const args = Object.fromEntries(
    process.argv.slice(2).map((a) => {
      const [k, v] = a.replace(/^--/, "").split("=");
      return [k, v ?? true];
    }),
  );
  const workload = Object.keys(args).find((k) => !["seconds", "top"].includes(k)) ?? "me";
  const seconds = Number(args.seconds ?? 10);
  const top = Number(args.top ?? 25);
  ensurePeers();
  pinSelf();
  const p = await profileWorkload(workload, seconds);
  const pct = (x) => `${(100 * x).toFixed(1).padStart(5)} %`;
  console.log(
    `workload ${workload}: ${p.rps.toFixed(0)} req/s, ${p.cpuUsPerReq.toFixed(0)} µs CPU/req (profiling on). Shares are of the main thread's busy samples.`,
  );
  console.log(`\nTop ${top} self-time frames (all code):`);
  for (const e of p.top.slice(0, top)) console.log(`  ${pct(e.share)}  ${e.fn}  ${e.where}`);
  console.log(`\nTop ${top} self-time frames in poolgate's own code (dist/):`);
  for (const e of p.own.slice(0, top)) console.log(`  ${pct(e.share)}  ${e.fn}  ${e.where}`);
  console.log("\nSelf time by package:");
  for (const e of p.byPackage.slice(0, 15)) console.log(`  ${pct(e.share)}  ${e.name}`);
}

module.exports = { profileWorkload };

if (require.main === module)
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
