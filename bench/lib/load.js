// One bounded load run with autocannon (in this process, pinned to the load-generator core),
// with the server's CPU time read from /proc around the measured window.
"use strict";
const { performance } = require("node:perf_hooks");
const { peer } = require("./peers");

function autocannonRun(opts) {
  const autocannon = peer("autocannon");
  return new Promise((resolve, reject) => {
    const inst = autocannon({ ...opts, setupClient: undefined }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
    inst.on("error", () => undefined);
  });
}

/**
 * Waits until the server has finished what an earlier load left in flight (autocannon stops
 * at its deadline; the server may still be hashing): two 100 ms windows in a row with less
 * than 5 ms of CPU, at most `maxMs`.
 */
async function waitIdle(server, maxMs = 3000) {
  if (!server) return;
  const end = Date.now() + maxMs;
  let quiet = 0;
  let last = server.cpuMicros();
  while (Date.now() < end && quiet < 2) {
    await new Promise((r) => setTimeout(r, 100));
    const now = server.cpuMicros();
    quiet = now - last < 5000 ? quiet + 1 : 0;
    last = now;
  }
}

/**
 * target: { url (full), method, headers, body, requests (autocannon per-connection request
 * list, for rotating tokens), server (a handle with cpuMicros()) }
 * options: { connections, seconds, warmupSeconds, amount }
 */
async function measureLoad(target, options) {
  const { connections = 10, seconds = 3, warmupSeconds = 1, amount } = options;
  const base = {
    url: target.url,
    method: target.method ?? "POST",
    headers: target.headers,
    body: target.body,
    requests: target.requests,
    connections,
    pipelining: 1,
    timeout: 10,
  };
  await waitIdle(target.server);
  if (warmupSeconds > 0) await autocannonRun({ ...base, duration: warmupSeconds });
  if (warmupSeconds > 0) await waitIdle(target.server, 1000);
  const cpu0 = target.server ? target.server.cpuMicros() : 0;
  const t0 = performance.now();
  const r = await autocannonRun(amount ? { ...base, amount } : { ...base, duration: seconds });
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = target.server ? target.server.cpuMicros() : 0;
  const ok = r["2xx"];
  const bad = r.non2xx + r.errors + r.timeouts;
  return {
    rps: ok / elapsed,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuUsPerReq: target.server ? (cpu1 - cpu0) / Math.max(1, ok) : NaN,
    cpuCores: target.server ? (cpu1 - cpu0) / 1e6 / elapsed : NaN,
    ok,
    bad,
  };
}

module.exports = { measureLoad, autocannonRun, waitIdle };
