// Baseline (b): Apollo Server 5 + jose jwtVerify in the context function on every request —
// what most teams hand-roll. RS256 against an in-memory public key (no JWKS fetch), issuer
// and expiry checked; the user comes from memory.
"use strict";
const { serveChild } = require("../lib/child");
const { peer } = require("../lib/peers");
const { httpServerFor } = require("./apollo-http");
const { typeDefs, userFor } = require("./schema");

serveChild(async () => {
  const { ApolloServer } = peer("@apollo/server");
  const { GraphQLError } = peer("graphql");
  const { importJWK, jwtVerify } = peer("jose");
  const publicKey = await importJWK(JSON.parse(process.env.BENCH_PUBLIC_JWK), "RS256");
  const issuer = process.env.BENCH_ISSUER;
  const users = new Map();
  const apollo = new ApolloServer({
    typeDefs,
    resolvers: {
      Query: {
        me: (_p, _a, ctx) => {
          if (!ctx.claims) throw new GraphQLError("Unauthorized");
          let u = users.get(ctx.claims.sub);
          if (!u) users.set(ctx.claims.sub, (u = userFor(ctx.claims.sub, ctx.claims.username)));
          return u;
        },
      },
    },
    introspection: false,
  });
  await apollo.start();
  return httpServerFor(apollo, async (req) => {
    const header = req.headers.authorization;
    if (!header) return { claims: null };
    try {
      const { payload } = await jwtVerify(header.slice(7), publicKey, {
        issuer,
        algorithms: ["RS256"],
      });
      return { claims: payload };
    } catch {
      throw new GraphQLError("Unauthorized", {
        extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
      });
    }
  });
});
