/**
 * The prepared-operation path (src/graphql/prepared.ts): a query Apollo Server has answered
 * once runs again without Apollo's pipeline. Its answers must be Apollo's, byte for byte, and
 * everything it declines must reach Apollo: each case sends the same request twice and
 * compares the two answers, and the metrics tell which path answered the second.
 */
import {
  REFRESH,
  REVOKE,
  SIGN_IN,
  createClient,
  createUser,
  metricOf,
  signInAs,
  startGateway,
  type TestGateway,
  type Tokens,
} from "../harness";
import { createTestDatabase, type TestDatabase } from "../store/pg";
import { postRaw, type RawAnswer } from "../support/raw";
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy";

type Raw = RawAnswer;

function send(
  gw: TestGateway,
  body: string,
  headers: Record<string, string> = {},
  token?: string,
): Promise<Raw> {
  return postRaw(gw.url, body, {
    "content-type": "application/json",
    ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    ...headers,
  });
}

const served = (gw: TestGateway) => metricOf(gw, "poolgate_graphql_prepared_operations_total");

/** Sends a request twice; returns both answers and how many the prepared path served. */
async function twice(
  gw: TestGateway,
  body: Record<string, unknown> | string,
  headers: Record<string, string> = {},
  token?: string,
): Promise<{ first: Raw; second: Raw; prepared: number }> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const before = await served(gw);
  const first = await send(gw, text, headers, token);
  const second = await send(gw, text, headers, token);
  return { first, second, prepared: (await served(gw)) - before };
}

let gw: TestGateway;
let user: Tokens;
let admin: Tokens;
let adminName: string;

beforeAll(async () => {
  gw = await startGateway({ env: { POOLGATE_METRICS_OPERATION_NAMES: "CountMe" } });
  const client = await createClient(gw);
  const alice = await createUser(gw, {
    attributes: { email: "alice@example.com" },
    groups: ["staff", "beta"],
  });
  user = await signInAs(gw, client, alice, ["openid", "email"]);
  const root = await createUser(gw, { groups: ["admins"] });
  adminName = root.username;
  admin = await signInAs(gw, client, root, ["openid", "poolgate/admin"]);
});
afterAll(() => gw.close());

describe("the second answer to a query is Apollo's first, byte for byte", () => {
  const cases: Array<[string, () => Record<string, unknown>, Record<string, string>?]> = [
    ["me with groups", () => ({ query: "{ me { sub username email groups } }" })],
    [
      "fragments, aliases and __typename",
      () => ({
        query:
          "query Who { who: me { ...F __typename } } fragment F on User { id: sub name: username groups }",
        operationName: "Who",
      }),
    ],
    [
      "one of several operations, by name",
      () => ({
        query: "query A { me { sub } } query B { me { username email } }",
        operationName: "B",
      }),
    ],
    [
      "variables and @include",
      () => ({
        query: "query M($withEmail: Boolean!) { me { sub email @include(if: $withEmail) } }",
        variables: { withEmail: false },
      }),
    ],
    ["variables: null", () => ({ query: "{ me { username } }", variables: null })],
    ["no Accept header", () => ({ query: "query NoAccept { me { sub } }" }), {}],
    ["Accept: */*", () => ({ query: "query AnyAccept { me { sub } }" }), { accept: "*/*" }],
    [
      "Accept of Apollo Client (graphql-response+json first)",
      () => ({ query: "query ApolloClient { me { sub } }" }),
      { accept: "application/graphql-response+json,application/json;q=0.9" },
    ],
    [
      "content type with a charset",
      () => ({ query: "{ me { email } }" }),
      { "content-type": "application/json; charset=utf-8" },
    ],
  ];

  it.each(cases)("%s", async (_name, body, headers = {}) => {
    // The Accept header's content type is learned from the first answer of its kind.
    await send(
      gw,
      JSON.stringify({ query: "query Warm { me { sub } }" }),
      headers,
      user.accessToken,
    );
    const { first, second, prepared } = await twice(gw, body(), headers, user.accessToken);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text).errors).toBeUndefined();
    expect(second).toEqual(first);
    expect(prepared).toBe(1);
  });

  it("a null answer (no such user) is an answer like any other", async () => {
    const { first, second, prepared } = await twice(
      gw,
      { query: '{ adminGetUser(username: "nobody-at-all") { sub } }' },
      {},
      admin.accessToken,
    );
    expect(first.text).toBe('{"data":{"adminGetUser":null}}\n');
    expect(second).toEqual(first);
    expect(prepared).toBe(1);
  });

  it("an admin's query with variables", async () => {
    const { first, second, prepared } = await twice(
      gw,
      {
        query: "query G($u: String!) { adminGetUser(username: $u) { sub username groups } }",
        variables: { u: adminName },
      },
      {},
      admin.accessToken,
    );
    expect(JSON.parse(first.text).data.adminGetUser.username).toBe(adminName);
    expect(second).toEqual(first);
    expect(prepared).toBe(1);
  });

  it("counts each operation once, by name, type and outcome, on either path", async () => {
    const labels = '{operation="CountMe",type="query",outcome="success"}';
    const before = await metricOf(gw, "poolgate_graphql_operations_total", labels);
    const { prepared } = await twice(
      gw,
      { query: "query CountMe { me { sub } }" },
      {},
      user.accessToken,
    );
    expect(prepared).toBe(1);
    expect(await metricOf(gw, "poolgate_graphql_operations_total", labels)).toBe(before + 2);
  });
});

describe("what the prepared path declines, Apollo answers as before", () => {
  const declined: Array<[string, () => { body: unknown; token?: string }, number]> = [
    [
      "an anonymous caller's @authenticated field",
      () => ({ body: { query: "{ me { sub } }" } }),
      200,
    ],
    [
      "a field the caller lacks the scope for",
      () => ({
        body: { query: '{ adminGetUser(username: "nobody") { sub } }' },
        token: user.accessToken,
      }),
      200,
    ],
    [
      "variables that do not coerce",
      () => ({
        body: {
          query: "query M($withEmail: Boolean!) { me { sub email @include(if: $withEmail) } }",
          variables: { withEmail: "yes" },
        },
        token: user.accessToken,
      }),
      400,
    ],
    [
      "an operation name the document lacks",
      () => ({
        body: { query: "query A { me { sub } }", operationName: "Nope" },
        token: user.accessToken,
      }),
      400,
    ],
    [
      "several operations and no name",
      () => ({
        body: { query: "query A { me { sub } } query B { me { email } }" },
        token: user.accessToken,
      }),
      400,
    ],
    [
      "extensions (persisted queries are off)",
      () => ({
        body: { query: "{ me { sub } }", extensions: { persistedQuery: { version: 1 } } },
        token: user.accessToken,
      }),
      200,
    ],
    [
      "a bad bearer token (the context fails before anything runs)",
      () => ({ body: { query: "mutation { globalSignOut }" }, token: "not-a-token" }),
      401,
    ],
  ];

  it.each(declined)("%s", async (_name, make, status) => {
    const { body, token } = make();
    // The request is first made prepared-eligible where it can be: Apollo has seen the query.
    const { first, second, prepared } = await twice(gw, body as Record<string, unknown>, {}, token);
    expect(first.status).toBe(status);
    expect(second).toEqual(first);
    expect(prepared).toBe(0);
  });
});

describe("attacks on the prepared path", () => {
  it("a revoked session replaying a prepared query is rejected", async () => {
    const client = await createClient(gw);
    const bob = await createUser(gw);
    const tokens = await signInAs(gw, client, bob);
    const query = JSON.stringify({ query: "query Bob { me { username } }" });
    const { second, prepared } = await twice(gw, query, {}, tokens.accessToken);
    expect(second.status).toBe(200);
    expect(prepared).toBe(1);
    const revoked = await gw.gql(REVOKE, {
      input: { clientId: client.clientId, token: tokens.refreshToken },
    });
    expect(revoked.body.errors).toBeUndefined();
    const after = await send(gw, query, {}, tokens.accessToken);
    expect(after.status).toBe(401);
    expect(JSON.parse(after.text).errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("a forged token on a prepared query is rejected before anything runs", async () => {
    const query = JSON.stringify({ query: "{ me { sub } }" });
    await send(gw, query, {}, user.accessToken);
    const [h, p] = user.accessToken.split(".");
    const forged = `${h}.${p}.${"A".repeat(342)}`;
    const before = await served(gw);
    const res = await send(gw, query, {}, forged);
    expect(res.status).toBe(401);
    expect(await served(gw)).toBe(before);
  });

  it("a document that failed validation is never prepared", async () => {
    // Over the depth limit (default 10): validation fails every time.
    const tooDeep =
      "{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }";
    const { first, second, prepared } = await twice(gw, { query: tooDeep }, {}, user.accessToken);
    expect(first.status).toBe(400);
    expect(second).toEqual(first);
    expect(prepared).toBe(0);
    // A valid document is unaffected by its failed neighbour.
    const valid = { query: "query Shallow { me { sub __typename } }" };
    expect((await twice(gw, valid, {}, user.accessToken)).prepared).toBe(1);
  });

  it("a burst of odd Accept headers cannot push a real client off the path for good", async () => {
    const body = JSON.stringify({ query: "query Crowd { me { sub } }" });
    const headers = { accept: "application/json" };
    expect((await twice(gw, body, headers, user.accessToken)).prepared).toBe(1);
    for (let i = 0; i < 80; i++) {
      const odd = { accept: `application/json, text/x-odd-${i};q=0.1` };
      expect((await send(gw, body, odd, user.accessToken)).status).toBe(200);
    }
    // Evicted or not, the client's next answers are prepared again.
    const { second, prepared } = await twice(gw, body, headers, user.accessToken);
    expect(second.status).toBe(200);
    expect(prepared).toBeGreaterThanOrEqual(1);
  });

  it("flooding the path with large distinct documents stays within its size bound", async () => {
    // 40 valid documents of ~20 000 characters each (one long string literal): 800 000
    // characters, more than the 524 288 the path holds, far fewer than its 1000 documents.
    for (let i = 0; i < 40; i++) {
      const name = `${String(i).padStart(2, "0")}${"x".repeat(20_000)}`;
      const res = await send(
        gw,
        JSON.stringify({ query: `{ adminGetUser(username: "${name}") { sub } }` }),
        {},
        admin.accessToken,
      );
      expect(res.status).toBe(200);
    }
    const held = await metricOf(gw, "poolgate_graphql_prepared_documents");
    expect(held).toBeLessThan(30);
    // Small documents still find room.
    const small = { query: "query AfterFlood { me { sub } }" };
    expect((await twice(gw, small, {}, user.accessToken)).prepared).toBe(1);
  });

  it("a text/plain body (a CSRF-style simple request) is never prepared", async () => {
    const query = JSON.stringify({ query: "{ me { sub } }" });
    await send(gw, query, {}, user.accessToken);
    const before = await served(gw);
    const res = await send(gw, query, { "content-type": "text/plain" }, user.accessToken);
    expect(res.status).toBe(400);
    expect(await served(gw)).toBe(before);
  });
});

describe("turned off", () => {
  it("POOLGATE_PREPARED_OPERATIONS=false answers every request through Apollo, identically", async () => {
    const off = await startGateway({ env: { POOLGATE_PREPARED_OPERATIONS: "false" } });
    try {
      const client = await createClient(off);
      const carol = await createUser(off, { groups: ["staff"] });
      const tokens = await signInAs(off, client, carol);
      const body = { query: "{ me { username groups } }" };
      const { first, second, prepared } = await twice(off, body, {}, tokens.accessToken);
      expect(second).toEqual(first);
      expect(prepared).toBe(0);
      expect(await metricOf(off, "poolgate_graphql_prepared_documents")).toBe(0);
      expect(JSON.parse(first.text).data.me).toEqual({
        username: carol.username,
        groups: ["staff"],
      });
    } finally {
      await off.close();
    }
  });
});

describe("a prepared query the store fails is answered as Apollo answers it", () => {
  let db: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let pgw: TestGateway | undefined;

  afterAll(async () => {
    await pgw?.close();
    await proxy?.close();
    await db?.drop();
  });

  it("the store goes away: SERVICE_UNAVAILABLE, the same bytes as Apollo's", async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(db.url).port || 5432) });
    pgw = await startGateway({ env: { POOLGATE_DATABASE_URL: proxy.rewrite(db.url) } });
    const client = await createClient(pgw);
    const root = await createUser(pgw, { groups: ["admins"] });
    const tokens = await signInAs(pgw, client, root, ["openid", "poolgate/admin"]);
    const query = `{ adminGetUser(username: "${root.username}") { username } }`;
    const up = await twice(pgw, { query }, {}, tokens.accessToken);
    expect(up.prepared).toBe(1);
    expect(JSON.parse(up.second.text).data.adminGetUser.username).toBe(root.username);

    proxy.cut();
    try {
      const before = await served(pgw);
      const prepared = await send(pgw, JSON.stringify({ query }), {}, tokens.accessToken);
      expect(await served(pgw)).toBe(before + 1);
      // The same operation in a text Apollo has never seen (a trailing space keeps every
      // location): Apollo's own answer, to compare with.
      const apollo = await send(
        pgw,
        JSON.stringify({ query: `${query} ` }),
        {},
        tokens.accessToken,
      );
      expect(await served(pgw)).toBe(before + 1);
      expect(prepared).toEqual(apollo);
      // A nullable field: the rest of the answer stands (503 is for an answer with no data).
      expect(prepared.status).toBe(200);
      const answer = JSON.parse(prepared.text);
      expect(answer.data).toEqual({ adminGetUser: null });
      expect(answer.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(
        ["SERVICE_UNAVAILABLE"],
      );
      // Each counted once, with the outcome the caller was told.
      expect(
        await metricOf(
          pgw,
          "poolgate_graphql_operations_total",
          '{operation="__anonymous",type="query",outcome="SERVICE_UNAVAILABLE"}',
        ),
      ).toBe(2);

      // No data at all: 503, on both paths.
      const me = "{ me { sub email } }";
      const meFirst = await send(pgw, JSON.stringify({ query: me }), {}, tokens.accessToken);
      const mePrepared = await send(pgw, JSON.stringify({ query: me }), {}, tokens.accessToken);
      const meApollo = await send(pgw, JSON.stringify({ query: `${me} ` }), {}, tokens.accessToken);
      expect(mePrepared).toEqual(meApollo);
      expect([meFirst.status, mePrepared.status]).toEqual([mePrepared.status, meApollo.status]);
    } finally {
      proxy.restore();
    }
  });
});

describe("mutations on the prepared path", () => {
  let client: { clientId: string; clientSecret: string | undefined };
  let svc: { clientId: string; clientSecret: string | undefined };

  beforeAll(async () => {
    client = await createClient(gw);
    await gw.pool.resourceServers.create({ id: "orders", scopes: ["read"] }, Date.now());
    svc = await createClient(gw, { generateSecret: true, allowedScopes: ["orders/read"] });
  });

  /** A sign-in in a text of its own: the first one sent goes through Apollo. */
  const signIn = (name: string, username: string, password: string) => ({
    query: SIGN_IN.replace("mutation SignIn", `mutation ${name}`),
    variables: { input: { clientId: client.clientId, username, password } },
  });

  it("a refused sign-in: the same error, the same bytes", async () => {
    const dave = await createUser(gw);
    const { first, second, prepared } = await twice(
      gw,
      signIn("Refused", dave.username, "Wrong-passw0rd!"),
    );
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text).errors[0].extensions.code).toBe("NOT_AUTHORIZED");
    expect(second).toEqual(first);
    expect(prepared).toBe(1);
  });

  it("a sign-in: the same headers and shape, fresh tokens that work", async () => {
    const erin = await createUser(gw);
    const { first, second, prepared } = await twice(
      gw,
      signIn("Erin", erin.username, erin.password),
    );
    expect(prepared).toBe(1);
    expect(second.status).toBe(first.status);
    expect(second.headers).toEqual(first.headers);
    const a = JSON.parse(first.text).data.signIn;
    const b = JSON.parse(second.text).data.signIn;
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b.accessToken).not.toBe(a.accessToken);
    const me = await gw.gql("{ me { username } }", {}, b.accessToken);
    expect(me.body.data?.["me"]).toEqual({ username: erin.username });
  });

  it("a refresh with a token of no session: the same error, the same bytes", async () => {
    const { first, second, prepared } = await twice(gw, {
      query: REFRESH,
      variables: { input: { clientId: client.clientId, refreshToken: "a.b.c.d.e" } },
    });
    expect(JSON.parse(first.text).errors[0].extensions.code).toBe("INVALID_REFRESH_TOKEN");
    expect(second).toEqual(first);
    expect(prepared).toBe(1);
  });

  it("client credentials with a wrong secret: the same error, the same bytes", async () => {
    const { first, second, prepared } = await twice(gw, {
      query: "mutation C($i: ClientCredentialsInput!) { clientCredentials(input: $i) { scope } }",
      variables: { i: { clientId: svc.clientId, clientSecret: "wrong" } },
    });
    expect(JSON.parse(first.text).errors[0].extensions.code).toBe("NOT_AUTHORIZED");
    expect(second).toEqual(first);
    expect(prepared).toBe(1);
  });

  it("a denied mutation (no admin scope) is Apollo's to answer", async () => {
    const { first, second, prepared } = await twice(
      gw,
      { query: 'mutation { adminDisableUser(username: "nobody") }' },
      {},
      user.accessToken,
    );
    expect(JSON.parse(first.text).errors[0].extensions.code).toBe("FORBIDDEN");
    expect(second).toEqual(first);
    expect(prepared).toBe(0);
  });
});
