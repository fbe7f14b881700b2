/**
 * The library's authDirectives() on a subgraph built with @apollo/subgraph: fields reached
 * through `_entities` (as a supergraph gateway reaches them) are guarded by type-level and
 * field-level directives exactly like fields reached from Query, with the directives linked
 * from federation v2.5 (imported names and a renamed import).
 */
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse, type GraphQLFormattedError } from "graphql";
import { authDirectives, type AuthContext, type Principal } from "../../src/index";

const SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",
                    import: ["@key", "@authenticated", { name: "@requiresScopes", as: "@scopes" }])

type Query { product(id: ID!): Product }

type Product @key(fields: "id") {
  id: ID!
  name: String!
  "Field level."
  cost: Int @scopes(scopes: [["inventory/read"]])
  secret: Secret
}

"Type level."
type Secret @key(fields: "id") @authenticated {
  id: ID!
  code: String
}
`;

function setUp() {
  const spies = {
    productRef: jest.fn((ref: { id: string }) => ({ id: ref.id, name: `product ${ref.id}` })),
    secretRef: jest.fn((ref: { id: string }) => ({ id: ref.id })),
    cost: jest.fn(() => 42),
    code: jest.fn(() => "s3cret"),
  };
  const schema = buildSubgraphSchema([
    {
      typeDefs: parse(SDL),
      resolvers: {
        Query: { product: (_: unknown, { id }: { id: string }) => ({ id, name: `product ${id}` }) },
        Product: {
          __resolveReference: spies.productRef,
          cost: spies.cost,
          secret: (p: { id: string }) => ({ id: `s-${p.id}` }),
        },
        Secret: { __resolveReference: spies.secretRef, code: spies.code },
      },
    },
  ]);
  const server = new ApolloServer<AuthContext>({
    schema,
    plugins: [authDirectives(), ApolloServerPluginInlineTraceDisabled()],
  });
  return { server, spies };
}

function principal(...scopes: string[]): Principal {
  return {
    sub: "u1",
    username: "ann",
    clientId: "c1",
    scopes: new Set(scopes),
    groups: [],
    sessionId: "s1",
    authTimeSeconds: 0,
    expiresAtSeconds: 0,
    claims: {},
  };
}

async function run(
  server: ApolloServer<AuthContext>,
  who: Principal | null,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ data: unknown; errors: Array<[string, unknown]> }> {
  const res = await server.executeOperation(
    { query, variables },
    { contextValue: { principal: who } },
  );
  if (res.body.kind !== "single") throw new Error("expected a single result");
  const errors = (res.body.singleResult.errors ?? []).map((e: GraphQLFormattedError) => [
    (e.path ?? []).join("."),
    e.extensions?.["code"],
  ]) as Array<[string, unknown]>;
  return { data: res.body.singleResult.data, errors };
}

const ENTITIES = `query ($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Product { id name cost }
    ... on Secret { id code }
  }
}`;
const representations = [
  { __typename: "Product", id: "p1" },
  { __typename: "Secret", id: "s1" },
];

describe("authDirectives through _entities", () => {
  let h: ReturnType<typeof setUp>;
  beforeEach(async () => {
    h = setUp();
    await h.server.start();
  });
  afterEach(async () => {
    await h.server.stop();
  });

  it("error flow: an anonymous caller gets neither the field-level nor the type-level guarded data, and their resolvers never run", async () => {
    const { data, errors } = await run(h.server, null, ENTITIES, { r: representations });
    expect(data).toEqual({ _entities: [{ id: "p1", name: "product p1", cost: null }, {}] });
    expect(errors).toEqual([
      ["_entities.0.cost", "UNAUTHENTICATED"],
      ["_entities.1.... on Secret", "UNAUTHENTICATED"],
    ]);
    expect(h.spies.cost).not.toHaveBeenCalled();
    expect(h.spies.code).not.toHaveBeenCalled();
  });

  it("error flow: a signed-in caller without the scope gets the type-level data but not the scoped field (FORBIDDEN)", async () => {
    const { data, errors } = await run(h.server, principal(), ENTITIES, { r: representations });
    expect(data).toEqual({
      _entities: [
        { id: "p1", name: "product p1", cost: null },
        { id: "s1", code: "s3cret" },
      ],
    });
    expect(errors).toEqual([["_entities.0.cost", "FORBIDDEN"]]);
    expect(h.spies.cost).not.toHaveBeenCalled();
  });

  it("happy flow: with the scope (imported under another name) every field resolves, from Query and from _entities alike", async () => {
    const viaEntities = await run(h.server, principal("inventory/read"), ENTITIES, {
      r: representations,
    });
    expect(viaEntities.errors).toEqual([]);
    expect(viaEntities.data).toEqual({
      _entities: [
        { id: "p1", name: "product p1", cost: 42 },
        { id: "s1", code: "s3cret" },
      ],
    });
    const viaQuery = await run(
      h.server,
      principal(),
      `{ product(id: "p1") { cost secret { code } } }`,
      {},
    );
    expect(viaQuery.errors).toEqual([["product.cost", "FORBIDDEN"]]);
    expect(viaQuery.data).toEqual({ product: { cost: null, secret: { code: "s3cret" } } });
  });
});
