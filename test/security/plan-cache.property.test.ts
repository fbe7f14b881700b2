/**
 * The gateway's directives as a property over the real HTTP API (fast-check, fixed seed): for
 * any sequence of requests — admin and public documents of one or several operations,
 * operation names absent, null, "", known and unknown, anonymous, user and admin tokens —
 * nothing an admin query reads reaches a caller without `poolgate/admin`, no admin mutation
 * runs for one, and the admin is served whenever the operation resolves. Each request is sent
 * twice, so the second answer comes from cached plans (and, where the path is on, from the
 * prepared-operation path). Issue 12 #1: `""` and "no name" once shared a plan.
 */
import fc from "fast-check";
import { createClient, createUser, signInAs, startGateway, type TestGateway } from "../harness";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 40);
const SEED = Number(process.env["FUZZ_SEED"] ?? 20261202);
const MARKER = "target-secret@example.com";

/** Each document, with the operation names (or null: no name) whose operation reads the marker. */
const DOCUMENTS: Array<{ query: string; reads: Array<string | null>; mutates?: boolean }> = [
  { query: '{ adminGetUser(username: "target") { email } }', reads: [null] },
  {
    query: 'query A { adminGetUser(username: "target") { email } } query B { me { sub } }',
    reads: ["A"],
  },
  {
    query:
      'query B { me { sub } } query A { me { sub } adminGetUser(username: "target") { email } }',
    reads: ["A"],
  },
  {
    query: 'query A { __typename adminGetUser(username: "target") { sub email } }',
    reads: [null, "A"],
  },
  { query: "{ me { sub email } }", reads: [] },
  // An admin mutation with no effect when it runs: it answers USER_NOT_FOUND, which only a
  // caller the directives let through can see.
  { query: 'mutation W { adminDisableUser(username: "nobody-here") }', reads: [], mutates: true },
];

const request = fc.record({
  document: fc.nat({ max: DOCUMENTS.length - 1 }),
  operationName: fc.constantFrom<string | null | undefined>(
    undefined,
    null,
    "",
    "A",
    "B",
    "W",
    "Nope",
  ),
  token: fc.constantFrom("none", "user", "admin"),
});

describe.each([
  { mode: "filter", prepared: "true" },
  { mode: "reject", prepared: "false" },
])("directives over HTTP (mode $mode, prepared path $prepared)", ({ mode, prepared }) => {
  let gw: TestGateway;
  let tokens: Record<string, string | undefined>;
  beforeAll(async () => {
    gw = await startGateway({
      env: { POOLGATE_AUTHORIZATION_MODE: mode, POOLGATE_PREPARED_OPERATIONS: prepared },
    });
    const client = await createClient(gw);
    await createUser(gw, { username: "target", attributes: { email: MARKER } });
    const user = await createUser(gw, { attributes: { email: "user@example.com" } });
    const root = await createUser(gw, { groups: ["admins"] });
    tokens = {
      none: undefined,
      user: (await signInAs(gw, client, user, ["openid", "email"])).accessToken,
      admin: (await signInAs(gw, client, root, ["openid", "poolgate/admin"])).accessToken,
    };
  });
  afterAll(async () => {
    await gw.close();
  });

  it("no request sequence lets a caller without poolgate/admin read or run an admin field", async () => {
    let adminReads = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 10 }), async (requests) => {
        for (const r of requests) {
          const doc = DOCUMENTS[r.document]!;
          const body = JSON.stringify({
            query: doc.query,
            ...(r.operationName !== undefined ? { operationName: r.operationName } : {}),
          });
          const token = tokens[r.token];
          for (let send = 0; send < 2; send++) {
            const res = await fetch(`${gw.url}/graphql`, {
              method: "POST",
              headers: {
                "content-type": "application/json",
                ...(token ? { authorization: `Bearer ${token}` } : {}),
              },
              body,
            });
            expect(res.status).toBeLessThan(500);
            const text = await res.text();
            if (r.token !== "admin") {
              expect(text).not.toContain(MARKER);
              expect(text).not.toContain("USER_NOT_FOUND");
            } else if (doc.reads.includes(r.operationName ?? null)) {
              expect(text).toContain(MARKER);
              adminReads++;
            }
          }
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(adminReads).toBeGreaterThan(0);
  }, 120_000);
});
