/**
 * Property (issue 17, DESIGN §14): whatever a user migration hook answers — any JSON as its
 * response, or as the whole answer, or a response of the right shape with any attribute
 * names, values, statuses and flags — a sign-in of a name poolgate does not know answers with
 * valid tokens, a stable refusal (NOT_AUTHORIZED as for an unknown name, PASSWORD_RESET_REQUIRED
 * for a migrated user who must reset) or UNEXPECTED_LAMBDA: never a 5xx, and never a user that
 * is half there (a refused answer creates nobody; a created user signs in again without the hook).
 *
 * The hook is a real CommonJS module (POOLGATE_HOOKS) that returns what answer.json, next to
 * it, says for the run. Each run is a sign-in (an argon2id hash), so the default run count is
 * small (FUZZ_RUNS).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { createClient, SIGN_IN, startGateway, type TestGateway } from "../harness";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 40);
const PASSWORD = "Migrated-pa55!";

const HOOK = `
const fs = require("node:fs");
const path = require("node:path");
exports.userMigration = async (event) => {
  const { mode, value } = JSON.parse(fs.readFileSync(path.join(__dirname, "answer.json"), "utf8"));
  if (mode === "throw") throw new Error("no such user");
  if (mode === "answer") return value;
  event.response = value;
  return event;
};
`;

let dir: string;
let gw: TestGateway;
let client: { clientId: string };
let counter = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-migration-fuzz-"));
  writeFileSync(join(dir, "hooks.cjs"), HOOK);
  gw = await startGateway({ env: { POOLGATE_HOOKS: join(dir, "hooks.cjs") } });
  client = await createClient(gw, { allowedScopes: ["openid", "email"] });
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

/** How the runs ended, so a test can show its property was not vacuous. */
const tally = { tokens: 0, reset: 0, refused: 0 };

const STABLE = ["NOT_AUTHORIZED", "PASSWORD_RESET_REQUIRED", "UNEXPECTED_LAMBDA"];

async function signIn(username: string) {
  const res = await gw.gql(SIGN_IN, {
    input: { clientId: client.clientId, username, password: PASSWORD },
  });
  expect(res.status).toBeLessThan(500);
  return res;
}

/** One unknown name signs in with the hook answering `value`; the invariants every answer keeps. */
async function migrateWith(mode: "response" | "answer" | "throw", value: unknown): Promise<void> {
  const username = `fuzz${++counter}`;
  writeFileSync(join(dir, "answer.json"), JSON.stringify({ mode, value }));
  const res = await signIn(username);
  const tokens = res.body.data?.["signIn"] as { accessToken: string } | undefined;
  const exists = (await gw.pool.users.find(username)) !== undefined;
  if (tokens) {
    tally.tokens++;
    expect((await gw.pool.authenticate(tokens.accessToken)).username).toBe(username);
    expect(exists).toBe(true);
  } else {
    const codes = res.body.errors?.map((e) => e.extensions?.code as string) ?? [];
    expect(codes).toHaveLength(1);
    expect(STABLE).toContain(codes[0]);
    if (codes[0] === "PASSWORD_RESET_REQUIRED") tally.reset++;
    else tally.refused++;
    // A refusal creates nobody; only a migrated user told to reset exists without tokens.
    expect(exists).toBe(codes[0] === "PASSWORD_RESET_REQUIRED");
  }
  if (exists) {
    // The user is whole: the next sign-in does not need the hook (it would refuse now).
    writeFileSync(join(dir, "answer.json"), JSON.stringify({ mode: "throw", value: null }));
    const again = await signIn(username);
    if (tokens) expect(again.body.data?.["signIn"]).toBeTruthy();
    else
      expect(again.body.errors?.map((e) => e.extensions?.code)).toEqual([
        "PASSWORD_RESET_REQUIRED",
      ]);
  }
}

const attributeName = fc.oneof(
  fc.constantFrom(
    "email",
    "email_verified",
    "name",
    "custom:team",
    "sub",
    "username",
    "cognito:user_status",
    "phone_number",
    "nope",
  ),
  fc.string({ maxLength: 12 }),
);
const response = fc.record(
  {
    userAttributes: fc.oneof(
      fc.dictionary(attributeName, fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()), {
        maxKeys: 4,
      }),
      fc.jsonValue(),
    ),
    finalUserStatus: fc.oneof(
      fc.constantFrom("CONFIRMED", "RESET_REQUIRED", "UNCONFIRMED", ""),
      fc.jsonValue(),
    ),
    messageAction: fc.oneof(fc.constantFrom("SUPPRESS", "RESEND"), fc.jsonValue()),
    desiredDeliveryMediums: fc.oneof(fc.constant(["EMAIL"]), fc.jsonValue()),
    forceAliasCreation: fc.oneof(fc.boolean(), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

describe("whatever a user migration hook answers", () => {
  it("any JSON as the response or as the whole answer: tokens, a stable refusal or UNEXPECTED_LAMBDA, never a 5xx or half a user", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("response", "answer"), fc.jsonValue(), (mode, value) =>
        migrateWith(mode as "response" | "answer", value),
      ),
      { numRuns: RUNS },
    );
  });

  it("any response of the right shape: tokens, a stable refusal or UNEXPECTED_LAMBDA, never a 5xx or half a user", async () => {
    await fc.assert(
      fc.asyncProperty(response, (r) => migrateWith("response", r)),
      { numRuns: RUNS },
    );
  });

  it("valid answers with any status and flags: the user is created whole, signed in or told to reset", async () => {
    const valid = fc.record(
      {
        userAttributes: fc.record(
          {
            email: fc.emailAddress(),
            email_verified: fc.constantFrom("true", "false"),
            name: fc.string({ minLength: 1, maxLength: 20 }),
          },
          { requiredKeys: ["email"] },
        ),
        finalUserStatus: fc.constantFrom("CONFIRMED", "RESET_REQUIRED"),
        messageAction: fc.constant("SUPPRESS"),
        forceAliasCreation: fc.boolean(),
      },
      { requiredKeys: ["userAttributes"] },
    );
    const before = { ...tally };
    await fc.assert(
      fc.asyncProperty(valid, (r) => migrateWith("response", r)),
      { numRuns: Math.max(10, Math.floor(RUNS / 2)) },
    );
    // Not vacuous: users were migrated both ways.
    expect(tally.tokens).toBeGreaterThan(before.tokens);
    expect(tally.reset).toBeGreaterThan(before.reset);
  });

  it("a hook that throws is an unknown name: NOT_AUTHORIZED and nobody created", async () => {
    await migrateWith("throw", null);
    const res = await signIn(`fuzz${counter}`);
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(["NOT_AUTHORIZED"]);
  });
});
