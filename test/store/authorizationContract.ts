import { randomUUID } from "node:crypto";
import { StoreConflictError } from "../../src/store/store";
import type {
  AuthorizationCodeRecord,
  HostedSessionRecord,
  PruneCutoffs,
  Store,
} from "../../src/store/store";

/** A fixed "now", as in ./contract.ts: every time is passed explicitly. */
const T0 = 1_700_000_000_000;
/** An authorization code's lifetime (5 minutes). */
const CODE_MS = 300_000;

/**
 * The AuthorizationStore part of the contract (../../src/store/parts/authorization.ts), run by
 * describeStoreContract inside its own describe, on its shared store.
 */
export function describeAuthorizationContract(getStore: () => Store): void {
  describe("authorization codes", () => {
    it("happy flow: a live code is redeemed once, with the record as it was before the exchange", async () => {
      const store = getStore();
      const full = newCode({
        codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        nonce: `n-0S6_WzA2Mj "Zoë" 🚀`,
        scope: "openid email res/write",
      });
      const bare = newCode();
      for (const code of [full, bare]) {
        await store.createAuthorizationCode(code);
        expect(await store.redeemAuthorizationCode(code.codeHash, T0 + 1_000, "session-1")).toEqual(
          { outcome: "redeemed", code },
        );
      }
    });

    it("a second exchange is a reuse: the record as stored, with the time and session of the first", async () => {
      const store = getStore();
      const code = newCode();
      await store.createAuthorizationCode(code);
      const first = randomUUID();
      expect((await store.redeemAuthorizationCode(code.codeHash, T0 + 10, first)).outcome).toBe(
        "redeemed",
      );
      const reused = { ...code, redeemedAtMs: T0 + 10, sessionId: first };
      expect(await store.redeemAuthorizationCode(code.codeHash, T0 + 20, randomUUID())).toEqual({
        outcome: "reused",
        code: reused,
      });
      // The failed attempt changed nothing: a third still names the first exchange.
      expect(await store.redeemAuthorizationCode(code.codeHash, T0 + 30, randomUUID())).toEqual({
        outcome: "reused",
        code: reused,
      });
    });

    it("a redeemed code is still a reuse after its expiry", async () => {
      const store = getStore();
      const code = newCode();
      await store.createAuthorizationCode(code);
      await store.redeemAuthorizationCode(code.codeHash, T0 + 1, "first");
      expect(
        await store.redeemAuthorizationCode(code.codeHash, code.expiresAtMs + 86_400_000, "late"),
      ).toEqual({ outcome: "reused", code: { ...code, redeemedAtMs: T0 + 1, sessionId: "first" } });
    });

    it("error flow: an unknown code is missing", async () => {
      expect(await getStore().redeemAuthorizationCode(randomUUID(), T0, randomUUID())).toEqual({
        outcome: "missing",
      });
    });

    it("error flow: a code is missing from its expiresAtMs on, and stays unredeemed", async () => {
      const store = getStore();
      const code = newCode();
      await store.createAuthorizationCode(code);
      for (const nowMs of [code.expiresAtMs, code.expiresAtMs + 1, code.expiresAtMs + 86_400_000]) {
        expect(await store.redeemAuthorizationCode(code.codeHash, nowMs, randomUUID())).toEqual({
          outcome: "missing",
        });
      }
      // Nothing was spent by those calls: the code still works a millisecond before expiry.
      expect(
        await store.redeemAuthorizationCode(code.codeHash, code.expiresAtMs - 1, "just-in-time"),
      ).toEqual({ outcome: "redeemed", code });
    });

    it("redeeming one code leaves the others live", async () => {
      const store = getStore();
      const a = newCode();
      const b = newCode({ sub: a.sub, clientId: a.clientId });
      await store.createAuthorizationCode(a);
      await store.createAuthorizationCode(b);
      await store.redeemAuthorizationCode(a.codeHash, T0 + 1, "a");
      expect(await store.redeemAuthorizationCode(b.codeHash, T0 + 2, "b")).toEqual({
        outcome: "redeemed",
        code: b,
      });
    });

    it("deleteUserAuthorizationCodes deletes one user's codes not yet exchanged, and nothing else", async () => {
      const store = getStore();
      const live = newCode();
      const spent = newCode({ sub: live.sub });
      const stranger = newCode();
      for (const code of [live, spent, stranger]) await store.createAuthorizationCode(code);
      await store.redeemAuthorizationCode(spent.codeHash, T0, randomUUID());
      expect(await store.deleteUserAuthorizationCodes(live.sub)).toBe(1);
      expect(await store.redeemAuthorizationCode(live.codeHash, T0, randomUUID())).toEqual({
        outcome: "missing",
      });
      // A spent code stays, so a replay is still recognised as reuse.
      expect((await store.redeemAuthorizationCode(spent.codeHash, T0, randomUUID())).outcome).toBe(
        "reused",
      );
      expect(
        (await store.redeemAuthorizationCode(stranger.codeHash, T0, randomUUID())).outcome,
      ).toBe("redeemed");
    });

    it("error flow: a duplicate code hash is a conflict and leaves the first code as it was", async () => {
      const store = getStore();
      const code = newCode();
      await store.createAuthorizationCode(code);
      await expect(
        store.createAuthorizationCode(newCode({ codeHash: code.codeHash, sub: "someone-else" })),
      ).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.redeemAuthorizationCode(code.codeHash, T0 + 1, "s")).toEqual({
        outcome: "redeemed",
        code,
      });
    });

    it("of 20 concurrent exchanges of one code exactly one redeems; the others see its session", async () => {
      const store = getStore();
      for (let round = 0; round < 5; round++) {
        const code = newCode();
        await store.createAuthorizationCode(code);
        const sessions = Array.from({ length: 20 }, () => randomUUID());
        const outcomes = await Promise.all(
          sessions.map((sessionId, index) =>
            store.redeemAuthorizationCode(code.codeHash, T0 + index, sessionId),
          ),
        );
        const redeemed = outcomes.flatMap((outcome, index) =>
          outcome.outcome === "redeemed" ? [index] : [],
        );
        expect(redeemed).toHaveLength(1);
        const winner = redeemed[0] ?? -1;
        expect(outcomes[winner]).toEqual({ outcome: "redeemed", code });
        const stored = { ...code, redeemedAtMs: T0 + winner, sessionId: sessions[winner] };
        for (const [index, outcome] of outcomes.entries()) {
          if (index !== winner) expect(outcome).toEqual({ outcome: "reused", code: stored });
        }
      }
    });
  });

  describe("hosted sessions", () => {
    it("happy flow: a created session reads back identically until it expires", async () => {
      const store = getStore();
      const session = newHostedSession();
      await store.createHostedSession(session);
      expect(await store.getHostedSession(session.idHash, T0)).toEqual(session);
      expect(await store.getHostedSession(session.idHash, session.expiresAtMs - 1)).toEqual(
        session,
      );
      expect(await store.getHostedSession(session.idHash, session.expiresAtMs)).toBeUndefined();
      expect(await store.getHostedSession(session.idHash, session.expiresAtMs + 1)).toBeUndefined();
    });

    it("returns undefined for an unknown session", async () => {
      expect(await getStore().getHostedSession(randomUUID(), T0)).toBeUndefined();
    });

    it("deleteHostedSession removes the session once, expired or not, and leaves the others", async () => {
      const store = getStore();
      const live = newHostedSession();
      const other = newHostedSession({ sub: live.sub });
      const expired = newHostedSession({ expiresAtMs: T0 - 1 });
      for (const session of [live, other, expired]) await store.createHostedSession(session);
      expect(await store.deleteHostedSession(live.idHash)).toBe(true);
      expect(await store.getHostedSession(live.idHash, T0)).toBeUndefined();
      expect(await store.deleteHostedSession(live.idHash)).toBe(false);
      expect(await store.deleteHostedSession(expired.idHash)).toBe(true);
      expect(await store.deleteHostedSession(randomUUID())).toBe(false);
      expect(await store.getHostedSession(other.idHash, T0)).toEqual(other);
    });

    it("deleteUserHostedSessions ends every session of one user and no one else's", async () => {
      const store = getStore();
      const first = newHostedSession();
      const second = newHostedSession({ sub: first.sub });
      const stranger = newHostedSession();
      for (const session of [first, second, stranger]) await store.createHostedSession(session);
      expect(await store.deleteUserHostedSessions(first.sub)).toBe(2);
      expect(await store.getHostedSession(first.idHash, T0)).toBeUndefined();
      expect(await store.getHostedSession(second.idHash, T0)).toBeUndefined();
      expect(await store.getHostedSession(stranger.idHash, T0)).toEqual(stranger);
      expect(await store.deleteUserHostedSessions(first.sub)).toBe(0);
    });

    it("error flow: a duplicate id hash is a conflict", async () => {
      const store = getStore();
      const session = newHostedSession();
      await store.createHostedSession(session);
      await expect(
        store.createHostedSession(newHostedSession({ idHash: session.idHash })),
      ).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.getHostedSession(session.idHash, T0)).toEqual(session);
    });
  });

  describe("prune of authorization codes and hosted sessions", () => {
    // Times far below T0 and apart from ./contract.ts's prune tests (1_000_000), so that
    // neither prunes what the other counts.
    const P = 2_000_000;
    const only = (cutoffs: Partial<PruneCutoffs>): PruneCutoffs => ({
      changesBeforeMs: 0,
      sessionsExpiredBeforeMs: 0,
      lockoutsIdleBeforeMs: 0,
      heartbeatsBeforeMs: 0,
      challengesExpiredBeforeMs: 0,
      codesExpiredBeforeMs: 0,
      authorizationCodesExpiredBeforeMs: 0,
      hostedSessionsExpiredBeforeMs: 0,
      ...cutoffs,
    });
    const none = {
      changes: 0,
      sessions: 0,
      lockouts: 0,
      heartbeats: 0,
      challenges: 0,
      codes: 0,
      authorizationCodes: 0,
      hostedSessions: 0,
    };

    it("deletes codes (redeemed or not) and hosted sessions that expired before their own cut-off, and keeps the rest", async () => {
      const store = getStore();
      const expiredOpen = newCode({ createdAtMs: P - CODE_MS, expiresAtMs: P - 1 });
      const expiredRedeemed = newCode({ createdAtMs: P - CODE_MS, expiresAtMs: P - 1 });
      const codeAtCutoff = newCode({ createdAtMs: P - CODE_MS, expiresAtMs: P });
      for (const code of [expiredOpen, expiredRedeemed, codeAtCutoff]) {
        await store.createAuthorizationCode(code);
      }
      await store.redeemAuthorizationCode(expiredRedeemed.codeHash, P - 2, "spent");
      const expiredSession = newHostedSession({ createdAtMs: P - 100, expiresAtMs: P - 1 });
      const sessionAtCutoff = newHostedSession({ createdAtMs: P - 100, expiresAtMs: P });
      await store.createHostedSession(expiredSession);
      await store.createHostedSession(sessionAtCutoff);

      expect(await store.prune(only({ authorizationCodesExpiredBeforeMs: P }))).toEqual({
        ...none,
        authorizationCodes: 2,
      });
      expect(await store.getHostedSession(expiredSession.idHash, 0)).toEqual(expiredSession);
      expect(await store.prune(only({ hostedSessionsExpiredBeforeMs: P }))).toEqual({
        ...none,
        hostedSessions: 1,
      });

      expect(await store.getHostedSession(expiredSession.idHash, 0)).toBeUndefined();
      expect(await store.getHostedSession(sessionAtCutoff.idHash, 0)).toEqual(sessionAtCutoff);
      // A pruned redeemed code is no longer known as a reuse: it is missing, like any other.
      expect(await store.redeemAuthorizationCode(expiredRedeemed.codeHash, P - 1, "x")).toEqual({
        outcome: "missing",
      });
      expect(await store.redeemAuthorizationCode(expiredOpen.codeHash, P - 2, "x")).toEqual({
        outcome: "missing",
      });
      expect(await store.redeemAuthorizationCode(codeAtCutoff.codeHash, P - 1, "kept")).toEqual({
        outcome: "redeemed",
        code: codeAtCutoff,
      });
    });
  });
}

function newCode(overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    codeHash: `code-hash-${randomUUID()}`,
    clientId: randomUUID(),
    sub: randomUUID(),
    redirectUri: "https://app.example.com/callback?tenant=a",
    codeChallenge: null,
    scope: "openid",
    nonce: null,
    authTimeSeconds: Math.floor(T0 / 1000) - 60,
    createdAtMs: T0,
    expiresAtMs: T0 + CODE_MS,
    redeemedAtMs: null,
    sessionId: null,
    ...overrides,
  };
}

function newHostedSession(overrides: Partial<HostedSessionRecord> = {}): HostedSessionRecord {
  return {
    idHash: `hosted-${randomUUID()}`,
    sub: randomUUID(),
    authTimeSeconds: Math.floor(T0 / 1000) - 60,
    createdAtMs: T0 - 60_000,
    expiresAtMs: T0 + 3_600_000,
    ...overrides,
  };
}
