// The peer stacks live in bench/peers (own package.json and lockfile), never in the product's
// dependencies. ensurePeers() installs them on first use; peer(name) requires from there.
"use strict";
const { existsSync } = require("node:fs");
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { spawnSync } = require("node:child_process");

const PEERS = join(__dirname, "..", "peers");
const peerRequire = createRequire(join(PEERS, "package.json"));

function ensurePeers(log = console.log) {
  if (existsSync(join(PEERS, "node_modules", ".package-lock.json"))) return;
  const ci = existsSync(join(PEERS, "package-lock.json"));
  log(`Installing the benchmark peers into bench/peers (npm ${ci ? "ci" : "install"}) …`);
  const r = spawnSync(
    "npm",
    [ci ? "ci" : "install", "--prefix", PEERS, "--no-audit", "--no-fund", "--loglevel=error"],
    { stdio: "inherit" },
  );
  if (r.status !== 0) throw new Error("installing bench/peers failed");
}

const peer = (name) => peerRequire(name);
const peerResolve = (name) => peerRequire.resolve(name);
const peerVersion = (name) => {
  try {
    return require(join(PEERS, "node_modules", name, "package.json")).version;
  } catch {
    return "?";
  }
};

module.exports = { ensurePeers, peer, peerResolve, peerVersion, PEERS };
