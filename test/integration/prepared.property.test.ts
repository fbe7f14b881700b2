/**
 * The prepared-operation path against Apollo, as a property (fast-check, fixed seed): two
 * gateways share one SQLite file and master key, A with the path on (the default), B with
 * POOLGATE_PREPARED_OPERATIONS=false. For any request drawn from valid and invalid
 * documents, variables of the right and wrong types, operation names, Accept headers and
 * tokens, A's second answer (prepared where it may be) is B's answer (Apollo's), byte for
 * byte: status, headers, body. Only requests that change nothing are drawn (a global sign-out
 * would revoke the tokens the next cases use; its path is the same as these).
 */
import fc from "fast-check";
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
