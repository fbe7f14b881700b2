"use strict";
/**
 * orders: a plain Apollo Server 5 subgraph that trusts poolgate's tokens through the
 * library alone (`require("poolgate")`), as a service in another repository would.
 *
 * - createVerifier checks every bearer token against poolgate's JWKS (and, when an
 *   introspection client is configured, asks poolgate whether its session is still alive,
 *   caching the answer for a few seconds).
 * - createAuthContext turns the token into the same principal poolgate uses; nothing else
 *   establishes identity (an `x-user-id` header, a `sub` in a representation: both are just
 *   claims by whoever sent the request).
 * - authDirectives enforces @authenticated / @requiresScopes before execution.
 *
 * Run (after `npm run build`, from the repository root):
 *   POOLGATE_ISSUER=http://localhost:4000 node examples/orders/index.js
 * Settings (environment):
 *   PORT                          default 4001 (0: any free port)
 *   HOST                          default 127.0.0.1
 *   POOLGATE_ISSUER               required: poolgate's POOLGATE_ISSUER
 *   POOLGATE_JWKS_URI             default ${POOLGATE_ISSUER}/.well-known/jwks.json
 *   POOLGATE_CLIENT_IDS           comma-separated app clients whose tokens are accepted;
 *                                 unset: every client of the issuer
 *   POOLGATE_INTROSPECTION_CLIENT_ID, POOLGATE_INTROSPECTION_CLIENT_SECRET
 *                                 a confidential client of poolgate; unset: no revocation check
 *   POOLGATE_INTROSPECTION_ENDPOINT     default ${POOLGATE_ISSUER}/oauth2/introspect
 *   POOLGATE_INTROSPECTION_TTL_SECONDS  default 5
 * It logs one JSON line `{"msg":"listening","url":"http://…/"}` when it is ready.
 */
const { randomUUID } = require("node:crypto");
const { ApolloServer } = require("@apollo/server");
const { ApolloServerPluginInlineTraceDisabled } = require("@apollo/server/plugin/disabled");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { buildSubgraphSchema } = require("@apollo/subgraph");
const { GraphQLError, parse } = require("graphql");
const { authDirectives, createAuthContext, createVerifier } = require("poolgate");

const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.5"
      import: ["@key", "@authenticated", "@requiresScopes"]
    )

  type Query {
    "One of the caller's orders."
    order(id: ID!): Order @requiresScopes(scopes: [["orders/read"]])
  }

  type Mutation {
    "Places an order for the caller."
    placeOrder(item: String!, quantity: Int! = 1): Order!
      @requiresScopes(scopes: [["orders/write"]])
  }

  type Order {
    id: ID!
    item: String!
    quantity: Int!
    "poolgate resolves the rest of the buyer (username, email, …)."
    buyer: User!
  }

  "poolgate's user, extended with the orders this subgraph holds."
  type User @key(fields: "sub") {
    sub: ID!
    "Nullable: a caller without orders/read still gets the rest of the user (filter mode)."
    orders: [Order!] @requiresScopes(scopes: [["orders/read"]])
  }
`);

/** In memory: this is an example. */
const orders = new Map();

function forbidden(message) {
  return new GraphQLError(message, { extensions: { code: "FORBIDDEN" } });
}

const resolvers = {
  Query: {
    order(_parent, { id }, { principal }) {
      const order = orders.get(id);
      // Another buyer's order is indistinguishable from a missing one.
      return order && order.buyerSub === principal.sub ? order : null;
    },
  },
  Mutation: {
    placeOrder(_parent, { item, quantity }, { principal }) {
      if (principal.username === undefined) throw forbidden("Orders are placed by users");
      const order = { id: randomUUID(), item, quantity, buyerSub: principal.sub };
      orders.set(order.id, order);
      return order;
    },
  },
  Order: {
    buyer: (order) => ({ __typename: "User", sub: order.buyerSub }),
  },
  User: {
    // A representation is only a claim by whoever sent it: keep the sub, trust nothing else.
    __resolveReference: (reference) => ({ sub: reference.sub }),
    orders(user, _args, { principal }) {
      // The directive checked the scope; whose orders they are is this subgraph's rule,
      // decided from the verified principal, not from the representation.
      if (user.sub !== principal.sub) throw forbidden("Orders are visible only to their buyer");
      return [...orders.values()].filter((o) => o.buyerSub === user.sub);
    },
  },
};

function optional(name) {
  const value = process.env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function required(name) {
  const value = optional(name);
  if (value === undefined) {
    process.stderr.write(`orders: ${name} is required\n`);
    process.exit(1);
  }
  return value;
}

async function main() {
  const issuer = required("POOLGATE_ISSUER");
  const clientIds = optional("POOLGATE_CLIENT_IDS");
  const introspectionClientId = optional("POOLGATE_INTROSPECTION_CLIENT_ID");
  const endpoint = optional("POOLGATE_INTROSPECTION_ENDPOINT");
  const jwksUri = optional("POOLGATE_JWKS_URI");
  const verifier = createVerifier({
    issuer,
    ...(jwksUri ? { jwksUri } : {}),
    // null: every app client of this poolgate may call us (say so explicitly).
    clientIds: clientIds ? clientIds.split(",").map((s) => s.trim()) : null,
    introspection: introspectionClientId
      ? {
          clientId: introspectionClientId,
          clientSecret: required("POOLGATE_INTROSPECTION_CLIENT_SECRET"),
          cacheTtlSeconds: Number(optional("POOLGATE_INTROSPECTION_TTL_SECONDS") ?? 5),
          ...(endpoint ? { endpoint } : {}),
        }
      : null,
  });

  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    plugins: [authDirectives(), ApolloServerPluginInlineTraceDisabled()],
    csrfPrevention: true,
    introspection: false,
    includeStacktraceInErrorResponses: false,
  });
  const log = (fields) =>
    process.stdout.write(`${JSON.stringify({ service: "orders", ...fields })}\n`);
  const { url } = await startStandaloneServer(server, {
    listen: { port: Number(optional("PORT") ?? 4001), host: optional("HOST") ?? "127.0.0.1" },
    context: createAuthContext(verifier, {
      onReject: (reason) => log({ msg: "request refused", reason }),
    }),
  });
  log({ msg: "listening", url });
}

main().catch((err) => {
  process.stderr.write(`orders: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
