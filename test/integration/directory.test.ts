/**
 * `me` reads the user through an in-memory copy (src/identity/directory.ts). These tests pin
 * what keeps that copy honest: a change made here is seen on the next request, a change made
 * by another process arrives through the change feed, and a change made behind poolgate's
 * back is picked up once the copy is older than its freshness bound.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  createClient,
  createUser,
  frozenClock,
  ME,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

const ROOT = join(__dirname, "..", "..");

async function groupsOf(gw: TestGateway, token: string): Promise<string[]> {
  const res = await gw.gql(ME, {}, token);
  expect(res.body.errors).toBeUndefined();
  return res.body.data?.["me"]?.groups as string[];
}

function cli(gw: TestGateway, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "poolgate.js"), ...args],
      { env: gw.env, cwd: ROOT },
      (err) => resolve(err ? 1 : 0),
    );
  });
}

describe("the user directory behind me", () => {
  let gw: TestGateway;
  const clock = frozenClock();
  beforeAll(async () => {
    gw = await startGateway({ clock });
  });
  afterAll(() => gw.close());

  it("shows a group change made through this gateway on the very next request", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw, { groups: ["staff"] });
    const { accessToken } = await signInAs(gw, client, user);
    expect(await groupsOf(gw, accessToken)).toEqual(["staff"]);
    await gw.pool.users.addToGroup(user.username, "auditors");
    expect(await groupsOf(gw, accessToken)).toEqual(["auditors", "staff"]);
    await gw.pool.users.removeFromGroup(user.username, "staff");
    expect(await groupsOf(gw, accessToken)).toEqual(["auditors"]);
  });

  it("shows a group change made by another process (the CLI) within a bounded number of polls", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw);
    const { accessToken } = await signInAs(gw, client, user);
    expect(await groupsOf(gw, accessToken)).toEqual([]);
    expect(await cli(gw, ["users", "add-to-group", user.username, "ops"])).toBe(0);
    let seen = false;
    for (let i = 0; i < 40 && !seen; i++) {
      seen = (await groupsOf(gw, accessToken)).includes("ops");
      if (!seen) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe(true);
  });

  it("picks up a change made behind poolgate's back once the copy is older than its freshness bound", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw, { attributes: { email: "old@example.com" } });
    const { accessToken } = await signInAs(gw, client, user);
    const email = async () => (await gw.gql(ME, {}, accessToken)).body.data?.["me"]?.email;
    expect(await email()).toBe("old@example.com");

    // An operator edits the database directly: no change event is written.
    const db = new Database(gw.env["POOLGATE_DATABASE_URL"]!.slice("sqlite:".length));
    db.prepare("UPDATE users SET attributes = ? WHERE sub = ?").run(
      JSON.stringify({ email: "new@example.com" }),
      user.sub,
    );
    db.close();

    expect(await email()).toBe("old@example.com");
    clock.advance(30_001);
    expect(await email()).toBe("new@example.com");
  });
});
