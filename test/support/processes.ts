/**
 * Gateways as real processes (`node bin/poolgate.js serve` → dist/, so `npm run build` must
 * have run), for the tests that need more than one instance or a process to outlive a fault:
 * spawn one, read its URL from the "poolgate listening" log line, talk GraphQL to it, collect
 * its log, and stop it — SIGTERM first, SIGKILL if it does not drain in time. Every process
 * started here is remembered, so an afterAll can stop whatever a failed test left running.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { GqlResult } from "../harness";

export const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "poolgate.js");

/** Cheap password hashing for tests only, through configuration (DESIGN §7). */
export const CHEAP_HASHING = {
  POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
  POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
  POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "0",
} as const;

/**
 * The inherited environment without any POOLGATE_* setting of the machine running the tests
 * and without jest's NODE_ENV=test (libraries behave differently under it), plus `extra`.
 */
export function processEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("POOLGATE_") && k !== "NODE_ENV") env[k] = v;
  }
  return { ...env, ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  readonly name: string;
  readonly pid: number;
  /** `http://127.0.0.1:PORT` */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT/graphql`, as logged. */
  readonly url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** The JSON log lines so far (non-JSON lines skipped). */
  logLines(): Record<string, unknown>[];
  /** True while the process has not exited. */
  alive(): boolean;
  gql(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult>;
  /** GET `path` (e.g. `/readyz`); the body as text. */
  get(path: string): Promise<{ status: number; text: string }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. Idempotent. */
  stop(graceMs?: number): Promise<Exit>;
}

const running = new Set<ChildProcess>();

/** Starts `poolgate serve` with `env` (see processEnv) and waits until it listens. */
export async function startGatewayProcess(
  name: string,
  env: NodeJS.ProcessEnv,
  startTimeoutMs = 20_000,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [BIN, "serve"], {
    cwd: ROOT,
    env: { ...env, POOLGATE_PORT: env["POOLGATE_PORT"] ?? "0", POOLGATE_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => (output += chunk));
  child.stderr!.on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const isAlive = () => child.exitCode === null && child.signalCode === null;

  let stopping: Promise<Exit> | undefined;
  const stop = (graceMs = 10_000): Promise<Exit> => {
    stopping ??= (async () => {
      if (!isAlive()) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const parseLines = (): Record<string, unknown>[] => {
    const lines: Record<string, unknown>[] = [];
    for (const raw of output.split("\n")) {
      if (!raw.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(raw) as Record<string, unknown>);
      } catch {
        // a line still being written
      }
    }
    return lines;
  };

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: not listening after ${startTimeoutMs} ms:\n${output}`)),
        startTimeoutMs,
      );
      const check = () => {
        const line = parseLines().find((l) => l["msg"] === "poolgate listening");
        if (line === undefined) return;
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve(String(line["url"]));
      };
      child.stdout!.on("data", check);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${name}: exited (${code ?? signal}) before listening:\n${output}`));
      });
      check();
    });
  } catch (err) {
    await stop(2_000);
    throw err;
  }
  const baseUrl = new URL(url).origin;

  return {
    name,
    pid: child.pid!,
    baseUrl,
    url,
    logs: () => output,
    logLines: parseLines,
    alive: isAlive,
    gql: (query, variables = {}, token) => postGraphQL(url, query, variables, token),
    async get(path) {
      const res = await fetch(new URL(path, baseUrl));
      return { status: res.status, text: await res.text() };
    },
    stop,
  };
}

/** Stops every gateway process this module started and has not seen exit. */
export async function stopAllGatewayProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
}

// Last resort when the test process itself ends without its afterAll (a crash, a timeout):
// a gateway must not outlive the run.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function postGraphQL(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GqlResult> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: GqlResult["body"];
  try {
    body = JSON.parse(text) as GqlResult["body"];
  } catch {
    throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `poolgate ...args` with `env`; resolves whatever the exit code. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs a CLI command that must succeed with `--json`; its parsed output. */
export async function cliJson<T = any>(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<T> {
  const run = await runCli([...args, "--json"], env);
  if (run.code !== 0) {
    throw new Error(`poolgate ${args.join(" ")} exited ${run.code}: ${run.stdout}${run.stderr}`);
  }
  return JSON.parse(run.stdout) as T;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `intervalMs` until it returns true or `timeoutMs` has passed since the
 * call; resolves with the elapsed milliseconds, or throws naming `what`.
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number },
): Promise<number> {
  const started = performance.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    if (await check()) return performance.now() - started;
    const elapsed = performance.now() - started;
    if (elapsed >= timeoutMs) {
      throw new Error(`${what}: not within ${timeoutMs} ms (${attempts} attempts)`);
    }
    await sleep(Math.min(intervalMs, timeoutMs - elapsed));
  }
}
