import pg from "pg";
import { StoreUnavailableError } from "../store";
import { CHANGES_CHANNEL } from "./feed";

/** LISTEN reconnection: first retry after ~100 ms, doubling up to ~5 s. */
const LISTEN_RETRY_INITIAL_MS = 100;
const LISTEN_RETRY_MAX_MS = 5_000;
/**
 * A LISTEN connection only ever receives; a silently dead TCP peer (a NAT or load balancer
 * that dropped the flow) would go unnoticed, so it sends a query this often.
 */
const LISTEN_HEARTBEAT_MS = 30_000;

/**
 * PostgresStore's LISTEN connections, one per watchChanges subscriber: the hint side of the
 * change feed, whose NOTIFY is sent by PostgresFeed.append.
 */
export class ChangeWatchers {
  private readonly watchers = new Set<ChangeWatcher>();
  private closed = false;

  constructor(private readonly config: pg.ClientConfig) {}

  /** PostgresStore.watchChanges, which translates a failed first connection's pg error. */
  async watch(listener: () => void): Promise<() => Promise<void>> {
    const watcher = new ChangeWatcher(this.config, listener);
    await watcher.start();
    if (this.closed) {
      // close() ran while the LISTEN connection was being opened.
      await watcher.stop();
      throw new StoreUnavailableError("store is closed");
    }
    this.watchers.add(watcher);
    return async () => {
      this.watchers.delete(watcher);
      await watcher.stop();
    };
  }

  /** Stops every watcher; one still being opened stops as soon as it is open. */
  async close(): Promise<void> {
    this.closed = true;
    const watchers = [...this.watchers];
    this.watchers.clear();
    await Promise.all(watchers.map((watcher) => watcher.stop()));
  }
}

/**
 * One LISTEN connection for one subscriber. It is not pooled: a pooled connection would be
 * handed to other queries, and LISTEN belongs to a session. When the connection drops, it
 * reconnects with exponential backoff and calls the listener once afterwards, since any
 * NOTIFY sent while it was away is lost (the caller catches up through changesSince).
 */
class ChangeWatcher {
  private client: pg.Client | undefined;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly listener: () => void,
  ) {}

  /** Resolves once listening; rejects with pg's error if the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), LISTEN_HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    // 'error' (the server or the network dropped us) is always followed by 'end'; either one
    // starts a reconnection, once, and only for the current connection.
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    client.on("notification", (message) => {
      if (message.channel === CHANGES_CHANNEL) this.notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners("end");
      client.end().catch(() => {});
      throw err;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.stopped || client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const ceiling = Math.min(LISTEN_RETRY_MAX_MS, LISTEN_RETRY_INITIAL_MS * 2 ** this.failures);
    // Half fixed, half random: instances that lost the same server do not return in step.
    const delayMs = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => void this.reconnect(), delayMs);
    this.retryTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.connect();
    } catch {
      this.failures++;
      if (!this.stopped) this.scheduleReconnect();
      return;
    }
    this.failures = 0;
    if (!this.stopped) this.notify();
  }

  private heartbeat(): void {
    const client = this.client;
    if (client === undefined) return;
    // A failure (query_timeout on a dead peer, or a closed socket) counts as a lost connection.
    client.query("SELECT 1").catch(() => this.lost(client));
  }

  private notify(): void {
    try {
      this.listener();
    } catch {
      // The listener is a hint for the caller to poll; an exception in it is the caller's
      // bug and must not stop this connection from listening.
    }
  }
}
