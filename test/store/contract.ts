import { randomUUID } from "node:crypto";
import { StoreConflictError, StoreUnavailableError } from "../../src/store/store";
import { reserveStoredAttempt } from "../../src/identity/lockout";
import { userStatus } from "../../src/identity/views";
import { describeAuthorizationContract } from "./authorizationContract";
import { lockoutOf } from "./lockouts";
import type {
  AccessKeyRecord,
  ChallengeRecord,
  ChangeEvent,
  ChangeKind,
  ClientRecord,
  CodeRecord,
  GroupRecord,
  KeyRecord,
  LockoutRecord,
  MfaRecord,
  SessionRecord,
  Store,
  UserFilter,
  UserRecord,
} from "../../src/store/store";

/**
 * Appends one event to the feed and returns its seq. The store has no public append (each
 * write carries its own event, the outbox): a delete of a user that does not exist appends
 * its event alone. The seq is the latest, so only for callers that append one at a time.
 */
export async function appendChange(
  store: Store,
  kind: ChangeKind,
  subject: string,
  atMs: number,
): Promise<number> {
  await store.deleteUser(`no-such-user-${randomUUID()}`, { kind, subject, atMs });
  return store.latestChangeSeq();
}

export interface StoreHandle {
  store: Store;
  /** Closes the store (if still open) and removes whatever the factory created. */
  cleanup: () => Promise<void>;
}

/**
 * The behaviour every Store implementation shares (CONVENTIONS §3): SQLite and PostgreSQL
 * run this same suite, each with its own factory.
 *
 * `factory` must return a store on an empty database; the suite calls `migrate()` itself.
 * Most tests share one store and use fresh ids (so the suite also holds on a database that
 * already has data); the few that need an empty or a closed store call the factory again.
 * Times are fixed numbers, never the clock: the store takes every time as an argument.
 */
export function describeStoreContract(name: string, factory: () => Promise<StoreHandle>): void {
  describe(name, () => {
    let handle: StoreHandle;
    let store: Store;

    beforeAll(async () => {
      handle = await factory();
      store = handle.store;
      await store.migrate();
    });

    afterAll(async () => {
      await handle.cleanup();
    });

    /** Runs `use` on a store of its own, for tests that need it empty or closed. */
    async function withOwnStore(use: (own: Store) => Promise<void>): Promise<void> {
      const own = await factory();
      try {
        await own.store.migrate();
        await use(own.store);
      } finally {
        await own.cleanup();
      }
    }

    async function changesFor(afterSeq: number, subject: string): Promise<ChangeEvent[]> {
      const changes = await store.changesSince(afterSeq, 10_000);
      return changes.filter((change) => change.subject === subject);
    }

    describe("lifecycle", () => {
      it("answers a ping", async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it("takes a heartbeat write, again and again for one instance, and has refused no write", async () => {
        const instance = randomUUID();
        await expect(store.heartbeat(instance, 1_000)).resolves.toBeUndefined();
        await expect(store.heartbeat(instance, 2_000)).resolves.toBeUndefined();
        await expect(store.heartbeat(randomUUID(), 2_000)).resolves.toBeUndefined();
        expect(store.msSinceWriteRefused()).toBe(Infinity);
      });

      it("migrate is idempotent and keeps the data", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.migrate();
        await store.migrate();
        expect(await store.getUserBySub(user.sub)).toEqual(user);
      });

      it("starts empty: no clients, no keys, no changes, latest seq 0", async () => {
        await withOwnStore(async (own) => {
          expect(await own.listClients()).toEqual([]);
          expect(await own.listKeys()).toEqual([]);
          expect(await own.listDisabledUserSubs()).toEqual([]);
          expect(await own.changesSince(0, 100)).toEqual([]);
          expect(await own.latestChangeSeq()).toBe(0);
        });
      });

      it("close is idempotent, and a closed store rejects with StoreUnavailableError", async () => {
        await withOwnStore(async (own) => {
          await own.close();
          await own.close();
          await expect(own.getUserBySub(randomUUID())).rejects.toBeInstanceOf(
            StoreUnavailableError,
          );
          await expect(own.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        });
      });
    });

    describe("users", () => {
      it("happy flow: a created user reads back identically by sub and by username", async () => {
        const user = newUser();
        await store.createUser(user);
        expect(await store.getUserBySub(user.sub)).toEqual(user);
        expect(await store.getUserByUsername(user.username)).toEqual(user);
      });

      it("returns undefined for an unknown user", async () => {
        expect(await store.getUserBySub(randomUUID())).toBeUndefined();
        expect(await store.getUserByUsername(`nobody-${randomUUID()}`)).toBeUndefined();
      });

      it("round-trips booleans, nulls, empty and unicode attributes", async () => {
        const plain = newUser({
          enabled: false,
          confirmed: false,
          passwordResetRequired: true,
          temporaryPasswordExpiresAtMs: T0 + 7 * 86_400_000,
          srpVerifierSealed: null,
          attributes: {},
          confirmationCodeHash: "code-hash",
          confirmationCodeExpiresAtMs: T0 + 600_000,
        });
        const fancy = newUser({
          attributes: { name: `O'Brien "Zoë" 🚀`, "custom:team": "a,b;c", email_verified: "false" },
        });
        await store.createUser(plain);
        await store.createUser(fancy);
        expect(await store.getUserBySub(plain.sub)).toEqual(plain);
        expect(await store.getUserBySub(fancy.sub)).toEqual(fancy);
      });

      it("error flow: duplicate username is a conflict and leaves the first user intact", async () => {
        const first = newUser();
        await store.createUser(first);
        await expect(
          store.createUser(newUser({ username: first.username })),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getUserByUsername(first.username)).toEqual(first);
      });

      it("renames a user through updateUser; a taken username is a conflict and changes nothing", async () => {
        const user = newUser();
        const other = newUser();
        await store.createUser(user);
        await store.createUser(other);
        const renamed = `renamed-${randomUUID()}`;
        expect(await store.updateUser(user.sub, { username: renamed }, T0 + 1)).toBe(true);
        expect(await store.getUserByUsername(user.username)).toBeUndefined();
        expect(await store.getUserByUsername(renamed)).toEqual({
          ...user,
          username: renamed,
          updatedAtMs: T0 + 1,
        });
        await expect(
          store.updateUser(other.sub, { username: renamed }, T0 + 2),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getUserBySub(other.sub)).toEqual(other);
      });

      it("lists usernames in code-point order, a page at a time after a given name", async () => {
        const prefix = `list-${randomUUID()}-`;
        const tails = ["\uFF42", "a", "Z", "\u00E9", "B"]; // ｂ a Z é B
        for (const tail of tails) await store.createUser(newUser({ username: prefix + tail }));
        const seen: string[] = [];
        let after: string | undefined = prefix;
        for (;;) {
          const page: { sub: string; username: string }[] = await store.listUsernames(after, 2);
          const ours = page.filter((u) => u.username.startsWith(prefix));
          seen.push(...ours.map((u) => u.username));
          if (ours.length < page.length || page.length < 2) break;
          after = page[page.length - 1]!.username;
        }
        expect(seen).toEqual(["B", "Z", "a", "\u00E9", "\uFF42"].map((t) => prefix + t));
        const first = await store.listUsernames(undefined, 1);
        expect(first).toEqual([{ sub: expect.any(String), username: expect.any(String) }]);
      });

      it("error flow: duplicate sub is a conflict", async () => {
        const first = newUser();
        await store.createUser(first);
        await expect(store.createUser(newUser({ sub: first.sub }))).rejects.toBeInstanceOf(
          StoreConflictError,
        );
      });

      it("usernames are case-sensitive", async () => {
        const upper = newUser({ username: `Alice-${randomUUID()}` });
        await store.createUser(upper);
        const lowerName = upper.username.toLowerCase();
        expect(await store.getUserByUsername(lowerName)).toBeUndefined();
        const lower = newUser({ username: lowerName });
        await store.createUser(lower);
        expect((await store.getUserByUsername(lowerName))?.sub).toBe(lower.sub);
      });

      it("batch load is aligned with the input, including unknown subs and duplicates", async () => {
        const a = newUser();
        const b = newUser();
        await store.createUser(a);
        await store.createUser(b);
        const unknown = randomUUID();
        expect(await store.getUsersBySubs([b.sub, unknown, a.sub, b.sub])).toEqual([
          b,
          undefined,
          a,
          b,
        ]);
        expect(await store.getUsersBySubs([])).toEqual([]);
        expect(await store.getUsersBySubs([unknown])).toEqual([undefined]);
      });

      it("updateUser changes only the given fields and sets updatedAtMs", async () => {
        const user = newUser({
          confirmationCodeHash: "code-hash",
          confirmationCodeExpiresAtMs: T0 + 1000,
        });
        await store.createUser(user);
        expect(await store.updateUser(user.sub, { enabled: false }, T0 + 5)).toBe(true);
        expect(await store.getUserBySub(user.sub)).toEqual({
          ...user,
          enabled: false,
          updatedAtMs: T0 + 5,
        });
        expect(
          await store.updateUser(
            user.sub,
            { passwordHash: "new-hash", confirmed: false, passwordResetRequired: true },
            T0 + 9,
          ),
        ).toBe(true);
        expect(await store.getUserBySub(user.sub)).toEqual({
          ...user,
          enabled: false,
          passwordHash: "new-hash",
          confirmed: false,
          passwordResetRequired: true,
          updatedAtMs: T0 + 9,
        });
      });

      it("updateUser leaves a field given as undefined unchanged", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.updateUser(user.sub, { passwordHash: undefined, confirmed: false }, T0 + 1);
        const stored = await store.getUserBySub(user.sub);
        expect(stored?.passwordHash).toBe(user.passwordHash);
        expect(stored?.confirmed).toBe(false);
      });

      it("updateUser with an empty patch only touches updatedAtMs", async () => {
        const user = newUser();
        await store.createUser(user);
        expect(await store.updateUser(user.sub, {}, T0 + 3)).toBe(true);
        expect(await store.getUserBySub(user.sub)).toEqual({ ...user, updatedAtMs: T0 + 3 });
      });

      it("updateUser clears nullable fields given as null", async () => {
        const user = newUser({
          confirmationCodeHash: "code-hash",
          confirmationCodeExpiresAtMs: T0 + 1000,
          temporaryPasswordExpiresAtMs: T0 + 2000,
          srpVerifierSealed: null,
        });
        await store.createUser(user);
        await store.updateUser(
          user.sub,
          {
            confirmationCodeHash: null,
            confirmationCodeExpiresAtMs: null,
            temporaryPasswordExpiresAtMs: null,
            srpVerifierSealed: null,
          },
          T0 + 2,
        );
        const stored = await store.getUserBySub(user.sub);
        expect(stored?.confirmationCodeHash).toBeNull();
        expect(stored?.confirmationCodeExpiresAtMs).toBeNull();
        expect(stored?.temporaryPasswordExpiresAtMs).toBeNull();
      });

      it("updateUser sets a temporary password's expiry and leaves it when not given", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.updateUser(
          user.sub,
          { passwordHash: "temporary-hash", temporaryPasswordExpiresAtMs: T0 + 86_400_000 },
          T0 + 1,
        );
        await store.updateUser(user.sub, { enabled: false }, T0 + 2);
        expect(await store.getUserBySub(user.sub)).toEqual({
          ...user,
          passwordHash: "temporary-hash",
          temporaryPasswordExpiresAtMs: T0 + 86_400_000,
          srpVerifierSealed: null,
          enabled: false,
          updatedAtMs: T0 + 2,
        });
      });

      it("updateUser replaces the whole attribute map", async () => {
        const user = newUser({ attributes: { email: "a@example.com", name: "A" } });
        await store.createUser(user);
        await store.updateUser(user.sub, { attributes: { email: "b@example.com" } }, T0 + 1);
        expect((await store.getUserBySub(user.sub))?.attributes).toEqual({
          email: "b@example.com",
        });
      });

      it("updateUser returns false for an unknown user and creates nothing", async () => {
        const sub = randomUUID();
        expect(await store.updateUser(sub, { enabled: false }, T0)).toBe(false);
        expect(await store.getUserBySub(sub)).toBeUndefined();
      });

      it("deleteUser removes the user and its groups but keeps its sessions", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.addUserToGroup(user.sub, "admins");
        const session = newSession({ sub: user.sub });
        await store.createSession(session);

        expect(await store.deleteUser(user.sub)).toBe(true);
        expect(await store.getUserBySub(user.sub)).toBeUndefined();
        expect(await store.getUserByUsername(user.username)).toBeUndefined();
        expect(await store.getGroupsForUsers([user.sub])).toEqual([[]]);
        expect(await store.getSession(session.id)).toEqual(session);
      });

      it("deleteUser removes the user's MFA settings and pending codes with it", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.updateMfa(user.sub, () => newMfa(user.sub, { totpEnabled: true }));
        await store.putCode(newCode(user.sub, { purpose: "forgot_password" }));
        await store.putCode(newCode(user.sub, { purpose: "verify_email" }));

        expect(await store.deleteUser(user.sub)).toBe(true);
        expect(await store.getMfa(user.sub)).toBeUndefined();
        expect(await store.getCode(user.sub, "forgot_password")).toBeUndefined();
        expect(await store.getCode(user.sub, "verify_email")).toBeUndefined();
        // Nothing comes back with a new user of the same sub.
        await store.createUser(user);
        expect(await store.getMfa(user.sub)).toBeUndefined();
        expect(await store.getCode(user.sub, "forgot_password")).toBeUndefined();
      });

      it("deleteUser returns false for an unknown or already deleted user", async () => {
        const user = newUser();
        await store.createUser(user);
        expect(await store.deleteUser(user.sub)).toBe(true);
        expect(await store.deleteUser(user.sub)).toBe(false);
        expect(await store.deleteUser(randomUUID())).toBe(false);
      });

      it("a deleted user's username can be reused, and its groups do not come back", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.addUserToGroup(user.sub, "admins");
        await store.deleteUser(user.sub);

        await store.createUser(user);
        expect(await store.getUserByUsername(user.username)).toEqual(user);
        expect(await store.getGroupsForUsers([user.sub])).toEqual([[]]);
      });

      it("lists disabled users and follows enable/disable updates", async () => {
        const disabled = newUser({ enabled: false });
        const enabled = newUser();
        await store.createUser(disabled);
        await store.createUser(enabled);
        let subs = await store.listDisabledUserSubs();
        expect(subs).toContain(disabled.sub);
        expect(subs).not.toContain(enabled.sub);

        await store.updateUser(enabled.sub, { enabled: false }, T0 + 1);
        await store.updateUser(disabled.sub, { enabled: true }, T0 + 1);
        subs = await store.listDisabledUserSubs();
        expect(subs).toContain(enabled.sub);
        expect(subs).not.toContain(disabled.sub);
      });
    });

    describe("groups", () => {
      it("returns a user's groups sorted by code unit", async () => {
        const user = newUser();
        await store.createUser(user);
        // The last two order differently by UTF-8 byte (SQLite's BINARY) than by UTF-16 code
        // unit (JavaScript's default sort); the contract is the latter, for every backend.
        for (const group of [
          "beta",
          "alpha",
          "\uFF01bang",
          "Alpha",
          "_ops",
          "Zeta",
          "\u{1F600}grin",
        ]) {
          await store.addUserToGroup(user.sub, group);
        }
        expect(await store.getGroupsForUsers([user.sub])).toEqual([
          ["Alpha", "Zeta", "_ops", "alpha", "beta", "\u{1F600}grin", "\uFF01bang"],
        ]);
      });

      it("batch load is aligned with the input, including unknown subs and duplicates", async () => {
        const a = newUser();
        const b = newUser();
        const none = newUser();
        await store.createUser(a);
        await store.createUser(b);
        await store.createUser(none);
        await store.addUserToGroup(a.sub, "readers");
        await store.addUserToGroup(b.sub, "writers");
        await store.addUserToGroup(b.sub, "admins");

        expect(
          await store.getGroupsForUsers([b.sub, none.sub, randomUUID(), a.sub, b.sub]),
        ).toEqual([["admins", "writers"], [], [], ["readers"], ["admins", "writers"]]);
        expect(await store.getGroupsForUsers([])).toEqual([]);
      });

      it("adding a user to a group twice is a no-op", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.addUserToGroup(user.sub, "admins");
        await store.addUserToGroup(user.sub, "admins");
        expect(await store.getGroupsForUsers([user.sub])).toEqual([["admins"]]);
      });

      it("removes a membership, and removing a missing one is a no-op", async () => {
        const user = newUser();
        const other = newUser();
        await store.createUser(user);
        await store.createUser(other);
        await store.addUserToGroup(user.sub, "admins");
        await store.addUserToGroup(user.sub, "readers");
        await store.addUserToGroup(other.sub, "admins");

        await store.removeUserFromGroup(user.sub, "admins");
        await store.removeUserFromGroup(user.sub, "admins");
        await store.removeUserFromGroup(user.sub, "never-joined");
        await store.removeUserFromGroup(randomUUID(), "admins");
        expect(await store.getGroupsForUsers([user.sub, other.sub])).toEqual([
          ["readers"],
          ["admins"],
        ]);
      });

      it("error flow: adding an unknown user to a group is a conflict", async () => {
        await expect(store.addUserToGroup(randomUUID(), "admins")).rejects.toBeInstanceOf(
          StoreConflictError,
        );
      });
    });

    describe("listUsers", () => {
      /** Every page of `filter`, `size` at a time, as usernames (the whole store: an own one). */
      async function walk(own: Store, filter: UserFilter | undefined, size: number) {
        const names: string[] = [];
        const pages: number[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await own.listUsers(filter, after, size);
          pages.push(page.length);
          names.push(...page.map((u) => u.username));
          if (page.length < size) return { names, pages };
          after = page[page.length - 1]!.username;
        }
      }

      it("happy flow: lists whole user records in code-point (binary) order, a page at a time", async () => {
        await withOwnStore(async (own) => {
          // ｂ a Z é B 😀 and a name past U+FFFF: binary UTF-8 order is code-point order.
          const tails = ["\uFF42", "a", "Z", "\u00E9", "B", "\u{1F600}", "\uFFFD", "aa"];
          const users = tails.map((tail) => newUser({ username: `n-${tail}` }));
          for (const user of users) await own.createUser(user);
          const expected = ["B", "Z", "a", "aa", "\u00E9", "\uFF42", "\uFFFD", "\u{1F600}"].map(
            (t) => `n-${t}`,
          );
          const { names, pages } = await walk(own, undefined, 3);
          expect(names).toEqual(expected);
          expect(pages).toEqual([3, 3, 2]);
          const first = await own.listUsers(undefined, undefined, 1);
          expect(first).toEqual([users.find((u) => u.username === "n-B")]);
          expect(await own.listUsers(undefined, "n-\u{1F600}", 10)).toEqual([]);
          expect(await own.listUsers(undefined, undefined, 0)).toEqual([]);
          expect(await own.listUsers(undefined, undefined, 100)).toHaveLength(8);
        });
      });

      it("= on the username, the sub and an attribute is exact and case-sensitive", async () => {
        const tag = randomUUID();
        const alice = newUser({
          username: `alice-${tag}`,
          attributes: { email: `Alice-${tag}@Example.com`, name: "Alice O'Hara" },
        });
        const other = newUser({
          username: `alice-${tag}-2`,
          attributes: { email: `alice-${tag}@example.com`, name: "Alice" },
        });
        await store.createUser(alice);
        await store.createUser(other);
        const by = (filter: UserFilter) =>
          store.listUsers(filter, undefined, 10).then((users) => users.map((u) => u.sub));
        expect(await by({ field: "username", op: "=", value: alice.username })).toEqual([
          alice.sub,
        ]);
        expect(
          await by({ field: "username", op: "=", value: alice.username.toUpperCase() }),
        ).toEqual([]);
        expect(await by({ field: "sub", op: "=", value: other.sub })).toEqual([other.sub]);
        expect(
          await by({
            field: "attribute",
            name: "email",
            op: "=",
            value: `Alice-${tag}@Example.com`,
          }),
        ).toEqual([alice.sub]);
        expect(
          await by({
            field: "attribute",
            name: "email",
            op: "=",
            value: `ALICE-${tag}@EXAMPLE.COM`,
          }),
        ).toEqual([]);
        // An attribute the user does not have matches nothing, not even an empty value.
        expect(
          await by({ field: "attribute", name: "family_name", op: "=", value: "" }),
        ).not.toEqual(expect.arrayContaining([alice.sub]));
      });

      it("^= is a prefix compared character for character: %, _, ', \\ and unicode in the value are literal", async () => {
        const tag = randomUUID().slice(0, 8);
        const specials = ["%", "_", "'", "\\", "\u00E9", "\u{1F600}", "x"];
        const users = specials.map((special, i) =>
          newUser({
            username: `p${tag}${special}${i}`,
            attributes: {
              email: `m${tag}${special}${i}@example.com`,
              given_name: `g${tag}${special}`,
            },
          }),
        );
        for (const user of users) await store.createUser(user);
        const usernames = (filter: UserFilter) =>
          store.listUsers(filter, undefined, 60).then((page) => page.map((u) => u.username));
        for (const [i, special] of specials.entries()) {
          const only = [users[i]!.username];
          expect(
            await usernames({ field: "username", op: "^=", value: `p${tag}${special}` }),
          ).toEqual(only);
          expect(
            await usernames({
              field: "attribute",
              name: "email",
              op: "^=",
              value: `m${tag}${special}`,
            }),
          ).toEqual(only);
          expect(
            await usernames({
              field: "attribute",
              name: "given_name",
              op: "^=",
              value: `g${tag}${special}`,
            }),
          ).toEqual(only);
        }
        // The whole family, in binary order; and a prefix longer than any value matches none.
        expect(await usernames({ field: "username", op: "^=", value: `p${tag}` })).toEqual(
          users.map((u) => u.username).sort(binaryOrder),
        );
        expect(
          await usernames({ field: "username", op: "^=", value: `p${tag}x6-and-more` }),
        ).toEqual([]);
        expect(
          (
            await store.listUsers(
              { field: "sub", op: "^=", value: users[2]!.sub.slice(0, 30) },
              undefined,
              5,
            )
          ).map((u) => u.sub),
        ).toEqual([users[2]!.sub]);
      });

      it("a username prefix ending in the last code points still finds every match (and only them)", async () => {
        await withOwnStore(async (own) => {
          const names = [
            "a",
            "ab",
            "ab\u{10FFFF}",
            "ab\u{10FFFF}z",
            "ab\u{10FFFF}\u{10FFFF}",
            "ac",
            "x\uD7FF",
            "x\uD7FFy",
            "x\uE000",
            "\u{10FFFF}",
            "\u{10FFFF}a",
          ];
          for (const username of names) await own.createUser(newUser({ username }));
          const matching = async (value: string) =>
            (await walk(own, { field: "username", op: "^=", value }, 2)).names;
          expect(await matching("ab")).toEqual([
            "ab",
            "ab\u{10FFFF}",
            "ab\u{10FFFF}z",
            "ab\u{10FFFF}\u{10FFFF}",
          ]);
          expect(await matching("ab\u{10FFFF}")).toEqual([
            "ab\u{10FFFF}",
            "ab\u{10FFFF}z",
            "ab\u{10FFFF}\u{10FFFF}",
          ]);
          expect(await matching("x\uD7FF")).toEqual(["x\uD7FF", "x\uD7FFy"]);
          expect(await matching("\u{10FFFF}")).toEqual(["\u{10FFFF}", "\u{10FFFF}a"]);
          expect(await matching("")).toEqual([...names].sort(binaryOrder));
        });
      });

      it("enabled and each status select exactly the users in that state, as identity derives it", async () => {
        await withOwnStore(async (own) => {
          const users = {
            confirmed: newUser({ username: "s-confirmed" }),
            unconfirmed: newUser({ username: "s-unconfirmed", confirmed: false }),
            forceChange: newUser({
              username: "s-force",
              temporaryPasswordExpiresAtMs: T0 + 86_400_000,
            }),
            // A temporary password wins over an unconfirmed flag, as in userStatus.
            forceUnconfirmed: newUser({
              username: "s-force-unconfirmed",
              confirmed: false,
              temporaryPasswordExpiresAtMs: T0,
            }),
            reset: newUser({ username: "s-reset", passwordResetRequired: true }),
            disabled: newUser({ username: "s-disabled", enabled: false }),
          };
          for (const user of Object.values(users)) await own.createUser(user);
          const names = async (filter: UserFilter) => (await walk(own, filter, 2)).names;
          for (const status of [
            "CONFIRMED",
            "UNCONFIRMED",
            "FORCE_CHANGE_PASSWORD",
            "RESET_REQUIRED",
          ] as const) {
            expect(await names({ field: "status", value: status })).toEqual(
              Object.values(users)
                .filter((u) => userStatus(u) === status)
                .map((u) => u.username)
                .sort(binaryOrder),
            );
          }
          expect(await names({ field: "status", value: "CONFIRMED" })).toEqual([
            "s-confirmed",
            "s-disabled",
          ]);
          expect(await names({ field: "enabled", value: false })).toEqual(["s-disabled"]);
          expect(await names({ field: "enabled", value: true })).toHaveLength(5);
        });
      });

      it("a filtered listing pages across pages, and the limit bounds each page", async () => {
        await withOwnStore(async (own) => {
          for (let i = 0; i < 25; i++)
            await own.createUser(
              newUser({
                username: `page-${String(i).padStart(2, "0")}`,
                attributes: { email: i % 2 === 0 ? `even${i}@example.com` : `odd${i}@example.com` },
              }),
            );
          await own.createUser(newUser({ username: "other" }));
          const even = await walk(
            own,
            { field: "attribute", name: "email", op: "^=", value: "even" },
            4,
          );
          expect(even.names).toEqual(
            Array.from({ length: 13 }, (_, k) => `page-${String(k * 2).padStart(2, "0")}`),
          );
          expect(even.pages).toEqual([4, 4, 4, 1]);
          const all = await walk(own, { field: "username", op: "^=", value: "page-" }, 60);
          expect(all.pages).toEqual([25]);
          expect(
            await own.listUsers({ field: "username", op: "^=", value: "page-" }, "page-23", 60),
          ).toHaveLength(1);
        });
      });
    });

    describe("created groups", () => {
      const newGroup = (overrides: Partial<GroupRecord> = {}): GroupRecord => ({
        name: `group-${randomUUID()}`,
        description: "Readers of the archive",
        precedence: 3,
        createdAtMs: T0,
        updatedAtMs: T0,
        ...overrides,
      });

      it("happy flow: a created group reads back identically; nulls and unicode round-trip", async () => {
        const full = newGroup();
        const bare = newGroup({
          name: `\u{1F600}-${randomUUID()}`,
          description: null,
          precedence: null,
        });
        await store.createGroup(full);
        await store.createGroup(bare);
        expect(
          await store.getGroups([bare.name, `none-${randomUUID()}`, full.name, bare.name]),
        ).toEqual([bare, undefined, full, bare]);
        expect(await store.getGroups([])).toEqual([]);
      });

      it("error flow: creating a group name twice is a conflict (names are case-sensitive)", async () => {
        const group = newGroup();
        await store.createGroup(group);
        await expect(store.createGroup(newGroup({ name: group.name }))).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        await expect(
          store.createGroup(newGroup({ name: group.name.toUpperCase() })),
        ).resolves.toBeUndefined();
      });

      it("lists created groups and names that exist only as memberships, each once, in code-point order, a page at a time", async () => {
        await withOwnStore(async (own) => {
          const user = newUser();
          const other = newUser();
          await own.createUser(user);
          await own.createUser(other);
          const created = newGroup({ name: "beta", precedence: 0 });
          const both = newGroup({ name: "Alpha", description: null, precedence: null });
          await own.createGroup(created);
          await own.createGroup(both);
          await own.createGroup(newGroup({ name: "\u{1F600}grin" }));
          for (const group of ["Alpha", "zeta", "\uFF01bang", "_ops"])
            await own.addUserToGroup(user.sub, group);
          await own.addUserToGroup(other.sub, "zeta");
          const seen: { name: string; record: GroupRecord | undefined }[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await own.listGroups(after, 2);
            seen.push(...page);
            if (page.length < 2) break;
            after = page[page.length - 1]!.name;
          }
          expect(seen.map((g) => g.name)).toEqual([
            "Alpha",
            "_ops",
            "beta",
            "zeta",
            "\uFF01bang",
            "\u{1F600}grin",
          ]);
          expect(seen.find((g) => g.name === "Alpha")?.record).toEqual(both);
          expect(seen.find((g) => g.name === "beta")?.record).toEqual(created);
          expect(seen.find((g) => g.name === "zeta")?.record).toBeUndefined();
          expect(await own.listGroups(undefined, 0)).toEqual([]);
          expect(await own.listGroups("\u{1F600}grin", 10)).toEqual([]);
        });
      });
    });

    describe("access keys", () => {
      const newAccessKey = (overrides: Partial<AccessKeyRecord> = {}): AccessKeyRecord => ({
        accessKeyId: `PGAK${randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}`,
        secretSealed: `sealed.${randomUUID()}`,
        description: "deploy pipeline",
        createdAtMs: T0,
        lastUsedAtMs: null,
        ...overrides,
      });

      it("happy flow: creates, reads, lists oldest first, records a use and deletes", async () => {
        await withOwnStore(async (own) => {
          const later = newAccessKey({ createdAtMs: T0 + 5, description: "" });
          const first = newAccessKey({ accessKeyId: "PGAKZZZZZZZZZZZZZZZZ" });
          const tie = newAccessKey({
            accessKeyId: "PGAKAAAAAAAAAAAAAAAA",
            description: "caf\u00E9 \u{1F600}",
          });
          for (const key of [later, first, tie]) await own.createAccessKey(key);
          expect(await own.getAccessKey(first.accessKeyId)).toEqual(first);
          expect(await own.listAccessKeys()).toEqual([tie, first, later]);
          await own.touchAccessKey(first.accessKeyId, T0 + 60_000);
          expect(await own.getAccessKey(first.accessKeyId)).toEqual({
            ...first,
            lastUsedAtMs: T0 + 60_000,
          });
          expect(await own.deleteAccessKey(first.accessKeyId)).toBe(true);
          expect(await own.deleteAccessKey(first.accessKeyId)).toBe(false);
          expect(await own.getAccessKey(first.accessKeyId)).toBeUndefined();
          await expect(own.touchAccessKey(first.accessKeyId, T0)).resolves.toBeUndefined();
          expect(await own.getAccessKey(first.accessKeyId)).toBeUndefined();
          expect(await own.listAccessKeys()).toEqual([tie, later]);
        });
      });

      it("error flow: a second key with the same id is a conflict, and the first stays as it was", async () => {
        const key = newAccessKey();
        await store.createAccessKey(key);
        await expect(
          store.createAccessKey(newAccessKey({ accessKeyId: key.accessKeyId })),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getAccessKey(key.accessKeyId)).toEqual(key);
        expect(await store.getAccessKey(`PGAK-none-${randomUUID()}`)).toBeUndefined();
      });
    });

    describe("clients", () => {
      it("happy flow: public and confidential clients read back identically", async () => {
        const publicClient = newClient({ secretHash: null, rotateRefreshTokens: true });
        const confidential = newClient({
          secretHash: "secret-hash",
          secretSealed: null,
          allowedScopes: ["res/write", "openid", "email"],
          authSessionValidityMinutes: 15,
          enabled: false,
        });
        const scopeless = newClient({ allowedScopes: [] });
        for (const client of [publicClient, confidential, scopeless]) {
          await store.createClient(client);
          expect(await store.getClient(client.clientId)).toEqual(client);
        }
      });

      it("returns undefined for an unknown client", async () => {
        expect(await store.getClient(randomUUID())).toBeUndefined();
      });

      it("error flow: duplicate client id is a conflict", async () => {
        const client = newClient();
        await store.createClient(client);
        await expect(
          store.createClient(newClient({ clientId: client.clientId })),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getClient(client.clientId)).toEqual(client);
      });

      it("lists every client", async () => {
        const a = newClient();
        const b = newClient();
        await store.createClient(a);
        await store.createClient(b);
        expect(await store.listClients()).toEqual(expect.arrayContaining([a, b]));
      });

      it("updateClient changes only the given fields", async () => {
        const client = newClient({ secretHash: "secret-hash" });
        await store.createClient(client);
        expect(
          await store.updateClient(client.clientId, {
            enabled: false,
            allowedScopes: ["openid"],
            refreshTokenReuseGraceSeconds: 0,
            name: undefined,
          }),
        ).toBe(true);
        expect(await store.getClient(client.clientId)).toEqual({
          ...client,
          enabled: false,
          allowedScopes: ["openid"],
          refreshTokenReuseGraceSeconds: 0,
        });
        await store.updateClient(client.clientId, {
          secretHash: null,
          secretSealed: null,
          rotateRefreshTokens: true,
          authSessionValidityMinutes: 10,
        });
        expect(await store.getClient(client.clientId)).toEqual({
          ...client,
          enabled: false,
          allowedScopes: ["openid"],
          refreshTokenReuseGraceSeconds: 0,
          secretHash: null,
          secretSealed: null,
          rotateRefreshTokens: true,
          authSessionValidityMinutes: 10,
        });
      });

      it("round-trips the OAuth settings: callback and logout URLs in their order, and the allowed flows", async () => {
        const hosted = newClient({
          callbackUrls: [
            "https://app.example.com/callback?tenant=a&x=%20",
            "http://localhost:3000/cb",
            "myapp://signed-in",
            "https://bücher.example/ünïcode",
          ],
          logoutUrls: ["https://app.example.com/", "https://app.example.com/signed-out#done"],
          allowedOAuthFlows: ["code", "implicit"],
        });
        const machine = newClient({
          secretHash: "secret-hash",
          allowedOAuthFlows: ["client_credentials"],
        });
        for (const client of [hosted, machine]) {
          await store.createClient(client);
          expect(await store.getClient(client.clientId)).toEqual(client);
        }
        expect(await store.listClients()).toEqual(expect.arrayContaining([hosted, machine]));
      });

      it("updateClient sets and clears the OAuth settings and leaves those not given", async () => {
        const client = newClient({
          callbackUrls: ["https://a.example/cb"],
          logoutUrls: ["https://a.example/"],
          allowedOAuthFlows: ["code"],
        });
        await store.createClient(client);
        expect(
          await store.updateClient(client.clientId, {
            callbackUrls: ["https://a.example/cb", "https://b.example/cb"],
            allowedOAuthFlows: ["code", "client_credentials"],
          }),
        ).toBe(true);
        expect(await store.getClient(client.clientId)).toEqual({
          ...client,
          callbackUrls: ["https://a.example/cb", "https://b.example/cb"],
          allowedOAuthFlows: ["code", "client_credentials"],
        });
        await store.updateClient(client.clientId, {
          logoutUrls: [],
          allowedOAuthFlows: [],
          name: "renamed",
        });
        expect(await store.getClient(client.clientId)).toEqual({
          ...client,
          name: "renamed",
          callbackUrls: ["https://a.example/cb", "https://b.example/cb"],
          logoutUrls: [],
          allowedOAuthFlows: [],
        });
      });

      it("updateClient returns false for an unknown client", async () => {
        expect(await store.updateClient(randomUUID(), { enabled: false })).toBe(false);
      });

      it("deleteClient removes the client once", async () => {
        const client = newClient();
        await store.createClient(client);
        expect(await store.deleteClient(client.clientId)).toBe(true);
        expect(await store.getClient(client.clientId)).toBeUndefined();
        expect(await store.deleteClient(client.clientId)).toBe(false);
      });
    });

    describe("sessions", () => {
      it("happy flow: a created session reads back identically", async () => {
        const fresh = newSession();
        const worn = newSession({
          previousRefreshTokenHash: "older-hash",
          rotatedAtMs: T0 + 10,
          revokedAtMs: T0 + 20,
          revokedReason: "global_sign_out",
        });
        await store.createSession(fresh);
        await store.createSession(worn);
        expect(await store.getSession(fresh.id)).toEqual(fresh);
        expect(await store.getSession(worn.id)).toEqual(worn);
      });

      it("returns undefined for an unknown session", async () => {
        expect(await store.getSession(randomUUID())).toBeUndefined();
      });

      it("error flow: duplicate session id is a conflict", async () => {
        const session = newSession();
        await store.createSession(session);
        await expect(store.createSession(newSession({ id: session.id }))).rejects.toBeInstanceOf(
          StoreConflictError,
        );
      });

      describe("rotateRefreshToken", () => {
        it("happy flow: the current hash rotates and the old one is kept as previous", async () => {
          const session = newSession({ refreshTokenHash: "h0" });
          await store.createSession(session);
          const rotated = {
            ...session,
            refreshTokenHash: "h1",
            previousRefreshTokenHash: "h0",
            rotatedAtMs: T0 + 100,
          };
          expect(await store.rotateRefreshToken(session.id, "h0", "h1", T0 + 100)).toEqual({
            outcome: "rotated",
            session: rotated,
          });
          expect(await store.getSession(session.id)).toEqual(rotated);
        });

        it("a wrong hash is not_current and changes nothing", async () => {
          const session = newSession({ refreshTokenHash: "h0" });
          await store.createSession(session);
          expect(await store.rotateRefreshToken(session.id, "forged", "h1", T0 + 100)).toEqual({
            outcome: "not_current",
            session,
          });
          expect(await store.getSession(session.id)).toEqual(session);
        });

        it("an already-rotated hash is not_current and returns the session as it is", async () => {
          const session = newSession({ refreshTokenHash: "h0" });
          await store.createSession(session);
          await store.rotateRefreshToken(session.id, "h0", "h1", T0 + 100);
          await store.rotateRefreshToken(session.id, "h1", "h2", T0 + 200);
          const current = {
            ...session,
            refreshTokenHash: "h2",
            previousRefreshTokenHash: "h1",
            rotatedAtMs: T0 + 200,
          };
          for (const stale of ["h0", "h1"]) {
            expect(await store.rotateRefreshToken(session.id, stale, "h3", T0 + 300)).toEqual({
              outcome: "not_current",
              session: current,
            });
          }
          expect(await store.getSession(session.id)).toEqual(current);
        });

        it("never rotates a revoked session, even with the current hash", async () => {
          const session = newSession({ refreshTokenHash: "h0" });
          await store.createSession(session);
          await store.revokeSession(session.id, "revoked", T0 + 50);
          const revoked = { ...session, revokedAtMs: T0 + 50, revokedReason: "revoked" };
          expect(await store.rotateRefreshToken(session.id, "h0", "h1", T0 + 100)).toEqual({
            outcome: "not_current",
            session: revoked,
          });
          expect(await store.getSession(session.id)).toEqual(revoked);
        });

        it("an unknown session is missing", async () => {
          expect(await store.rotateRefreshToken(randomUUID(), "h0", "h1", T0)).toEqual({
            outcome: "missing",
          });
        });
      });

      describe("revokeSession", () => {
        it("revokes a live session and emits one session_revoked event", async () => {
          const session = newSession();
          await store.createSession(session);
          const before = await store.latestChangeSeq();

          expect(await store.revokeSession(session.id, "revoked", T0 + 7)).toBe(true);
          expect(await store.getSession(session.id)).toEqual({
            ...session,
            revokedAtMs: T0 + 7,
            revokedReason: "revoked",
          });
          const events = await changesFor(before, session.id);
          expect(events).toEqual([
            { seq: expect.any(Number), atMs: T0 + 7, kind: "session_revoked", subject: session.id },
          ]);
          expect(await store.latestChangeSeq()).toBe(events[0]?.seq);
        });

        it("is idempotent: a second revocation returns false, keeps the first, emits nothing", async () => {
          const session = newSession();
          await store.createSession(session);
          await store.revokeSession(session.id, "revoked", T0 + 7);
          const afterFirst = await store.latestChangeSeq();

          expect(await store.revokeSession(session.id, "reuse_detected", T0 + 9)).toBe(false);
          const stored = await store.getSession(session.id);
          expect(stored?.revokedAtMs).toBe(T0 + 7);
          expect(stored?.revokedReason).toBe("revoked");
          expect(await store.latestChangeSeq()).toBe(afterFirst);
        });

        it("returns false for an unknown session and emits nothing", async () => {
          const before = await store.latestChangeSeq();
          expect(await store.revokeSession(randomUUID(), "revoked", T0)).toBe(false);
          expect(await store.latestChangeSeq()).toBe(before);
        });
      });

      describe("revokeUserSessions", () => {
        it("revokes only the user's live sessions and emits one event for each", async () => {
          const sub = randomUUID();
          const live1 = newSession({ sub });
          const live2 = newSession({ sub });
          const alreadyRevoked = newSession({
            sub,
            revokedAtMs: T0 - 10,
            revokedReason: "revoked",
          });
          const otherUsers = newSession();
          for (const session of [live1, live2, alreadyRevoked, otherUsers]) {
            await store.createSession(session);
          }
          const before = await store.latestChangeSeq();

          const ids = await store.revokeUserSessions(sub, "global_sign_out", T0 + 5);
          expect([...ids].sort()).toEqual([live1.id, live2.id].sort());
          for (const live of [live1, live2]) {
            expect(await store.getSession(live.id)).toEqual({
              ...live,
              revokedAtMs: T0 + 5,
              revokedReason: "global_sign_out",
            });
          }
          expect(await store.getSession(alreadyRevoked.id)).toEqual(alreadyRevoked);
          expect(await store.getSession(otherUsers.id)).toEqual(otherUsers);

          const events = await store.changesSince(before, 100);
          expect(events.map((event) => event.subject).sort()).toEqual([live1.id, live2.id].sort());
          for (const event of events) {
            expect(event).toMatchObject({ kind: "session_revoked", atMs: T0 + 5 });
          }
        });

        it("returns nothing and emits nothing when no session is live", async () => {
          const sub = randomUUID();
          await store.createSession(newSession({ sub }));
          await store.revokeUserSessions(sub, "user_disabled", T0);
          const before = await store.latestChangeSeq();
          expect(await store.revokeUserSessions(sub, "user_disabled", T0 + 1)).toEqual([]);
          expect(await store.revokeUserSessions(randomUUID(), "user_deleted", T0 + 1)).toEqual([]);
          expect(await store.latestChangeSeq()).toBe(before);
        });
      });
    });

    describe("change feed", () => {
      it("appends events with increasing seqs and reads them back oldest first", async () => {
        const before = await store.latestChangeSeq();
        const subject = randomUUID();
        const kinds: ChangeKind[] = ["user_blocked", "user_unblocked", "keys_changed"];
        const seqs: number[] = [];
        for (const [index, kind] of kinds.entries()) {
          seqs.push(await appendChange(store, kind, subject, T0 + index));
        }

        expect(seqs[0]).toBeGreaterThan(before);
        expect(seqs[1]).toBeGreaterThan(seqs[0] ?? Infinity);
        expect(seqs[2]).toBeGreaterThan(seqs[1] ?? Infinity);
        expect(await store.latestChangeSeq()).toBe(seqs[2]);
        expect(await store.changesSince(before, 100)).toEqual(
          kinds.map((kind, index) => ({ seq: seqs[index], atMs: T0 + index, kind, subject })),
        );
      });

      it("round-trips every kind of event", async () => {
        const before = await store.latestChangeSeq();
        const kinds: ChangeKind[] = [
          "session_revoked",
          "user_blocked",
          "user_unblocked",
          "client_blocked",
          "client_unblocked",
          "keys_changed",
        ];
        const subject = randomUUID();
        for (const kind of kinds) await appendChange(store, kind, subject, T0);
        expect((await changesFor(before, subject)).map((event) => event.kind)).toEqual(kinds);
      });

      it("returns at most `limit` events, so a cursor can page through them", async () => {
        const before = await store.latestChangeSeq();
        const subject = randomUUID();
        const seqs: number[] = [];
        for (let i = 0; i < 5; i++)
          seqs.push(await appendChange(store, "user_blocked", subject, T0));

        const firstPage = await store.changesSince(before, 2);
        expect(firstPage.map((event) => event.seq)).toEqual(seqs.slice(0, 2));
        const secondPage = await store.changesSince(firstPage[1]?.seq ?? 0, 2);
        expect(secondPage.map((event) => event.seq)).toEqual(seqs.slice(2, 4));
        expect(await store.changesSince(seqs[4] ?? 0, 2)).toEqual([]);
        expect(await store.changesSince(before, 0)).toEqual([]);
      });
    });

    describe("outbox: a write and its change-feed event are one", () => {
      it("each write appends the event it carries, after the write", async () => {
        const before = await store.latestChangeSeq();
        const user = newUser();
        await store.createUser(user, ["g1"]);
        const client = newClient();
        await store.createClient(client);
        const at = T0 + 7;
        const note = (kind: ChangeKind, subject: string) => ({ kind, subject, atMs: at });
        expect(
          await store.updateUser(user.sub, { enabled: false }, at, note("user_blocked", user.sub)),
        ).toBe(true);
        await store.addUserToGroup(user.sub, "g2", note("user_changed", user.sub));
        await store.removeUserFromGroup(user.sub, "g1", note("user_changed", user.sub));
        expect(
          await store.updateClient(
            client.clientId,
            { enabled: false },
            note("client_blocked", client.clientId),
          ),
        ).toBe(true);
        const key = newKey({ createdAtMs: T0 - 5_000_000 });
        await store.insertKey(key, note("keys_changed", key.kid));
        expect(
          await store.deleteClient(client.clientId, note("client_blocked", client.clientId)),
        ).toBe(true);
        expect(await store.deleteUser(user.sub, note("user_blocked", user.sub))).toBe(true);

        const events = (await store.changesSince(before, 100)).map(({ kind, subject, atMs }) => ({
          kind,
          subject,
          atMs,
        }));
        expect(events).toEqual([
          note("user_blocked", user.sub),
          note("user_changed", user.sub),
          note("user_changed", user.sub),
          note("client_blocked", client.clientId),
          note("keys_changed", key.kid),
          note("client_blocked", client.clientId),
          note("user_blocked", user.sub),
        ]);
      });

      it("an update of an unknown user or client appends nothing", async () => {
        const before = await store.latestChangeSeq();
        const subject = randomUUID();
        const note = { kind: "user_blocked" as const, subject, atMs: T0 };
        expect(await store.updateUser(subject, { enabled: false }, T0, note)).toBe(false);
        expect(await store.updateClient(subject, { enabled: false }, note)).toBe(false);
        expect(await changesFor(before, subject)).toEqual([]);
      });

      it("a user created with groups is never half-created: a taken username leaves no groups behind", async () => {
        const first = newUser();
        await store.createUser(first);
        const second = newUser({ username: first.username });
        await expect(store.createUser(second, ["admins"])).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        expect(await store.getUserBySub(second.sub)).toBeUndefined();
        expect(await store.getGroupsForUsers([second.sub])).toEqual([[]]);
        const third = newUser();
        await store.createUser(third, ["b", "a"]);
        expect(await store.getGroupsForUsers([third.sub])).toEqual([["a", "b"]]);
      });
    });

    describe("MFA settings", () => {
      it("getMfa is undefined for a user who never had MFA settings and for an unknown sub", async () => {
        const user = newUser();
        await store.createUser(user);
        expect(await store.getMfa(user.sub)).toBeUndefined();
        expect(await store.getMfa(randomUUID())).toBeUndefined();
      });

      it("happy flow: updateMfa creates, updates, leaves and deletes the row, resolving with the row as it is afterwards", async () => {
        const user = newUser();
        await store.createUser(user);
        const seen: (MfaRecord | undefined)[] = [];
        const created = newMfa(user.sub, { pendingTotpSecretSealed: "sealed-pending" });
        expect(
          await store.updateMfa(user.sub, (previous) => {
            seen.push(previous);
            return created;
          }),
        ).toEqual(created);
        expect(await store.getMfa(user.sub)).toEqual(created);

        const verified: MfaRecord = {
          ...created,
          totpSecretSealed: "sealed-secret",
          pendingTotpSecretSealed: null,
          totpEnabled: true,
          emailEnabled: true,
          preferred: "SOFTWARE_TOKEN_MFA",
          lastTotpStep: 56_666_666,
          updatedAtMs: T0 + 10,
        };
        expect(
          await store.updateMfa(user.sub, (previous) => {
            seen.push(previous);
            return verified;
          }),
        ).toEqual(verified);
        expect(
          await store.updateMfa(user.sub, (previous) => {
            seen.push(previous);
            return undefined;
          }),
        ).toEqual(verified);
        expect(await store.getMfa(user.sub)).toEqual(verified);

        expect(
          await store.updateMfa(user.sub, (previous) => {
            seen.push(previous);
            return null;
          }),
        ).toBeUndefined();
        expect(await store.getMfa(user.sub)).toBeUndefined();
        expect(seen).toEqual([undefined, created, verified, verified]);
      });

      it("leaving or deleting a row that does not exist writes nothing", async () => {
        const user = newUser();
        await store.createUser(user);
        expect(await store.updateMfa(user.sub, () => undefined)).toBeUndefined();
        expect(await store.getMfa(user.sub)).toBeUndefined();
        expect(await store.updateMfa(user.sub, () => null)).toBeUndefined();
        expect(await store.getMfa(user.sub)).toBeUndefined();
      });

      it("writes the row of the sub it was called for, whatever sub the update returns", async () => {
        const user = newUser();
        const other = newUser();
        await store.createUser(user);
        await store.createUser(other);
        const written = await store.updateMfa(user.sub, () => newMfa(other.sub));
        expect(written?.sub).toBe(user.sub);
        expect((await store.getMfa(user.sub))?.sub).toBe(user.sub);
        expect(await store.getMfa(other.sub)).toBeUndefined();
      });

      it("error flow: a sub no user has is a conflict, whatever the update returns, and nothing is written", async () => {
        const sub = randomUUID();
        for (const result of [newMfa(sub), null, undefined]) {
          await expect(store.updateMfa(sub, () => result)).rejects.toBeInstanceOf(
            StoreConflictError,
          );
        }
        expect(await store.getMfa(sub)).toBeUndefined();
      });

      it("error flow: an update that throws rejects with its error and leaves the row as it was", async () => {
        const user = newUser();
        await store.createUser(user);
        const before = newMfa(user.sub, { emailEnabled: true });
        await store.updateMfa(user.sub, () => before);
        const failure = new Error("update failed");
        await expect(
          store.updateMfa(user.sub, () => {
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await store.getMfa(user.sub)).toEqual(before);
      });

      it("counts every one of many concurrent read-modify-writes of one user", async () => {
        const user = newUser();
        await store.createUser(user);
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            store.updateMfa(user.sub, (previous) => ({
              ...(previous ?? newMfa(user.sub)),
              lastTotpStep: (previous?.lastTotpStep ?? 0) + 1,
            })),
          ),
        );
        // Each update saw the row the one before left: the steps are exactly 1..20.
        expect(results.map((result) => result?.lastTotpStep).sort((a, b) => a! - b!)).toEqual(
          Array.from({ length: 20 }, (_, index) => index + 1),
        );
        expect((await store.getMfa(user.sub))?.lastTotpStep).toBe(20);
      });
    });

    describe("one-time codes", () => {
      it("happy flow: putCode stores a code getCode reads back; undefined for another purpose or user", async () => {
        const user = newUser();
        await store.createUser(user);
        const code = newCode(user.sub, { purpose: "verify_email" });
        await store.putCode(code);
        expect(await store.getCode(user.sub, "verify_email")).toEqual(code);
        expect(await store.getCode(user.sub, "forgot_password")).toBeUndefined();
        expect(await store.getCode(randomUUID(), "verify_email")).toBeUndefined();
      });

      it("putCode replaces the pending code of the same user and purpose and leaves the others", async () => {
        const user = newUser();
        await store.createUser(user);
        const other = newCode(user.sub, { purpose: "verify_email" });
        await store.putCode(other);
        await store.putCode(newCode(user.sub, { codeHash: "first" }));
        const second = newCode(user.sub, {
          codeHash: "second",
          createdAtMs: T0 + 5,
          expiresAtMs: T0 + 3_600_005,
        });
        await store.putCode(second);
        expect(await store.getCode(user.sub, "forgot_password")).toEqual(second);
        expect(await store.getCode(user.sub, "verify_email")).toEqual(other);
      });

      it("error flow: a code for a sub no user has is a conflict", async () => {
        const sub = randomUUID();
        await expect(store.putCode(newCode(sub))).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getCode(sub, "forgot_password")).toBeUndefined();
      });

      it("deleteCode deletes the code only while its hash matches: a newer code survives a stale delete", async () => {
        const user = newUser();
        await store.createUser(user);
        await store.putCode(newCode(user.sub, { codeHash: "old" }));
        const newer = newCode(user.sub, { codeHash: "new", createdAtMs: T0 + 1 });
        await store.putCode(newer);
        expect(await store.deleteCode(user.sub, "forgot_password", "old")).toBe(false);
        expect(await store.getCode(user.sub, "forgot_password")).toEqual(newer);
        expect(await store.deleteCode(user.sub, "verify_email", "new")).toBe(false);
        expect(await store.deleteCode(user.sub, "forgot_password", "new")).toBe(true);
        expect(await store.getCode(user.sub, "forgot_password")).toBeUndefined();
        expect(await store.deleteCode(user.sub, "forgot_password", "new")).toBe(false);
      });

      describe("redeemCode", () => {
        const patch = { passwordHash: "new-password-hash", passwordResetRequired: false };

        it("happy flow: spends the code, applies the patch at nowMs and appends the event; a second redeem is refused", async () => {
          const user = newUser({ passwordResetRequired: true });
          await store.createUser(user);
          const code = newCode(user.sub, { codeHash: "h" });
          await store.putCode(code);
          const other = newCode(user.sub, { purpose: "verify_email", codeHash: "h" });
          await store.putCode(other);
          const before = await store.latestChangeSeq();
          const note = { kind: "user_changed" as const, subject: user.sub, atMs: T0 + 20 };

          expect(
            await store.redeemCode(user.sub, "forgot_password", "h", T0 + 20, patch, note),
          ).toBe(true);
          expect(await store.getCode(user.sub, "forgot_password")).toBeUndefined();
          const changed = { ...user, ...patch, updatedAtMs: T0 + 20 };
          expect(await store.getUserBySub(user.sub)).toEqual(changed);
          expect(await store.getCode(user.sub, "verify_email")).toEqual(other);
          expect(await changesFor(before, user.sub)).toEqual([
            { seq: expect.any(Number), ...note },
          ]);

          const again = { ...patch, passwordHash: "another-hash" };
          expect(
            await store.redeemCode(user.sub, "forgot_password", "h", T0 + 21, again, note),
          ).toBe(false);
          expect(await store.getUserBySub(user.sub)).toEqual(changed);
          expect(await changesFor(before, user.sub)).toHaveLength(1);
        });

        it("without a change note appends nothing", async () => {
          const user = newUser();
          await store.createUser(user);
          await store.putCode(newCode(user.sub, { purpose: "verify_email", codeHash: "h" }));
          const before = await store.latestChangeSeq();
          const verified = { attributes: { ...user.attributes, email_verified: "true" } };
          expect(await store.redeemCode(user.sub, "verify_email", "h", T0 + 1, verified)).toBe(
            true,
          );
          expect((await store.getUserBySub(user.sub))?.updatedAtMs).toBe(T0 + 1);
          expect(await changesFor(before, user.sub)).toEqual([]);
        });

        it("error flow: a wrong hash, an expired code, another purpose or no code changes nothing", async () => {
          const user = newUser();
          await store.createUser(user);
          const code = newCode(user.sub, { codeHash: "h", expiresAtMs: T0 + 1000 });
          await store.putCode(code);
          const stranger = newUser();
          await store.createUser(stranger);
          const before = await store.latestChangeSeq();
          const note = (subject: string) => ({
            kind: "user_changed" as const,
            subject,
            atMs: T0,
          });

          const refused: [string, "forgot_password" | "verify_email", string, number][] = [
            [user.sub, "forgot_password", "wrong", T0],
            [user.sub, "forgot_password", "h", T0 + 1000], // expiresAtMs is not after nowMs
            [user.sub, "forgot_password", "h", T0 + 5000],
            [user.sub, "verify_email", "h", T0],
            [stranger.sub, "forgot_password", "h", T0],
            [randomUUID(), "forgot_password", "h", T0],
          ];
          for (const [sub, purpose, hash, nowMs] of refused) {
            expect(await store.redeemCode(sub, purpose, hash, nowMs, patch, note(sub))).toBe(false);
          }
          expect(await store.getCode(user.sub, "forgot_password")).toEqual(code);
          expect(await store.getUserBySub(user.sub)).toEqual(user);
          expect(await store.getUserBySub(stranger.sub)).toEqual(stranger);
          expect(await store.latestChangeSeq()).toBe(before);
          // Still usable by its owner, a moment before it expires.
          expect(await store.redeemCode(user.sub, "forgot_password", "h", T0 + 999, patch)).toBe(
            true,
          );
        });

        it("of many concurrent redeems of one code, exactly one succeeds and appends its event", async () => {
          const user = newUser();
          await store.createUser(user);
          await store.putCode(newCode(user.sub, { codeHash: "h" }));
          const before = await store.latestChangeSeq();
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, index) =>
              store.redeemCode(
                user.sub,
                "forgot_password",
                "h",
                T0 + index,
                { passwordHash: `hash-${index}` },
                { kind: "user_changed", subject: user.sub, atMs: T0 + index },
              ),
            ),
          );
          expect(results.filter((result) => result)).toHaveLength(1);
          const winner = results.indexOf(true);
          expect(await store.getUserBySub(user.sub)).toEqual({
            ...user,
            passwordHash: `hash-${winner}`,
            updatedAtMs: T0 + winner,
          });
          expect(await changesFor(before, user.sub)).toEqual([
            { seq: expect.any(Number), kind: "user_changed", subject: user.sub, atMs: T0 + winner },
          ]);
        });

        it("error flow: a patch that takes another user's username is a conflict and spends nothing", async () => {
          const user = newUser();
          const other = newUser();
          await store.createUser(user);
          await store.createUser(other);
          const code = newCode(user.sub, { codeHash: "h" });
          await store.putCode(code);
          const before = await store.latestChangeSeq();
          await expect(
            store.redeemCode(
              user.sub,
              "forgot_password",
              "h",
              T0 + 1,
              { username: other.username },
              { kind: "user_changed", subject: user.sub, atMs: T0 + 1 },
            ),
          ).rejects.toBeInstanceOf(StoreConflictError);
          expect(await store.getCode(user.sub, "forgot_password")).toEqual(code);
          expect(await store.getUserBySub(user.sub)).toEqual(user);
          expect(await store.latestChangeSeq()).toBe(before);
        });
      });
    });

    describe("challenge sessions", () => {
      it("happy flow: a created challenge reads back identically, also for a sub no user has", async () => {
        const plain = newChallenge();
        const full = newChallenge({
          challengeName: "EMAIL_OTP",
          requestedScopes: ["openid", "res/write"],
          codeHash: "code-hash",
          context: { step: "verify", name: `O'Brien "Zoë" 🚀` },
          wrongAnswers: 2,
          spentAtMs: T0 + 10,
        });
        const noScopes = newChallenge({ requestedScopes: [] });
        for (const challenge of [plain, full, noScopes]) {
          await store.createChallenge(challenge);
          expect(await store.getChallenge(challenge.id)).toEqual(challenge);
        }
        expect(plain.requestedScopes).toBeNull();
      });

      it("returns undefined for an unknown challenge", async () => {
        expect(await store.getChallenge(randomUUID())).toBeUndefined();
      });

      it("error flow: a duplicate challenge id is a conflict", async () => {
        const challenge = newChallenge();
        await store.createChallenge(challenge);
        await expect(
          store.createChallenge(newChallenge({ id: challenge.id })),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getChallenge(challenge.id)).toEqual(challenge);
      });

      describe("spendChallenge", () => {
        it("spends an open challenge once, at nowMs", async () => {
          const challenge = newChallenge();
          await store.createChallenge(challenge);
          expect(await store.spendChallenge(challenge.id, T0 + 5)).toBe(true);
          expect(await store.getChallenge(challenge.id)).toEqual({
            ...challenge,
            spentAtMs: T0 + 5,
          });
          expect(await store.spendChallenge(challenge.id, T0 + 6)).toBe(false);
          expect((await store.getChallenge(challenge.id))?.spentAtMs).toBe(T0 + 5);
        });

        it("refuses an expired or unknown challenge and changes nothing", async () => {
          const challenge = newChallenge({ expiresAtMs: T0 + 180_000 });
          await store.createChallenge(challenge);
          expect(await store.spendChallenge(challenge.id, T0 + 180_000)).toBe(false);
          expect(await store.spendChallenge(challenge.id, T0 + 999_999)).toBe(false);
          expect(await store.getChallenge(challenge.id)).toEqual(challenge);
          expect(await store.spendChallenge(randomUUID(), T0)).toBe(false);
          expect(await store.spendChallenge(challenge.id, T0 + 179_999)).toBe(true);
        });

        it("of many concurrent spends of one challenge, exactly one succeeds", async () => {
          const challenge = newChallenge();
          await store.createChallenge(challenge);
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, index) =>
              store.spendChallenge(challenge.id, T0 + index),
            ),
          );
          expect(results.filter((result) => result)).toHaveLength(1);
          expect((await store.getChallenge(challenge.id))?.spentAtMs).toBe(
            T0 + results.indexOf(true),
          );
        });
      });

      describe("countWrongAnswer", () => {
        it("counts wrong answers and spends the challenge when the count reaches the limit", async () => {
          const challenge = newChallenge();
          await store.createChallenge(challenge);
          expect(await store.countWrongAnswer(challenge.id, T0 + 1, 3)).toBe(1);
          expect(await store.countWrongAnswer(challenge.id, T0 + 2, 3)).toBe(2);
          expect(await store.getChallenge(challenge.id)).toEqual({
            ...challenge,
            wrongAnswers: 2,
          });
          expect(await store.countWrongAnswer(challenge.id, T0 + 3, 3)).toBe(3);
          expect(await store.getChallenge(challenge.id)).toEqual({
            ...challenge,
            wrongAnswers: 3,
            spentAtMs: T0 + 3,
          });
          // Given up: no more answers, right or wrong.
          expect(await store.countWrongAnswer(challenge.id, T0 + 4, 3)).toBeUndefined();
          expect(await store.spendChallenge(challenge.id, T0 + 4)).toBe(false);
          expect((await store.getChallenge(challenge.id))?.wrongAnswers).toBe(3);
        });

        it("a challenge below the limit can still be answered", async () => {
          const challenge = newChallenge();
          await store.createChallenge(challenge);
          await store.countWrongAnswer(challenge.id, T0 + 1, 3);
          expect(await store.spendChallenge(challenge.id, T0 + 2)).toBe(true);
          expect(await store.getChallenge(challenge.id)).toEqual({
            ...challenge,
            wrongAnswers: 1,
            spentAtMs: T0 + 2,
          });
        });

        it("is undefined and changes nothing for a spent, expired or unknown challenge", async () => {
          const spent = newChallenge({ spentAtMs: T0 + 1 });
          const expired = newChallenge({ expiresAtMs: T0 + 100 });
          await store.createChallenge(spent);
          await store.createChallenge(expired);
          expect(await store.countWrongAnswer(spent.id, T0 + 2, 3)).toBeUndefined();
          expect(await store.countWrongAnswer(expired.id, T0 + 100, 3)).toBeUndefined();
          expect(await store.countWrongAnswer(randomUUID(), T0, 3)).toBeUndefined();
          expect(await store.getChallenge(spent.id)).toEqual(spent);
          expect(await store.getChallenge(expired.id)).toEqual(expired);
        });

        it("counts concurrent wrong answers one by one, up to the limit and no further", async () => {
          const challenge = newChallenge();
          await store.createChallenge(challenge);
          const results = await Promise.all(
            Array.from({ length: 10 }, () => store.countWrongAnswer(challenge.id, T0 + 1, 3)),
          );
          expect(results.filter((count) => count !== undefined).sort()).toEqual([1, 2, 3]);
          expect(await store.getChallenge(challenge.id)).toEqual({
            ...challenge,
            wrongAnswers: 3,
            spentAtMs: T0 + 1,
          });
        });
      });
    });

    describeAuthorizationContract(() => store);

    describe("pool settings", () => {
      it("reads back what was set, undefined for an unknown name, and the last value wins", async () => {
        const name = `setting-${randomUUID()}`;
        expect(await store.getPoolSetting(name)).toBeUndefined();
        await store.setPoolSetting(name, "one");
        await store.setPoolSetting(name, "two");
        expect(await store.getPoolSetting(name)).toBe("two");
      });
    });

    describe("prune", () => {
      // Times far below T0, so pruning cannot touch what the other tests created.
      const P = 1_000_000;
      const allBefore = (ms: number) => ({
        changesBeforeMs: ms,
        sessionsExpiredBeforeMs: ms,
        lockoutsIdleBeforeMs: ms,
        heartbeatsBeforeMs: ms,
        challengesExpiredBeforeMs: ms,
        codesExpiredBeforeMs: ms,
        authorizationCodesExpiredBeforeMs: ms,
        hostedSessionsExpiredBeforeMs: ms,
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

      it("each table by its own cut-off, and says how many rows went", async () => {
        const subject = randomUUID();
        await appendChange(store, "user_blocked", subject, P - 20);
        const expired = newSession({ expiresAtMs: P - 10 });
        await store.createSession(expired);
        const challenge = newChallenge({ createdAtMs: P - 200, expiresAtMs: P - 10 });
        await store.createChallenge(challenge);
        const user = newUser();
        await store.createUser(user);
        await store.putCode(newCode(user.sub, { createdAtMs: P - 200, expiresAtMs: P - 10 }));
        const counts = await store.prune({
          ...allBefore(0),
          changesBeforeMs: P - 30,
          sessionsExpiredBeforeMs: P,
          challengesExpiredBeforeMs: P,
        });
        expect(counts).toEqual({ ...none, sessions: 1, challenges: 1 });
        expect(await store.getSession(expired.id)).toBeUndefined();
        expect(await store.getChallenge(challenge.id)).toBeUndefined();
        expect(await store.getCode(user.sub, "forgot_password")).toBeDefined();
        expect(await store.prune({ ...allBefore(0), changesBeforeMs: P - 19 })).toEqual({
          ...none,
          changes: 1,
        });
        expect(await store.prune({ ...allBefore(0), codesExpiredBeforeMs: P })).toEqual({
          ...none,
          codes: 1,
        });
        expect(await store.getCode(user.sub, "forgot_password")).toBeUndefined();
      });

      it("deletes challenge sessions and codes that expired before the cut-off, spent or not, and keeps the rest", async () => {
        const expiredOpen = newChallenge({ createdAtMs: P - 100, expiresAtMs: P - 1 });
        const expiredSpent = newChallenge({
          createdAtMs: P - 100,
          expiresAtMs: P - 1,
          spentAtMs: P - 50,
        });
        const expiringAtCutoff = newChallenge({ createdAtMs: P - 100, expiresAtMs: P });
        const spentButUnexpired = newChallenge({
          createdAtMs: P - 100,
          expiresAtMs: P + 1,
          spentAtMs: P - 50,
        });
        for (const challenge of [expiredOpen, expiredSpent, expiringAtCutoff, spentButUnexpired]) {
          await store.createChallenge(challenge);
        }
        const user = newUser();
        await store.createUser(user);
        const expiredCode = newCode(user.sub, {
          purpose: "forgot_password",
          createdAtMs: P - 100,
          expiresAtMs: P - 1,
        });
        const codeAtCutoff = newCode(user.sub, {
          purpose: "verify_email",
          createdAtMs: P - 100,
          expiresAtMs: P,
        });
        await store.putCode(expiredCode);
        await store.putCode(codeAtCutoff);

        await store.prune(allBefore(P));
        expect(await store.getChallenge(expiredOpen.id)).toBeUndefined();
        expect(await store.getChallenge(expiredSpent.id)).toBeUndefined();
        expect(await store.getChallenge(expiringAtCutoff.id)).toEqual(expiringAtCutoff);
        expect(await store.getChallenge(spentButUnexpired.id)).toEqual(spentButUnexpired);
        expect(await store.getCode(user.sub, "forgot_password")).toBeUndefined();
        expect(await store.getCode(user.sub, "verify_email")).toEqual(codeAtCutoff);
        expect(await store.getUserBySub(user.sub)).toEqual(user);
      });

      it("changeSeqBefore: the feed position before the first event at or after a time", async () => {
        await withOwnStore(async (own) => {
          expect(await own.changeSeqBefore(P)).toBe(0);
          const old = await appendChange(own, "user_blocked", randomUUID(), P - 1);
          expect(await own.changeSeqBefore(P)).toBe(old);
          const recent = await appendChange(own, "user_blocked", randomUUID(), P);
          await appendChange(own, "user_blocked", randomUUID(), P + 1);
          expect(await own.changeSeqBefore(P)).toBe(recent - 1);
          expect(await own.changeSeqBefore(P - 1)).toBe(old - 1);
          expect(await own.changeSeqBefore(P + 100)).toBe(await own.latestChangeSeq());
        });
      });

      it("deletes events and sessions older than the cut-off and keeps the rest", async () => {
        const before = await store.latestChangeSeq();
        const subject = randomUUID();
        await appendChange(store, "user_blocked", subject, P - 1);
        const kept = await appendChange(store, "user_unblocked", subject, P);
        const expired = newSession({ expiresAtMs: P - 1 });
        const expiringAtCutoff = newSession({ expiresAtMs: P });
        const revokedButUnexpired = newSession({
          expiresAtMs: P + 1,
          revokedAtMs: P - 100,
          revokedReason: "revoked",
        });
        for (const session of [expired, expiringAtCutoff, revokedButUnexpired]) {
          await store.createSession(session);
        }

        await store.prune(allBefore(P));
        expect((await changesFor(before, subject)).map((event) => event.seq)).toEqual([kept]);
        expect(await store.getSession(expired.id)).toBeUndefined();
        expect(await store.getSession(expiringAtCutoff.id)).toEqual(expiringAtCutoff);
        expect(await store.getSession(revokedButUnexpired.id)).toEqual(revokedButUnexpired);
      });

      it("deletes failed-attempt counters whose last activity (attempt or end of lock) is before the cut-off", async () => {
        const lockFor = (n: number) => (n >= 2 ? 500 : 0);
        const quiet = `prune-quiet-${randomUUID()}`;
        const lockedPastCutoff = `prune-locked-${randomUUID()}`;
        const recent = `prune-recent-${randomUUID()}`;
        await reserveStoredAttempt(store, quiet, P - 10, 1000, lockFor);
        await reserveStoredAttempt(store, lockedPastCutoff, P - 300, 1000, lockFor);
        await reserveStoredAttempt(store, lockedPastCutoff, P - 200, 1000, lockFor); // locked to P + 300
        await reserveStoredAttempt(store, recent, P, 1000, lockFor);

        await store.prune(allBefore(P));
        expect(await lockoutOf(store, quiet)).toBeUndefined();
        expect(await lockoutOf(store, lockedPastCutoff)).toMatchObject({
          consecutiveFailures: 2,
          lockedUntilMs: P + 300,
        });
        expect(await lockoutOf(store, recent)).toMatchObject({ consecutiveFailures: 1 });
      });

      it("never hands out a pruned seq again", async () => {
        const pruned = await appendChange(store, "keys_changed", randomUUID(), P - 500);
        await store.prune(allBefore(P - 499));
        const next = await appendChange(store, "keys_changed", randomUUID(), T0);
        expect(next).toBeGreaterThan(pruned);
        expect((await store.changesSince(pruned, 10)).map((event) => event.seq)).toContain(next);
      });
    });

    describe("keys", () => {
      it("happy flow: inserted keys are listed as they were stored", async () => {
        const active = newKey({ createdAtMs: T0 });
        const retired = newKey({
          createdAtMs: T0 - 1000,
          status: "retired",
          retiredAtMs: T0,
          expiresAtMs: T0 + 3_600_000,
        });
        await store.insertKey(active);
        await store.insertKey(retired);
        const listed = await store.listKeys();
        expect(listed).toContainEqual(active);
        expect(listed).toContainEqual(retired);
      });

      it("lists keys newest first", async () => {
        const oldest = newKey({ createdAtMs: T0 + 1 });
        const newest = newKey({ createdAtMs: T0 + 3 });
        const middle = newKey({ createdAtMs: T0 + 2 });
        for (const key of [oldest, newest, middle]) await store.insertKey(key);
        const ours = new Set([oldest.kid, newest.kid, middle.kid]);
        const order = (await store.listKeys()).map((key) => key.kid).filter((kid) => ours.has(kid));
        expect(order).toEqual([newest.kid, middle.kid, oldest.kid]);
      });

      it("error flow: duplicate kid is a conflict", async () => {
        const key = newKey();
        await store.insertKey(key);
        await expect(store.insertKey(newKey({ kid: key.kid }))).rejects.toBeInstanceOf(
          StoreConflictError,
        );
      });

      it("insertKey with retireOlder retires every older active key and leaves retired ones alone", async () => {
        // Newer than the keys of the other tests: a rotation retires all but the newest.
        const previous = newKey({ createdAtMs: T0 + 1_000_000 });
        const next = newKey({ createdAtMs: T0 + 1_000_001 });
        const longRetired = newKey({
          createdAtMs: T0 - 1000,
          status: "retired",
          retiredAtMs: T0 - 500,
          expiresAtMs: T0 - 100,
        });
        for (const key of [previous, longRetired]) await store.insertKey(key);

        await store.insertKey(next, undefined, { nowMs: T0 + 10, expiresAtMs: T0 + 86_400_000 });
        const byKid = new Map((await store.listKeys()).map((key) => [key.kid, key]));
        expect(byKid.get(previous.kid)).toEqual({
          ...previous,
          status: "retired",
          retiredAtMs: T0 + 10,
          expiresAtMs: T0 + 86_400_000,
        });
        expect(byKid.get(next.kid)).toEqual(next);
        expect(byKid.get(longRetired.kid)).toEqual(longRetired);
      });

      it("insertKey with retireOlder leaves newer keys active, so concurrent rotations keep the newest", async () => {
        const older = newKey({ createdAtMs: T0 + 2_000_100 });
        const newer = newKey({ createdAtMs: T0 + 2_000_200 });
        // Two rotations racing, the one with the older key committing last.
        const retire = { nowMs: T0 + 300, expiresAtMs: T0 + 86_400_000 };
        await store.insertKey(newer, undefined, retire);
        await store.insertKey(older, undefined, retire);
        const byKid = new Map((await store.listKeys()).map((key) => [key.kid, key]));
        expect(byKid.get(newer.kid)?.status).toBe("active");
        expect(byKid.get(older.kid)?.status).toBe("retired");
      });
    });

    describe("resource servers", () => {
      it("creates, reads, lists by id, updates and deletes a resource server", async () => {
        const id = `rs-${randomUUID()}`;
        expect(await store.getResourceServer(id)).toBeUndefined();
        await store.createResourceServer({
          id,
          name: "Orders",
          scopes: ["read", "write"],
          createdAtMs: T0,
        });
        expect(await store.getResourceServer(id)).toEqual({
          id,
          name: "Orders",
          scopes: ["read", "write"],
          createdAtMs: T0,
        });
        const other = `${id}-b`;
        await store.createResourceServer({ id: other, name: "B", scopes: [], createdAtMs: T0 + 1 });
        const ids = (await store.listResourceServers()).map((r) => r.id);
        expect(ids.indexOf(id)).toBeLessThan(ids.indexOf(other));
        expect(await store.updateResourceServer(id, { name: "Orders v2", scopes: ["read"] })).toBe(
          true,
        );
        expect(await store.getResourceServer(id)).toMatchObject({
          name: "Orders v2",
          scopes: ["read"],
        });
        expect(await store.updateResourceServer(`nope-${id}`, { name: "x", scopes: [] })).toBe(
          false,
        );
        expect(await store.deleteResourceServer(id)).toBe(true);
        expect(await store.deleteResourceServer(id)).toBe(false);
        expect(await store.getResourceServer(id)).toBeUndefined();
      });

      it("error flow: a duplicate resource server id is a conflict", async () => {
        const id = `rs-${randomUUID()}`;
        await store.createResourceServer({ id, name: "A", scopes: [], createdAtMs: T0 });
        await expect(
          store.createResourceServer({ id, name: "B", scopes: [], createdAtMs: T0 }),
        ).rejects.toBeInstanceOf(StoreConflictError);
      });
    });

    describe("failed sign-ins", () => {
      const RESET_AFTER_MS = 15 * 60_000;
      const neverLock = (): number => 0;
      const attempt = async (
        username: string,
        nowMs: number,
        resetAfterMs: number,
        lockFor: (count: number) => number,
      ) => (await reserveStoredAttempt(store, username, nowMs, resetAfterMs, lockFor)).record;

      it("refuses an attempt while locked, without counting it or asking lockFor", async () => {
        const username = `u-${randomUUID()}`;
        await attempt(username, T0, RESET_AFTER_MS, () => 5000);
        const lockFor = jest.fn(neverLock);
        const refused = await reserveStoredAttempt(
          store,
          username,
          T0 + 4999,
          RESET_AFTER_MS,
          lockFor,
        );
        expect(refused).toEqual({
          allowed: false,
          record: {
            username,
            consecutiveFailures: 1,
            lastFailureAtMs: T0,
            lockedUntilMs: T0 + 5000,
          },
        });
        expect(lockFor).not.toHaveBeenCalled();
        const after = await reserveStoredAttempt(
          store,
          username,
          T0 + 5000,
          RESET_AFTER_MS,
          neverLock,
        );
        expect(after.allowed).toBe(true);
        expect(after.record.consecutiveFailures).toBe(2);
      });

      it("measures the quiet period from the end of the lock, not from the last attempt", async () => {
        const username = `u-${randomUUID()}`;
        await attempt(username, T0, RESET_AFTER_MS, () => RESET_AFTER_MS);
        // The lock ends at T0 + RESET_AFTER_MS; 1 ms later the count must continue.
        const next = await attempt(username, T0 + RESET_AFTER_MS + 1, RESET_AFTER_MS, neverLock);
        expect(next.consecutiveFailures).toBe(2);
      });

      it("counts every one of many concurrent attempts", async () => {
        const username = `u-${randomUUID()}`;
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            reserveStoredAttempt(store, username, T0, RESET_AFTER_MS, neverLock),
          ),
        );
        expect(results.every((r) => r.allowed)).toBe(true);
        expect((await lockoutOf(store, username))?.consecutiveFailures).toBe(20);
      });

      it("updateLockout writes what the update returns, and leaves the row as it is on undefined", async () => {
        const username = `u-${randomUUID()}`;
        const seen: (LockoutRecord | undefined)[] = [];
        expect(
          await store.updateLockout(username, (previous) => {
            seen.push(previous);
            return undefined;
          }),
        ).toBeUndefined();
        const first = {
          username,
          consecutiveFailures: 7,
          lastFailureAtMs: T0,
          lockedUntilMs: T0 + 1,
        };
        expect(await store.updateLockout(username, () => first)).toEqual(first);
        expect(
          await store.updateLockout(username, (previous) => {
            seen.push(previous);
            return undefined;
          }),
        ).toEqual(first);
        expect(seen).toEqual([undefined, first]);
        expect(await lockoutOf(store, username)).toEqual(first);
      });

      it("returns undefined for a username without failures", async () => {
        expect(await lockoutOf(store, `nobody-${randomUUID()}`)).toBeUndefined();
      });

      it("records a first failure without a lock", async () => {
        const username = `u-${randomUUID()}`;
        const record = await attempt(username, T0, RESET_AFTER_MS, neverLock);
        expect(record).toEqual({
          username,
          consecutiveFailures: 1,
          lastFailureAtMs: T0,
          lockedUntilMs: T0,
        });
        expect(await lockoutOf(store, username)).toEqual(record);
      });

      it("counts consecutive failures and locks for lockFor(count) milliseconds", async () => {
        const username = `u-${randomUUID()}`;
        const lockFor = jest.fn((count: number) => (count >= 3 ? count * 1000 : 0));
        await attempt(username, T0, RESET_AFTER_MS, lockFor);
        await attempt(username, T0 + 10, RESET_AFTER_MS, lockFor);
        const third = await attempt(username, T0 + 20, RESET_AFTER_MS, lockFor);

        expect(lockFor.mock.calls).toEqual([[1], [2], [3]]);
        expect(third).toEqual({
          username,
          consecutiveFailures: 3,
          lastFailureAtMs: T0 + 20,
          lockedUntilMs: T0 + 20 + 3000,
        });
        expect(await lockoutOf(store, username)).toEqual(third);
      });

      it("restarts the count after a quiet period longer than resetAfterMs", async () => {
        const username = `u-${randomUUID()}`;
        await attempt(username, T0, RESET_AFTER_MS, neverLock);
        await attempt(username, T0 + 10, RESET_AFTER_MS, neverLock);
        const lockFor = jest.fn(neverLock);
        const record = await attempt(
          username,
          T0 + 10 + RESET_AFTER_MS + 1,
          RESET_AFTER_MS,
          lockFor,
        );
        expect(record.consecutiveFailures).toBe(1);
        expect(lockFor.mock.calls).toEqual([[1]]);
      });

      it("keeps counting after a quiet period of exactly resetAfterMs", async () => {
        const username = `u-${randomUUID()}`;
        await attempt(username, T0, RESET_AFTER_MS, neverLock);
        const record = await attempt(username, T0 + RESET_AFTER_MS, RESET_AFTER_MS, neverLock);
        expect(record.consecutiveFailures).toBe(2);
      });

      it("keeps a separate count per username", async () => {
        const alice = `alice-${randomUUID()}`;
        const bob = `bob-${randomUUID()}`;
        await attempt(alice, T0, RESET_AFTER_MS, neverLock);
        await attempt(alice, T0 + 1, RESET_AFTER_MS, neverLock);
        await attempt(bob, T0 + 2, RESET_AFTER_MS, neverLock);
        expect((await lockoutOf(store, alice))?.consecutiveFailures).toBe(2);
        expect((await lockoutOf(store, bob))?.consecutiveFailures).toBe(1);
      });

      it("clearing forgets the failures, and clearing an unknown username is a no-op", async () => {
        const username = `u-${randomUUID()}`;
        await attempt(username, T0, RESET_AFTER_MS, () => 60_000);
        await attempt(username, T0 + 1, RESET_AFTER_MS, () => 60_000);
        await store.clearFailedSignIns(username);
        expect(await lockoutOf(store, username)).toBeUndefined();
        await store.clearFailedSignIns(`nobody-${randomUUID()}`);

        const next = await attempt(username, T0 + 2, RESET_AFTER_MS, neverLock);
        expect(next.consecutiveFailures).toBe(1);
      });
    });
  });
}

/** A fixed "now": tests pass every time explicitly instead of reading the clock. */
const T0 = 1_700_000_000_000;

/** Code-point order (the stores' binary order), which JavaScript's default sort is not. */
function binaryOrder(a: string, b: string): number {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return Buffer.compare(x, y);
}

function newUser(overrides: Partial<UserRecord> = {}): UserRecord {
  const sub = overrides.sub ?? randomUUID();
  return {
    sub,
    username: `user-${randomUUID()}`,
    passwordHash: `password-hash-${sub}`,
    enabled: true,
    confirmed: true,
    passwordResetRequired: false,
    temporaryPasswordExpiresAtMs: null,
    srpVerifierSealed: null,
    attributes: { email: `${sub}@example.com`, email_verified: "true" },
    confirmationCodeHash: null,
    confirmationCodeExpiresAtMs: null,
    createdAtMs: T0,
    updatedAtMs: T0,
    ...overrides,
  };
}

function newClient(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: randomUUID(),
    name: "test client",
    secretHash: null,
    secretSealed: null,
    allowedScopes: ["openid", "email", "profile"],
    accessTokenValiditySeconds: 3600,
    idTokenValiditySeconds: 3600,
    refreshTokenValiditySeconds: 30 * 86_400,
    rotateRefreshTokens: false,
    refreshTokenReuseGraceSeconds: 60,
    authSessionValidityMinutes: 3,
    callbackUrls: [],
    logoutUrls: [],
    allowedOAuthFlows: [],
    enabled: true,
    createdAtMs: T0,
    ...overrides,
  };
}

function newSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    sub: randomUUID(),
    clientId: randomUUID(),
    scope: "openid email aws.cognito.signin.user.admin",
    authTimeSeconds: Math.floor(T0 / 1000),
    createdAtMs: T0,
    expiresAtMs: T0 + 30 * 86_400_000,
    refreshTokenHash: `refresh-hash-${randomUUID()}`,
    previousRefreshTokenHash: null,
    rotatedAtMs: null,
    revokedAtMs: null,
    revokedReason: null,
    ...overrides,
  };
}

function newKey(overrides: Partial<KeyRecord> = {}): KeyRecord {
  const kid = overrides.kid ?? randomUUID();
  return {
    kid,
    alg: "RS256",
    publicJwk: JSON.stringify({ kty: "RSA", kid, n: "test-modulus", e: "AQAB" }),
    privateJwkEncrypted: `not-a-real-jwe.${kid}`,
    createdAtMs: T0,
    status: "active",
    retiredAtMs: null,
    expiresAtMs: null,
    ...overrides,
  };
}

function newMfa(sub: string, overrides: Partial<MfaRecord> = {}): MfaRecord {
  return {
    sub,
    totpSecretSealed: null,
    pendingTotpSecretSealed: null,
    totpEnabled: false,
    emailEnabled: false,
    preferred: null,
    lastTotpStep: null,
    updatedAtMs: T0,
    ...overrides,
  };
}

function newCode(sub: string, overrides: Partial<CodeRecord> = {}): CodeRecord {
  return {
    sub,
    purpose: "forgot_password",
    codeHash: `code-hash-${randomUUID()}`,
    createdAtMs: T0,
    expiresAtMs: T0 + 3_600_000,
    ...overrides,
  };
}

/** An open challenge for a random sub (no user needed: the table has no foreign key). */
function newChallenge(overrides: Partial<ChallengeRecord> = {}): ChallengeRecord {
  return {
    id: randomUUID(),
    sub: randomUUID(),
    clientId: randomUUID(),
    challengeName: "SOFTWARE_TOKEN_MFA",
    requestedScopes: null,
    codeHash: null,
    context: {},
    wrongAnswers: 0,
    createdAtMs: T0,
    expiresAtMs: T0 + 180_000,
    spentAtMs: null,
    ...overrides,
  };
}
