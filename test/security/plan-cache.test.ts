/**
 * Issue 12 #1: the directive plan cache must never let one request's operation name decide
 * another's. An `"operationName": ""` (or any name that resolves to no operation) used to
 * cache an empty plan under the same key as "no name", so the same query sent again without a
 * name ran with no directive check: anonymous admin. Every case runs in filter and reject mode,
 * with the prepared-operation path on and off, and over the real HTTP API.
 */
import { execute, parse } from "graphql";
import { buildGatewaySchema } from "../../src/graphql/apollo";
import { buildContext } from "../../src/graphql/context";
import { createLogger } from "../../src/log";
import {
  claimsOf,
  createClient,
  createUser,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

const ADMIN_GET = '{ adminGetUser(username: "alice") { email } }';
const ADMIN_CREATE = `mutation { adminCreateUser(input: {
  username: "mallory", password: "Correct-h0rse!", groups: ["admins"]
}) { sub } }`;

async function post(
  gw: TestGateway,
  body: Record<string, unknown>,
  token?: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const MODES: Array<{ mode: "filter" | "reject"; prepared: boolean }> = [
  { mode: "filter", prepared: true },
  { mode: "filter", prepared: false },
  { mode: "reject", prepared: true },
  { mode: "reject", prepared: false },
];

describe.each(MODES)("plan cache (mode $mode, prepared path $prepared)", ({ mode, prepared }) => {
  let gw: TestGateway;
  let userToken: string;
  beforeAll(async () => {
    gw = await startGateway({
      env: {
        POOLGATE_AUTHORIZATION_MODE: mode,
        POOLGATE_PREPARED_OPERATIONS: String(prepared),
      },
    });
    const client = await createClient(gw);
    await createUser(gw, { username: "alice", attributes: { email: "alice@example.com" } });
    const bob = await createUser(gw);
    userToken = (await signInAs(gw, client, bob, ["openid"])).accessToken;
  });
  afterAll(async () => {
    await gw.close();
  });

  /** Nothing of alice's may come back, and the answer must be a denial. */
  function expectDenied(res: { status: number; body: any }): void {
    expect(JSON.stringify(res.body)).not.toContain("alice@example.com");
    expect(res.body.data?.adminGetUser ?? null).toBeNull();
    expect(res.body.errors?.length).toBeGreaterThan(0);
  }

  test('attack: an operationName of "" poisons the plan cache so that an anonymous adminGetUser runs', async () => {
    const first = await post(gw, { query: ADMIN_GET, operationName: "" });
    expect(first.status).toBe(400);
    expect(first.body.errors[0].extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
    expect(JSON.stringify(first.body)).not.toContain("alice@example.com");
    for (let round = 0; round < 3; round++) {
      const anonymous = await post(gw, { query: ADMIN_GET });
      expectDenied(anonymous);
      expect(anonymous.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
      expectDenied(await post(gw, { query: ADMIN_GET, operationName: null }));
      const user = await post(gw, { query: ADMIN_GET }, userToken);
      expectDenied(user);
      expect(user.body.errors[0].extensions.code).toBe("FORBIDDEN");
    }
  });

  test.each(["Nope", "   ", "adminGetUser"])(
    "attack: an unknown operationName %j is refused as Apollo refuses it, and poisons nothing",
    async (name) => {
      // Its own query text: a document no earlier test has planned.
      const query = `${ADMIN_GET} # ${name}`;
      const first = await post(gw, { query, operationName: name });
      expect(first.status).toBe(400);
      expect(first.body.errors[0]).toMatchObject({
        message: `Unknown operation named "${name}".`,
        extensions: { code: "OPERATION_RESOLUTION_FAILURE" },
      });
      expectDenied(await post(gw, { query }));
    },
  );

  test('attack: a poisoned plan lets an anonymous adminCreateUser put a new user in "admins"', async () => {
    await post(gw, { query: ADMIN_CREATE, operationName: "" });
    const anonymous = await post(gw, { query: ADMIN_CREATE });
    expect(anonymous.body.data?.adminCreateUser ?? null).toBeNull();
    expect(anonymous.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(await gw.pool.users.find("mallory")).toBeUndefined();
  });

  test("attack: a document of several operations and an unknown or empty name never runs unchecked", async () => {
    const query = `query A { adminGetUser(username: "alice") { email } } query B { __typename }`;
    for (const operationName of ["", "Nope", undefined, null]) {
      const res = await post(gw, { query, operationName });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
    }
    expectDenied(await post(gw, { query, operationName: "A" }));
    expect((await post(gw, { query, operationName: "B" })).body.data).toEqual({
      __typename: "Query",
    });
  });

  test("happy flow: an admin still runs the admin query, named or not, after the same attempts", async () => {
    const client = await createClient(gw);
    const root = await createUser(gw, { groups: ["admins"] });
    const admin = await signInAs(gw, client, root, ["openid", "poolgate/admin"]);
    expect(claimsOf(admin.accessToken)["scope"]).toContain("poolgate/admin");
    await post(gw, { query: ADMIN_GET, operationName: "" }, admin.accessToken);
    for (const operationName of [undefined, null]) {
      const res = await post(gw, { query: ADMIN_GET, operationName }, admin.accessToken);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual({ adminGetUser: { email: "alice@example.com" } });
    }
  });
});

/**
 * Defence in depth: the admin resolvers do not rest on the directives being right. The
 * gateway's own schema, executed by graphql-js with no directives plugin at all (what a
 * poisoned or skipped plan amounts to), still refuses every admin field to a caller without
 * `poolgate/admin`, because the identity service checks the caller's scopes itself.
 */
describe("admin operations without the directives plugin", () => {
  let gw: TestGateway;
  let userToken: string;
  let adminToken: string;
  beforeAll(async () => {
    gw = await startGateway();
    const client = await createClient(gw);
    await createUser(gw, { username: "alice", attributes: { email: "alice@example.com" } });
    const bob = await createUser(gw);
    const root = await createUser(gw, { groups: ["admins"] });
    userToken = (await signInAs(gw, client, bob, ["openid"])).accessToken;
    adminToken = (await signInAs(gw, client, root, ["openid", "poolgate/admin"])).accessToken;
  });
  afterAll(async () => {
    await gw.close();
  });

  async function run(query: string, token: string | undefined) {
    const contextValue = await buildContext(
      gw.pool,
      token === undefined ? undefined : `Bearer ${token}`,
      "test-request",
      createLogger(gw.config),
    );
    return execute({ schema: buildGatewaySchema(), document: parse(query), contextValue });
  }

  const ATTEMPTS = [
    '{ adminGetUser(username: "alice") { email } }',
    "{ adminResourceServers { id } }",
    'mutation { adminCreateUser(input: { username: "mallory", password: "Correct-h0rse!", groups: ["admins"] }) { sub } }',
    'mutation { adminAddUserToGroup(username: "alice", group: "admins") }',
    'mutation { adminDisableUser(username: "alice") }',
    'mutation { adminDeleteUser(username: "alice") }',
    'mutation { adminSetUserPassword(username: "alice", password: "Other-h0rse!!", permanent: true) }',
    'mutation { adminUserGlobalSignOut(username: "alice") }',
    'mutation { adminCreateResourceServer(input: { id: "evil", scopes: ["x"] }) { id } }',
    "{ adminAppClients { clientId } }",
    '{ adminAppClient(clientId: "x") { clientId } }',
    'mutation { adminCreateAppClient(input: { name: "evil", generateSecret: true, allowedOAuthScopes: ["poolgate/admin"] }) { clientSecret } }',
    'mutation { adminUpdateAppClient(input: { clientId: "x", callbackUrls: ["https://evil.example/cb"] }) { clientId } }',
  ];

  test.each(ATTEMPTS)(
    "attack: with the directives bypassed, an anonymous caller or a user without poolgate/admin runs %s",
    async (query) => {
      for (const [token, code] of [
        [undefined, "UNAUTHENTICATED"],
        [userToken, "FORBIDDEN"],
      ] as const) {
        const result = await run(query, token);
        expect(JSON.stringify(result.data ?? null)).not.toContain("alice@example.com");
        // No Apollo here to format errors: the code is the identity service's own.
        expect((result.errors?.[0]?.originalError as { code?: string } | undefined)?.code).toBe(
          code,
        );
      }
      const alice = await gw.pool.users.find("alice");
      expect(alice).toMatchObject({ enabled: true });
      expect(await gw.pool.users.find("mallory")).toBeUndefined();
      expect((await gw.pool.clients.list()).map((c) => c.name)).not.toContain("evil");
      expect(await gw.pool.store.getGroupsForUsers([alice!.sub])).toEqual([[]]);
    },
  );

  test("happy flow: the same execution serves an admin", async () => {
    const result = await run('{ adminGetUser(username: "alice") { email } }', adminToken);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ adminGetUser: { email: "alice@example.com" } });
  });
});
