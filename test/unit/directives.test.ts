import { ApolloServer } from "@apollo/server";
import type { ApolloServerPlugin } from "@apollo/server";
import { buildSchema, parse } from "graphql";
import type { DocumentNode, GraphQLFormattedError } from "graphql";
import {
  authDirectives,
  authDirectivesTypeDefs,
  planAuthorization,
} from "../../src/subgraph/directives";
import type { AuthDirectivesOptions, AuthorizationCaller } from "../../src/subgraph/directives";
import type { AuthContext, Principal } from "../../src/subgraph/principal";

// ---------------------------------------------------------------------------------------------
// Harness

const SDL = `
  type Query {
    public: String
    me: User @authenticated
    abOrC: String @requiresScopes(scopes: [["a", "b"], ["c"]])
    users: [User!]
    strictUsers: [User!]!
    matrix: [[User]]
    secret: Secret
    token: Token
    level: Level
    accounts: [Account!]
    posts: [Post!]
  }
  type Mutation {
    ping: Boolean
    wipe: Boolean @requiresScopes(scopes: [["admin"]])
  }
  type User {
    id: ID!
    name: String
    email: String @requiresScopes(scopes: [["email"]])
    ssn: String! @requiresScopes(scopes: [["pii"]])
  }
  type Secret @requiresScopes(scopes: [["secret"]]) {
    value: String
  }
  scalar Token @authenticated
  enum Level @requiresScopes(scopes: [["level"]]) {
    LOW
    HIGH
  }
  interface Account {
    id: ID!
    balance: Int
  }
  type Savings implements Account {
    id: ID!
    balance: Int @requiresScopes(scopes: [["bank"]])
  }
  type Checking implements Account {
    id: ID!
    balance: Int
  }
  interface Post {
    id: ID!
    title: String
  }
  type PublicPost implements Post {
    id: ID!
    title: String
  }
  type PrivatePost implements Post @authenticated {
    id: ID!
    title: String
  }
`;

const USERS = [
  { id: "u1", name: "Ann", email: "ann@example.com", ssn: "111" },
  { id: "u2", name: "Bob", email: "bob@example.com", ssn: "222" },
];

function makeResolvers() {
  const spies = {
    public: jest.fn(() => "hello"),
    me: jest.fn(() => USERS[0]),
    abOrC: jest.fn(() => "granted"),
    users: jest.fn(() => USERS),
    strictUsers: jest.fn(() => USERS),
    matrix: jest.fn(() => [[USERS[0]], [USERS[1], null]]),
    secret: jest.fn(() => ({ value: "s3cr3t" })),
    token: jest.fn(() => "tok"),
    level: jest.fn(() => "HIGH"),
    accounts: jest.fn(() => [
      { kind: "Savings", id: "a1", balance: 100 },
      { kind: "Checking", id: "a2", balance: 5 },
    ]),
    posts: jest.fn(() => [
      { kind: "PublicPost", id: "p1", title: "Hello" },
      { kind: "PrivatePost", id: "p2", title: "Diary" },
    ]),
    ping: jest.fn(() => true),
    wipe: jest.fn(() => true),
    email: jest.fn((user: { email: string }) => user.email),
    ssn: jest.fn((user: { ssn: string }) => user.ssn),
    savingsBalance: jest.fn((account: { balance: number }) => account.balance),
  };
  const resolvers = {
    Query: {
      public: spies.public,
      me: spies.me,
      abOrC: spies.abOrC,
      users: spies.users,
      strictUsers: spies.strictUsers,
      matrix: spies.matrix,
      secret: spies.secret,
      token: spies.token,
      level: spies.level,
      accounts: spies.accounts,
      posts: spies.posts,
    },
    Mutation: { ping: spies.ping, wipe: spies.wipe },
    User: { email: spies.email, ssn: spies.ssn },
    Savings: { balance: spies.savingsBalance },
    Account: { __resolveType: (obj: { kind: string }) => obj.kind },
    Post: { __resolveType: (obj: { kind: string }) => obj.kind },
  };
  return { spies, resolvers };
}

type Spies = ReturnType<typeof makeResolvers>["spies"];

interface Harness {
  server: ApolloServer<AuthContext>;
  spies: Spies;
}

async function startServer(
  options?: AuthDirectivesOptions,
  /** Run before the directives plugin, so they see the request as it arrived. */
  pluginsBefore: ApolloServerPlugin<AuthContext>[] = [],
): Promise<Harness> {
  const { spies, resolvers } = makeResolvers();
  const server = new ApolloServer<AuthContext>({
    typeDefs: authDirectivesTypeDefs + SDL,
    resolvers,
    plugins: [...pluginsBefore, authDirectives(options)],
  });
  await server.start();
  return { server, spies };
}

function signedIn(...scopes: string[]): Principal {
  return {
    sub: "u1",
    username: "ann",
    clientId: "client-1",
    scopes: new Set(scopes),
    groups: [],
    sessionId: "session-1",
    authTimeSeconds: 1_700_000_000,
    expiresAtSeconds: 1_700_003_600,
    claims: {},
  };
}

const anonymous = null;

interface Result {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<GraphQLFormattedError>;
  status: number | undefined;
}

async function gqlAs(
  harness: Harness,
  principal: Principal | null,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Result> {
  const response = await harness.server.executeOperation(
    { query, ...(variables ? { variables } : {}) },
    { contextValue: { principal } },
  );
  if (response.body.kind !== "single") throw new Error("expected a single result");
  const { data, errors } = response.body.singleResult;
  return { data, errors, status: response.http.status };
}

/** The errors as (path, code) pairs, in response order. */
function denials(result: Result): Array<[ReadonlyArray<string | number> | undefined, unknown]> {
  return (result.errors ?? []).map((e) => [e.path, e.extensions?.["code"]]);
}

// ---------------------------------------------------------------------------------------------
// Through a real Apollo Server

describe("authDirectives (filter mode)", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer();
  });
  afterEach(async () => {
    await h.server.stop();
  });

  describe('@requiresScopes(scopes: [["a","b"],["c"]]) is (a AND b) OR c', () => {
    it.each<[string, string[] | null, boolean]>([
      ["anonymous", null, false],
      ["{}", [], false],
      ["{a}", ["a"], false],
      ["{b}", ["b"], false],
      ["{a,b}", ["a", "b"], true],
      ["{c}", ["c"], true],
      ["{a,c}", ["a", "c"], true],
      ["{a,b,c}", ["a", "b", "c"], true],
    ])("caller with %s: authorized=%s", async (_label, scopes, authorized) => {
      const principal = scopes === null ? anonymous : signedIn(...scopes);
      const result = await gqlAs(h, principal, "{ abOrC public }");
      expect(result.data?.["public"]).toBe("hello");
      if (authorized) {
        expect(result.data?.["abOrC"]).toBe("granted");
        expect(result.errors).toBeUndefined();
        expect(h.spies.abOrC).toHaveBeenCalledTimes(1);
      } else {
        expect(result.data?.["abOrC"]).toBeNull();
        expect(denials(result)).toEqual([
          [["abOrC"], scopes === null ? "UNAUTHENTICATED" : "FORBIDDEN"],
        ]);
        expect(h.spies.abOrC).not.toHaveBeenCalled();
      }
    });
  });

  describe("@authenticated", () => {
    it("error flow: an anonymous caller gets null and UNAUTHENTICATED, and the resolver never runs", async () => {
      const result = await gqlAs(h, anonymous, "{ me { id name } public }");
      expect(result.data).toEqual({ me: null, public: "hello" });
      expect(denials(result)).toEqual([[["me"], "UNAUTHENTICATED"]]);
      expect(h.spies.me).not.toHaveBeenCalled();
      expect(h.spies.public).toHaveBeenCalledTimes(1);
      expect(result.status).toBeUndefined(); // partial result: HTTP 200
    });

    it("happy flow: any signed-in caller, even with no scopes, gets the field", async () => {
      const result = await gqlAs(h, signedIn(), "{ me { id name } }");
      expect(result.data).toEqual({ me: { id: "u1", name: "Ann" } });
      expect(result.errors).toBeUndefined();
    });

    it("uses the error messages and source locations of the denied field", async () => {
      const result = await gqlAs(h, anonymous, "{\n  me { id }\n}");
      expect(result.errors?.[0]).toEqual({
        message: "Unauthenticated: this field requires a signed-in caller",
        locations: [{ line: 2, column: 3 }],
        path: ["me"],
        extensions: { code: "UNAUTHENTICATED" },
      });
      const forbidden = await gqlAs(h, signedIn(), "{ abOrC }");
      expect(forbidden.errors?.[0]?.message).toBe(
        "Forbidden: this field requires scopes the caller does not have",
      );
    });
  });

  describe("partial results", () => {
    it("nulls a denied field inside a list, with list indexes in each error path", async () => {
      const result = await gqlAs(h, signedIn(), "{ users { id email } }");
      expect(result.data).toEqual({
        users: [
          { id: "u1", email: null },
          { id: "u2", email: null },
        ],
      });
      expect(denials(result)).toEqual([
        [["users", 0, "email"], "FORBIDDEN"],
        [["users", 1, "email"], "FORBIDDEN"],
      ]);
      expect(h.spies.email).not.toHaveBeenCalled();
      expect(h.spies.users).toHaveBeenCalledTimes(1);
    });

    it("follows lists of lists and skips null items", async () => {
      const result = await gqlAs(h, signedIn(), "{ matrix { name email } }");
      expect(result.data).toEqual({
        matrix: [[{ name: "Ann", email: null }], [{ name: "Bob", email: null }, null]],
      });
      expect(denials(result)).toEqual([
        [["matrix", 0, 0, "email"], "FORBIDDEN"],
        [["matrix", 1, 0, "email"], "FORBIDDEN"],
      ]);
    });

    it("reports a denied field under its alias", async () => {
      const result = await gqlAs(h, anonymous, "{ who: me { id } greeting: public }");
      expect(result.data).toEqual({ who: null, greeting: "hello" });
      expect(denials(result)).toEqual([[["who"], "UNAUTHENTICATED"]]);
    });

    it("finds denied fields inside named and inline fragments", async () => {
      const query = `
        query { users { ...Contact ... on User { mail: email } } }
        fragment Contact on User { name email }
      `;
      const result = await gqlAs(h, signedIn(), query);
      expect(result.data).toEqual({
        users: [
          { name: "Ann", email: null, mail: null },
          { name: "Bob", email: null, mail: null },
        ],
      });
      expect(denials(result)).toEqual([
        [["users", 0, "email"], "FORBIDDEN"],
        [["users", 0, "mail"], "FORBIDDEN"],
        [["users", 1, "email"], "FORBIDDEN"],
        [["users", 1, "mail"], "FORBIDDEN"],
      ]);
      expect(h.spies.email).not.toHaveBeenCalled();
    });

    it("keeps an empty selection valid and strips the placeholder __typename", async () => {
      const result = await gqlAs(h, signedIn(), "{ users { email } }");
      expect(result.data).toEqual({ users: [{ email: null }, { email: null }] });
    });

    it("keeps the caller's own __typename", async () => {
      const result = await gqlAs(h, signedIn(), "{ users { __typename email } }");
      expect(result.data).toEqual({
        users: [
          { __typename: "User", email: null },
          { __typename: "User", email: null },
        ],
      });
    });

    it("reports nothing for a denied field that @skip or @include leaves out", async () => {
      const query = "query ($hide: Boolean!) { users { id email @skip(if: $hide) } }";
      const hidden = await gqlAs(h, signedIn(), query, { hide: true });
      expect(hidden.data).toEqual({ users: [{ id: "u1" }, { id: "u2" }] });
      expect(hidden.errors).toBeUndefined();

      const shown = await gqlAs(h, signedIn(), query, { hide: false });
      expect(denials(shown)).toHaveLength(2);
      const included = await gqlAs(h, signedIn(), "{ me @include(if: false) { id } public }");
      expect(included.data).toEqual({ public: "hello" });
      expect(included.errors).toBeUndefined();
    });

    it("nulls the parent of a denied non-null field", async () => {
      const result = await gqlAs(h, signedIn(), "{ me { id ssn } public }");
      expect(result.data).toEqual({ me: null, public: "hello" });
      expect(denials(result)).toEqual([[["me", "ssn"], "FORBIDDEN"]]);
      expect(h.spies.ssn).not.toHaveBeenCalled();
    });

    it("propagates null through non-null list items up to the nearest nullable field", async () => {
      const result = await gqlAs(h, signedIn(), "{ users { ssn } public }");
      expect(result.data).toEqual({ users: null, public: "hello" });
      expect(denials(result)).toEqual([
        [["users", 0, "ssn"], "FORBIDDEN"],
        [["users", 1, "ssn"], "FORBIDDEN"],
      ]);
    });

    it("nulls the whole data when the propagation reaches the root", async () => {
      const result = await gqlAs(h, signedIn(), "{ strictUsers { ssn } public }");
      expect(result.data).toBeNull();
      expect(denials(result)).toEqual([
        [["strictUsers", 0, "ssn"], "FORBIDDEN"],
        [["strictUsers", 1, "ssn"], "FORBIDDEN"],
      ]);
    });

    it("keeps execution errors and appends its own after them", async () => {
      h.spies.public.mockImplementationOnce(() => {
        throw new Error("boom");
      });
      const result = await gqlAs(h, anonymous, "{ public me { id } }");
      expect(result.data).toEqual({ public: null, me: null });
      expect(denials(result)).toEqual([
        [["public"], "INTERNAL_SERVER_ERROR"],
        [["me"], "UNAUTHENTICATED"],
      ]);
    });
  });

  describe("type-level directives", () => {
    it("a directive on an object type applies to every field returning it", async () => {
      const denied = await gqlAs(h, signedIn("a"), "{ secret { value } }");
      expect(denied.data).toEqual({ secret: null });
      expect(denials(denied)).toEqual([[["secret"], "FORBIDDEN"]]);
      expect(h.spies.secret).not.toHaveBeenCalled();

      const granted = await gqlAs(h, signedIn("secret"), "{ secret { value } }");
      expect(granted.data).toEqual({ secret: { value: "s3cr3t" } });
    });

    it("a directive on a scalar applies to every field returning it", async () => {
      const result = await gqlAs(h, anonymous, "{ token public }");
      expect(result.data).toEqual({ token: null, public: "hello" });
      expect(denials(result)).toEqual([[["token"], "UNAUTHENTICATED"]]);
      expect(h.spies.token).not.toHaveBeenCalled();
      expect((await gqlAs(h, signedIn(), "{ token }")).data).toEqual({ token: "tok" });
    });

    it("a directive on an enum applies to every field returning it", async () => {
      const result = await gqlAs(h, signedIn(), "{ level }");
      expect(denials(result)).toEqual([[["level"], "FORBIDDEN"]]);
      expect(h.spies.level).not.toHaveBeenCalled();
      expect((await gqlAs(h, signedIn("level"), "{ level }")).data).toEqual({ level: "HIGH" });
    });
  });

  describe("interfaces", () => {
    it("an interface field needs what every implementation's field of that name needs", async () => {
      const result = await gqlAs(h, signedIn(), "{ accounts { id balance } }");
      expect(result.data).toEqual({
        accounts: [
          { id: "a1", balance: null },
          { id: "a2", balance: null },
        ],
      });
      expect(denials(result)).toEqual([
        [["accounts", 0, "balance"], "FORBIDDEN"],
        [["accounts", 1, "balance"], "FORBIDDEN"],
      ]);
      expect(h.spies.savingsBalance).not.toHaveBeenCalled();

      const granted = await gqlAs(h, signedIn("bank"), "{ accounts { id balance } }");
      expect(granted.data).toEqual({
        accounts: [
          { id: "a1", balance: 100 },
          { id: "a2", balance: 5 },
        ],
      });
      expect(granted.errors).toBeUndefined();
    });

    it("the implementation's own field is judged on its own in a fragment on that type", async () => {
      const query = "{ accounts { id ... on Checking { balance } ... on Savings { balance } } }";
      const result = await gqlAs(h, signedIn(), query);
      expect(result.data).toEqual({
        accounts: [
          { id: "a1", balance: null },
          { id: "a2", balance: 5 },
        ],
      });
      expect(denials(result)).toEqual([[["accounts", 0, "balance"], "FORBIDDEN"]]);
    });

    it("fields selected on an interface need every implementation's type-level requirement", async () => {
      const result = await gqlAs(h, anonymous, "{ posts { id title } public }");
      expect(result.data).toEqual({ posts: null, public: "hello" });
      expect(denials(result)).toEqual([[["posts"], "UNAUTHENTICATED"]]);
      expect(h.spies.posts).not.toHaveBeenCalled();
    });

    it("a fragment on a restricted implementation is dropped where it applies", async () => {
      const query = `{ posts {
        __typename
        ... on PublicPost { id title }
        ... on PrivatePost { id title }
      } }`;
      const result = await gqlAs(h, anonymous, query);
      expect(result.data).toEqual({
        posts: [
          { __typename: "PublicPost", id: "p1", title: "Hello" },
          { __typename: "PrivatePost" },
        ],
      });
      expect(denials(result)).toEqual([[["posts", 1, "... on PrivatePost"], "UNAUTHENTICATED"]]);

      const signed = await gqlAs(h, signedIn(), query);
      expect(signed.errors).toBeUndefined();
      expect(signed.data?.["posts"]).toEqual([
        { __typename: "PublicPost", id: "p1", title: "Hello" },
        { __typename: "PrivatePost", id: "p2", title: "Diary" },
      ]);
    });
  });

  describe("mutations and introspection", () => {
    it("a denied mutation field never runs while its siblings do", async () => {
      const result = await gqlAs(h, signedIn(), "mutation { ping wipe }");
      expect(result.data).toEqual({ ping: true, wipe: null });
      expect(denials(result)).toEqual([[["wipe"], "FORBIDDEN"]]);
      expect(h.spies.wipe).not.toHaveBeenCalled();
      expect(h.spies.ping).toHaveBeenCalledTimes(1);
    });

    it("introspection fields are never denied", async () => {
      const result = await gqlAs(
        h,
        anonymous,
        '{ __typename __type(name: "Secret") { name } me { __typename } }',
      );
      expect(result.data).toEqual({ __typename: "Query", __type: { name: "Secret" }, me: null });
      expect(denials(result)).toEqual([[["me"], "UNAUTHENTICATED"]]);
    });
  });

  describe("the plan cache", () => {
    it("never shares a decision between callers with different scopes on the same document", async () => {
      const query = "{ abOrC users { email } }";
      const withScopes = signedIn("c", "email");
      const without = signedIn("a");
      for (let round = 0; round < 3; round++) {
        const granted = await gqlAs(h, withScopes, query);
        expect(granted.errors).toBeUndefined();
        expect(granted.data).toEqual({
          abOrC: "granted",
          users: [{ email: "ann@example.com" }, { email: "bob@example.com" }],
        });
        const denied = await gqlAs(h, without, query);
        expect(denials(denied)).toEqual([
          [["abOrC"], "FORBIDDEN"],
          [["users", 0, "email"], "FORBIDDEN"],
          [["users", 1, "email"], "FORBIDDEN"],
        ]);
        const anon = await gqlAs(h, anonymous, query);
        expect(denials(anon)[0]).toEqual([["abOrC"], "UNAUTHENTICATED"]);
      }
      expect(h.spies.abOrC).toHaveBeenCalledTimes(3);
      expect(h.spies.email).toHaveBeenCalledTimes(6);
    });

    it('attack: an operationName of "" poisons the plan cache so that an anonymous caller runs a protected field', async () => {
      const query = "{ abOrC }";
      const poisoned = await h.server.executeOperation(
        { query, operationName: "" },
        { contextValue: { principal: anonymous } },
      );
      expect(poisoned.http.status).toBe(400);
      if (poisoned.body.kind !== "single") throw new Error("expected a single result");
      expect(poisoned.body.singleResult.errors?.[0]?.extensions?.["code"]).toBe(
        "OPERATION_RESOLUTION_FAILURE",
      );
      const result = await gqlAs(h, anonymous, query);
      expect(denials(result)).toEqual([[["abOrC"], "UNAUTHENTICATED"]]);
      expect(h.spies.abOrC).not.toHaveBeenCalled();
    });

    it("stays correct when a tiny cache evicts on every request", async () => {
      const tiny = await startServer({ planCacheSize: 1 });
      try {
        for (const [principal, authorized] of [
          [signedIn("c"), true],
          [signedIn(), false],
          [signedIn("a", "b"), true],
          [anonymous, false],
        ] as const) {
          const result = await gqlAs(tiny, principal, "{ abOrC }");
          expect(result.data).toEqual({ abOrC: authorized ? "granted" : null });
        }
      } finally {
        await tiny.server.stop();
      }
    });

    it("leaves the document untouched when nothing is denied", async () => {
      const seen: { resolved?: DocumentNode; executed?: DocumentNode } = {};
      const spy: ApolloServerPlugin<AuthContext> = {
        async requestDidStart() {
          return {
            async didResolveOperation(rc) {
              seen.resolved = rc.document;
            },
            async executionDidStart(rc) {
              seen.executed = rc.document;
            },
          };
        },
      };
      const watched = await startServer({}, [spy]);
      try {
        await gqlAs(watched, signedIn("c"), "{ abOrC }");
        expect(seen.executed).toBe(seen.resolved);
        await gqlAs(watched, signedIn(), "{ abOrC }");
        expect(seen.executed).not.toBe(seen.resolved);
      } finally {
        await watched.server.stop();
      }
    });
  });
});

describe("authDirectives (reject mode)", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer({ mode: "reject" });
  });
  afterEach(async () => {
    await h.server.stop();
  });

  it("error flow: rejects the whole operation with 401 for an anonymous caller, running no resolver", async () => {
    const result = await gqlAs(h, anonymous, "{ public users { id } me { id } }");
    expect(result.data).toBeUndefined();
    expect(denials(result)).toEqual([[["me"], "UNAUTHENTICATED"]]);
    expect(result.status).toBe(401);
    expect(h.spies.public).not.toHaveBeenCalled();
    expect(h.spies.users).not.toHaveBeenCalled();
  });

  it("error flow: rejects with 403 and the first denied path for a caller lacking scopes", async () => {
    const result = await gqlAs(h, signedIn(), "{ public users { id email } abOrC }");
    expect(denials(result)).toEqual([[["users", "email"], "FORBIDDEN"]]);
    expect(result.status).toBe(403);
    expect(h.spies.public).not.toHaveBeenCalled();
    expect(h.spies.users).not.toHaveBeenCalled();
  });

  it("happy flow: runs an operation whose every field is authorized", async () => {
    const result = await gqlAs(h, signedIn("email"), "{ public users { email } }");
    expect(result.errors).toBeUndefined();
    expect(result.data?.["public"]).toBe("hello");
  });

  it("does not reject for a denied field that @skip leaves out", async () => {
    const result = await gqlAs(h, anonymous, "{ public me @skip(if: true) { id } }");
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ public: "hello" });
  });
});

describe("authDirectives options", () => {
  it("fails at start-up on a bad mode or cache size", () => {
    expect(() => authDirectives({ mode: "lenient" as "filter" })).toThrow(TypeError);
    expect(() => authDirectives({ planCacheSize: -1 })).toThrow(TypeError);
    expect(() => authDirectives({ planCacheSize: 1.5 })).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// The planning function on its own

describe("planAuthorization", () => {
  const schema = buildSchema(authDirectivesTypeDefs + SDL);
  const anon: AuthorizationCaller = { authenticated: false, scopes: new Set() };
  const as = (...scopes: string[]): AuthorizationCaller => ({
    authenticated: true,
    scopes: new Set(scopes),
  });

  it("records the field node, response key, parent type, path and code of each denial", () => {
    const document = parse("{ users { mail: email name } }");
    const plan = planAuthorization(schema, document, null, as());
    expect(plan.denied).toHaveLength(1);
    const [denial] = plan.denied;
    expect(denial).toMatchObject({
      kind: "field",
      responseKey: "mail",
      fieldName: "email",
      parentType: "User",
      code: "FORBIDDEN",
      path: ["users", "mail"],
    });
    expect(denial?.node.kind).toBe("Field");
  });

  it("denies nothing when the caller holds every required scope", () => {
    const document = parse("{ users { email } abOrC secret { value } }");
    expect(planAuthorization(schema, document, null, as("email", "c", "secret")).denied).toEqual(
      [],
    );
  });

  it("gives UNAUTHENTICATED to an anonymous caller even for a field that only needs scopes", () => {
    const plan = planAuthorization(schema, parse("{ abOrC users { email } }"), null, anon);
    expect(plan.denied.map((d) => [d.path, d.code])).toEqual([
      [["abOrC"], "UNAUTHENTICATED"],
      [["users", "email"], "UNAUTHENTICATED"],
    ]);
  });

  it("does not look inside a denied field", () => {
    const plan = planAuthorization(schema, parse("{ me { email ssn } }"), null, anon);
    expect(plan.denied.map((d) => d.path)).toEqual([["me"]]);
  });

  it("plans only the selected operation", () => {
    const document = parse("query Open { public } query Closed { me { id } }");
    expect(planAuthorization(schema, document, "Open", anon).denied).toEqual([]);
    expect(planAuthorization(schema, document, "Closed", anon).denied).toHaveLength(1);
  });

  it("fails closed on an operation name that resolves to no operation", () => {
    const one = parse("{ me { id } }");
    const two = parse("query A { public } query B { me { id } }");
    for (const [document, name] of [
      [one, ""],
      [one, "Nope"],
      [two, null],
      [two, undefined],
      [two, ""],
    ] as const) {
      const plan = planAuthorization(schema, document, name, anon);
      expect(plan.resolved).toBe(false);
    }
    expect(planAuthorization(schema, one, null, anon).resolved).toBe(true);
    expect(planAuthorization(schema, two, "A", anon)).toMatchObject({ resolved: true, denied: [] });
  });

  it("fails closed on an unvalidated document naming a field, type or fragment the schema lacks", () => {
    for (const query of [
      "{ public nope }",
      "{ users { nope } }",
      "{ posts { ... on Nope { id } } }",
      "{ posts { ...Missing } }",
    ]) {
      expect(planAuthorization(schema, parse(query), null, as("c")).resolved).toBe(false);
    }
  });

  it("never denies introspection fields", () => {
    const document = parse("{ __typename __schema { queryType { name } } }");
    expect(planAuthorization(schema, document, null, anon).denied).toEqual([]);
  });

  it("denies a fragment whose type condition the caller may not see", () => {
    const document = parse("{ posts { ...Priv } } fragment Priv on PrivatePost { id }");
    const plan = planAuthorization(schema, document, null, anon);
    expect(plan.denied).toMatchObject([
      { kind: "fragment", typeCondition: "PrivatePost", parentType: "Post", path: ["posts"] },
    ]);
  });

  it("lets __typename alone through on an interface with restricted implementations", () => {
    const plan = planAuthorization(schema, parse("{ posts { __typename } }"), null, anon);
    expect(plan.denied).toEqual([]);
  });

  it("applies a root type's directive to each of its fields", () => {
    const closed = buildSchema(
      authDirectivesTypeDefs + "type Query @authenticated { a: String b: String }",
    );
    const plan = planAuthorization(closed, parse("{ a b __typename }"), null, anon);
    expect(plan.denied.map((d) => d.path)).toEqual([["a"], ["b"]]);
    expect(planAuthorization(closed, parse("{ a }"), null, as()).denied).toEqual([]);
  });

  it("combines a directive on the field with one on its return type (AND)", () => {
    const both = buildSchema(
      authDirectivesTypeDefs +
        `type Query { doc: Doc @requiresScopes(scopes: [["read"]]) }
         type Doc @requiresScopes(scopes: [["docs"]]) { id: ID }`,
    );
    const document = parse("{ doc { id } }");
    expect(planAuthorization(both, document, null, as("read")).denied).toHaveLength(1);
    expect(planAuthorization(both, document, null, as("docs")).denied).toHaveLength(1);
    expect(planAuthorization(both, document, null, as("read", "docs")).denied).toEqual([]);
  });

  it("recognises the @link-namespaced federation__ forms and @link renames", () => {
    const prefixed = buildSchema(`
      directive @federation__authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
      directive @federation__requiresScopes(scopes: [[federation__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
      scalar federation__Scope
      type Query {
        me: String @federation__authenticated
        admin: String @federation__requiresScopes(scopes: [["admin"]])
      }
    `);
    const plan = planAuthorization(prefixed, parse("{ me admin }"), null, as());
    expect(plan.denied.map((d) => [d.path, d.code])).toEqual([[["admin"], "FORBIDDEN"]]);
    expect(planAuthorization(prefixed, parse("{ me }"), null, anon).denied).toHaveLength(1);

    const renamed = buildSchema(`
      directive @link(url: String!, as: String, import: [link__Import]) repeatable on SCHEMA
      scalar link__Import
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: [{ name: "@requiresScopes", as: "@scopes" }])
      directive @scopes(scopes: [[String!]!]!) on FIELD_DEFINITION
      type Query { admin: String @scopes(scopes: [["admin"]]) }
    `);
    expect(planAuthorization(renamed, parse("{ admin }"), null, as()).denied).toHaveLength(1);
    expect(planAuthorization(renamed, parse("{ admin }"), null, as("admin")).denied).toEqual([]);
  });

  it("treats an empty scope alternative list as unsatisfiable and an empty AND as any signed-in caller", () => {
    const edge = buildSchema(
      authDirectivesTypeDefs +
        `type Query { never: String @requiresScopes(scopes: []) anyone: String @requiresScopes(scopes: [[]]) }`,
    );
    expect(planAuthorization(edge, parse("{ never }"), null, as("x")).denied).toHaveLength(1);
    expect(planAuthorization(edge, parse("{ anyone }"), null, as()).denied).toEqual([]);
    expect(planAuthorization(edge, parse("{ anyone }"), null, anon).denied).toHaveLength(1);
  });
});
