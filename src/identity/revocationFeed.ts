/**
 * What GET /revocations streams to subgraphs (DESIGN §15): every revocation whose tokens may
 * still be live, then each new one in feed order. One per gateway, shared by every stream,
 * started by the first one: it reads the store's change feed like RevocationState does (a
 * poll every `syncIntervalMs`, plus `watchChanges` where the store can push), so a stream on
 * any instance carries what every instance wrote.
 *
 * Bounded like RevocationState: a revoked session is kept for the revocation window (the
 * longest token lifetime), a deleted user or client for the window after its deletion, a
 * disabled one while it stays disabled.
 */
import type { ChangeEvent, ClientStore, FeedStore, UserStore } from "../store/store";

/** One entry of the stream, as sent (docs/federation.md "Wire format"). */
export type FeedEntry =
  | { type: "session"; id: string; at: number; until: number }
  | { type: "user"; sub: string; blocked: boolean; at?: number }
  | { type: "client"; clientId: string; blocked: boolean; at?: number }
  /** The signing keys changed: a verifier refetches the JWKS on next use. */
  | { type: "keys"; at: number };

export interface FeedItem {
  seq: number;
  entry: FeedEntry;
}

export interface RevocationFeedOptions {
  /** How long a revocation concerns live tokens: the longest token lifetime, plus skew. */
  windowMs: number;
  syncIntervalMs: number;
  /** The longest one read of the feed may take before the next poll starts a fresh one. */
  pullTimeoutMs: number;
  onSyncError: (err: unknown) => void;
  now: () => number;
}

type FeedSource = FeedStore &
  Pick<UserStore, "listDisabledUserSubs"> &
  Pick<ClientStore, "listClients">;

const BATCH = 1000;
/** How often deleted users and clients past the window are looked for (one store read each). */
const COMPACT_EVERY_MS = 60_000;

export class RevocationFeed {
  private readonly sessions = new Map<string, number>();
  /** Blocked users and clients → when (undefined: disabled before the window began). */
  private readonly users = new Map<string, number | undefined>();
  private readonly clients = new Map<string, number | undefined>();
  private readonly listeners = new Set<(item: FeedItem) => void>();
  private cursor = 0;
  private lastOkMs = 0;
  private lastCompactMs = 0;
  private started: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private again = false;
  private generation = 0;
  private unwatch: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: FeedSource,
    private readonly options: RevocationFeedOptions,
  ) {}

  /** Loads the state and starts following the feed; once, whoever calls. A failed start is retried. */
  start(): Promise<void> {
    this.started ??= this.load().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    });
    return this.started;
  }

  /** The entries of a fresh stream and the seq they stand for; call it and subscribe in one tick. */
  snapshot(): { seq: number; entries: FeedEntry[] } {
    this.evictSessions(this.options.now());
    const entries: FeedEntry[] = [];
    for (const [id, at] of this.sessions) entries.push(sessionEntry(id, at, this.options.windowMs));
    for (const [sub, at] of this.users)
      entries.push({ type: "user", sub, blocked: true, ...(at === undefined ? {} : { at }) });
    for (const [clientId, at] of this.clients)
      entries.push({
        type: "client",
        clientId,
        blocked: true,
        ...(at === undefined ? {} : { at }),
      });
    return { seq: this.cursor, entries };
  }

  /** Reads the feed now (a new stream starts from what was committed before it came). */
  catchUp(): Promise<void> {
    return this.sync();
  }

  /** The seq of the last event read from the feed. */
  position(): number {
    return this.cursor;
  }

  /** Calls `listener` with each new item, in feed order; returns the unsubscribe function. */
  subscribe(listener: (item: FeedItem) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The items after `afterSeq` up to `untilSeq`, or undefined when the store no longer has
   * event `afterSeq` (pruned, or never written here): the reader must start afresh.
   */
  async replay(afterSeq: number, untilSeq: number): Promise<FeedItem[] | undefined> {
    if (afterSeq < 1 || afterSeq > untilSeq) return undefined;
    const [first] = await this.store.changesSince(afterSeq - 1, 1);
    if (first?.seq !== afterSeq) return undefined;
    const items: FeedItem[] = [];
    let after = afterSeq;
    for (;;) {
      const batch = await this.store.changesSince(after, BATCH);
      for (const event of batch) {
        if (event.seq > untilSeq) return items;
        const entry = entryOf(event, this.options.windowMs);
        if (entry) items.push({ seq: event.seq, entry });
        after = event.seq;
      }
      if (batch.length < BATCH || after >= untilSeq) return items;
    }
  }

  /** Milliseconds since the feed was last read successfully (Infinity before the first read). */
  staleness(nowMs: number): number {
    return this.lastOkMs === 0 ? Infinity : nowMs - this.lastOkMs;
  }

  size(): { sessions: number; users: number; clients: number } {
    return { sessions: this.sessions.size, users: this.users.size, clients: this.clients.size };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    await unwatch?.().catch(() => undefined);
    await this.syncing?.catch(() => undefined);
  }

  private async load(): Promise<void> {
    const nowMs = this.options.now();
    const latest = await this.store.latestChangeSeq();
    const since = nowMs - this.options.windowMs;
    let after = await this.store.changeSeqBefore(since);
    for (;;) {
      const batch = await this.store.changesSince(after, 5000);
      for (const event of batch) {
        if (event.seq > latest) break;
        if (event.atMs >= since || event.kind !== "session_revoked") this.apply(event);
        after = event.seq;
      }
      if (batch.length < 5000 || after >= latest) break;
    }
    this.cursor = latest;
    // Disabled before the window began, so without an event here: still blocked.
    for (const sub of await this.store.listDisabledUserSubs())
      if (!this.users.has(sub)) this.users.set(sub, undefined);
    for (const client of await this.store.listClients())
      if (!client.enabled && !this.clients.has(client.clientId))
        this.clients.set(client.clientId, undefined);
    this.lastOkMs = nowMs;
    this.lastCompactMs = nowMs;
    if (this.stopped) return;
    if (this.store.watchChanges) {
      this.unwatch = await this.store.watchChanges(() => {
        this.sync().catch((err: unknown) => this.options.onSyncError(err));
      });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sync().then(
        () => this.schedule(),
        (err: unknown) => {
          this.options.onSyncError(err);
          this.schedule();
        },
      );
    }, this.options.syncIntervalMs);
    this.timer.unref();
  }

  /** One pull at a time; a call during a pull causes one more after it (as RevocationState). */
  private sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.again = false;
          await this.boundedPull();
        } while (this.again && !this.stopped);
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async boundedPull(): Promise<void> {
    const generation = this.generation;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.generation++;
        reject(new Error(`revocation feed pull took longer than ${this.options.pullTimeoutMs} ms`));
      }, this.options.pullTimeoutMs);
      timer.unref();
    });
    const pull = this.pull(generation);
    pull.catch(() => undefined);
    try {
      await Promise.race([pull, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async pull(generation: number): Promise<void> {
    for (;;) {
      const batch = await this.store.changesSince(this.cursor, BATCH);
      // An abandoned pull applies nothing: a fresher one may have moved the cursor on.
      if (generation !== this.generation || this.stopped) return;
      for (const event of batch) {
        this.apply(event);
        this.cursor = event.seq;
        const entry = entryOf(event, this.options.windowMs);
        if (entry) for (const listener of [...this.listeners]) listener({ seq: event.seq, entry });
      }
      if (batch.length < BATCH) break;
    }
    const nowMs = this.options.now();
    this.lastOkMs = nowMs;
    this.evictSessions(nowMs);
    if (nowMs - this.lastCompactMs >= COMPACT_EVERY_MS) {
      this.lastCompactMs = nowMs;
      await this.compact(nowMs);
    }
  }

  private apply(event: ChangeEvent): void {
    switch (event.kind) {
      case "session_revoked":
        this.sessions.set(event.subject, event.atMs);
        return;
      case "user_blocked":
        this.users.set(event.subject, event.atMs);
        return;
      case "user_unblocked":
        this.users.delete(event.subject);
        return;
      case "client_blocked":
        this.clients.set(event.subject, event.atMs);
        return;
      case "client_unblocked":
        this.clients.delete(event.subject);
        return;
      case "keys_changed":
      case "user_changed":
        return;
    }
  }

  private evictSessions(nowMs: number): void {
    const horizon = nowMs - this.options.windowMs;
    for (const [id, at] of this.sessions) {
      // Insertion order is (nearly) revocation order.
      if (at >= horizon) break;
      this.sessions.delete(id);
    }
  }

  /**
   * Drops users and clients blocked before the window that are no longer disabled: deleted
   * ones, whose tokens have all expired. Disabled ones stay while they are disabled.
   */
  private async compact(nowMs: number): Promise<void> {
    const horizon = nowMs - this.options.windowMs;
    const old = (m: Map<string, number | undefined>) =>
      [...m].some(([, at]) => at !== undefined && at < horizon);
    if (old(this.users)) {
      const disabled = new Set(await this.store.listDisabledUserSubs());
      for (const [sub, at] of this.users)
        if (at !== undefined && at < horizon && !disabled.has(sub)) this.users.delete(sub);
    }
    if (old(this.clients)) {
      const disabled = new Set(
        (await this.store.listClients()).filter((c) => !c.enabled).map((c) => c.clientId),
      );
      for (const [id, at] of this.clients)
        if (at !== undefined && at < horizon && !disabled.has(id)) this.clients.delete(id);
    }
  }
}

function sessionEntry(id: string, at: number, windowMs: number): FeedEntry {
  return { type: "session", id, at, until: at + windowMs };
}

/** The stream's entry for a feed event; undefined for what subgraphs need not know. */
export function entryOf(event: ChangeEvent, windowMs: number): FeedEntry | undefined {
  switch (event.kind) {
    case "session_revoked":
      return sessionEntry(event.subject, event.atMs, windowMs);
    case "user_blocked":
    case "user_unblocked":
      return {
        type: "user",
        sub: event.subject,
        blocked: event.kind === "user_blocked",
        at: event.atMs,
      };
    case "client_blocked":
    case "client_unblocked":
      return {
        type: "client",
        clientId: event.subject,
        blocked: event.kind === "client_blocked",
        at: event.atMs,
      };
    case "keys_changed":
      return { type: "keys", at: event.atMs };
    case "user_changed":
      return undefined;
  }
}
