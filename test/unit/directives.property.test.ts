/**
 * The library's authDirectives() as a property (fast-check, fixed seed): for any sequence of
 * requests — documents of one or several operations, operation names absent, null, "", known
 * and unknown, callers anonymous, signed in without and with the scope — a plugin with a plan
 * cache answers exactly as one without (planCacheSize: 0), and no protected resolver ever runs
 * for a caller the directives deny. Issue 12 #1: `""` and "no name" once shared a cache entry.
 */
import { ApolloServer } from "@apollo/server";
import { GraphQLError } from "graphql";
import fc from "fast-check";
import { authDirectives, authDirectivesTypeDefs } from "../../src/subgraph/directives";
import type { AuthContext, Principal } from "../../src/subgraph/principal";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 100);
const SEED = Number(process.env["FUZZ_SEED"] ?? 20261202);

const SDL = `
  type Query {
    public: String
    secret: String @requiresScopes(scopes: [["admin"]])
    me: String @authenticated
  }
  type Mutation {
    wipe: Boolean @requiresScopes(scopes: [["admin"]])
  }
`;

const DOCUMENTS = [
  "{ secret }",
  "{ public secret }",
  "query A { secret } query B { public }",
  "query B { public } query A { secret me }",
  "query A { public }",
  "mutation W { wipe }",
  "mutation { wipe } query B { public }",
  "{ me }",
];

function principal(scopes: string[]): Principal {
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

const CALLERS: Record<string, Principal | null> = {
  anonymous: null,
  user: principal(["openid"]),
  admin: principal(["admin"]),
};

interface Server {
  apollo: ApolloServer<AuthContext>;
  /** Protected resolvers that ran, with the caller they ran for. */
  ran: Array<{ field: string; caller: string }>;
}

async function start(mode: "filter" | "reject", planCacheSize: number): Promise<Server> {
  const ran: Server["ran"] = [];
  const guard = (field: string, value: unknown) => (_: unknown, __: unknown, ctx: AuthContext) => {
    const caller =
      ctx.principal === null ? "anonymous" : ctx.principal.scopes.has("admin") ? "admin" : "user";
    ran.push({ field, caller });
    if (field === "wipe" && caller !== "admin") throw new GraphQLError("ran for a non-admin");
    return value;
  };
  const apollo = new ApolloServer<AuthContext>({
    typeDefs: authDirectivesTypeDefs + SDL,
    resolvers: {
      Query: { public: () => "hello", secret: guard("secret", "s3cr3t"), me: guard("me", "ann") },
      Mutation: { wipe: guard("wipe", true) },
    },
    plugins: [authDirectives({ mode, planCacheSize })],
  });
  await apollo.start();
  return { apollo, ran };
}

const request = fc.record({
  query: fc.constantFrom(...DOCUMENTS),
  operationName: fc.constantFrom<string | null | undefined>(
    undefined,
    null,
    "",
    "A",
    "B",
    "W",
    "Nope",
  ),
  caller: fc.constantFrom("anonymous", "user", "admin"),
});

describe.each(["filter", "reject"] as const)("authDirectives (%s mode) as a property", (mode) => {
  let cached: Server;
  let uncached: Server;
  beforeAll(async () => {
    cached = await start(mode, 1000);
    uncached = await start(mode, 0);
  });
  afterAll(async () => {
    await cached.apollo.stop();
    await uncached.apollo.stop();
  });

  it("answers with a plan cache as without one, and never runs a denied resolver", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 12 }), async (requests) => {
        for (const r of requests) {
          const ask = async (server: Server) => {
            const response = await server.apollo.executeOperation(
              {
                query: r.query,
                ...(r.operationName !== undefined ? { operationName: r.operationName } : {}),
              } as { query: string; operationName?: string },
              { contextValue: { principal: CALLERS[r.caller] ?? null } },
            );
            return { status: response.http.status, body: response.body };
          };
          // Twice on the cached server: the second answer comes from a plan the first cached.
          await ask(cached);
          expect(await ask(cached)).toEqual(await ask(uncached));
        }
        for (const server of [cached, uncached]) {
          for (const { field, caller } of server.ran) {
            if (field === "me") expect(caller).not.toBe("anonymous");
            else expect(caller).toBe("admin");
          }
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The property reached the protected resolvers for the admin, so it checked something.
    expect(cached.ran.some((r) => r.field === "secret")).toBe(true);
    expect(cached.ran.some((r) => r.field === "wipe")).toBe(true);
  }, 60_000);
});
