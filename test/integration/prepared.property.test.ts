/**
 * The prepared-operation path against Apollo, as a property (fast-check, fixed seed): two
 * gateways share one SQLite file and master key, A with the path on (the default), B with
 * POOLGATE_PREPARED_OPERATIONS=false. For any request drawn from valid and invalid
 * documents, variables of the right and wrong types, operation names, Accept headers and
 * tokens, A's second answer (prepared where it may be) is B's answer (Apollo's), byte for
 * byte: status, headers, body. Only requests that change nothing are drawn (a global sign-out
 * would revoke the tokens the next cases use; its path is the same as these).
 *
 * The gateway's schema has no field whose errors carry `extensions.http`, so a second
 * property serves a schema of the test's own through the same modules (createApollo with the
 * gateway's plugin list, src/http/graphql.ts, the gateway's context): fields whose errors set
 * a status, headers (the same one by several errors, in other letter cases, Vary and the
 * content type among them) or an invalid head, and a store outage the 503 plugin answers.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap } from "@apollo/server";
import fc from "fast-check";
import { buildSchema, GraphQLError, type GraphQLFieldResolver } from "graphql";
import { loadConfig } from "../../src/config";
import { PoolgateError } from "../../src/errors";
import { createApollo } from "../../src/graphql/apollo";
import { buildContext } from "../../src/graphql/context";
import { corsPolicy } from "../../src/http/cors";
import { graphqlEndpoint } from "../../src/http/graphql";
import { createLogger } from "../../src/log";
import {
  createClient,
  createUser,
  metricOf,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { postRaw } from "../support/raw";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 150);
const SEED = Number(process.env["FUZZ_SEED"] ?? 20261126);

const DOCUMENTS = [
  "{ me { sub username email groups } }",
  "query Me { me { sub ...F } } fragment F on User { username groups __typename }",
  "query A { me { sub } } query B { me { username email } }",
  "query M($withEmail: Boolean!) { me { sub email @include(if: $withEmail) } }",
  "query G($u: String!) { adminGetUser(username: $u) { sub username groups } }",
  "{ adminResourceServers { id scopes } }",
  "{ __typename }",
  "mutation R($input: RefreshInput!) { refresh(input: $input) { accessToken } }",
  "mutation C($i: ClientCredentialsInput!) { clientCredentials(input: $i) { scope } }",
  "subscription { me { sub } }",
  "{ me { nope } }",
  "{ me { sub ",
];

let a: TestGateway;
let b: TestGateway;
let tokens: Record<string, string | undefined>;
let adminName: string;
let clientId: string;

beforeAll(async () => {
  a = await startGateway();
  const client = await createClient(a);
  clientId = client.clientId;
  const alice = await createUser(a, {
    attributes: { email: "alice@example.com" },
    groups: ["staff"],
  });
  const root = await createUser(a, { groups: ["admins"] });
  adminName = root.username;
  const user = await signInAs(a, client, alice, ["openid", "email"]);
  const admin = await signInAs(a, client, root, ["openid", "poolgate/admin"]);
  tokens = {
    none: undefined,
    user: user.accessToken,
    admin: admin.accessToken,
    garbage: "not-a-jwt",
  };
  b = await startGateway({
    reuse: { dir: a.dir, env: { ...a.env, POOLGATE_PREPARED_OPERATIONS: "false" } },
  });
}, 30_000);

afterAll(async () => {
  await b?.stop();
  await a?.close();
});

const request = fc.record({
  query: fc.constantFrom(...DOCUMENTS),
  operationName: fc.constantFrom(undefined, null, "A", "B", "Me", "Nope"),
  variables: fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.record(
      {
        withEmail: fc.oneof(fc.boolean(), fc.constant("yes")),
        u: fc.oneof(fc.constant("__admin__"), fc.string({ maxLength: 8 }), fc.integer()),
        input: fc.record({
          clientId: fc.constantFrom("__client__", "unknown"),
          refreshToken: fc.constantFrom("a.b.c.d.e", "x"),
        }),
        i: fc.record({ clientId: fc.constant("__client__"), clientSecret: fc.string() }),
      },
      { requiredKeys: [] },
    ),
  ),
  accept: fc.constantFrom(
    undefined,
    "*/*",
    "application/json",
    "application/graphql-response+json,application/json;q=0.9",
    "text/html",
  ),
  token: fc.constantFrom("none", "user", "admin", "garbage"),
});

type Request = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** Placeholders become the run's real names (generated before the users existed). */
function bodyOf(r: Request): string {
  const text = JSON.stringify({
    query: r.query,
    ...(r.operationName !== undefined ? { operationName: r.operationName } : {}),
    ...(r.variables !== undefined ? { variables: r.variables } : {}),
  });
  return text.replaceAll("__admin__", adminName).replaceAll("__client__", clientId);
}

it("A's second answer is B's answer, byte for byte, for any request", async () => {
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (r.accept !== undefined) headers["accept"] = r.accept;
      const token = tokens[r.token];
      if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
      const body = bodyOf(r);
      await postRaw(a.url, body, headers);
      const prepared = await postRaw(a.url, body, headers);
      const apollo = await postRaw(b.url, body, headers);
      expect(prepared).toEqual(apollo);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  // The property ran the path, not only Apollo.
  const served = await metricOf(a, "poolgate_graphql_prepared_operations_total");
  expect(served).toBeGreaterThan(RUNS / 10);
}, 120_000);

/** Fields whose errors set HTTP heads: `fail` throws one built from its arguments. */
function headSchema() {
  const schema = buildSchema(`
    input Header { name: String!, value: String! }
    type Query {
      ok: String
      down: String!
      fail(code: String, status: Int, headers: [Header!], plainMap: Boolean, invalid: Boolean): String
    }
  `);
  const fields = schema.getQueryType()!.getFields();
  fields["ok"]!.resolve = () => "fine";
  fields["down"]!.resolve = () => {
    throw new PoolgateError("SERVICE_UNAVAILABLE", "The service is unavailable");
  };
  const fail: GraphQLFieldResolver<unknown, unknown, Record<string, any>> = (_s, args) => {
    const pairs = (args["headers"] ?? []).map((h: { name: string; value: string }) => [
      h.name,
      h.value,
    ]);
    const http = args["invalid"]
      ? { status: String(args["status"] ?? 418) }
      : {
          ...(args["status"] !== null && args["status"] !== undefined
            ? { status: args["status"] }
            : {}),
          headers: args["plainMap"] ? new Map(pairs) : new HeaderMap(pairs),
        };
    throw new GraphQLError("failed", {
      extensions: { ...(args["code"] ? { code: args["code"] } : {}), http },
    });
  };
  fields["fail"]!.resolve = fail;
  return schema;
}

/** One stack of the gateway's GraphQL modules on a schema, on real HTTP. */
async function serveSchema(env: Record<string, string>) {
  const config = loadConfig(env);
  const logger = createLogger(config);
  const graphql = createApollo(config, logger, headSchema());
  await graphql.start();
  const endpoint = graphqlEndpoint({
    apollo: graphql.apollo,
    prepared: graphql.prepared,
    maxBodyBytes: config.maxBodyBytes,
    insecureCookies: false,
    issuerOrigin: new URL(config.issuer).origin,
    cors: corsPolicy([]),
  });
  const server: Server = createServer((req, res) => {
    // What the CORS policy sets before the endpoint runs: the answer's Vary joins it.
    res.setHeader("vary", "Origin");
    endpoint(req, res, new URL(req.url ?? "/", "http://localhost"), (cookies) =>
      buildContext(a.pool, req.headersDistinct.authorization, "property", logger, { cookies }),
    ).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served: () => graphql.prepared.stats().served,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await graphql.apollo.stop();
    },
  };
}

const headerName = fc.constantFrom("x-a", "X-A", "vary", "Vary", "retry-after", "content-type");
const failField = fc
  .record({
    code: fc.constantFrom(null, "BAD_USER_INPUT"),
    status: fc.constantFrom(null, 0, 418, 429),
    headers: fc.array(
      fc.record({ name: headerName, value: fc.constantFrom("a", "b", "text/plain") }),
      { maxLength: 3 },
    ),
    plainMap: fc.boolean(),
    invalid: fc.boolean(),
  })
  .map((r) => {
    const headers = r.headers.map((h) => `{ name: "${h.name}", value: "${h.value}" }`);
    return (
      `fail(code: ${r.code === null ? "null" : `"${r.code}"`}, status: ${r.status}, ` +
      `headers: [${headers.join(", ")}], plainMap: ${r.plainMap}, invalid: ${r.invalid})`
    );
  });
const headQuery = fc
  .array(fc.oneof(fc.constant("ok"), fc.constant("down"), failField, failField), {
    minLength: 1,
    maxLength: 4,
  })
  .map((fields) => `{ ${fields.map((f, i) => `f${i}: ${f}`).join(" ")} }`);

it("errors that set statuses and headers: the prepared answer is Apollo's, byte for byte", async () => {
  const onA = await serveSchema({ ...a.env });
  const onB = await serveSchema({ ...a.env, POOLGATE_PREPARED_OPERATIONS: "false" });
  try {
    const accept = fc.constantFrom(
      undefined,
      "application/json",
      "application/graphql-response+json",
    );
    await fc.assert(
      fc.asyncProperty(headQuery, accept, async (query, acceptHeader) => {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (acceptHeader !== undefined) headers["accept"] = acceptHeader;
        // The content type of each Accept header is learned from an answer without errors.
        await postRaw(onA.url, JSON.stringify({ query: "{ ok }" }), headers);
        const body = JSON.stringify({ query });
        await postRaw(onA.url, body, headers);
        const prepared = await postRaw(onA.url, body, headers);
        const apollo = await postRaw(onB.url, body, headers);
        expect(prepared).toEqual(apollo);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(onA.served()).toBeGreaterThan(RUNS);
    expect(onB.served()).toBe(0);
  } finally {
    await onA.close();
    await onB.close();
  }
}, 120_000);
