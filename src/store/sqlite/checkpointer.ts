/**
 * WAL checkpoints off the event loop (issue 19). SQLite's automatic checkpoint runs inside the
 * commit that crosses 1000 WAL pages: with better-sqlite3 that is the event loop's thread,
 * and the checkpoint's copy and fsync stalled it for 10 ms and more every few seconds of a
 * sign-in storm (`poolgate_store_operation_duration_seconds` of createSession, updateLockout:
 * the only writes over 5 ms), so every request in flight waited behind it.
 *
 * Here the store's own connection never checkpoints (`wal_autocheckpoint = 0`); a worker
 * thread with its own connection to the same file runs a PASSIVE checkpoint every second
 * (it never blocks a reader or the writer; SQLite restarts the log once it is all copied).
 * If that thread fails, the store's connection takes the automatic checkpoint back, so the
 * WAL cannot grow without bound.
 */
import type Database from "better-sqlite3";
import { Worker } from "node:worker_threads";

const INTERVAL_MS = 1000;

/** SQLite's default `wal_autocheckpoint`, restored if the worker stops working. */
const AUTOCHECKPOINT_PAGES = 1000;

// Evaluated in the worker; better-sqlite3's path comes in workerData, so the same code runs
// from dist/ and from the TypeScript sources under test.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.betterSqlite3);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (err) {
    parentPort.postMessage({ failed: String((err && err.code) || err) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;

  private constructor(
    private readonly db: Database.Database,
    file: string,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        betterSqlite3: require.resolve("better-sqlite3"),
        file,
        intervalMs: INTERVAL_MS,
      },
    });
    // A CLI command that opened the store must be able to exit without closing it.
    this.worker.unref();
    this.worker.on("message", (m: { failed?: string }) => {
      if (m.failed !== undefined) this.fallBack();
    });
    this.worker.on("error", () => this.fallBack());
    this.worker.on("exit", () => this.fallBack());
    db.pragma("wal_autocheckpoint = 0");
  }

  /** Starts checkpointing `file` (the database `db` has open, in WAL mode) from a worker. */
  static start(db: Database.Database, file: string): WalCheckpointer {
    return new WalCheckpointer(db, file);
  }

  /** Stops the worker after one last checkpoint; resolves when it has exited. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.postMessage("stop");
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  private fallBack(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    void this.worker.terminate();
  }
}
