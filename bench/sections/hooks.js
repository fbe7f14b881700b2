// Section 8 — the cost of an in-process hook (issue 17): refresh on /oauth2/token on a
// gateway with a preTokenGeneration hook (bench/servers/hooks/pretoken.cjs: a claim in both
// tokens and a scope) against the same gateway without one, in the same run, interleaved.
// Target: the hook costs less than 3 % (requests/s ≥ 0.97× of without; CPU/request ≤ 1.03×).
"use strict";
const { join } = require("node:path");
const { serverGroup } = require("../lib/proc");
const { startPoolgate, PASSWORD, SERVERS } = require("../lib/fixture");
const { measureLoad } = require("../lib/load");
const { loadSummary } = require("../lib/stats");

const FORM = { "content-type": "application/x-www-form-urlencoded" };

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
}

async function refreshTarget(server, withHook) {
  const setup = await server.call("setup", { users: 1, password: PASSWORD });
  const body = new URLSearchParams({
    grant_type: "refresh_token",
    client_id: setup.webClientId,
    refresh_token: setup.sessions[0].refreshToken,
  }).toString();
  const url = `${server.url}/oauth2/token`;
  const res = await fetch(url, { method: "POST", headers: FORM, body });
  const json = await res.json();
  if (res.status !== 200 || !json.access_token)
    throw new Error(`section 8: refresh failed: ${res.status} ${JSON.stringify(json)}`);
  // The hook really ran (or really did not): its claim is in the token, or absent.
  const tenant = claimsOf(json.access_token).tenant_id;
  if (withHook ? tenant !== "tenant-1" : tenant !== undefined)
    throw new Error(`section 8: tenant_id ${tenant} ${withHook ? "missing" : "present"}`);
  return { url, headers: FORM, body, server };
}

async function run(ctx) {
  const { runs, seconds, warmupSeconds } = ctx.load;
  const connections = ctx.load.issuanceConnections;
  const servers = serverGroup();
  try {
    const plain = await servers.start(startPoolgate());
    const hooked = await servers.start(
      startPoolgate({ env: { POOLGATE_HOOKS: join(SERVERS, "hooks", "pretoken.cjs") } }),
    );
    const targets = [
      { key: "without", name: "refresh, no hook", load: await refreshTarget(plain, false) },
      {
        key: "with",
        name: "refresh, preTokenGeneration hook",
        load: await refreshTarget(hooked, true),
      },
    ];
    const results = { without: [], with: [] };
    for (let i = 0; i < runs; i++) {
      for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
        const r = await measureLoad(t.load, {
          connections,
          seconds,
          warmupSeconds: i === 0 ? warmupSeconds * 2 : warmupSeconds,
        });
        if (r.bad > 0) ctx.warn(`section 8: ${t.name} had ${r.bad} failed requests`);
        results[t.key].push(r);
        ctx.progress(
          `  8. ${t.name.padEnd(34)} run ${i + 1}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(0)} µs CPU/req`,
        );
      }
    }
    return {
      connections,
      targets: targets.map((t) => ({
        key: t.key,
        name: t.name,
        ...loadSummary(results[t.key]),
      })),
    };
  } finally {
    await servers.stopAll();
  }
}

module.exports = { run };
