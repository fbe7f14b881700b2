/**
 * Property (issue 14, "Bad input"): whatever a client sends to the sign-in conversation and
 * recovery — any challenge name, any session (garbled, another's, spent, a real one), any
 * responses (names and values of any shape), any code — the gateway answers HTTP 200 or 4xx
 * with one stable error code from the known set, never a 5xx, never INTERNAL_SERVER_ERROR, and
 * never tokens without the right answer.
 */
import fc from "fast-check";
import {
  createClient,
  createUser,
  startGateway,
  type GqlResult,
  type TestGateway,
} from "../harness";
import {
  ASSOCIATE,
  CONFIRM_FORGOT,
  enrollTotp,
  FORGOT,
  initiate,
  RESPOND,
  stepAlignedClock,
  VERIFY,
  type Client,
} from "../support/flows";
import { signInAs } from "../harness";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 150);

/** Every code a conversation or recovery answer may carry (README "Error codes"). */
const KNOWN = new Set([
  "BAD_USER_INPUT",
  "NOT_AUTHORIZED",
  "INVALID_SESSION",
  "CODE_MISMATCH",
  "EXPIRED_CODE",
  "INVALID_PASSWORD",
  "TOO_MANY_FAILED_ATTEMPTS",
  "SOFTWARE_TOKEN_MFA_NOT_FOUND",
  "ENABLE_SOFTWARE_TOKEN_MFA",
  "MFA_METHOD_NOT_FOUND",
  "LIMIT_EXCEEDED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "GRAPHQL_VALIDATION_FAILED",
  "GRAPHQL_PARSE_FAILED",
]);

const CHALLENGES = [
  "NEW_PASSWORD_REQUIRED",
  "SOFTWARE_TOKEN_MFA",
  "EMAIL_OTP",
  "MFA_SETUP",
  "SELECT_MFA_TYPE",
  "SELECT_CHALLENGE",
  "PASSWORD",
  "PASSWORD_SRP",
  "PASSWORD_VERIFIER",
] as const;

const RESPONSE_NAMES = [
  "NEW_PASSWORD",
  "SOFTWARE_TOKEN_MFA_CODE",
  "EMAIL_OTP_CODE",
  "ANSWER",
  "PASSWORD",
  "USERNAME",
  "SRP_A",
  "PASSWORD_CLAIM_SECRET_BLOCK",
  "PASSWORD_CLAIM_SIGNATURE",
  "TIMESTAMP",
  "userAttributes.name",
  "userAttributes.email",
  "userAttributes.email_verified",
  "userAttributes.custom:x",
  "userAttributes.",
  "__proto__",
  "constructor",
];

/** Strings that break naive code: long, control characters, unicode, JSON, a near-miss session. */
function junk(real: () => string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom(
      "",
      "000000",
      "123456",
      "9999999",
      " 12345",
      "１２３４５６",
      "null",
      "{}",
      "[]",
    ),
    fc.constant("x".repeat(5000)),
    fc.nat({ max: 999_999 }).map((n) => String(n).padStart(6, "0")),
    fc.nat().map((i) => {
      const s = real();
      const at = i % Math.max(1, s.length);
      return s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);
    }),
    fc.constant(0).map(() => real()),
  );
}

function expectStable(res: GqlResult, context: unknown): void {
  expect({ context, status: res.status < 500 }).toEqual({ context, status: true });
  for (const error of res.body.errors ?? []) {
    const code = error.extensions?.code ?? "NONE";
    expect({ context, code, known: KNOWN.has(code) }).toEqual({ context, code, known: true });
  }
}

describe("the conversation under arbitrary input", () => {
  let gw: TestGateway;
  let client: Client;
  let user: { username: string; password: string; secret: string };
  const sessions: string[] = [];
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "OPTIONAL", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
    });
    client = await createClient(gw);
    const created = await createUser(gw, {
      attributes: { email: "prop@example.com", email_verified: "true" },
    });
    const secret = await enrollTotp(gw, (await signInAs(gw, client, created)).accessToken);
    user = { ...created, secret };
  }, 60_000);
  afterAll(() => gw.close());

  /** A fresh genuine session of the TOTP user (so the property also meets real ones). */
  async function freshSession(): Promise<string> {
    clock.advance(31 * 60_000); // past any lockout the property may have caused
    const step = await initiate(gw, client, user);
    if (step.session) sessions.push(step.session);
    return step.session ?? "";
  }

  it("respondToAuthChallenge: any challenge, session and responses get a stable answer, never tokens for a wrong code", async () => {
    await freshSession();
    const real = () => sessions.at(-1) ?? "";
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CHALLENGES),
        junk(real),
        fc.array(fc.tuple(fc.constantFrom(...RESPONSE_NAMES), junk(real)), { maxLength: 5 }),
        async (challengeName, session, pairs) => {
          const seen = new Set<string>();
          const responses = pairs
            .filter(([name]) => !seen.has(name) && seen.add(name))
            .map(([name, value]) => ({ name, value }));
          const res = await gw.gql(RESPOND, {
            input: { clientId: client.clientId, challengeName, session, responses },
          });
          expectStable(res, { challengeName, responses });
          // A random answer never signs anyone in (the TOTP code would have to be right).
          const result = res.body.data?.["respondToAuthChallenge"]?.authenticationResult;
          if (result) {
            const code = responses.find((r) => r.name === "SOFTWARE_TOKEN_MFA_CODE")?.value;
            expect({ signedInWith: code }).toEqual({
              signedInWith: expect.stringMatching(/^\d{6}$/),
            });
          }
          if (Math.random() < 0.05) await freshSession();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("initiateAuth, software tokens and recovery: any username, password, session and code get a stable answer", async () => {
    const real = () => sessions.at(-1) ?? "";
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("initiate", "associate", "verify", "forgot", "confirm"),
        junk(real),
        junk(real),
        fc.constantFrom("USER_PASSWORD_AUTH", "USER_AUTH", "USER_SRP_AUTH"),
        async (operation, a, b, authFlow) => {
          let res: GqlResult;
          switch (operation) {
            case "initiate":
              res = await gw.gql(
                `mutation I($input: InitiateAuthInput!) { initiateAuth(input: $input) { challengeName session } }`,
                {
                  input: {
                    clientId: client.clientId,
                    authFlow,
                    username: a,
                    ...(b ? (authFlow === "USER_SRP_AUTH" ? { srpA: b } : { password: b }) : {}),
                  },
                },
              );
              break;
            case "associate":
              res = await gw.gql(ASSOCIATE, { session: a });
              break;
            case "verify":
              res = await gw.gql(VERIFY, { input: { userCode: b, session: a } });
              break;
            case "forgot":
              res = await gw.gql(FORGOT, { input: { clientId: client.clientId, username: a } });
              break;
            case "confirm":
              res = await gw.gql(CONFIRM_FORGOT, {
                input: { clientId: client.clientId, username: a, code: b, password: b },
              });
              break;
          }
          expectStable(res, { operation, a: a.slice(0, 50), b: b.slice(0, 50) });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
