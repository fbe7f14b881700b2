/**
 * Helpers for the federation tests: a gateway whose store counts its reads (to prove entity
 * batching), JSON-line child processes (the example subgraph and supergraph), and a small
 * HTTP stand-in whose behaviour a test switches (forward, hang, fail) to play a JWKS or
 * introspection endpoint in trouble.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/log";
import { createGateway } from "../../src/server";
import { openStore } from "../../src/store/open";
import type { Store } from "../../src/store/store";
import type { GqlResult, TestGateway } from "../harness";

export const ROOT = join(__dirname, "..", "..");

/** Every call of a store method, with its arguments, while `recording` is on. */
export interface StoreCalls {
  calls: { method: string; args: unknown[] }[];
  /** Starts recording afresh; returns the calls of `method` recorded by then when read. */
  record(): void;
  stop(): void;
  of(method: string): unknown[][];
}

/**
 * The store seen through a recording proxy. Installed under the gateway (rather than by
 * patching `gw.pool.store` afterwards), so it sees every call whatever wraps the store above.
 */
function recordingStore(store: Store): { store: Store; calls: StoreCalls } {
  let recording = false;
  const calls: StoreCalls = {
    calls: [],
    record() {
      calls.calls = [];
      recording = true;
    },
    stop() {
      recording = false;
    },
    of(method) {
      return calls.calls.filter((c) => c.method === method).map((c) => c.args);
    },
  };
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof prop !== "string" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (recording) calls.calls.push({ method: prop, args });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** Like the harness's startGateway (real HTTP on port 0, real SQLite file), with store calls recorded. */
export async function startRecordingGateway(
  env: Record<string, string> = {},
): Promise<TestGateway & { storeCalls: StoreCalls }> {
  const dir = mkdtempSync(join(tmpdir(), "poolgate-fed-"));
  const fullEnv: Record<string, string> = {
    POOLGATE_PORT: "0",
    POOLGATE_LOG_LEVEL: "silent",
    POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
    POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
    POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "0",
    POOLGATE_SYNC_INTERVAL_MS: "50",
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    ...env,
  };
  const config = loadConfig(fullEnv);
  const recorded = recordingStore(await openStore(config.databaseUrl));
  const gateway = await createGateway({
    config,
    logger: createLogger(config),
    store: recorded.store,
  });
  const url = await gateway.listen();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await gateway.stop();
  };
  return {
    url,
    dir,
    env: fullEnv,
    config,
    pool: gateway.pool,
    gateway,
    clock: undefined,
    smtp: undefined,
    sentCodes: [],
    storeCalls: recorded.calls,
    gql: (query, variables, token, headers = {}) =>
      postJson(`${url}/graphql`, { query, variables }, token, headers),
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postJson(
  url: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<GqlResult> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, headers: res.headers, body: JSON.parse(text) };
  } catch {
    throw new Error(`non-JSON response ${res.status} from ${url}: ${text.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes that announce themselves with a JSON line `{"msg":"listening","url":…}`.

export interface ServiceProcess {
  name: string;
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

export async function startService(
  name: string,
  script: string,
  env: Record<string, string>,
  startTimeoutMs = 20_000,
): Promise<ServiceProcess> {
  const inherited: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("POOLGATE_") && k !== "NODE_ENV") inherited[k] = v;
  }
  const child = spawn(process.execPath, [join(ROOT, script)], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => (output += c));
  child.stderr!.on("data", (c: string) => (output += c));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      children.delete(child);
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: not listening after ${startTimeoutMs} ms:\n${output}`)),
      startTimeoutMs,
    );
    const check = () => {
      for (const line of output.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const parsed = JSON.parse(line) as { msg?: string; url?: string };
          if (parsed.msg === "listening" && parsed.url) {
            clearTimeout(timer);
            child.stdout!.off("data", check);
            return resolve(parsed.url);
          }
        } catch {
          // a partial line
        }
      }
    };
    child.stdout!.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited before listening:\n${output}`));
    });
  }).catch(async (err) => {
    child.kill("SIGKILL");
    await exited;
    throw err;
  });
  return {
    name,
    url,
    logs: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    },
  };
}

process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

// ---------------------------------------------------------------------------------------------
// An HTTP endpoint a test can make misbehave.

/** forward; never answer; answer 502; close the connection without answering, once, then forward. */
export type StandInMode = "forward" | "hang" | "fail" | "reset-once";

export interface StandIn {
  url: string;
  mode: StandInMode;
  /** Requests received (whatever the mode). */
  requests: number;
  close(): Promise<void>;
}

/** Forwards every request to `target` (same path, method, headers and body) unless told otherwise. */
export async function startStandIn(target: string): Promise<StandIn> {
  const hanging = new Set<ServerResponse>();
  const state: StandIn = {
    url: "",
    mode: "forward",
    requests: 0,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (state.mode === "hang") {
        hanging.add(res);
        return;
      }
      if (state.mode === "reset-once") {
        state.mode = "forward";
        req.socket.destroy();
        return;
      }
      if (state.mode === "fail") {
        res.writeHead(502, { "content-type": "text/plain" }).end("bad gateway");
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === "string" && k !== "host" && k !== "connection") headers.set(k, v);
      }
      fetch(new URL(req.url ?? "/", target), {
        method: req.method,
        headers,
        ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: Buffer.concat(chunks) }),
      })
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.arrayBuffer());
          const cacheControl = upstream.headers.get("cache-control");
          res.writeHead(upstream.status, {
            "content-type": upstream.headers.get("content-type") ?? "application/json",
            ...(cacheControl === null ? {} : { "cache-control": cacheControl }),
          });
          res.end(body);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
