/**
 * The verifier's copy of the gateway's revocations (DESIGN §15), read from GET /revocations
 * and kept in memory, so that a revoked session, a disabled or deleted user and a disabled
 * client are refused here with no call per request: `check` is three Map lookups.
 *
 * - One stream at a time. It opens with a client-credentials token (createTokenProvider)
 *   and `Last-Event-ID` once an event has been seen, so a reconnection resumes: the gateway
 *   sends what came after it, or a `reset` and a fresh snapshot when it cannot.
 * - A `reset` builds the new set aside; it replaces the old one at `synced`, so a token is
 *   never let through for lack of a half-read snapshot.
 * - Reconnects after any failure or end, with exponential backoff and jitter (reset once a
 *   stream has synced). A stream silent for longer than twice the gateway's heartbeat (it
 *   says which in `synced`) is dead however open it looks, and is replaced.
 * - Staleness: the time since the stream last proved current (synced, an event, a heartbeat;
 *   the gateway sends heartbeats only while its own feed is current). Past
 *   `maxStalenessSeconds` every token is refused with SERVICE_UNAVAILABLE (fail closed), or
 *   checked against what is known only, with `dangerouslyAcceptWhenStale`.
 */
import { PoolgateError } from "../errors";
import type { AccessTokenClaims } from "../tokens/claims";
import type { TokenProvider } from "./createTokenProvider";
import { SseParser, type SseEvent } from "./sse";

export interface RevocationFeedOptions {
  /** A confidential app client allowed the client-credentials flow and `poolgate/revocations`. */
  clientId: string;
  clientSecret: string;
  /** @default `${issuer}/oauth2/token` */
  tokenEndpoint?: string;
  /** @default `${issuer}/revocations` */
  endpoint?: string;
  /**
   * How long the feed may be out of touch before every token is refused, 1 to 3600.
   * @default 30
   */
  maxStalenessSeconds?: number;
  /**
   * When the feed is stale, accept tokens that pass the local checks and no revocation known
   * here, instead of refusing them all.
   * @default false (fail closed: SERVICE_UNAVAILABLE)
   */
  dangerouslyAcceptWhenStale?: boolean;
  /** First reconnection delay; doubled each time, with jitter. @default 250 */
  reconnectInitialDelayMs?: number;
  /** Longest reconnection delay. @default 10000 */
  reconnectMaxDelayMs?: number;
}

export interface RevocationFeedStats {
  /** A stream is open and has synced. */
  connected: boolean;
  /** The id of the last event applied (what a reconnection resumes after). */
  lastEventId: string | null;
  /** Seconds since the feed last proved current (null: never synced). */
  staleSeconds: number | null;
  revokedSessions: number;
  blockedUsers: number;
  blockedClients: number;
  /** Streams opened after the first. */
  reconnects: number;
}

class Revoked {
  /** Session id (`origin_jti`) → when its last token expires (ms). */
  readonly sessions = new Map<string, number>();
  readonly users = new Set<string>();
  readonly clients = new Set<string>();
}

/** What the verifier needs of the feed. */
export interface FeedCheck {
  /** Throws UNAUTHENTICATED for a revoked token, SERVICE_UNAVAILABLE when stale (fail closed). */
  check(claims: AccessTokenClaims): void;
  /** Resolves once the first stream has synced, or after `ms`. */
  ready(ms: number): Promise<void>;
  readonly synced: boolean;
  stats(): RevocationFeedStats;
  close(): Promise<void>;
}

const LONGEST_SILENCE_DEFAULT_MS = 45_000;

export class RevocationFeedClient implements FeedCheck {
  private state = new Revoked();
  /** Being built since a `reset`, swapped in at `synced`. */
  private next: Revoked | undefined;
  private lastEventId: string | null = null;
  private lastFreshMs: number | undefined;
  private connected = false;
  private streams = 0;
  private closed = false;
  private abort: AbortController | undefined;
  private sleeper: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private running: Promise<void>;
  private silenceMs = LONGEST_SILENCE_DEFAULT_MS;
  private lastSweepMs = 0;
  private firstSync: { promise: Promise<void>; resolve: () => void };
  private readonly maxStalenessMs: number;

  constructor(
    private readonly endpoint: URL,
    private readonly tokens: TokenProvider,
    private readonly options: RevocationFeedOptions & { timeoutMs: number },
    private readonly now: () => number,
    /** The signing keys changed at the gateway. */
    private readonly onKeysChanged: () => void,
  ) {
    this.maxStalenessMs = (options.maxStalenessSeconds ?? 30) * 1000;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstSync = { promise, resolve };
    this.running = this.run();
  }

  get synced(): boolean {
    return this.lastFreshMs !== undefined;
  }

  check(claims: AccessTokenClaims): void {
    const fresh = this.lastFreshMs;
    if (fresh === undefined || this.now() - fresh > this.maxStalenessMs) {
      if (!this.options.dangerouslyAcceptWhenStale)
        throw new PoolgateError("SERVICE_UNAVAILABLE", "Token check unavailable", {
          logDetail:
            fresh === undefined
              ? "revocation feed not synced yet"
              : `revocation feed stale for ${Math.round((this.now() - fresh) / 1000)} s`,
        });
    }
    const s = this.state;
    let why: string | undefined;
    if (s.clients.has(claims.client_id)) why = "client disabled or deleted";
    else if (claims.origin_jti !== undefined && s.sessions.has(claims.origin_jti))
      why = "session revoked";
    else if (claims.username !== undefined && s.users.has(claims.sub))
      why = "user disabled or deleted";
    if (why !== undefined)
      throw new PoolgateError("UNAUTHENTICATED", "Unauthorized", {
        logDetail: `access token rejected: ${why} (revocation feed)`,
      });
  }

  async ready(ms: number): Promise<void> {
    if (this.synced) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.firstSync.promise,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  stats(): RevocationFeedStats {
    return {
      connected: this.connected,
      lastEventId: this.lastEventId,
      staleSeconds:
        this.lastFreshMs === undefined ? null : Math.max(0, (this.now() - this.lastFreshMs) / 1000),
      revokedSessions: this.state.sessions.size,
      blockedUsers: this.state.users.size,
      blockedClients: this.state.clients.size,
      reconnects: Math.max(0, this.streams - 1),
    };
  }

  /** Stops the feed and its token provider (owned by the feed); settles once nothing runs. */
  async close(): Promise<void> {
    this.closed = true;
    this.tokens.close();
    this.abort?.abort();
    this.sleeper?.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    const initial = this.options.reconnectInitialDelayMs ?? 250;
    const max = this.options.reconnectMaxDelayMs ?? 10_000;
    let failures = 0;
    while (!this.closed) {
      let synced = false;
      try {
        synced = await this.stream();
      } catch {
        // Every failure is the same here: wait, then try again.
      }
      this.connected = false;
      if (this.closed) break;
      failures = synced ? 0 : failures + 1;
      const delay = Math.min(max, initial * 2 ** Math.min(failures, 20));
      await this.sleep(delay / 2 + (Math.random() * delay) / 2);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleeper = { timer, wake };
    });
  }

  /** One stream, until it ends or fails; true when it synced. */
  private async stream(): Promise<boolean> {
    const token = await this.tokens.getToken();
    if (this.closed) return false;
    const abort = new AbortController();
    this.abort = abort;
    this.streams++;
    let synced = false;
    let idle: NodeJS.Timeout | undefined;
    const touch = (ms = this.silenceMs) => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), ms);
      idle.unref();
    };
    try {
      touch(this.options.timeoutMs);
      const response = await fetch(this.endpoint, {
        method: "GET",
        redirect: "error",
        headers: {
          authorization: `Bearer ${token}`,
          accept: "text/event-stream",
          "cache-control": "no-store",
          ...(this.lastEventId !== null ? { "last-event-id": this.lastEventId } : {}),
        },
        signal: abort.signal,
      });
      if (response.status === 401) this.tokens.invalidate();
      if (response.status !== 200 || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        return false;
      }
      const parser = new SseParser(
        (event) => {
          if (this.onEvent(event)) synced = true;
        },
        () => this.onHeartbeat(),
      );
      const decoder = new TextDecoder();
      // Node's fetch (undici) holds the request's AbortController only weakly: once the
      // Request has been garbage-collected, aborting `signal` no longer reaches the body, and
      // a read on a silent stream would wait forever (close() hung so after long runs). The
      // reader is cancelled here instead, which ends the pending read and the connection.
      const reader = response.body.getReader();
      const cancel = () => void reader.cancel(abort.signal.reason).catch(() => undefined);
      if (abort.signal.aborted) cancel();
      else abort.signal.addEventListener("abort", cancel, { once: true });
      for (;;) {
        const { done, value } = await reader.read();
        if (done || abort.signal.aborted) break;
        touch();
        parser.push(decoder.decode(value, { stream: true }));
      }
      // Cut off by close() or the idle watchdog: a failure, as when the read threw.
      return synced && !abort.signal.aborted;
    } finally {
      clearTimeout(idle);
      this.abort = undefined;
      this.next = undefined;
      if (!abort.signal.aborted) abort.abort();
    }
  }

  /** Applies one event; true when it was `synced`. */
  private onEvent(event: SseEvent): boolean {
    switch (event.event) {
      case "reset":
        this.next = new Revoked();
        return false;
      case "synced": {
        if (this.next) this.state = this.next;
        this.next = undefined;
        this.lastEventId = event.lastEventId || this.lastEventId;
        try {
          const { heartbeatSeconds } = JSON.parse(event.data) as { heartbeatSeconds?: unknown };
          if (typeof heartbeatSeconds === "number" && heartbeatSeconds > 0)
            this.silenceMs = Math.max(1000, heartbeatSeconds * 2000 + 1000);
        } catch {
          // an older gateway: keep the default
        }
        this.connected = true;
        this.fresh();
        this.firstSync.resolve();
        return true;
      }
      case "message":
        this.apply(event.data);
        // Snapshot entries carry no id; live and replayed ones do.
        if (event.lastEventId !== "") this.lastEventId = event.lastEventId;
        if (this.connected) this.fresh();
        return false;
      default:
        return false;
    }
  }

  private onHeartbeat(): void {
    if (this.connected) this.fresh();
  }

  private fresh(): void {
    const now = this.now();
    this.lastFreshMs = now;
    // Sessions whose tokens have all expired are dropped once a minute.
    if (now - this.lastSweepMs >= 60_000) {
      this.lastSweepMs = now;
      for (const [id, until] of this.state.sessions)
        if (until <= now) this.state.sessions.delete(id);
    }
  }

  private apply(data: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    const s = this.next ?? this.state;
    switch (entry["type"]) {
      case "session":
        if (typeof entry["id"] === "string")
          s.sessions.set(
            entry["id"],
            typeof entry["until"] === "number" ? entry["until"] : Number.MAX_SAFE_INTEGER,
          );
        return;
      case "user":
        if (typeof entry["sub"] !== "string") return;
        if (entry["blocked"] === false) s.users.delete(entry["sub"]);
        else s.users.add(entry["sub"]);
        return;
      case "client":
        if (typeof entry["clientId"] !== "string") return;
        if (entry["blocked"] === false) s.clients.delete(entry["clientId"]);
        else s.clients.add(entry["clientId"]);
        return;
      case "keys":
        this.onKeysChanged();
        return;
      default:
        return;
    }
  }
}
