/**
 * The revocation feed (issue 18, DESIGN §15): GET /revocations over real HTTP, and a
 * subgraph's verifier following it. Revoking a refresh token, a global sign-out, disabling a
 * user and disabling a client at the gateway each make the verifier refuse that token — asserted
 * as "happens, within a bound", never as a timing (bench/feed.js measures). Then the faults: a
 * connection cut mid-stream, a gateway restart, a stalled stream (fail closed, then recovery).
 * Two instances on PostgreSQL: test/federation/revocation-feed-pg.test.ts.
 */
import {
  createClient,
  createUser,
  REVOKE,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy";
import {
  clientToken,
  closeVerifiers,
  collectGarbage,
  createFeedClient,
  dataOf,
  expectRejected,
  expectSynced,
  feedVerifier,
  openStream,
  outcome,
  settlesWithin,
  standInFeed,
  type FeedClient,
} from "./feedSupport";
import { freePort } from "../support/ports";

const GLOBAL_SIGN_OUT = `mutation { globalSignOut }`;

let gw: TestGateway;
let app: { clientId: string; clientSecret: string | undefined };
let feedClient: FeedClient;
const proxies: TcpProxy[] = [];
const gateways: TestGateway[] = [];

async function signedIn() {
  const user = await createUser(gw);
  return { user, tokens: await signInAs(gw, app, user) };
}

async function proxyTo(target: TestGateway): Promise<TcpProxy> {
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(target.url).port) });
  proxies.push(proxy);
  return proxy;
}

beforeAll(async () => {
  gw = await startGateway({ revocationStreams: { heartbeatMs: 200 } });
  app = await createClient(gw);
  feedClient = await createFeedClient(gw);
});

afterEach(async () => {
  await closeVerifiers();
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(gateways.map((g) => g.close()));
  await gw?.close();
});

describe("GET /revocations: who may read it", () => {
  it("error flow: no bearer token is 401 with a bare Bearer challenge (RFC 6750 §3.1)", async () => {
    const res = await fetch(`${gw.url}/revocations`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="poolgate"');
    expect(await res.json()).toMatchObject({ error: "invalid_token" });
  });

  it("error flow: a token that does not verify is 401 invalid_token", async () => {
    const res = await fetch(`${gw.url}/revocations`, {
      headers: { authorization: "Bearer x.y.z" },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("error flow: a client token without poolgate/revocations is 403 insufficient_scope", async () => {
    await gw.pool.resourceServers.create({ id: "orders", scopes: ["read"] }, Date.now());
    const other = await createFeedClient(gw, ["orders/read"]);
    const res = await fetch(`${gw.url}/revocations`, {
      headers: { authorization: `Bearer ${await clientToken(gw.url, other, null)}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('scope="poolgate/revocations"');
    expect(await res.json()).toMatchObject({ error: "insufficient_scope" });
  });

  it("error flow: a user's access token is 403, even from a client allowed the scope", async () => {
    const userApp = await createClient(gw, { allowedScopes: ["openid", "poolgate/revocations"] });
    const user = await createUser(gw);
    const tokens = await signInAs(gw, userApp, user);
    const res = await fetch(`${gw.url}/revocations`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(res.status).toBe(403);
  });

  it("grants poolgate/revocations only when asked for, like poolgate/admin", async () => {
    await gw.pool.resourceServers.create({ id: "billing", scopes: ["read"] }, Date.now());
    const both = await createFeedClient(gw, ["billing/read", "poolgate/revocations"]);
    const byDefault = await clientToken(gw.url, both, null);
    expect(JSON.parse(Buffer.from(byDefault.split(".")[1]!, "base64url").toString()).scope).toBe(
      "billing/read",
    );
    const asked = await clientToken(gw.url, both, "poolgate/revocations");
    const stream = await openStream(gw.url, asked);
    expect(stream.status).toBe(200);
    stream.close();
  });

  it("error flow: a method other than GET is 405", async () => {
    const res = await fetch(`${gw.url}/revocations`, { method: "POST" });
    expect(res.status).toBe(405);
  });
});

describe("GET /revocations: the wire format", () => {
  it("happy flow: reset, a snapshot of live revocations, synced with an id, then each new one with its id", async () => {
    const { tokens: first } = await signedIn();
    await gw.gql(REVOKE, { input: { clientId: app.clientId, token: first.refreshToken } });
    const token = await clientToken(gw.url, feedClient);
    const stream = await openStream(gw.url, token);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(stream.headers.get("cache-control")).toBe("no-store");
    expect(stream.headers.get("x-accel-buffering")).toBe("no");
    await stream.until((e) => e.event === "synced");
    const firstJti = JSON.parse(
      Buffer.from(first.accessToken.split(".")[1]!, "base64url").toString(),
    ).origin_jti as string;
    expect(stream.events[0]!.event).toBe("reset");
    const snapshot = stream.events.slice(1, -1).map(dataOf);
    const entry = snapshot.find((d) => d["id"] === firstJti);
    expect(entry).toMatchObject({ type: "session", id: firstJti });
    expect(entry!["until"]).toBeGreaterThan(entry!["at"] as number);
    const synced = stream.events.at(-1)!;
    expect(Number(synced.lastEventId)).toBeGreaterThan(0);
    expect(dataOf(synced)).toEqual({ heartbeatSeconds: 0.2 });

    const { user, tokens: second } = await signedIn();
    await gw.pool.users.setEnabled(user.username, false);
    await stream.until((e) => e.event === "message" && dataOf(e)["type"] === "user");
    const live = stream.events.slice(stream.events.indexOf(synced) + 1);
    const blocked = live.find((e) => dataOf(e)["type"] === "user")!;
    expect(dataOf(blocked)).toMatchObject({ type: "user", sub: user.sub, blocked: true });
    expect(Number(blocked.lastEventId)).toBeGreaterThan(Number(synced.lastEventId));
    // Disabling signs the user out everywhere: the session is revoked too.
    const secondJti = JSON.parse(
      Buffer.from(second.accessToken.split(".")[1]!, "base64url").toString(),
    ).origin_jti;
    await stream.until((e) => e.event === "message" && dataOf(e)["id"] === secondJti);
    await stream.until(() => stream.heartbeats > 0);
    stream.close();
  });

  it("resumes after Last-Event-ID with the events since, and no reset", async () => {
    const token = await clientToken(gw.url, feedClient);
    const first = await openStream(gw.url, token);
    const [synced] = (await first.until((e) => e.event === "synced")).filter(
      (e) => e.event === "synced",
    );
    first.close();
    const { tokens } = await signedIn();
    await gw.gql(REVOKE, { input: { clientId: app.clientId, token: tokens.refreshToken } });
    const jti = JSON.parse(
      Buffer.from(tokens.accessToken.split(".")[1]!, "base64url").toString(),
    ).origin_jti;
    const resumed = await openStream(gw.url, token, { "last-event-id": synced!.lastEventId });
    const events = await resumed.until((e) => e.event === "synced");
    expect(events.map((e) => e.event)).not.toContain("reset");
    expect(events.filter((e) => e.event === "message").map((e) => dataOf(e)["id"])).toEqual([jti]);
    resumed.close();
  });

  it("starts afresh (reset) when Last-Event-ID names no event the store has", async () => {
    const token = await clientToken(gw.url, feedClient);
    const stream = await openStream(gw.url, token, { "last-event-id": "999999999" });
    const events = await stream.until((e) => e.event === "synced");
    expect(events[0]!.event).toBe("reset");
    stream.close();
  });

  it("ends the stream of a feed client as soon as that client is disabled", async () => {
    const doomed = await createFeedClient(gw);
    const stream = await openStream(gw.url, await clientToken(gw.url, doomed));
    await stream.until((e) => e.event === "synced");
    await gw.pool.clients.setEnabled(doomed.clientId, false, Date.now());
    await stream.ended;
  });

  it("error flow: one stream more than the limit is 503 with Retry-After", async () => {
    const small = await startGateway({ revocationStreams: { maxStreams: 1 } });
    gateways.push(small);
    const c = await createFeedClient(small);
    const token = await clientToken(small.url, c);
    const one = await openStream(small.url, token);
    expect(one.status).toBe(200);
    const two = await fetch(`${small.url}/revocations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(two.status).toBe(503);
    expect(two.headers.get("retry-after")).toBe("5");
    expect(await two.json()).toMatchObject({ error: "temporarily_unavailable" });
    one.close();
  });

  it("a gateway stop ends open streams at once rather than waiting out the drain", async () => {
    const g = await startGateway({ env: { POOLGATE_SHUTDOWN_DRAIN_SECONDS: "30" } });
    gateways.push(g);
    const c = await createFeedClient(g);
    const stream = await openStream(g.url, await clientToken(g.url, c));
    await stream.until((e) => e.event === "synced");
    const started = Date.now();
    await g.stop();
    await stream.ended;
    // Well inside the 30 s drain deadline (a bound, not a measurement).
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("createVerifier({ revocations }): the subgraph refuses what the gateway revoked", () => {
  it("happy flow: accepts a live token, with the feed's state in stats()", async () => {
    const verifier = feedVerifier(gw, feedClient);
    const { tokens } = await signedIn();
    expect(await outcome(verifier, tokens.accessToken)).toBe("ok");
    const stats = verifier.stats().revocations!;
    expect(stats).toMatchObject({ connected: true, reconnects: 0 });
    expect(Number(stats.lastEventId)).toBeGreaterThan(0);
    expect(stats.revokedSessions).toBeGreaterThan(0);
    expect(stats.staleSeconds).toBeLessThan(5);
  });

  it("rejects the tokens of a session whose refresh token was revoked", async () => {
    const verifier = feedVerifier(gw, feedClient);
    const { tokens } = await signedIn();
    const { tokens: bystander } = await signedIn();
    expect(await outcome(verifier, tokens.accessToken)).toBe("ok");
    await gw.gql(REVOKE, { input: { clientId: app.clientId, token: tokens.refreshToken } });
    await expectRejected(verifier, tokens.accessToken, "revoked session rejected");
    expect(await outcome(verifier, bystander.accessToken)).toBe("ok");
  });

  it("rejects every session's tokens after a global sign-out", async () => {
    const verifier = feedVerifier(gw, feedClient);
    const user = await createUser(gw);
    const one = await signInAs(gw, app, user);
    const two = await signInAs(gw, app, user);
    await expectSynced(verifier);
    const res = await gw.gql(GLOBAL_SIGN_OUT, {}, one.accessToken);
    expect(res.body.data?.["globalSignOut"]).toBe(true);
    await expectRejected(verifier, one.accessToken, "first session rejected");
    await expectRejected(verifier, two.accessToken, "second session rejected");
    // A sign-in after it starts a fresh, valid session.
    const after = await signInAs(gw, app, user);
    expect(await outcome(verifier, after.accessToken)).toBe("ok");
  });

  it("rejects a disabled user's tokens, and accepts new ones once enabled again", async () => {
    const verifier = feedVerifier(gw, feedClient);
    const { user, tokens } = await signedIn();
    await expectSynced(verifier);
    await gw.pool.users.setEnabled(user.username, false);
    await expectRejected(verifier, tokens.accessToken, "disabled user rejected");
    await gw.pool.users.setEnabled(user.username, true);
    const again = await signInAs(gw, app, user);
    await expect(
      (async () => {
        for (let i = 0; i < 250; i++) {
          if ((await outcome(verifier, again.accessToken)) === "ok") return "ok";
          await new Promise((r) => setTimeout(r, 20));
        }
        return "still rejected";
      })(),
    ).resolves.toBe("ok");
  });

  it("rejects every token of a disabled client", async () => {
    const verifier = feedVerifier(gw, feedClient);
    const other = await createClient(gw);
    const user = await createUser(gw);
    const tokens = await signInAs(gw, other, user);
    await expectSynced(verifier);
    await gw.pool.clients.setEnabled(other.clientId, false, Date.now());
    await expectRejected(verifier, tokens.accessToken, "disabled client rejected");
  });

  it("knows what was revoked before it connected (the snapshot)", async () => {
    const { user, tokens } = await signedIn();
    await gw.pool.users.delete(user.username);
    const verifier = feedVerifier(gw, feedClient);
    expect(await outcome(verifier, tokens.accessToken)).toBe("UNAUTHENTICATED");
  });
});

describe("createVerifier({ revocations }): faults", () => {
  it("misses no revocation made while its connection was cut: it reconnects and resumes", async () => {
    const proxy = await proxyTo(gw);
    const verifier = feedVerifier(gw, feedClient, {
      feedBase: proxy.rewrite(gw.url).replace(/\/$/, ""),
    });
    const sessions = await Promise.all([signedIn(), signedIn(), signedIn()]);
    await expectSynced(verifier);
    proxy.cut();
    for (const { tokens } of sessions)
      await gw.gql(REVOKE, { input: { clientId: app.clientId, token: tokens.refreshToken } });
    proxy.restore();
    for (const { tokens } of sessions)
      await expectRejected(verifier, tokens.accessToken, "revoked during the cut");
    expect(verifier.stats().revocations!.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("resumes across a gateway restart, with what was revoked while it was down", async () => {
    const port = await freePort();
    const env = { POOLGATE_PORT: String(port) };
    const first = await startGateway({ env, revocationStreams: { heartbeatMs: 200 } });
    const firstApp = await createClient(first);
    const c = await createFeedClient(first);
    const u = await createUser(first);
    const before = await signInAs(first, firstApp, u);
    const during = await signInAs(first, firstApp, u);
    const verifier = feedVerifier(first, c, { maxStalenessSeconds: 60 });
    expect(await outcome(verifier, before.accessToken)).toBe("ok");
    await first.gql(REVOKE, { input: { clientId: firstApp.clientId, token: before.refreshToken } });
    await expectRejected(verifier, before.accessToken, "revoked before the restart");
    await first.stop();
    // While it is down, another instance on the same data revokes a session.
    const other = await startGateway({
      reuse: { dir: first.dir, env: { ...first.env, POOLGATE_PORT: "0" } },
    });
    await other.gql(REVOKE, { input: { clientId: firstApp.clientId, token: during.refreshToken } });
    await other.stop();
    const second = await startGateway({ reuse: { dir: first.dir, env: first.env } });
    gateways.push(second);
    await expectRejected(verifier, during.accessToken, "revoked while the gateway was down");
    expect(await outcome(verifier, before.accessToken)).toBe("UNAUTHENTICATED");
    expect(verifier.stats().revocations!.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("fails closed once stale past maxStalenessSeconds, and recovers when the feed returns", async () => {
    const proxy = await proxyTo(gw);
    const feedBase = proxy.rewrite(gw.url).replace(/\/$/, "");
    const closed = feedVerifier(gw, feedClient, { feedBase, maxStalenessSeconds: 1 });
    const open = feedVerifier(gw, feedClient, {
      feedBase,
      maxStalenessSeconds: 1,
      dangerouslyAcceptWhenStale: true,
    });
    const { tokens } = await signedIn();
    const { tokens: revoked } = await signedIn();
    await gw.gql(REVOKE, { input: { clientId: app.clientId, token: revoked.refreshToken } });
    await expectRejected(closed, revoked.accessToken, "known revocation");
    await expectRejected(open, revoked.accessToken, "known revocation");
    expect(await outcome(closed, tokens.accessToken)).toBe("ok");
    proxy.blackhole();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await outcome(closed, tokens.accessToken)).toBe("SERVICE_UNAVAILABLE");
    expect(closed.stats().revocations!.staleSeconds).toBeGreaterThan(1);
    // Failing open still applies what it knows.
    expect(await outcome(open, tokens.accessToken)).toBe("ok");
    expect(await outcome(open, revoked.accessToken)).toBe("UNAUTHENTICATED");
    proxy.restore();
    await expect(
      (async () => {
        for (let i = 0; i < 250; i++) {
          if ((await outcome(closed, tokens.accessToken)) === "ok") return "ok";
          await new Promise((r) => setTimeout(r, 20));
        }
        return "still failing closed";
      })(),
    ).resolves.toBe("ok");
  });

  it("close() stops the stream", async () => {
    const verifier = feedVerifier(gw, feedClient);
    await expectSynced(verifier);
    await verifier.close();
    expect(verifier.stats().revocations!.connected).toBe(false);
  });

  it("close() settles after garbage collection, with the stream silent and its server gone", async () => {
    // Node's fetch holds its AbortController weakly: after a GC, aborting the fetch's signal
    // no longer ended the read, and close() waited forever (bench/feed.js never exited).
    const standIn = await standInFeed();
    const stub = { url: standIn.base, config: { issuer: standIn.base } };
    const verifier = feedVerifier(stub, { clientId: "x", clientSecret: "y" });
    try {
      await expectSynced(verifier);
      await collectGarbage();
      standIn.stopListening();
      expect(await settlesWithin(verifier.close(), 10_000)).toBe("settled");
    } finally {
      await standIn.close();
    }
  });

  it("close() settles while the token request is retried against an endpoint refusing connections", async () => {
    const port = await freePort();
    const verifier = feedVerifier(
      { url: `http://127.0.0.1:${port}`, config: { issuer: gw.config.issuer } },
      feedClient,
      { endpoint: `${gw.url}/revocations` },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await settlesWithin(verifier.close(), 10_000)).toBe("settled");
    expect(verifier.stats().revocations!.connected).toBe(false);
  });
});
