/**
 * App clients on a real SQLite file: the challenge-session lifetime (Cognito's
 * AuthSessionValidity, DESIGN §11: 3–15 minutes, 3 by default), and the OAuth settings of
 * DESIGN §13 (callback and sign-out URLs, allowed flows) at creation and through `update`.
 * The URL rules one by one are in test/unit/redirectUris.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { ClientService } from "../../src/identity/clients";
import type { ClientStore, OAuthFlow } from "../../src/store/store";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite";

const NOW = 1_800_000_000_000;

let dir: string;
let store: SqliteStore;
let clients: ClientService;
/** What the service told this instance's revocation state, in order. */
let marked: [string, boolean][];

function service(clientStore: ClientStore): ClientService {
  return new ClientService(
    clientStore,
    randomBytes(32),
    randomBytes(32),
    0,
    {
      markClientBlocked: (id, blocked) => void marked.push([id, blocked]),
      isClientBlocked: () => false,
    },
    { assertKnown: async () => {} },
    () => NOW,
  );
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "poolgate-clients-"));
  store = openSqliteStore({ path: path.join(dir, "pool.db") });
  await store.migrate();
  marked = [];
  clients = service(store);
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

describe("ClientService.create: OAuth settings", () => {
  it("defaults: no URLs; client_credentials for a client with a secret, no flow for a public one", async () => {
    const { client: spa } = await clients.create({ name: "spa" }, NOW);
    expect(spa).toMatchObject({ callbackUrls: [], logoutUrls: [], allowedOAuthFlows: [] });
    const { client: worker } = await clients.create({ name: "worker", generateSecret: true }, NOW);
    expect(worker.allowedOAuthFlows).toEqual(["client_credentials"]);
    expect((await store.getClient(worker.clientId))?.allowedOAuthFlows).toEqual([
      "client_credentials",
    ]);
  });

  it("happy flow: keeps the URLs as given, without duplicates, and the flows", async () => {
    const { client } = await clients.create(
      {
        name: "spa",
        callbackUrls: [
          "https://app.example.com/callback",
          "http://localhost:5173/callback",
          "com.example.app:/callback",
          "https://app.example.com/callback",
        ],
        logoutUrls: ["https://app.example.com/", "myapp://signed-out"],
        allowedOAuthFlows: ["code", "implicit", "code"],
      },
      NOW,
    );
    const expected = {
      callbackUrls: [
        "https://app.example.com/callback",
        "http://localhost:5173/callback",
        "com.example.app:/callback",
      ],
      logoutUrls: ["https://app.example.com/", "myapp://signed-out"],
      allowedOAuthFlows: ["code", "implicit"],
    };
    expect(client).toMatchObject(expected);
    expect(await store.getClient(client.clientId)).toMatchObject(expected);
  });

  it.each([
    [
      "a javascript: callback URL (script injection through the redirect)",
      { callbackUrls: ["javascript:alert(document.cookie)"] },
    ],
    [
      "a javascript: sign-out URL (script injection after sign-out)",
      { logoutUrls: ["javascript:alert(1)"] },
    ],
    [
      "a data: callback URL (a page of the attacker's making)",
      { callbackUrls: ["data:text/html,hi"] },
    ],
    ["a file: sign-out URL (a local file)", { logoutUrls: ["file:///etc/passwd"] }],
    ["a vbscript: callback URL (script injection)", { callbackUrls: ["vbscript:msgbox(1)"] }],
    [
      "http: to a remote host (the code crosses the network in clear)",
      { callbackUrls: ["http://app.example.com/cb"] },
    ],
    [
      "a fragment (codes and tokens leak through it)",
      { callbackUrls: ["https://app.example.com/cb#x"] },
    ],
    [
      "userinfo (a link that reads as the good host)",
      { logoutUrls: ["https://app.example.com@evil.example/"] },
    ],
    ["a relative URL", { callbackUrls: ["/callback"] }],
    [
      "a URL over 1024 characters",
      { callbackUrls: [`https://app.example.com/${"a".repeat(1001)}`] },
    ],
    [
      "more than 100 URLs",
      { logoutUrls: Array.from({ length: 101 }, (_, i) => `https://a.example/${i}`) },
    ],
    ["an unknown flow", { allowedOAuthFlows: ["password"] as unknown as OAuthFlow[] }],
    ["the code flow without a callback URL", { allowedOAuthFlows: ["code" as const] }],
    [
      "the implicit flow without a callback URL",
      { allowedOAuthFlows: ["implicit" as const], logoutUrls: ["https://a.example/"] },
    ],
    [
      "client_credentials for a public client (anyone could get its tokens)",
      { allowedOAuthFlows: ["client_credentials" as const] },
    ],
  ])("error flow: refuses %s with BAD_USER_INPUT, and creates nothing", async (_what, input) => {
    await expect(clients.create({ name: "bad", ...input }, NOW)).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(await store.listClients()).toEqual([]);
  });
});

describe("ClientService.update", () => {
  async function spa() {
    const { client } = await clients.create(
      {
        name: "spa",
        callbackUrls: ["https://app.example.com/callback"],
        logoutUrls: ["https://app.example.com/"],
        allowedOAuthFlows: ["code"],
        allowedScopes: ["openid"],
      },
      NOW,
    );
    return client;
  }

  it("happy flow: a list given replaces the client's list; the others stay", async () => {
    const client = await spa();
    const updated = await clients.update(
      client.clientId,
      { callbackUrls: ["https://app.example.com/new", "https://app.example.com/new"] },
      NOW,
    );
    expect(updated).toMatchObject({
      callbackUrls: ["https://app.example.com/new"],
      logoutUrls: ["https://app.example.com/"],
      allowedOAuthFlows: ["code"],
      allowedScopes: ["openid"],
    });
    expect(await store.getClient(client.clientId)).toMatchObject({
      callbackUrls: ["https://app.example.com/new"],
      logoutUrls: ["https://app.example.com/"],
    });
    const again = await clients.update(
      client.clientId,
      { allowedOAuthFlows: [], callbackUrls: [], allowedScopes: ["openid", "email"] },
      NOW,
    );
    expect(again).toMatchObject({
      callbackUrls: [],
      allowedOAuthFlows: [],
      allowedScopes: ["openid", "email"],
    });
  });

  it("the next authentication sees the change (the cached copy is dropped)", async () => {
    const client = await spa();
    expect((await clients.authenticate(client.clientId, null)).callbackUrls).toEqual([
      "https://app.example.com/callback",
    ]);
    await clients.update(client.clientId, { callbackUrls: ["https://app.example.com/b"] }, NOW);
    expect((await clients.authenticate(client.clientId, null)).callbackUrls).toEqual([
      "https://app.example.com/b",
    ]);
  });

  it("appends client_unblocked to the change feed, on which other instances drop their copy", async () => {
    const client = await spa();
    const before = await store.latestChangeSeq();
    await clients.update(client.clientId, { logoutUrls: [] }, NOW);
    expect((await store.changesSince(before, 10)).map((e) => [e.kind, e.subject])).toEqual([
      ["client_unblocked", client.clientId],
    ]);
  });

  it("never unblocks a disabled client: no event for it, and it stays disabled", async () => {
    const client = await spa();
    await clients.setEnabled(client.clientId, false, NOW);
    const before = await store.latestChangeSeq();
    await clients.update(client.clientId, { logoutUrls: [] }, NOW);
    expect(await store.changesSince(before, 10)).toEqual([]);
    expect((await store.getClient(client.clientId))?.enabled).toBe(false);
  });

  it("attack: a disable that lands between the update's read and its write stays in force on every instance", async () => {
    const client = await spa();
    // The store as seen by the updating instance, with another instance's disable committed
    // just before the update's own write.
    let raced = false;
    const racing: ClientStore = {
      createClient: (c) => store.createClient(c),
      getClient: (id) => store.getClient(id),
      listClients: () => store.listClients(),
      deleteClient: (id, change) => store.deleteClient(id, change),
      async updateClient(id, patch, change) {
        if (!raced) {
          raced = true;
          await store.updateClient(
            id,
            { enabled: false },
            { kind: "client_blocked", subject: id, atMs: NOW },
          );
        }
        return store.updateClient(id, patch, change);
      },
    };
    const before = await store.latestChangeSeq();
    await service(racing).update(client.clientId, { logoutUrls: [] }, NOW);
    const kinds = (await store.changesSince(before, 10)).map((e) => e.kind);
    expect(kinds.at(-1)).toBe("client_blocked");
    expect(marked).toEqual([[client.clientId, true]]);
    expect((await store.getClient(client.clientId))?.enabled).toBe(false);
  });

  it.each([
    ["clearing the callback URLs of a client allowed the code flow", { callbackUrls: [] }],
    [
      "a javascript: callback URL (script injection through the redirect)",
      { callbackUrls: ["javascript:alert(1)"] },
    ],
    ["an http: sign-out URL to a remote host", { logoutUrls: ["http://app.example.com/"] }],
    [
      "client_credentials for a public client",
      { allowedOAuthFlows: ["client_credentials" as const] },
    ],
    ["an invalid scope name", { allowedScopes: ["not a scope"] }],
    ["nothing to update", {}],
  ])("error flow: refuses %s with BAD_USER_INPUT, and changes nothing", async (_what, input) => {
    const client = await spa();
    const stored = await store.getClient(client.clientId);
    const before = await store.latestChangeSeq();
    await expect(clients.update(client.clientId, input, NOW)).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(await store.getClient(client.clientId)).toEqual(stored);
    expect(await store.latestChangeSeq()).toBe(before);
  });

  it("error flow: an unknown client is BAD_USER_INPUT", async () => {
    await expect(
      clients.update("nosuchclient", { callbackUrls: ["https://a.example/"] }, NOW),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  });
});
