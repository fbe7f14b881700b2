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

class HashThread {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;

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

  run(id: number, job: Job, pending: Pending): void {
    this.pending.set(id, pending);
    // Held while it works, so a CLI command awaiting a hash does not exit under it.
    this.worker.ref();
    this.worker.postMessage({ id, job });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * At most `size` hashes at once (default: the cores this process may use), one per thread;
 * the rest wait their turn in order. More concurrent hashes than cores only makes each slower.
 */
export class HashWorkers {
  private readonly threads: HashThread[] = [];
  private readonly idle: HashThread[] = [];
  private readonly queue: { job: Job; pending: Pending }[] = [];
  private nextId = 1;
  private closed = false;
  private readonly argon2Path = require.resolve("@node-rs/argon2");

  constructor(private readonly size = Math.max(1, availableParallelism())) {}

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.submit({ op: "hash", password, options }) as Promise<string>;
  }

  verify(encoded: string, password: string): Promise<boolean> {
    return this.submit({ op: "verify", encoded, password }) as Promise<boolean>;
  }

  /** Stops every thread; work not yet answered fails. */
  async close(): Promise<void> {
    this.closed = true;
    const failed = new Error("password hashing stopped");
    for (const { pending } of this.queue.splice(0)) pending.reject(failed);
    await Promise.all(this.threads.splice(0).map((t) => t.terminate()));
    this.idle.length = 0;
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error("password hashing stopped"));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = this.idle.pop();
      if (thread === undefined && this.threads.length < this.size) {
        thread = new HashThread(this.argon2Path, (t) => this.forget(t));
        this.threads.push(thread);
      }
      if (thread === undefined) return;
      const { job, pending } = this.queue.shift()!;
      const worker = thread;
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          if (this.threads.includes(worker)) this.idle.push(worker);
          f(v);
          this.dispatch();
        };
      worker.run(this.nextId++, job, {
        resolve: settle(pending.resolve),
        reject: settle(pending.reject),
      });
    }
  }

  private forget(thread: HashThread): void {
    const drop = (list: HashThread[]) => {
      const i = list.indexOf(thread);
      if (i >= 0) list.splice(i, 1);
    };
    drop(this.threads);
    drop(this.idle);
  }
}
