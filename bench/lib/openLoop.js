// An open-loop load at a fixed rate: request k is due at start + k / rate whatever became of
// the earlier ones, and its latency runs from when it was due (so a request that waited for a
// free socket counts its wait: no coordinated omission). Latency in fractional milliseconds,
// where autocannon's are whole ones.
"use strict";
const http = require("node:http");
const { performance } = require("node:perf_hooks");

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/**
 * POSTs `body` to `url` at `rate` requests/s for `seconds`, over at most `sockets` keep-alive
 * connections. Resolves with { p50, p90, p99, max (ms), ok, bad, sent, rate (achieved) } once
 * every request has answered or timed out.
 */
async function openLoop({ url, headers, body, rate, seconds, sockets = 64 }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const payload = Buffer.from(body);
  const latencies = [];
  let bad = 0;
  const inflight = new Set();
  const send = (due) => {
    const p = new Promise((resolve) => {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: { ...headers, "content-length": payload.length },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else bad++;
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
      req.on("error", () => {
        bad++;
        resolve();
      });
      req.end(payload);
    });
    inflight.add(p);
    p.then(() => inflight.delete(p));
  };
  const t0 = performance.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Everything due by now goes out (a late timer sends its backlog at once, each request
    // timed from its own due time).
    while (sent < total && t0 + (sent * 1000) / rate <= now) {
      send(t0 + (sent * 1000) / rate);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = (performance.now() - t0) / 1000;
  while (inflight.size > 0) await Promise.all([...inflight]);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const q = (p) => (sorted.length ? quantile(sorted, p) : NaN);
  return {
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    ok: sorted.length,
    bad,
    sent,
    rate: sent / elapsed,
  };
}

module.exports = { openLoop };
