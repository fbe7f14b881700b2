/**
 * Tables and start-up stay flat (issue 13 #2), on a real SQLite file: the prune schedule
 * (identity/maintenance.ts) under a frozen clock and fake timers, its cut-offs, and
 * RevocationState.load reading only the revocation window of the feed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { FEED_PRUNE_MARGIN_MS, PruneSchedule, pruneCutoffs } from "../../src/identity/maintenance";
import { LOCKOUT_RESET_AFTER_MS, reserveStoredAttempt } from "../../src/identity/lockout";
import { MAX_TOKEN_LIFETIME_MS } from "../../src/identity/pool";
import { RevocationState } from "../../src/identity/revocations";
import { openSqliteStore } from "../../src/store/sqlite";
import type { PruneCounts, SessionRecord, Store } from "../../src/store/store";
import { appendChange } from "../store/contract";

/** The frozen "now" of these tests. */
const NOW = 1_800_000_000_000;
const HOUR = 3600 * 1000;
/** A prune that deleted nothing. */
const NONE: PruneCounts = {
  changes: 0,
  sessions: 0,
  lockouts: 0,
  heartbeats: 0,
  challenges: 0,
  codes: 0,
  authorizationCodes: 0,
  hostedSessions: 0,
};

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "poolgate-maintenance-"));
  store = openSqliteStore({ path: path.join(dir, "pool.db") });
  await store.migrate();
});

afterEach(async () => {
  jest.useRealTimers();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    sub: randomUUID(),
    clientId: "client",
    scope: "openid",
    authTimeSeconds: Math.floor(NOW / 1000),
    createdAtMs: NOW - HOUR,
    expiresAtMs: NOW + HOUR,
    refreshTokenHash: randomUUID(),
    previousRefreshTokenHash: null,
    rotatedAtMs: null,
    revokedAtMs: null,
    revokedReason: null,
    ...overrides,
  };
}

function revocations(now = NOW): RevocationState {
  return new RevocationState(store, {
    windowMs: MAX_TOKEN_LIFETIME_MS,
    onKeysChanged: async () => {},
    pullTimeoutMs: 5_000,
    onSyncError: () => {},
    onUserChanged: () => {},
    onClientChanged: () => {},
    now: () => now,
  });
}

describe("prune cut-offs", () => {
  it("sessions whose refresh token expired, feed events older than the revocation window plus a margin, idle lockouts, expired challenges, codes and hosted sessions, authorization codes an hour after expiry", () => {
    expect(pruneCutoffs(NOW, MAX_TOKEN_LIFETIME_MS)).toEqual({
      changesBeforeMs: NOW - MAX_TOKEN_LIFETIME_MS - FEED_PRUNE_MARGIN_MS,
      sessionsExpiredBeforeMs: NOW,
      lockoutsIdleBeforeMs: NOW - LOCKOUT_RESET_AFTER_MS,
      heartbeatsBeforeMs: NOW - MAX_TOKEN_LIFETIME_MS - FEED_PRUNE_MARGIN_MS,
      challengesExpiredBeforeMs: NOW,
      codesExpiredBeforeMs: NOW,
      authorizationCodesExpiredBeforeMs: NOW - HOUR,
      hostedSessionsExpiredBeforeMs: NOW,
    });
  });
});

describe("the prune schedule", () => {
  const feedCutoff = NOW - MAX_TOKEN_LIFETIME_MS - FEED_PRUNE_MARGIN_MS;

  async function seed(): Promise<{ expired: SessionRecord; live: SessionRecord }> {
    const expired = session({ expiresAtMs: NOW - 1 });
    const live = session({ expiresAtMs: NOW + 1 });
    await store.createSession(expired);
    await store.createSession(live);
    await appendChange(store, "session_revoked", randomUUID(), feedCutoff - 1);
    await appendChange(store, "session_revoked", randomUUID(), feedCutoff);
    const lockFor = () => 0;
    await reserveStoredAttempt(store, "idle", NOW - LOCKOUT_RESET_AFTER_MS - 1, 1000, lockFor);
    await reserveStoredAttempt(store, "recent", NOW - 1, 1000, lockFor);
    return { expired, live };
  }

  function schedule(intervalMs: number, pruned: PruneCounts[], errors: unknown[] = []) {
    return new PruneSchedule(store, {
      intervalMs,
      revocationWindowMs: MAX_TOKEN_LIFETIME_MS,
      now: () => NOW,
      onPruned: (counts) => pruned.push(counts),
      onError: (err) => errors.push(err),
    });
  }

  it("runs a minute after start, then every interval, deleting by the cut-offs", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    const { expired, live } = await seed();
    const pruned: PruneCounts[] = [];
    const s = schedule(3600_000, pruned);
    s.start();

    await jest.advanceTimersByTimeAsync(59_999);
    expect(pruned).toEqual([]);
    expect(await store.getSession(expired.id)).toBeDefined();

    await jest.advanceTimersByTimeAsync(1);
    await s.stop();
    expect(pruned).toEqual([{ ...NONE, changes: 1, sessions: 1, lockouts: 1 }]);
    expect(await store.getSession(expired.id)).toBeUndefined();
    expect(await store.getSession(live.id)).toEqual(live);
    expect((await store.changesSince(0, 10)).map((event) => event.atMs)).toEqual([feedCutoff]);
  });

  it("keeps its interval: nothing more until an interval has passed, then the next prune", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    const pruned: PruneCounts[] = [];
    const s = schedule(3600_000, pruned);
    s.start();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(pruned).toEqual([]); // nothing to delete: nothing logged
    await store.createSession(session({ expiresAtMs: NOW - 1 }));

    await jest.advanceTimersByTimeAsync(3600_000 - 1);
    expect(pruned).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await s.stop();
    expect(pruned).toEqual([{ ...NONE, sessions: 1 }]);
  });

  it("0 never prunes", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    const { expired } = await seed();
    const pruned: PruneCounts[] = [];
    const s = schedule(0, pruned);
    s.start();
    await jest.advanceTimersByTimeAsync(30 * 86400_000);
    await s.stop();
    expect(pruned).toEqual([]);
    expect(await store.getSession(expired.id)).toBeDefined();
  });

  it("a failed prune is reported and the schedule goes on", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    const errors: unknown[] = [];
    const pruned: PruneCounts[] = [];
    const s = schedule(3600_000, pruned, errors);
    s.start();
    await store.close();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(errors).toHaveLength(1);
    store = openSqliteStore({ path: path.join(dir, "pool.db") });
    // The schedule holds the closed store: it keeps failing, once per interval, never stops.
    await jest.advanceTimersByTimeAsync(3600_000);
    await s.stop();
    expect(errors).toHaveLength(2);
  });

  it("keeps an expired authorization code for an hour, so that a late replay is still a reuse; an expired hosted session goes at once", async () => {
    const code = (codeHash: string, expiresAtMs: number) =>
      store.createAuthorizationCode({
        codeHash,
        clientId: "client",
        sub: randomUUID(),
        redirectUri: "https://app.example/cb",
        codeChallenge: null,
        scope: "openid",
        nonce: null,
        authTimeSeconds: Math.floor(NOW / 1000) - 3600,
        createdAtMs: expiresAtMs - 300_000,
        expiresAtMs,
        redeemedAtMs: null,
        sessionId: null,
      });
    await code("recently-expired", NOW - HOUR);
    await code("long-expired", NOW - HOUR - 1);
    expect(
      (await store.redeemAuthorizationCode("recently-expired", NOW - HOUR - 1, "s1")).outcome,
    ).toBe("redeemed");
    const hosted = (idHash: string, expiresAtMs: number) =>
      store.createHostedSession({
        idHash,
        sub: randomUUID(),
        authTimeSeconds: Math.floor(NOW / 1000) - 3600,
        createdAtMs: NOW - HOUR,
        expiresAtMs,
      });
    await hosted("expired", NOW - 1);
    await hosted("live", NOW + 1);

    const counts = await schedule(3600_000, []).runOnce();
    expect(counts).toEqual({ ...NONE, authorizationCodes: 1, hostedSessions: 1 });
    expect((await store.redeemAuthorizationCode("recently-expired", NOW, "s2")).outcome).toBe(
      "reused",
    );
    expect((await store.redeemAuthorizationCode("long-expired", NOW, "s3")).outcome).toBe(
      "missing",
    );
    expect(await store.getHostedSession("live", NOW)).toBeDefined();
  });

  it("a table of more rows than one batch is pruned whole", async () => {
    const subject = randomUUID();
    for (let i = 0; i < 25_000; i += 5000) {
      await Promise.all(
        Array.from({ length: 5000 }, (_, j) =>
          appendChange(store, "session_revoked", `${subject}-${i + j}`, feedCutoff - 1),
        ),
      );
    }
    const counts = await schedule(3600_000, []).runOnce();
    expect(counts?.changes).toBe(25_000);
    expect(await store.changesSince(0, 10)).toEqual([]);
  });
});

describe("RevocationState.load reads only the revocation window", () => {
  const since = NOW - MAX_TOKEN_LIFETIME_MS;

  it("revocations inside the window apply; older events, whose tokens are all expired, are not replayed", async () => {
    const oldSession = randomUUID();
    const oldDeletedUser = randomUUID();
    const oldDeletedClient = randomUUID();
    const recentSession = randomUUID();
    const recentDeletedUser = randomUUID();
    const recentDeletedClient = randomUUID();
    await appendChange(store, "session_revoked", oldSession, since - 1);
    await appendChange(store, "user_blocked", oldDeletedUser, since - 1);
    await appendChange(store, "client_blocked", oldDeletedClient, since - 1);
    await appendChange(store, "session_revoked", recentSession, since);
    await appendChange(store, "user_blocked", recentDeletedUser, NOW - 1);
    await appendChange(store, "client_blocked", recentDeletedClient, NOW - 1);

    const state = revocations();
    await state.load(NOW);
    expect(state.isSessionRevoked(recentSession)).toBe(true);
    expect(state.isUserBlocked(recentDeletedUser)).toBe(true);
    expect(state.isClientBlocked(recentDeletedClient)).toBe(true);
    expect(state.isSessionRevoked(oldSession)).toBe(false);
    expect(state.isUserBlocked(oldDeletedUser)).toBe(false);
    expect(state.isClientBlocked(oldDeletedClient)).toBe(false);
    expect(state.size()).toEqual({ sessions: 1, users: 1, clients: 1 });
  });

  it("a user or client disabled long ago stays blocked: the snapshot, not the feed, says so", async () => {
    const sub = randomUUID();
    await store.createUser({
      sub,
      username: `old-${sub}`,
      passwordHash: "x",
      enabled: true,
      confirmed: true,
      passwordResetRequired: false,
      temporaryPasswordExpiresAtMs: null,
      srpVerifierSealed: null,
      attributes: {},
      confirmationCodeHash: null,
      confirmationCodeExpiresAtMs: null,
      createdAtMs: since - 10 * HOUR,
      updatedAtMs: since - 10 * HOUR,
    });
    await store.updateUser(sub, { enabled: false }, since - HOUR, {
      kind: "user_blocked",
      subject: sub,
      atMs: since - HOUR,
    });
    const state = revocations();
    await state.load(NOW);
    expect(state.isUserBlocked(sub)).toBe(true);
  });

  it("then follows the feed from its end: an event appended after the load applies at the next sync", async () => {
    await appendChange(store, "user_blocked", randomUUID(), since - 1);
    const state = revocations();
    await state.load(NOW);
    const later = randomUUID();
    await appendChange(store, "session_revoked", later, NOW);
    await state.sync();
    expect(state.isSessionRevoked(later)).toBe(true);
  });
});
