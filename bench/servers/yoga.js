// Baseline (c): GraphQL Yoga + @graphql-yoga/plugin-jwt (jsonwebtoken, RS256, inline public
// key) + @envelop/generic-auth in protect-granular mode with the Federation-style
// @requiresScopes directive on `me` (scopes read from the token's `scope` claim).
"use strict";
const { createServer } = require("node:http");
const { serveChild } = require("../lib/child");
const { peer } = require("../lib/peers");
const { userFor } = require("./schema");

serveChild(async () => {
  const { createYoga, createSchema } = peer("graphql-yoga");
  const { useJWT, createInlineSigningKeyProvider, extractFromHeader } = peer(
    "@graphql-yoga/plugin-jwt",
  );
  const { useGenericAuth } = peer("@envelop/generic-auth");
  const typeDefs = /* GraphQL */ `
    directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE
    type Query {
      me: User @requiresScopes(scopes: [["aws.cognito.signin.user.admin"]])
    }
    type User {
      sub: ID!
      username: String!
      email: String
      groups: [String!]!
    }
  `;
  const users = new Map();
  const yoga = createYoga({
    schema: createSchema({
      typeDefs,
      resolvers: {
        Query: {
          me: (_p, _a, ctx) => {
            const { sub, username } = ctx.jwt.payload;
            let u = users.get(sub);
            if (!u) users.set(sub, (u = userFor(sub, username)));
            return u;
          },
        },
      },
    }),
    graphiql: false,
    logging: false,
    maskedErrors: true,
    landingPage: false,
    plugins: [
      useJWT({
        signingKeyProviders: [createInlineSigningKeyProvider(process.env.BENCH_PUBLIC_PEM)],
        tokenLookupLocations: [extractFromHeader({ name: "authorization", prefix: "Bearer" })],
        tokenVerification: { algorithms: ["RS256"], issuer: process.env.BENCH_ISSUER },
        reject: { missingToken: false, invalidToken: true },
      }),
      useGenericAuth({
        mode: "protect-granular",
        resolveUserFn: (ctx) => ctx.jwt?.payload ?? null,
        extractScopes: (user) => (user.scope ?? "").split(" "),
      }),
    ],
  });
  const server = createServer(yoga);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
});
