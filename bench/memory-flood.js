#!/usr/bin/env node
// Memory under a flood of distinct valid documents: what an anonymous caller can make the
// gateway hold by sending many large GraphQL documents it has never seen. Every cache on the
// way (Apollo's document store, the prepared-operation path, the directives' plans) must stay
// bounded: the heap growth printed for N and for 3 × N should be about the same.
//
//   npm run build && node --expose-gc bench/memory-flood.js [N=1000]
//
// Each document is ~670 tokens (60 fragments on User, all spread), anonymous, and answered
// (me is @authenticated: null with UNAUTHENTICATED), in-process, on a fresh SQLite store.
"use strict";
const { randomBytes } = require("node:crypto");
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { dist } = require("./lib/root");

const { loadConfig } = dist("config.js");
const { createGateway } = dist("server.js");

const FRAGMENTS = Array.from(
  { length: 60 },
  (_, i) => `fragment F${i} on User { sub username email groups authTime }`,
).join(" ");
const SPREADS = Array.from({ length: 60 }, (_, i) => `...F${i}`).join(" ");

async function main() {
  if (typeof global.gc !== "function") throw new Error("run with node --expose-gc");
  const count = Number(process.argv[2] ?? 1000);
  const dir = mkdtempSync(join(tmpdir(), "poolgate-flood-"));
  const config = loadConfig({
    POOLGATE_PORT: "0",
    POOLGATE_LOG_LEVEL: "silent",
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "flood.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
  });
  const gateway = await createGateway({ config });
  const url = await gateway.listen();
  try {
    global.gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < count; n++) {
      const query = `query Q${n} { me { ${SPREADS} } } ${FRAGMENTS}`;
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query }),
      });
      if (res.status !== 200) throw new Error(`document ${n}: HTTP ${res.status}`);
      await res.text();
    }
    global.gc();
    const grown = (process.memoryUsage().heapUsed - before) / 1048576;
    console.log(
      `heap growth after ${count} distinct ~670-token documents: ${grown.toFixed(0)} MiB`,
    );
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
