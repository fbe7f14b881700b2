/**
 * App clients' challenge-session lifetime (Cognito's AuthSessionValidity, DESIGN §11): set at
 * creation within 3–15 minutes, 3 by default, on a real SQLite file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { ClientService } from "../../src/identity/clients";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite";

const NOW = 1_800_000_000_000;

let dir: string;
let store: SqliteStore;
let clients: ClientService;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "poolgate-clients-"));
  store = openSqliteStore({ path: path.join(dir, "pool.db") });
  await store.migrate();
  clients = new ClientService(
    store,
    randomBytes(32),
    randomBytes(32),
    0,
    { markClientBlocked: () => {}, isClientBlocked: () => false },
    { assertKnown: async () => {} },
    () => NOW,
  );
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("ClientService.create: authSessionValidityMinutes", () => {
  it("defaults to Cognito's 3 minutes", async () => {
    const { client } = await clients.create({ name: "web" }, NOW);
    expect(client.authSessionValidityMinutes).toBe(3);
    expect((await store.getClient(client.clientId))?.authSessionValidityMinutes).toBe(3);
  });

  it("takes any whole number of minutes from 3 to 15", async () => {
    for (const minutes of [3, 7, 15]) {
      const { client } = await clients.create(
        { name: "web", authSessionValidityMinutes: minutes },
        NOW,
      );
      expect(client.authSessionValidityMinutes).toBe(minutes);
      expect((await store.getClient(client.clientId))?.authSessionValidityMinutes).toBe(minutes);
    }
  });

  it("error flow: outside 3–15 or not a whole number is BAD_USER_INPUT, and no client is created", async () => {
    for (const minutes of [2, 16, 0, -3, 5.5, Number.NaN]) {
      await expect(
        clients.create({ name: "web", authSessionValidityMinutes: minutes }, NOW),
      ).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    }
    expect(await store.listClients()).toEqual([]);
  });
});
