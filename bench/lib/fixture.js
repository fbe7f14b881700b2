// A poolgate under test: a fresh SQLite store file and master key in a temp folder, the
// gateway in its own pinned process, and the setup (clients, users, sessions) done over IPC.
"use strict";
const { mkdtempSync, rmSync } = require("node:fs");
const { randomBytes } = require("node:crypto");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { startServer } = require("./proc");

const SERVERS = join(__dirname, "..", "servers");
const PASSWORD = "Bench-passw0rd!";
const ISSUER = "http://localhost:4000";

async function startPoolgate({ env = {}, dir, nodeArgs, cpus } = {}) {
  const ownDir = !dir;
  dir ??= mkdtempSync(join(tmpdir(), "poolgate-bench-"));
  const masterKey = env.POOLGATE_MASTER_KEY ?? randomBytes(32).toString("base64");
  const server = await startServer(join(SERVERS, "poolgate.js"), {
    env: {
      POOLGATE_ENV: "production",
      POOLGATE_ISSUER: ISSUER,
      POOLGATE_DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
      POOLGATE_MASTER_KEY: masterKey,
      // Production refuses to start with a mail feature and no SMTP server (src/config.ts
      // mailFeatures); recovery by email is the only one on by default. A gateway that needs
      // it passes POOLGATE_ACCOUNT_RECOVERY and POOLGATE_SMTP_URL (section 3's MFA gateway).
      POOLGATE_ACCOUNT_RECOVERY: "admin_only",
      ...env,
    },
    nodeArgs,
    cpus,
  });
  const stop = server.stop;
  server.stop = async () => {
    await stop();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  server.dir = dir;
  server.masterKey = masterKey;
  return server;
}

const gql = (query, variables) => JSON.stringify(variables ? { query, variables } : { query });

async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

module.exports = { startPoolgate, gql, post, PASSWORD, ISSUER, SERVERS };
