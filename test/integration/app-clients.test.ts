/**
 * App clients through the admin GraphQL API (DESIGN §13): adminAppClients, adminAppClient,
 * adminCreateAppClient and adminUpdateAppClient, over real HTTP against a gateway on a real
 * SQLite file. Only a caller with `poolgate/admin` may use them; a secret is shown once, in
 * the create result, and no field ever carries it or its hash afterwards.
 */
import {
  createClient,
  createUser,
  expectCode,
  frozenClock,
  signInAs,
  startGateway,
  type TestClock,
  type TestGateway,
} from "../harness";

const CLIENT_FIELDS = `clientId name confidential allowedOAuthScopes callbackUrls logoutUrls
  allowedOAuthFlows accessTokenValiditySeconds idTokenValiditySeconds refreshTokenValiditySeconds
  rotateRefreshTokens authSessionValidityMinutes enabled createdAt`;

const CREATE = `mutation ($input: AdminCreateAppClientInput!) {
  adminCreateAppClient(input: $input) { client { ${CLIENT_FIELDS} } clientSecret }
}`;
const UPDATE = `mutation ($input: AdminUpdateAppClientInput!) {
  adminUpdateAppClient(input: $input) { ${CLIENT_FIELDS} }
}`;
const GET = `query ($clientId: ID!) { adminAppClient(clientId: $clientId) { ${CLIENT_FIELDS} } }`;
const LIST = `{ adminAppClients { ${CLIENT_FIELDS} } }`;
const CLIENT_CREDENTIALS = `mutation ($input: ClientCredentialsInput!) {
  clientCredentials(input: $input) { accessToken scope }
}`;

describe("admin GraphQL: app clients", () => {
  let gw: TestGateway;
  let clock: TestClock;
  let adminToken: string;
  let userToken: string;

  beforeAll(async () => {
    clock = frozenClock(Date.UTC(2026, 11, 7, 12, 0, 0));
    gw = await startGateway({ clock });
    await gw.pool.resourceServers.create({ id: "orders", scopes: ["read"] }, clock.now());
    const adminConsole = await createClient(gw);
    const root = await createUser(gw, { groups: ["admins"] });
    const bob = await createUser(gw);
    adminToken = (await signInAs(gw, adminConsole, root, ["openid", "poolgate/admin"])).accessToken;
    userToken = (await signInAs(gw, adminConsole, bob, ["openid"])).accessToken;
  });
  afterAll(() => gw.close());

  async function create(input: Record<string, unknown>) {
    const res = await gw.gql(CREATE, { input }, adminToken);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!["adminCreateAppClient"] as {
      client: Record<string, any>;
      clientSecret: string | null;
    };
  }

  it("happy flow: creates a public code-flow client, shown by adminAppClient and adminAppClients", async () => {
    const { client, clientSecret } = await create({
      name: "spa",
      callbackUrls: ["https://app.example.com/callback", "http://localhost:5173/callback"],
      logoutUrls: ["https://app.example.com/"],
      allowedOAuthFlows: ["code"],
    });
    expect(clientSecret).toBeNull();
    expect(client).toEqual({
      clientId: expect.stringMatching(/^[a-z0-9]{26}$/),
      name: "spa",
      confidential: false,
      allowedOAuthScopes: ["openid", "email", "profile"],
      callbackUrls: ["https://app.example.com/callback", "http://localhost:5173/callback"],
      logoutUrls: ["https://app.example.com/"],
      allowedOAuthFlows: ["code"],
      accessTokenValiditySeconds: 3600,
      idTokenValiditySeconds: 3600,
      refreshTokenValiditySeconds: 30 * 86400,
      rotateRefreshTokens: false,
      authSessionValidityMinutes: 3,
      enabled: true,
      createdAt: "2026-12-07T12:00:00.000Z",
    });
    const got = await gw.gql(GET, { clientId: client["clientId"] }, adminToken);
    expect(got.body.data?.["adminAppClient"]).toEqual(client);
    const list = await gw.gql(LIST, {}, adminToken);
    expect(list.body.data?.["adminAppClients"]).toContainEqual(client);
  });

  it("adminAppClient is null for an unknown client id", async () => {
    const got = await gw.gql(GET, { clientId: "nosuchclient" }, adminToken);
    expect(got.body.errors).toBeUndefined();
    expect(got.body.data).toEqual({ adminAppClient: null });
  });

  it("happy flow: generateSecret returns the secret once; it works for client credentials and is never shown again", async () => {
    const { client, clientSecret } = await create({
      name: "worker",
      generateSecret: true,
      allowedOAuthScopes: ["orders/read"],
      accessTokenValiditySeconds: 900,
    });
    expect(client).toMatchObject({
      confidential: true,
      allowedOAuthFlows: ["client_credentials"],
      allowedOAuthScopes: ["orders/read"],
      accessTokenValiditySeconds: 900,
    });
    expect(typeof clientSecret).toBe("string");
    const grant = await gw.gql(CLIENT_CREDENTIALS, {
      input: { clientId: client["clientId"], clientSecret },
    });
    expect(grant.body.data?.["clientCredentials"]?.scope).toBe("orders/read");

    const list = await gw.gql(LIST, {}, adminToken);
    const got = await gw.gql(GET, { clientId: client["clientId"] }, adminToken);
    for (const res of [list, got]) expect(JSON.stringify(res.body)).not.toContain(clientSecret);
    const type = await gw.gql(`{ __type(name: "AppClient") { fields { name } } }`, {}, adminToken);
    const fields = (type.body.data?.["__type"]?.fields as { name: string }[]).map((f) => f.name);
    expect(fields).toContain("confidential");
    expect(fields.filter((f) => /secret|hash|sealed/i.test(f))).toEqual([]);
  });

  it("happy flow: adminUpdateAppClient replaces each list given and keeps the others", async () => {
    const { client } = await create({
      name: "web",
      callbackUrls: ["https://a.example/cb"],
      logoutUrls: ["https://a.example/"],
      allowedOAuthFlows: ["code"],
    });
    const res = await gw.gql(
      UPDATE,
      {
        input: {
          clientId: client["clientId"],
          callbackUrls: ["https://b.example/cb", "com.example.app:/cb"],
          allowedOAuthFlows: ["code", "implicit"],
          allowedOAuthScopes: ["openid", "orders/read"],
          logoutUrls: null,
        },
      },
      adminToken,
    );
    expect(res.body.errors).toBeUndefined();
    const updated = res.body.data?.["adminUpdateAppClient"];
    expect(updated).toMatchObject({
      clientId: client["clientId"],
      callbackUrls: ["https://b.example/cb", "com.example.app:/cb"],
      logoutUrls: ["https://a.example/"],
      allowedOAuthFlows: ["code", "implicit"],
      allowedOAuthScopes: ["openid", "orders/read"],
    });
    const got = await gw.gql(GET, { clientId: client["clientId"] }, adminToken);
    expect(got.body.data?.["adminAppClient"]).toEqual(updated);
  });

  it.each([
    [
      "a javascript: callback URL (script injection through the redirect)",
      { callbackUrls: ["javascript:alert(document.cookie)"], allowedOAuthFlows: ["code"] },
    ],
    [
      "a data: sign-out URL (a page of the attacker's making)",
      { logoutUrls: ["data:text/html,hi"] },
    ],
    [
      "an http: callback URL to a remote host (the code crosses the network in clear)",
      { callbackUrls: ["http://app.example.com/cb"] },
    ],
    [
      "a callback URL with a fragment (codes and tokens leak through it)",
      { callbackUrls: ["https://app.example.com/cb#x"] },
    ],
    [
      "a callback URL with userinfo (reads as the good host, goes to the evil one)",
      { callbackUrls: ["https://app.example.com@evil.example/"] },
    ],
    ["the code flow without a callback URL", { allowedOAuthFlows: ["code"] }],
    ["client_credentials for a public client", { allowedOAuthFlows: ["client_credentials"] }],
  ])("error flow: adminCreateAppClient refuses %s with BAD_USER_INPUT", async (_what, input) => {
    const before = (await gw.pool.clients.list()).length;
    expectCode(
      await gw.gql(CREATE, { input: { name: "bad", ...input } }, adminToken),
      "BAD_USER_INPUT",
    );
    expect(await gw.pool.clients.list()).toHaveLength(before);
  });

  it("error flow: an OAuth flow outside the enum is refused before anything runs", async () => {
    const res = await gw.gql(
      CREATE,
      { input: { name: "bad", allowedOAuthFlows: ["password"] } },
      adminToken,
    );
    expect(res.body.errors?.length).toBeGreaterThan(0);
    expect(res.body.data ?? null).toBeNull();
  });

  it("error flow: adminUpdateAppClient refuses a bad URL or an unknown client with BAD_USER_INPUT, and changes nothing", async () => {
    const { client } = await create({ name: "web2", callbackUrls: ["https://a.example/cb"] });
    expectCode(
      await gw.gql(
        UPDATE,
        { input: { clientId: client["clientId"], callbackUrls: ["javascript:alert(1)"] } },
        adminToken,
      ),
      "BAD_USER_INPUT",
    );
    expectCode(
      await gw.gql(UPDATE, { input: { clientId: "nosuchclient", logoutUrls: [] } }, adminToken),
      "BAD_USER_INPUT",
    );
    const got = await gw.gql(GET, { clientId: client["clientId"] }, adminToken);
    expect(got.body.data?.["adminAppClient"]).toEqual(client);
  });

  describe("attack: a caller without poolgate/admin", () => {
    const attempts: [string, string, Record<string, unknown>][] = [
      ["adminAppClients", LIST, {}],
      ["adminAppClient", GET, { clientId: "nosuchclient" }],
      [
        "adminCreateAppClient",
        CREATE,
        {
          input: {
            name: "evil",
            generateSecret: true,
            allowedOAuthScopes: ["poolgate/admin"],
          },
        },
      ],
      [
        "adminUpdateAppClient",
        UPDATE,
        { input: { clientId: "nosuchclient", callbackUrls: ["https://evil.example/cb"] } },
      ],
    ];

    it.each(attempts)(
      "gets no %s: FORBIDDEN for a user's token, UNAUTHENTICATED for none",
      async (_field, query, variables) => {
        const before = await gw.pool.clients.list();
        expectCode(await gw.gql(query, variables, userToken), "FORBIDDEN");
        expectCode(await gw.gql(query, variables), "UNAUTHENTICATED");
        expect(await gw.pool.clients.list()).toEqual(before);
      },
    );

    it("cannot redirect an existing client's sign-ins to its own URL", async () => {
      const { client } = await create({
        name: "victim",
        callbackUrls: ["https://app.example.com/cb"],
        allowedOAuthFlows: ["code"],
      });
      const res = await gw.gql(
        UPDATE,
        { input: { clientId: client["clientId"], callbackUrls: ["https://evil.example/cb"] } },
        userToken,
      );
      expectCode(res, "FORBIDDEN");
      expect((await gw.pool.clients.get(client["clientId"]))?.callbackUrls).toEqual([
        "https://app.example.com/cb",
      ]);
    });
  });
});
