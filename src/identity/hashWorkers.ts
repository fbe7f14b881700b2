/**
 * Argon2id off the event loop's core share: a few worker threads that hash at the lowest CPU
 * priority (nice 19), so a storm of sign-ins takes only the CPU that requests do not need.
 *
 * Hashing on libuv's thread pool (the library's async calls) competes with the event loop as
 * an equal: on a busy core the scheduler lets a hash run out its slice before a woken request
 * handler gets the core back, which showed as a several-fold `me` p99 during sign-in storms
 * (issue 19; `npm run bench` section 11). Linux keeps the nice value per thread, so a worker
 * can lower its own priority without touching the event loop's. Elsewhere the nice value is
 * per process, so callers use the thread pool instead (`hashWorkersSupported`).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

export interface Argon2Options {
  algorithm: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

type Job =
  | { op: "hash"; password: string; options: Argon2Options }
  | { op: "verify"; encoded: string; password: string };

interface Pending {
  resolve: (value: string | boolean) => void;
  reject: (err: Error) => void;
}

/** Linux only: there `setpriority(PRIO_PROCESS, 0, …)` changes the calling thread alone. */
export const hashWorkersSupported = process.platform === "linux";

/** The lowest priority a thread can give itself without privileges. */
const NICE = 19;

// Evaluated in each worker. The module path comes in workerData, so the same code runs from
// dist/ and from the TypeScript sources under test. A verification that throws (a corrupt
// stored hash) answers false, as the thread-pool path does.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
require("node:os").setPriority(0, workerData.nice);
const argon2 = require(workerData.argon2);
parentPort.on("message", ({ id, job }) => {
  try {
    const value =
      job.op === "hash"
        ? argon2.hashSync(job.password, job.options)
        : (() => { try { return argon2.verifySync(job.encoded, job.password); } catch { return false; } })();
    parentPort.postMessage({ id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: String((err && err.message) || err) });
  }
});
`;

/**
 * At most `limit` tasks run at once; the rest wait their turn, in order. More concurrent hashes
 * than cores only makes each slower and crowds out the event loop (measured on the thread
 * pool: `me` p99 during a sign-in storm fell from 29 ms to 12 ms with the limit), so sign-ins
 * queue while authenticated requests keep flowing. Both ways of running hashes use it.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

const stopped = () => new Error("password hashing stopped");

class HashThread {
  private readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;
  private nextId = 1;

  constructor(argon2Path: string, onGone: (thread: HashThread) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { argon2: argon2Path, nice: NICE },
    });
    this.worker.unref();
    this.worker.on(
      "message",
      (m: { id: number; ok: boolean; value?: unknown; message?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) this.worker.unref();
        if (m.ok) p.resolve(m.value as string | boolean);
        else p.reject(new Error(`argon2: ${m.message ?? "failed"}`));
      },
    );
    const gone = (err: Error) => {
      onGone(this);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on("error", gone);
    this.worker.on("exit", (code) => gone(new Error(`argon2 worker exited (${code})`)));
  }

  run(job: Job): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      // Held while it works, so a CLI command awaiting a hash does not exit under it.
      this.worker.ref();
      this.worker.postMessage({ id, job });
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * At most `size` hashes at once (default: the cores this process may use), one per thread,
 * through a Gate; threads start on first need and are reused.
 */
export class HashWorkers {
  private readonly gate: Gate;
  private readonly threads = new Set<HashThread>();
  private readonly idle: HashThread[] = [];
  private closed = false;
  private readonly argon2Path = require.resolve("@node-rs/argon2");

  constructor(size = Math.max(1, availableParallelism())) {
    this.gate = new Gate(size);
  }

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.submit({ op: "hash", password, options }) as Promise<string>;
  }

  verify(encoded: string, password: string): Promise<boolean> {
    return this.submit({ op: "verify", encoded, password }) as Promise<boolean>;
  }

  /** Stops every thread; work not yet answered fails. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = [...this.threads];
    this.threads.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((t) => t.terminate()));
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(stopped());
    return this.gate.run(async () => {
      // Work that waited its turn past close() fails rather than starting a thread.
      if (this.closed) throw stopped();
      const thread = this.idle.pop() ?? this.spawn();
      try {
        return await thread.run(job);
      } finally {
        if (this.threads.has(thread)) this.idle.push(thread);
      }
    });
  }

  private spawn(): HashThread {
    const thread = new HashThread(this.argon2Path, (gone) => {
      this.threads.delete(gone);
      const i = this.idle.indexOf(gone);
      if (i >= 0) this.idle.splice(i, 1);
    });
    this.threads.add(thread);
    return thread;
  }
}
