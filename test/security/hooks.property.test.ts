/**
 * Property (issue 17, DESIGN §14): whatever a pre token generation hook answers — any JSON as
 * its response or as the whole answer, or override details with any claim names, values and
 * scopes — a sign-in answers with valid tokens or UNEXPECTED_LAMBDA, never a 5xx, and a token
 * that is issued still says who it is for, from whom and for what, exactly as poolgate decided.
 *
 * The hook is a real CommonJS module (POOLGATE_HOOKS) that returns what answer.json, next to
 * it, says for the run. Each run is a sign-in, so the default run count is small (FUZZ_RUNS).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { RESTRICTED_CLAIMS } from "../../src/tokens/overrides";
import {
  claimsOf,
  createClient,
  createUser,
  SIGN_IN,
  startGateway,
  type TestGateway,
} from "../harness";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 50);

const HOOK = `
const fs = require("node:fs");
const path = require("node:path");
exports.preTokenGeneration = async (event) => {
  const { mode, value } = JSON.parse(fs.readFileSync(path.join(__dirname, "answer.json"), "utf8"));
  if (mode === "answer") return value;
  event.response = value;
  return event;
};
`;

let dir: string;
let gw: TestGateway;
let client: { clientId: string };
let user: { sub: string; username: string; password: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-hooks-fuzz-"));
  writeFileSync(join(dir, "hooks.cjs"), HOOK);
  gw = await startGateway({ env: { POOLGATE_HOOKS: join(dir, "hooks.cjs") } });
  client = await createClient(gw, { allowedScopes: ["openid", "email"] });
  user = await createUser(gw, {
    attributes: { email: "fuzz@example.com", email_verified: "true" },
    groups: ["staff"],
  });
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

type Outcome =
  { kind: "tokens"; id: Record<string, any>; access: Record<string, any> } | { kind: "refused" };

/** Signs in with the hook answering `value`; asserts the invariants every answer must keep. */
async function signInWith(mode: "response" | "answer", value: unknown): Promise<Outcome> {
  writeFileSync(join(dir, "answer.json"), JSON.stringify({ mode, value }));
  const res = await gw.gql(SIGN_IN, {
    input: { clientId: client.clientId, username: user.username, password: user.password },
  });
  expect(res.status).toBeLessThan(500);
  const tokens = res.body.data?.["signIn"] as { idToken: string; accessToken: string } | undefined;
  if (!tokens) {
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(["UNEXPECTED_LAMBDA"]);
    return { kind: "refused" };
  }
  // Valid: the gateway itself accepts the access token, and the identity claims are its own.
  const verified = await gw.pool.authenticate(tokens.accessToken);
  const access = claimsOf(tokens.accessToken);
  const id = claimsOf(tokens.idToken);
  expect(verified.sub).toBe(user.sub);
  expect(access).toMatchObject({
    sub: user.sub,
    client_id: client.clientId,
    iss: gw.config.issuer,
    token_use: "access",
    username: user.username,
    version: 2,
  });
  expect(id).toMatchObject({
    sub: user.sub,
    aud: client.clientId,
    iss: gw.config.issuer,
    token_use: "id",
    "cognito:username": user.username,
  });
  expect(id["origin_jti"]).toBe(access["origin_jti"]);
  expect(id["event_id"]).toBe(access["event_id"]);
  expect(access["exp"] - access["iat"]).toBe(3600);
  expect(typeof access["scope"]).toBe("string");
  expect(access["scope"]).not.toMatch(/poolgate\/admin/);
  return { kind: "tokens", id, access };
}

const claimName = fc.oneof(
  fc.constantFrom(
    ...RESTRICTED_CLAIMS,
    "scope",
    "cognito:groups",
    "cognito:roles",
    "dev:x",
    "__proto__",
    "email",
    "email_verified",
    "custom:tenant",
  ),
  fc.string({ maxLength: 12 }),
);
const claims = fc.dictionary(claimName, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
const names = fc.array(claimName, { maxLength: 3 });
const scopes = fc.array(
  fc.oneof(
    fc.constantFrom("openid", "email", "poolgate/admin", "orders/read", "a b", ""),
    fc.string({ maxLength: 10 }),
  ),
  { maxLength: 3 },
);
const details = fc.record(
  {
    idTokenGeneration: fc.record(
      { claimsToAddOrOverride: claims, claimsToSuppress: names },
      { requiredKeys: [] },
    ),
    accessTokenGeneration: fc.record(
      {
        claimsToAddOrOverride: claims,
        claimsToSuppress: names,
        scopesToAdd: scopes,
        scopesToSuppress: scopes,
      },
      { requiredKeys: [] },
    ),
    groupOverrideDetails: fc.oneof(
      fc.constant(null),
      fc.record(
        {
          groupsToOverride: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
          preferredRole: fc.oneof(fc.constant(null), fc.string({ maxLength: 8 })),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

describe("whatever a pre token generation hook answers", () => {
  it("any JSON as the response: valid tokens or UNEXPECTED_LAMBDA, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        await signInWith("response", value);
      }),
      { numRuns: RUNS },
    );
  });

  it("any JSON as the whole answer: valid tokens or UNEXPECTED_LAMBDA, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        await signInWith("answer", value);
      }),
      { numRuns: RUNS },
    );
  });

  it("stops any override from changing who a token is for: a restricted claim is always UNEXPECTED_LAMBDA, and issued tokens keep poolgate's identity claims", async () => {
    await fc.assert(
      fc.asyncProperty(details, async (d) => {
        const outcome = await signInWith("response", { claimsAndScopeOverrideDetails: d });
        const added = [
          ...Object.keys(d.idTokenGeneration?.claimsToAddOrOverride ?? {}),
          ...Object.keys(d.accessTokenGeneration?.claimsToAddOrOverride ?? {}),
          ...(d.idTokenGeneration?.claimsToSuppress ?? []),
          ...(d.accessTokenGeneration?.claimsToSuppress ?? []),
        ];
        if (added.some((name) => RESTRICTED_CLAIMS.has(name) || name === "scope"))
          expect(outcome.kind).toBe("refused");
        if ((d.accessTokenGeneration?.scopesToAdd ?? []).includes("poolgate/admin"))
          expect(outcome.kind).toBe("refused");
      }),
      { numRuns: RUNS },
    );
  });
});
