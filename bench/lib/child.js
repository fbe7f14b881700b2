// The child side of a benchmarked server: every server of the suite runs in its own process,
// answers the parent over IPC (setup commands, its own CPU and memory), and exits on "stop".
"use strict";
const { performance } = require("node:perf_hooks");

/**
 * start() launches the server and resolves with { url, commands, stop }. Commands are async
 * functions the parent calls by name (setup work that must not be measured).
 */
function serveChild(start) {
  let server;
  const builtins = {
    usage: () => ({
      cpu: process.cpuUsage(),
      mem: process.memoryUsage(),
      elu: performance.eventLoopUtilization(),
    }),
    gc: () => {
      if (global.gc) global.gc();
      return process.memoryUsage();
    },
  };
  process.on("message", async (msg) => {
    const { id, cmd, args } = msg;
    try {
      if (cmd === "stop") {
        if (server?.stop) await server.stop();
        process.send({ id, ok: true }, () => process.exit(0));
        return;
      }
      const fn = builtins[cmd] ?? server?.commands?.[cmd];
      if (!fn) throw new Error(`unknown command ${cmd}`);
      const result = await fn(...(args ?? []));
      process.send({ id, ok: true, result });
    } catch (err) {
      process.send({ id, ok: false, error: String(err?.stack ?? err) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  start().then(
    (s) => {
      server = s;
      process.send({ ready: true, url: s.url });
    },
    (err) => {
      process.send({ ready: false, error: String(err?.stack ?? err) });
      process.exit(1);
    },
  );
}

module.exports = { serveChild };
