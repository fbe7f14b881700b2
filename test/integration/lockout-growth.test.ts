/**
 * Lockout state for names no user has is bounded and never reaches the store (issue 12 #4),
 * while an unknown name still gets the answers and the lockout of a real one (DESIGN §7).
 * Real HTTP, real SQLite file (read back through a second, read-only connection).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { LockoutCounters } from "../../src/identity/lockout";
import { openStore } from "../../src/store/open";
import { lockoutOf } from "../store/lockouts";
import {
  codeOf,
  createClient,
  createUser,
  frozenClock,
  SIGN_IN,
  startGateway,
  type TestClock,
  type TestGateway,
} from "../harness";

const CONFIRM_SIGN_UP = `mutation ConfirmSignUp($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) }`;
const WRONG_PASSWORD = "Wrong-passw0rd!";

type Client = { clientId: string; clientSecret: string | undefined };

function madeUpName(): string {
  return `ghost-${randomBytes(6).toString("hex")}`;
}

function lockoutRows(gw: TestGateway): number {
  const db = new Database(join(gw.dir, "poolgate.db"), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM lockouts").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Runs `count` calls of `one`, `width` at a time. */
async function inBatches(count: number, width: number, one: (i: number) => Promise<unknown>) {
  for (let i = 0; i < count; i += width) {
    await Promise.all(Array.from({ length: Math.min(width, count - i) }, (_, j) => one(i + j)));
  }
}

describe("lockout counters of unknown names", () => {
  let gw: TestGateway;
  let clock: TestClock;
  let client: Client;

  beforeAll(async () => {
    clock = frozenClock();
    gw = await startGateway({ clock, env: { POOLGATE_SELF_SIGN_UP: "true" } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  const confirm = (username: string, code = "123456") =>
    gw.gql(CONFIRM_SIGN_UP, { input: { clientId: client.clientId, username, code } });
  const signIn = (username: string, password = WRONG_PASSWORD) =>
    gw.gql(SIGN_IN, { input: { clientId: client.clientId, username, password } });

  it("attack: 2 000 made-up usernames sent to confirmSignUp and signIn do not grow the lockout table", async () => {
    const before = lockoutRows(gw);
    const codes = new Set<string | undefined>();
    await inBatches(1_800, 20, async () => codes.add(codeOf(await confirm(madeUpName()))));
    await inBatches(200, 10, async () => codes.add(codeOf(await signIn(madeUpName()))));
    expect([...codes].sort()).toEqual(["CODE_MISMATCH", "NOT_AUTHORIZED"]);
    expect(lockoutRows(gw)).toBe(before);
    expect(gw.pool.deps.lockout.unknownNames).toBeGreaterThanOrEqual(2_000);

    // Their counters are gone once their count would have reset anyway (15 quiet minutes).
    clock.advance(15 * 60 * 1000 + 1);
    expect(gw.pool.deps.lockout.unknownNames).toBe(0);
  });

  it("keeps a real user's counter in the store, shared with every instance", async () => {
    const user = await createUser(gw);
    const before = lockoutRows(gw);
    expect(codeOf(await signIn(user.username))).toBe("NOT_AUTHORIZED");
    expect(lockoutRows(gw)).toBe(before + 1);
    expect(await lockoutOf(gw.pool.store, `signin:${user.username}`)).toMatchObject({
      consecutiveFailures: 1,
    });
  });

  it("stops username enumeration: an unknown name locks, doubles and resets like a known one, through signIn and confirmSignUp", async () => {
    const user = await createUser(gw);
    const sequence = async (
      attempt: (username: string) => Promise<string | undefined>,
      username: string,
    ) => {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 6; i++) codes.push(await attempt(username));
      clock.advance(1_000); // the 1 s lock after the fifth failure ends
      codes.push(await attempt(username)); // sixth failure: locked for 2 s
      clock.advance(1_000);
      codes.push(await attempt(username)); // still locked
      clock.advance(1_000 + 15 * 60 * 1000 + 1); // lock over, then 15 quiet minutes
      for (let i = 0; i < 5; i++) codes.push(await attempt(username)); // counted from 1 again
      return codes;
    };
    const bySignIn = async (u: string) => codeOf(await signIn(u));
    const byConfirm = async (u: string) => codeOf(await confirm(u));
    const known = await sequence(bySignIn, user.username);
    expect(known).toEqual([
      ...Array(5).fill("NOT_AUTHORIZED"),
      "TOO_MANY_FAILED_ATTEMPTS",
      "NOT_AUTHORIZED",
      "TOO_MANY_FAILED_ATTEMPTS",
      ...Array(5).fill("NOT_AUTHORIZED"),
    ]);
    expect(await sequence(bySignIn, madeUpName())).toEqual(known);
    const knownConfirm = await sequence(byConfirm, user.username);
    expect(knownConfirm).toEqual(known.map((c) => (c === "NOT_AUTHORIZED" ? "CODE_MISMATCH" : c)));
    expect(await sequence(byConfirm, madeUpName())).toEqual(knownConfirm);
  });
});

describe("LockoutCounters", () => {
  it("keeps at most the configured number of unknown names in memory, and none in the store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poolgate-lockout-"));
    const store = await openStore(`sqlite:${join(dir, "poolgate.db")}`);
    try {
      const counters = new LockoutCounters(store, () => 1_000_000, 100);
      for (let i = 0; i < 2_000; i++)
        await counters.reserve(`signin:${madeUpName()}`, false, 1_000_000, "x");
      expect(counters.unknownNames).toBe(100);
      const db = new Database(join(dir, "poolgate.db"), { readonly: true });
      expect((db.prepare("SELECT COUNT(*) AS n FROM lockouts").get() as { n: number }).n).toBe(0);
      db.close();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
