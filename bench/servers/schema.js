// The baselines' schema and data: the same `me` query as poolgate's, answered from memory.
"use strict";
const typeDefs = /* GraphQL */ `
  type Query {
    me: User
  }
  type User {
    sub: ID!
    username: String!
    email: String
    groups: [String!]!
  }
`;

/** What poolgate's store holds for the benchmarked user. */
function userFor(sub, username) {
  return { sub, username, email: `${username}@example.com`, groups: ["staff"] };
}

module.exports = { typeDefs, userFor };
