// Peer: cognito-local (jagregory), the Cognito emulator developers run locally. Its own
// createDefaultServer (Express, StormDB JSON files in a temp folder), with a silent logger
// (its default pretty-prints every request, which would measure the terminal, not it).
// It stores passwords in plain text and signs tokens with jsonwebtoken (synchronous RS256).
"use strict";
const { mkdirSync, mkdtempSync, writeFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { serveChild } = require("../lib/child");
const { peer, peerResolve } = require("../lib/peers");

serveChild(async () => {
  const dir = mkdtempSync(join(tmpdir(), "cognito-local-"));
  mkdirSync(join(dir, ".cognito"), { recursive: true });
  writeFileSync(
    join(dir, ".cognito", "config.json"),
    JSON.stringify({ ServerConfig: { hostname: "127.0.0.1", port: 0 } }),
  );
  process.chdir(dir);
  const pino = peer("pino"); // cognito-local's own pino 7 (hoisted)
  const { createDefaultServer } = require(
    join(peerResolve("cognito-local").replace(/index\.js$/, ""), "server", "defaults.js"),
  );
  const server = await createDefaultServer(pino({ level: "silent" }));
  const http = await server.start();
  const { port } = http.address();
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise((r) => {
        http.close(() => r());
        http.closeAllConnections?.();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
