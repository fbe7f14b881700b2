/**
 * Helpers for the revocation-feed tests (issue 18): a feed client (a confidential client
 * allowed `poolgate/revocations`), a verifier following a gateway's feed, a raw SSE reader
 * for the wire format, and "eventually rejected" in the vocabulary of the rules checked.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  createVerifier,
  PoolgateError,
  type Verifier,
  type VerifierOptions,
} from "../../src/index";
import type { RevocationFeedOptions } from "../../src/subgraph/revocationFeed";
import { SseParser, type SseEvent } from "../../src/subgraph/sse";
import type { TestGateway } from "../harness";
import { eventually } from "../support/processes";

/** Revocations reach the verifier within this (a bound for CI, not a measurement: bench/feed.js). */
export const BOUNDED = { timeoutMs: 5000, intervalMs: 20 };

export interface FeedClient {
  clientId: string;
  clientSecret: string;
}

export async function createFeedClient(
  gw: TestGateway,
  scopes: string[] = ["poolgate/revocations"],
): Promise<FeedClient> {
  const { client, clientSecret } = await gw.pool.clients.create(
    {
      name: "subgraph-feed",
      generateSecret: true,
      allowedScopes: scopes,
      allowedOAuthFlows: ["client_credentials"],
    },
    gw.pool.deps.now(),
  );
  return { clientId: client.clientId, clientSecret: clientSecret! };
}

/** A client-credentials token; `scope: null` asks for none (the client's default scopes). */
export async function clientToken(
  base: string,
  client: FeedClient,
  scope: string | null = "poolgate/revocations",
): Promise<string> {
  const res = await fetch(`${base}/oauth2/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      ...(scope !== null ? { scope } : {}),
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

const verifiers: Verifier[] = [];

/** A verifier of `base`'s tokens following the feed at `feedBase` (default: the same gateway). */
export function feedVerifier(
  gw: { url: string; config: { issuer: string } },
  client: FeedClient,
  feed: Partial<RevocationFeedOptions> & { feedBase?: string } = {},
  options: Partial<VerifierOptions> = {},
): Verifier {
  const { feedBase, ...rest } = feed;
  const verifier = createVerifier({
    issuer: gw.config.issuer,
    jwksUri: `${gw.url}/.well-known/jwks.json`,
    clientIds: null,
    timeoutMs: 1000,
    revocations: {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      tokenEndpoint: `${gw.url}/oauth2/token`,
      endpoint: `${feedBase ?? gw.url}/revocations`,
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 500,
      ...rest,
    },
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

export async function closeVerifiers(): Promise<void> {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
}

/** The PoolgateError code a verification fails with, or "ok". */
export async function outcome(verifier: Verifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return "ok";
  } catch (err) {
    if (err instanceof PoolgateError) return err.code;
    throw err;
  }
}

export function expectRejected(verifier: Verifier, token: string, what: string): Promise<number> {
  return eventually(
    what,
    async () => (await outcome(verifier, token)) === "UNAUTHENTICATED",
    BOUNDED,
  );
}

export function expectSynced(verifier: Verifier): Promise<number> {
  return eventually(
    "feed synced",
    async () => verifier.stats().revocations?.connected === true,
    BOUNDED,
  );
}

/** A raw reader of GET /revocations: every event and heartbeat, as parsed. */
export interface RawStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  heartbeats: number;
  /** Resolves with the events once one matches. */
  until(match: (e: SseEvent) => boolean): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(
  base: string,
  token: string | undefined,
  headers: Record<string, string> = {},
): Promise<RawStream> {
  const abort = new AbortController();
  const res = await fetch(`${base}/revocations`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  let heartbeats = 0;
  const waiters: (() => void)[] = [];
  const parser = new SseParser(
    (e) => {
      events.push(e);
      for (const w of waiters.splice(0)) w();
    },
    () => heartbeats++,
  );
  const ended = (async () => {
    if (res.status !== 200 || !res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        parser.push(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    get heartbeats() {
      return heartbeats;
    },
    async until(match) {
      const deadline = Date.now() + BOUNDED.timeoutMs;
      while (!events.some(match)) {
        if (Date.now() > deadline) throw new Error(`no such event in ${JSON.stringify(events)}`);
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          new Promise((r) => setTimeout(r, 100)),
        ]);
      }
      return events;
    },
    ended,
    close: () => abort.abort(),
  };
}

export function dataOf(e: SseEvent): Record<string, unknown> {
  return JSON.parse(e.data) as Record<string, unknown>;
}

/**
 * A stand-in gateway: a token endpoint, and a feed that syncs an empty set and then stays
 * silent, its connection open. `stopListening` closes the listener only, as a server going away
 * would, leaving that connection to the client.
 */
export interface StandInFeed {
  base: string;
  stopListening(): void;
  close(): Promise<void>;
}

export async function standInFeed(): Promise<StandInFeed> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/oauth2/token") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: "x", token_type: "Bearer", expires_in: 3600 }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('event: reset\ndata: {}\n\nid: 1\nevent: synced\ndata: {"heartbeatSeconds":15}\n\n');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stopListening: () => void server.close(),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Full garbage collections, as long runs of a busy subgraph bring about. */
export async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves with "settled" once `promise` settles, or "still pending" after `ms` (a bound, not a timing). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    promise.then(
      () => "settled",
      () => "settled",
    ),
    new Promise<string>((r) => (timer = setTimeout(() => r("still pending"), ms))),
  ]);
  clearTimeout(timer);
  return outcome;
}
