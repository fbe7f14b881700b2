// The parent side: start a server script in its own process (pinned to the server core when
// taskset exists), call its commands, read its CPU time, stop it.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const { readFileSync } = require("node:fs");

const HAS_TASKSET = spawnSync("taskset", ["-p", String(process.pid)]).status === 0;
const CORES = require("node:os").availableParallelism();
/** The server gets core 0, the load generator (this process) core 1, when there are two. */
const PIN = HAS_TASKSET && CORES >= 2;
const SERVER_CPUS = "0";
const LOADGEN_CPUS = "1";

const live = new Set();
process.on("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** CPU seconds (user + system, all threads) of a process, from /proc/<pid>/stat. */
function procCpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

/**
 * Starts `script` (a file using serveChild) and resolves once it listens.
 * options: env, args, cpus (a taskset list, default the server core; null: unpinned), nodeArgs.
 */
function startServer(script, options = {}) {
  const cpus = options.cpus === undefined ? SERVER_CPUS : options.cpus;
  const nodeArgs = [...(options.nodeArgs ?? []), script, ...(options.args ?? [])];
  const [cmd, argv] =
    PIN && cpus
      ? ["taskset", ["-c", cpus, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  const child = spawn(cmd, argv, {
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: ["ignore", options.quiet === false ? "inherit" : "ignore", "pipe", "ipc"],
    cwd: options.cwd,
  });
  live.add(child);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const pending = new Map();
  let nextId = 1;
  const handle = {
    child,
    pid: child.pid,
    url: undefined,
    call(cmdName, ...args) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ id, cmd: cmdName, args });
      });
    },
    /** CPU µs of the whole process (every thread), read by the kernel, not by the child. */
    cpuMicros() {
      return procCpuMicros(child.pid);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      try {
        await Promise.race([handle.call("stop"), new Promise((r) => setTimeout(r, 5000))]);
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      live.delete(child);
    },
    stderr: () => stderr,
  };
  child.on("message", (msg) => {
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    }
  });
  child.on("exit", (code, signal) => {
    live.delete(child);
    for (const p of pending.values())
      p.reject(new Error(`${script} exited (${code ?? signal}): ${stderr}`));
    pending.clear();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not start in 60 s: ${stderr}`));
    }, 60000);
    const onMessage = (msg) => {
      if (msg.ready === undefined) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      if (msg.ready) {
        handle.url = msg.url;
        resolve(handle);
      } else reject(new Error(`${script} failed to start: ${msg.error}`));
    };
    child.on("message", onMessage);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready: ${stderr}`));
    });
  });
}

/** Pins this process (the load generator) to its own core. */
function pinSelf() {
  if (!PIN) return false;
  return spawnSync("taskset", ["-a", "-p", "-c", LOADGEN_CPUS, String(process.pid)]).status === 0;
}

/**
 * The servers a section starts, stopped together (last started first) whatever happens:
 * `const servers = serverGroup(); const s = await servers.start(startServer(...)); …
 * finally { await servers.stopAll(); }`.
 */
function serverGroup() {
  const started = [];
  return {
    async start(starting) {
      const server = await starting;
      started.push(server);
      return server;
    },
    async stopAll() {
      while (started.length > 0) await started.pop().stop();
    },
  };
}

module.exports = {
  serverGroup,
  startServer,
  pinSelf,
  procCpuMicros,
  PIN,
  HAS_TASKSET,
  CORES,
  SERVER_CPUS,
  LOADGEN_CPUS,
};
