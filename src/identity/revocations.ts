/**
 * The in-memory view of what is revoked or blocked, consulted on every request (DESIGN §5):
 * revoked sessions, blocked users (disabled or deleted) and blocked clients. Changes made by
 * this process apply at once; changes made by other processes on the same store (the CLI,
 * other instances) arrive through the store's change feed, polled every `syncIntervalMs`.
 *
 * Bounded: a revoked session is remembered only as long as a token of it can still be
 * alive (the longest access/ID token lifetime), after which no token names it anyway.
 */
import type { ChangeEvent, ClientStore, FeedStore, UserStore } from "../store/store";

export interface RevocationStateOptions {
  /** How long a revocation must be remembered: the longest token lifetime, plus skew. */
  windowMs: number;
  onKeysChanged: () => Promise<void>;
  /**
   * The longest one pull may take. A pull still unanswered then (a black-holed connection)
   * is abandoned — it applies nothing more — and the next tick starts a fresh one, so one
   * hung read can never stop the revocations that follow (issue 12 #8).
   */
  pullTimeoutMs: number;
  onSyncError: (err: unknown) => void;
  /** A user's record, groups or state changed (here or on another instance). */
  onUserChanged: (sub: string) => void;
  /** A client was disabled, enabled or deleted (here or on another instance). */
  onClientChanged: (clientId: string) => void;
  now: () => number;
}

export class RevocationState {
  private readonly revokedSessions = new Map<string, number>();
  private readonly blockedUsers = new Set<string>();
  private readonly blockedClients = new Set<string>();
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private again = false;
  private lastSyncOkMs = 0;
  /** Bumped when a pull is abandoned: a pull of an older generation applies nothing. */
  private generation = 0;
  /** A keys_changed event was read and the ring has not been reloaded since. */
  private keysChanged = false;
  private unwatch: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: FeedStore &
      Pick<UserStore, "listDisabledUserSubs"> &
      Pick<ClientStore, "listClients">,
    private readonly options: RevocationStateOptions,
  ) {}

  /**
   * Builds the state from the store: the feed events of the revocation window plus the current
   * disabled snapshot. Older events concern no live token — a session revoked, a user or client
   * deleted before the window has no token left — and what is still disabled is in the
   * snapshot, so a start reads a bounded part of the feed however old the store.
   */
  async load(nowMs: number): Promise<void> {
    const latest = await this.store.latestChangeSeq();
    const since = nowMs - this.options.windowMs;
    let after = await this.store.changeSeqBefore(since);
    for (;;) {
      const batch = await this.store.changesSince(after, 5000);
      for (const event of batch) {
        if (event.seq > latest) break;
        if (event.atMs >= since || event.kind !== "session_revoked") this.apply(event, false);
        after = event.seq;
      }
      if (batch.length < 5000 || after >= latest) break;
    }
    this.cursor = latest;
    for (const sub of await this.store.listDisabledUserSubs()) this.blockedUsers.add(sub);
    for (const client of await this.store.listClients()) {
      if (!client.enabled) this.blockedClients.add(client.clientId);
    }
    this.lastSyncOkMs = nowMs;
  }

  /**
   * Pulls the feed since the last event seen. Never runs twice at once; a call made while a
   * pull is running causes one more pull after it, so an event committed mid-pull is not left
   * waiting for the next poll.
   */
  sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.again = false;
          await this.boundedPull(this.options.now());
        } while (this.again);
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async boundedPull(nowMs: number): Promise<void> {
    const generation = this.generation;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.generation++;
        reject(new Error(`revocation sync pull took longer than ${this.options.pullTimeoutMs} ms`));
      }, this.options.pullTimeoutMs);
      timer.unref();
    });
    const pull = this.pull(nowMs, generation);
    // The abandoned pull may still fail later; that failure is nobody's news.
    pull.catch(() => undefined);
    try {
      await Promise.race([pull, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async pull(nowMs: number, generation: number): Promise<void> {
    for (;;) {
      const batch = await this.store.changesSince(this.cursor, 1000);
      if (generation !== this.generation) return;
      for (const event of batch) {
        if (this.apply(event, true)) this.keysChanged = true;
        this.cursor = event.seq;
      }
      if (batch.length < 1000) break;
    }
    this.evictExpired(nowMs);
    this.lastSyncOkMs = nowMs;
    // Kept across pulls: a pull abandoned after its cursor passed a keys_changed event, or
    // whose reload failed, leaves the reload to the next one.
    if (this.keysChanged) {
      await this.options.onKeysChanged();
      if (generation === this.generation) this.keysChanged = false;
    }
  }

  /** Applies one event; returns true when the key ring must be reloaded. */
  private apply(event: ChangeEvent, live: boolean): boolean {
    switch (event.kind) {
      case "session_revoked":
        this.revokedSessions.set(event.subject, event.atMs);
        return false;
      case "user_blocked":
        this.blockedUsers.add(event.subject);
        this.options.onUserChanged(event.subject);
        return false;
      case "user_unblocked":
        this.blockedUsers.delete(event.subject);
        this.options.onUserChanged(event.subject);
        return false;
      case "user_changed":
        this.options.onUserChanged(event.subject);
        return false;
      case "client_blocked":
        this.blockedClients.add(event.subject);
        this.options.onClientChanged(event.subject);
        return false;
      case "client_unblocked":
        this.blockedClients.delete(event.subject);
        this.options.onClientChanged(event.subject);
        return false;
      case "keys_changed":
        return live;
    }
  }

  private evictExpired(nowMs: number): void {
    const horizon = nowMs - this.options.windowMs;
    for (const [id, atMs] of this.revokedSessions) {
      // Map iteration is insertion order, which is (nearly) revocation order.
      if (atMs >= horizon) break;
      this.revokedSessions.delete(id);
    }
  }

  /**
   * Polls the feed every `intervalMs` and, where the store can push (PostgreSQL's
   * LISTEN/NOTIFY), also reads it as soon as another process appends; the polling stays as
   * the resync that a dropped notification cannot defeat.
   */
  async start(intervalMs: number): Promise<void> {
    if (this.store.watchChanges) {
      this.unwatch = await this.store.watchChanges(() => {
        this.sync().catch((err: unknown) => this.options.onSyncError(err));
      });
    }
    const tick = () => {
      this.sync().then(
        () => schedule(),
        (err: unknown) => {
          this.options.onSyncError(err);
          schedule();
        },
      );
    };
    const schedule = () => {
      if (this.timer === undefined) return;
      this.timer = setTimeout(tick, intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    await unwatch?.().catch(() => undefined);
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    await this.syncing?.catch(() => undefined);
  }

  /** Milliseconds since the feed was last read successfully. */
  staleness(nowMs: number): number {
    return nowMs - this.lastSyncOkMs;
  }

  // Local changes: visible to this process from the next request on, before the feed echoes them.
  markSessionRevoked(id: string, nowMs: number): void {
    this.revokedSessions.set(id, nowMs);
  }
  markUserBlocked(sub: string, blocked: boolean): void {
    if (blocked) this.blockedUsers.add(sub);
    else this.blockedUsers.delete(sub);
    this.options.onUserChanged(sub);
  }
  markClientBlocked(clientId: string, blocked: boolean): void {
    if (blocked) this.blockedClients.add(clientId);
    else this.blockedClients.delete(clientId);
  }

  isSessionRevoked(id: string): boolean {
    return this.revokedSessions.has(id);
  }
  isUserBlocked(sub: string): boolean {
    return this.blockedUsers.has(sub);
  }
  isClientBlocked(clientId: string): boolean {
    return this.blockedClients.has(clientId);
  }
  size(): { sessions: number; users: number; clients: number } {
    return {
      sessions: this.revokedSessions.size,
      users: this.blockedUsers.size,
      clients: this.blockedClients.size,
    };
  }
}
