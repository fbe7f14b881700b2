/**
 * GET /revocations (DESIGN §15): the revocation feed as server-sent events, for the
 * library's verifier (docs/federation.md "Wire format"). Steps: a GET; a bearer access token
 * of a client (client credentials) holding `poolgate/revocations`, checked as fully as on
 * /graphql (RFC 6750 401/403 otherwise); a free stream slot; a fresh feed; then a reset and
 * snapshot, or the events after `Last-Event-ID`, a `synced` event, and each new event.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { isPoolgateError } from "../errors";
import type { UserPool } from "../identity/pool";
import type { FeedEntry, FeedItem, RevocationFeed } from "../identity/revocationFeed";
import { REVOCATIONS_SCOPE } from "../identity/scopes";
import { errorSummary } from "../log";
import { bearerToken } from "../subgraph/bearer";
import { OAuthError, sendOAuthError } from "./form";

export interface RevocationStreamOptions {
  /** A `: hb` comment this often while the feed is current. @default 15000 */
  heartbeatMs?: number;
  /** Streams open at once on this gateway; one more is answered 503. @default 1000 */
  maxStreams?: number;
}

export interface RevocationStreams {
  serve(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void>;
  /** Ends every stream (gateway stop); later requests are answered 503. */
  closeAll(): void;
  readonly open: number;
}

const LAST_EVENT_ID = /^\d{1,15}$/;
/** A reader this far behind (bytes queued) is cut off; it reconnects and resumes. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Longest setTimeout Node accepts. */
const MAX_TIMER_MS = 2_147_483_647;

function frame(entry: FeedEntry, seq?: number): string {
  return `${seq === undefined ? "" : `id: ${seq}\n`}data: ${JSON.stringify(entry)}\n\n`;
}

export function revocationStreams(
  pool: UserPool,
  feed: RevocationFeed,
  options: RevocationStreamOptions = {},
): RevocationStreams {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxStreams = options.maxStreams ?? 1000;
  /** The feed counts as current while read this recently (as /readyz judges the sync). */
  const freshMs = Math.max(5000, pool.config.syncIntervalMs * 10);
  const streams = new Set<() => void>();
  let closing = false;

  const unavailable = (description: string) =>
    new OAuthError("temporarily_unavailable", description, 503, { "retry-after": "5" });

  /** The caller's client id, or an RFC 6750 error already sent. */
  async function authorize(
    req: IncomingMessage,
    res: ServerResponse,
    log: Logger,
  ): Promise<{ clientId: string; expiresAtMs: number } | undefined> {
    const headers = req.headersDistinct.authorization ?? [];
    const token = headers.length === 1 ? bearerToken(headers[0]!) : undefined;
    if (token === undefined) {
      // RFC 6750 §3.1: no credentials, no error code.
      sendOAuthError(
        res,
        new OAuthError("invalid_token", "A bearer access token is required", 401, {
          "www-authenticate": 'Bearer realm="poolgate"',
        }),
      );
      return undefined;
    }
    try {
      const claims = await pool.authenticate(token);
      // A client's own token (client credentials) only: the feed names every blocked user.
      if (claims.username !== undefined || !claims.scope.split(" ").includes(REVOCATIONS_SCOPE)) {
        sendOAuthError(
          res,
          new OAuthError(
            "insufficient_scope",
            `A client-credentials token with the ${REVOCATIONS_SCOPE} scope is required`,
            403,
            {
              "www-authenticate": `Bearer realm="poolgate", error="insufficient_scope", scope="${REVOCATIONS_SCOPE}"`,
            },
          ),
        );
        return undefined;
      }
      return { clientId: claims.client_id, expiresAtMs: claims.exp * 1000 };
    } catch (err) {
      if (isPoolgateError(err) && err.code === "UNAUTHENTICATED") {
        log.info({ reason: err.logDetail }, "revocation feed refused: bad bearer token");
        sendOAuthError(
          res,
          new OAuthError("invalid_token", "The access token is invalid", 401, {
            "www-authenticate": 'Bearer realm="poolgate", error="invalid_token"',
          }),
        );
        return undefined;
      }
      if (isPoolgateError(err) && err.code === "SERVICE_UNAVAILABLE") {
        sendOAuthError(res, unavailable("Service unavailable"));
        return undefined;
      }
      throw err;
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" });
      res.end();
      return;
    }
    const caller = await authorize(req, res, log);
    if (!caller) return;
    if (closing) return sendOAuthError(res, unavailable("The gateway is stopping"));
    if (streams.size >= maxStreams) {
      log.warn({ maxStreams }, "revocation feed refused: too many streams");
      return sendOAuthError(res, unavailable(`At most ${maxStreams} revocation streams at once`));
    }
    try {
      await feed.start();
    } catch (err) {
      log.error({ err: errorSummary(err) }, "revocation feed could not start");
      return sendOAuthError(res, unavailable("The revocation feed is unavailable"));
    }
    // A feed that cannot be read is not served as current: the reader fails closed instead.
    if (feed.staleness(pool.deps.now()) >= freshMs)
      return sendOAuthError(res, unavailable("The revocation feed is not current"));
    if (closing) return sendOAuthError(res, unavailable("The gateway is stopping"));

    const lastHeader = req.headers["last-event-id"];
    const lastEventId =
      typeof lastHeader === "string" && LAST_EVENT_ID.test(lastHeader.trim())
        ? Number(lastHeader.trim())
        : undefined;

    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    });
    res.flushHeaders();

    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    let ended = false;
    /** Items that arrive while the opening part is still being written. */
    let queue: FeedItem[] | undefined = [];
    const write = (text: string) => {
      if (ended) return;
      res.write(text);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        log.warn("revocation feed reader too slow: stream cut");
        res.destroy();
      }
    };
    const deliver = (item: FeedItem) => {
      write(frame(item.entry, item.seq));
      // A disabled or deleted feed client loses its stream at once.
      if (item.entry.type === "client" && item.entry.clientId === caller.clientId) {
        if (item.entry.blocked) end();
      }
    };
    const unsubscribe = feed.subscribe((item) => (queue ? queue.push(item) : deliver(item)));
    const heartbeat = setInterval(() => {
      if (feed.staleness(pool.deps.now()) < freshMs) write(": hb\n\n");
    }, heartbeatMs);
    // The stream lives no longer than the token that opened it; the reader reconnects.
    const expiry = setTimeout(
      () => end(),
      Math.min(MAX_TIMER_MS, Math.max(0, caller.expiresAtMs - pool.deps.now())),
    );
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(expiry);
      streams.delete(end);
      if (!res.writableEnded) res.end();
      done();
    };
    streams.add(end);
    res.once("close", end);

    // Subscribed first, so whatever the feed reads from here on is queued; what it read
    // before is in its state (snapshot) or in the store (replay): nothing falls between.
    await feed.catchUp().catch(() => undefined);
    let synced: number;
    const resumeFrom = feed.position();
    const resumed =
      lastEventId === undefined ? undefined : await feed.replay(lastEventId, resumeFrom);
    if (resumed !== undefined) {
      for (const item of resumed) write(frame(item.entry, item.seq));
      synced = resumeFrom;
    } else {
      const snapshot = feed.snapshot();
      write("event: reset\ndata: {}\n\n");
      for (const entry of snapshot.entries) write(frame(entry));
      synced = snapshot.seq;
    }
    const pending = queue.filter((item) => item.seq > synced);
    write(
      `id: ${synced}\nevent: synced\ndata: ${JSON.stringify({ heartbeatSeconds: heartbeatMs / 1000 })}\n\n`,
    );
    queue = undefined;
    for (const item of pending) deliver(item);
    await finished;
  }

  return {
    serve,
    closeAll() {
      closing = true;
      for (const end of [...streams]) end();
    },
    get open() {
      return streams.size;
    },
  };
}
