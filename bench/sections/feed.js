// Section 9 — the revocation feed at a subgraph (issue 18): bench/feed.js in a process of its
// own (it starts a gateway, follows its GET /revocations with the library's verifier, and
// times propagation, verify() with the feed on and off, and the memory of 100 000 live
// revocations). Targets: verify() with the feed ≤ 1.05× without; propagation within 1 s.
"use strict";
const { spawn } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

/**
 * bench/feed.js to its end, its output straight to this console (inherited: a gateway child of
 * it logs to a pipe of its own, and a parent pipe here stalled that chain in testing).
 */
function runChild(command, args, { env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status });
    });
  });
}

async function run(ctx) {
  const dir = mkdtempSync(join(tmpdir(), "poolgate-bench-feed-out-"));
  const out = join(dir, "feed.json");
  try {
    const r = await runChild(process.execPath, [join(__dirname, "..", "feed.js")], {
      env: {
        ...process.env,
        BENCH_JSON_OUT: out,
        ...(ctx.load.microMs < 600 ? { BENCH_OPS: "50000" } : {}),
      },
      timeoutMs: 600_000,
    });
    if (r.status !== 0) throw new Error(`bench/feed.js exited with ${r.status}`);
    return JSON.parse(readFileSync(out, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };
