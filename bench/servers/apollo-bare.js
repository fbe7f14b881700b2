// Baseline (a): a bare Apollo Server 5 on node:http answering `me` from memory, no auth at
// all. The same HTTP plumbing as poolgate (node:http → executeHTTPGraphQLRequest), so the
// difference is what poolgate does per request, not the framework.
"use strict";
const { serveChild } = require("../lib/child");
const { peer } = require("../lib/peers");
const { httpServerFor } = require("./apollo-http");
const { typeDefs, userFor } = require("./schema");

serveChild(async () => {
  const { ApolloServer } = peer("@apollo/server");
  const user = userFor(process.env.BENCH_SUB, process.env.BENCH_USERNAME);
  const apollo = new ApolloServer({
    typeDefs,
    resolvers: { Query: { me: () => user } },
    introspection: false,
  });
  await apollo.start();
  return httpServerFor(apollo, async () => ({}));
});
