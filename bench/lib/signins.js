// Sign-ins that take more than one request (initiateAuth → respondToAuthChallenge), driven in a
// closed loop: `connections` workers each run one whole sign-in after the other over keep-alive
// HTTP, so latency is per sign-in (every round trip of it), not per request as autocannon's.
// Server CPU is read from /proc around the measured window, as measureLoad does.
"use strict";
const http = require("node:http");
const { performance } = require("node:perf_hooks");
const { waitIdle } = require("./load");

/** POST JSON to one URL over at most `connections` keep-alive sockets. */
function jsonClient(url, connections) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  return {
    post(body, headers = {}) {
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: "POST",
            agent,
            headers: {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              ...headers,
            },
          },
          (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              let json;
              try {
                json = JSON.parse(text);
              } catch {
                json = undefined;
              }
              resolve({ status: res.statusCode, json, text });
            });
            res.on("error", reject);
          },
        );
        req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
        req.on("error", reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/**
 * `connections` workers run `signIn()` back to back until `seconds` have passed (a sign-in under
 * way then is finished and counted). signIn() resolves true (tokens), false (failed), or
 * undefined when it has no user to sign in (TOTP users all used in this step): that worker
 * stops, and the result says the window ended `short`.
 */
async function runWindow(connections, seconds, signIn) {
  const deadline = performance.now() + seconds * 1000;
  const latencies = [];
  let bad = 0;
  let short = false;
  let firstError;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let outcome;
      try {
        outcome = await signIn();
      } catch (err) {
        outcome = false;
        firstError ??= String(err?.message ?? err);
      }
      if (outcome === undefined) {
        short = true;
        return;
      }
      if (outcome) latencies.push(performance.now() - t0);
      else bad++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { latencies, bad, short, firstError };
}

/**
 * One measured window of whole sign-ins (after an unmeasured warm-up), in measureLoad's shape:
 * rps is sign-ins per second, p50/p99 per sign-in in ms, cpuUsPerReq the server's CPU per
 * sign-in. options: { connections, seconds, warmupSeconds }.
 */
async function measureSignIns(server, options, signIn) {
  const { connections, seconds, warmupSeconds = 0 } = options;
  await waitIdle(server);
  if (warmupSeconds > 0) {
    await runWindow(connections, warmupSeconds, signIn);
    await waitIdle(server, 1000);
  }
  const cpu0 = server.cpuMicros();
  const t0 = performance.now();
  const w = await runWindow(connections, seconds, signIn);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = server.cpuMicros();
  const ok = w.latencies.length;
  const sorted = w.latencies.sort((a, b) => a - b);
  return {
    rps: ok / elapsed,
    p50: ok ? quantile(sorted, 0.5) : NaN,
    p99: ok ? quantile(sorted, 0.99) : NaN,
    cpuUsPerReq: (cpu1 - cpu0) / Math.max(1, ok),
    cpuCores: (cpu1 - cpu0) / 1e6 / elapsed,
    ok,
    bad: w.bad,
    short: w.short,
    seconds: elapsed,
    firstError: w.firstError,
  };
}

module.exports = { jsonClient, measureSignIns };
