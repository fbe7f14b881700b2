#!/usr/bin/env node
// Fails when src/graphql/__generated__ is stale: regenerates into memory and compares.
"use strict";
const { execFileSync } = require("node:child_process");
const { readFileSync, mkdtempSync, rmSync } = require("node:fs");
const { join } = require("node:path");
const os = require("node:os");

const root = join(__dirname, "..");
const target = "src/graphql/__generated__/resolvers.ts";
const dir = mkdtempSync(join(os.tmpdir(), "poolgate-codegen-"));
try {
  const config = readFileSync(join(root, "codegen.yml"), "utf8").replace(target, join(dir, "resolvers.ts"));
  const configPath = join(dir, "codegen.yml");
  require("node:fs").writeFileSync(configPath, config);
  execFileSync(process.execPath, [join(root, "node_modules/@graphql-codegen/cli/cjs/bin.js"), "--config", configPath, "--silent"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const fresh = readFileSync(join(dir, "resolvers.ts"), "utf8");
  const committed = readFileSync(join(root, target), "utf8");
  if (fresh !== committed) {
    console.error(`codegen: ${target} is stale; run \`npm run codegen\` and commit the result.`);
    process.exit(1);
  }
  console.log("codegen: up to date");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
