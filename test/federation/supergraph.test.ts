/**
 * The federation example end to end (issue 6, part 3), three services on loopback over real
 * HTTP: poolgate (in-process, real SQLite file), the `orders` subgraph and the supergraph
 * gateway (examples/, child processes; they `require("poolgate")`, i.e. dist/, so
 * `npm run build` must have run — `npm test` does).
 */
import { generateKeyPair, SignJWT } from "jose";
import {
  claimsOf,
  createClient,
  createUser,
  headerOf,
  REVOKE,
  signInAs,
  startGateway,
  type GqlResult,
  type TestGateway,
} from "../harness";
import { postJson, startService, type ServiceProcess } from "./support";

/** The orders subgraph caches introspection answers this long (the revocation window). */
const INTROSPECTION_TTL_SECONDS = 1;

let gw: TestGateway;
let orders: ServiceProcess;
let supergraph: ServiceProcess;
let webClient: { clientId: string; clientSecret: string | undefined };
let alice: { sub: string; username: string; password: string };
let bob: { sub: string; username: string; password: string };

const viaSupergraph = (query: string, token?: string, variables: Record<string, unknown> = {}) =>
  postJson(supergraph.url, { query, variables }, token);

const toOrders = (
  query: string,
  token?: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => postJson(orders.url, { query, variables }, token, headers);

function codes(res: GqlResult): Array<[string, string | undefined]> {
  return (res.body.errors ?? []).map((e) => [(e.path ?? []).join("."), e.extensions?.code]);
}

const ORDERS_OF = `query ($r: [_Any!]!) {
  _entities(representations: $r) { ... on User { orders { id item } } }
}`;

const PLACE = `mutation ($item: String!) { placeOrder(item: $item, quantity: 2) { id item } }`;

beforeAll(async () => {
  gw = await startGateway();
  const now = gw.pool.deps.now();
  await gw.pool.resourceServers.create({ id: "orders", scopes: ["read", "write"] }, now);
  webClient = await createClient(gw, {
    name: "web",
    allowedScopes: ["openid", "email", "profile", "orders/read", "orders/write"],
  });
  const service = await createClient(gw, { name: "orders-service", generateSecret: true });
  alice = await createUser(gw, { attributes: { email: "alice@example.com" } });
  bob = await createUser(gw, { attributes: { email: "bob@example.com" } });

  orders = await startService("orders", "examples/orders/index.js", {
    PORT: "0",
    POOLGATE_ISSUER: gw.config.issuer,
    POOLGATE_JWKS_URI: `${gw.url}/.well-known/jwks.json`,
    POOLGATE_CLIENT_IDS: webClient.clientId,
    POOLGATE_INTROSPECTION_ENDPOINT: `${gw.url}/oauth2/introspect`,
    POOLGATE_INTROSPECTION_CLIENT_ID: service.clientId,
    POOLGATE_INTROSPECTION_CLIENT_SECRET: service.clientSecret!,
    POOLGATE_INTROSPECTION_TTL_SECONDS: String(INTROSPECTION_TTL_SECONDS),
  });
  supergraph = await startService("supergraph", "examples/supergraph/index.js", {
    PORT: "0",
    POOLGATE_URL: `${gw.url}/graphql`,
    ORDERS_URL: orders.url,
  });
}, 60_000);

afterAll(async () => {
  await supergraph?.stop();
  await orders?.stop();
  await gw?.close();
});

describe("a supergraph over poolgate and orders", () => {
  it("happy flow: one query joins me (poolgate) and orders (orders subgraph), and an order's buyer resolves back through poolgate", async () => {
    const token = (await signInAs(gw, webClient, alice)).accessToken;
    const placed = await viaSupergraph(PLACE, token, { item: "book" });
    expect(placed.body.errors).toBeUndefined();

    const res = await viaSupergraph(
      `{ me { username email orders { item quantity buyer { sub username email } } } }`,
      token,
    );
    expect(res.body).toEqual({
      data: {
        me: {
          username: alice.username,
          email: "alice@example.com",
          orders: [
            {
              item: "book",
              quantity: 2,
              buyer: { sub: alice.sub, username: alice.username, email: "alice@example.com" },
            },
          ],
        },
      },
    });
  });

  it("error flow: without orders/read, orders is null with FORBIDDEN and the rest of me still resolves", async () => {
    const token = (await signInAs(gw, webClient, alice, ["openid", "email"])).accessToken;
    const res = await viaSupergraph(`{ me { username orders { item } } }`, token);
    expect(res.body.data).toEqual({ me: { username: alice.username, orders: null } });
    expect(codes(res)).toEqual([["me.orders", "FORBIDDEN"]]);
    // The same token straight at the subgraph: the subgraph itself enforces the directive.
    const direct = await toOrders(ORDERS_OF, token, {
      r: [{ __typename: "User", sub: alice.sub }],
    });
    expect(direct.body.data).toEqual({ _entities: [{ orders: null }] });
    expect(codes(direct)).toEqual([["_entities.0.orders", "FORBIDDEN"]]);
  });

  it("error flow: an anonymous caller gets neither me nor orders", async () => {
    const res = await viaSupergraph(`{ me { username orders { item } } }`);
    expect(res.body.data).toEqual({ me: null });
    expect(codes(res)).toEqual([["me", "UNAUTHENTICATED"]]);
  });
});

describe("the orders subgraph called directly (no trust in the network path)", () => {
  it("error flow: a bare x-user-id header is not identity: UNAUTHENTICATED, no orders", async () => {
    const res = await toOrders(
      ORDERS_OF,
      undefined,
      { r: [{ __typename: "User", sub: alice.sub }] },
      {
        "x-user-id": alice.sub,
        "x-forwarded-user": alice.username,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ _entities: [{ orders: null }] });
    expect(codes(res)).toEqual([["_entities.0.orders", "UNAUTHENTICATED"]]);
  });

  it.each<[string, (real: string) => Promise<string>]>([
    [
      "a token signed by another key under poolgate's kid",
      async (real) =>
        new SignJWT({ ...claimsOf(real), scope: "orders/read orders/write" })
          .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: headerOf(real)["kid"] })
          .sign((await generateKeyPair("RS256")).privateKey),
    ],
    [
      "a real token with its scope widened",
      async (real) => {
        const [h, , s] = real.split(".");
        const payload = Buffer.from(
          JSON.stringify({ ...claimsOf(real), scope: "orders/read orders/write" }),
        ).toString("base64url");
        return `${h}.${payload}.${s}`;
      },
    ],
    [
      "an unsigned token (alg none)",
      async (real) =>
        `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${real.split(".")[1]}.`,
    ],
    ["an ID token", async () => (await signInAs(gw, webClient, alice)).idToken],
  ])("error flow: %s is refused with HTTP 401 UNAUTHENTICATED", async (_what, forge) => {
    const real = (await signInAs(gw, webClient, alice, ["openid"])).accessToken;
    const res = await toOrders(ORDERS_OF, await forge(real), {
      r: [{ __typename: "User", sub: alice.sub }],
    });
    expect(res.status).toBe(401);
    expect(res.body.data).toBeUndefined();
    expect(codes(res)).toEqual([["", "UNAUTHENTICATED"]]);
  });

  it("error flow: a valid token cannot read another user's orders by naming their sub in a representation", async () => {
    const bobToken = (await signInAs(gw, webClient, bob)).accessToken;
    await toOrders(PLACE, bobToken, { item: "bob's secret" });
    const aliceToken = (await signInAs(gw, webClient, alice)).accessToken;
    const res = await toOrders(ORDERS_OF, aliceToken, {
      r: [{ __typename: "User", sub: bob.sub }],
    });
    expect(res.body.data).toEqual({ _entities: [{ orders: null }] });
    expect(codes(res)).toEqual([["_entities.0.orders", "FORBIDDEN"]]);
    expect(JSON.stringify(res.body)).not.toContain("bob's secret");
  });

  it("error flow: a revoked session is refused by the subgraph within its introspection cache time", async () => {
    const tokens = await signInAs(gw, webClient, alice);
    const representations = { r: [{ __typename: "User", sub: alice.sub }] };
    const before = await toOrders(ORDERS_OF, tokens.accessToken, representations);
    expect(before.status).toBe(200);
    expect(before.body.errors).toBeUndefined();

    const revoked = await gw.gql(REVOKE, {
      input: { clientId: webClient.clientId, token: tokens.refreshToken },
    });
    expect(revoked.body.data?.["revoke"]).toBe(true);
    const revokedAt = performance.now();
    expect((await gw.gql(`{ me { sub } }`, {}, tokens.accessToken)).status).toBe(401);

    // Bounded poll: the subgraph may serve its cached "active" answer for at most the TTL.
    const deadline = revokedAt + INTROSPECTION_TTL_SECONDS * 1000 + 1_000;
    let last: GqlResult;
    for (;;) {
      last = await toOrders(ORDERS_OF, tokens.accessToken, representations);
      if (last.status === 401 || performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(last.status).toBe(401);
    expect(codes(last)).toEqual([["", "UNAUTHENTICATED"]]);
    expect(performance.now() - revokedAt).toBeLessThanOrEqual(
      INTROSPECTION_TTL_SECONDS * 1000 + 1_000,
    );
    // And through the supergraph, of course.
    const res = await viaSupergraph(`{ me { username } }`, tokens.accessToken);
    expect(res.body.data).toEqual({ me: null });
    expect(codes(res).map(([, code]) => code)).toEqual(["UNAUTHENTICATED"]);
  });
});
