/**
 * Property (issue 15, "Bad input"): whatever arrives at Cognito's wire API — any target, any
 * content type, any body (not JSON, JSON of any type, huge, deeply nested, members of the
 * wrong type, near-miss tokens and sessions) — the answer is a 4xx with Cognito's error shape
 * (`__type` and `message`, the name also in `x-amzn-ErrorType`) or a 200, never a 5xx, never a
 * stack trace, and the gateway keeps serving.
 */
import fc from "fast-check";
import { createClient, createUser, startGateway, type TestGateway } from "../harness";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 200);

const OPERATIONS = [
  "InitiateAuth",
  "RespondToAuthChallenge",
  "GetTokensFromRefreshToken",
  "RevokeToken",
  "GlobalSignOut",
  "GetUser",
  "UpdateUserAttributes",
  "DeleteUserAttributes",
  "VerifyUserAttribute",
  "GetUserAttributeVerificationCode",
  "ChangePassword",
  "DeleteUser",
  "SignUp",
  "ConfirmSignUp",
  "ResendConfirmationCode",
  "ForgotPassword",
  "ConfirmForgotPassword",
  "AssociateSoftwareToken",
  "VerifySoftwareToken",
  "SetUserMFAPreference",
  "AdminCreateUser",
  "ListUsers",
  "CreateUserPool",
  "",
  "constructor",
  "__proto__",
];

const MEMBERS = [
  "ClientId",
  "AuthFlow",
  "AuthParameters",
  "ChallengeName",
  "ChallengeResponses",
  "Session",
  "AccessToken",
  "RefreshToken",
  "Token",
  "ClientSecret",
  "Username",
  "Password",
  "UserAttributes",
  "UserAttributeNames",
  "AttributeName",
  "Code",
  "ConfirmationCode",
  "SecretHash",
  "UserCode",
  "SoftwareTokenMfaSettings",
  "EmailMfaSettings",
  "PreviousPassword",
  "ProposedPassword",
];

describe("Cognito's wire API under arbitrary input", () => {
  let gw: TestGateway;
  let clientId: string;
  let accessToken: string;
  let refreshToken: string;
  let username: string;

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_SELF_SIGN_UP: "true" } });
    ({ clientId } = await createClient(gw));
    const user = await createUser(gw);
    username = user.username;
    const res = await fetch(`${gw.url}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        ClientId: clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
      }),
    });
    const tokens = ((await res.json()) as { AuthenticationResult: Record<string, string> })
      .AuthenticationResult;
    accessToken = tokens["AccessToken"]!;
    refreshToken = tokens["RefreshToken"]!;
  });
  afterAll(() => gw.close());

  /** Values that break naive handlers, and the real ones with a character changed. */
  const value = (): fc.Arbitrary<unknown> =>
    fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant("x".repeat(20_000)),
      fc.constantFrom(
        clientId,
        username,
        "USER_PASSWORD_AUTH",
        "REFRESH_TOKEN_AUTH",
        "USER_AUTH",
        "SOFTWARE_TOKEN_MFA",
      ),
      fc.nat().map((i) => {
        const t = [accessToken, refreshToken][i % 2]!;
        const at = i % t.length;
        return t.slice(0, at) + (t[at] === "A" ? "B" : "A") + t.slice(at + 1);
      }),
      fc.constantFrom(accessToken, refreshToken),
      fc.dictionary(
        fc.constantFrom(
          "USERNAME",
          "PASSWORD",
          "SECRET_HASH",
          "REFRESH_TOKEN",
          "SRP_A",
          "__proto__",
          "constructor",
        ),
        fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
      ),
      fc.array(
        fc.record({
          Name: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
          Value: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null)),
        }),
        { maxLength: 4 },
      ),
      fc.letrec<{ deep: unknown }>((tie) => ({
        deep: fc.oneof(
          { depthSize: "small" },
          fc.constant(1),
          fc.array(tie("deep"), { maxLength: 3 }),
          fc.dictionary(fc.string({ maxLength: 3 }), tie("deep"), { maxKeys: 3 }),
        ),
      })).deep,
    );

  const body = (): fc.Arbitrary<string> =>
    fc.oneof(
      fc
        .dictionary(fc.constantFrom(...MEMBERS), value(), { maxKeys: 6 })
        .map((o) => JSON.stringify(o)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 50 }),
      fc.constant("{".repeat(5000)),
      fc.constant(`[${"[".repeat(3000)}${"]".repeat(3001)}`),
      fc.constant(""),
    );

  it("answers every request with a 200 or Cognito's 4xx error shape, never a 5xx or a stack trace", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...OPERATIONS),
        fc.constantFrom(
          "AWSCognitoIdentityProviderService.",
          "awscognitoidentityproviderservice.",
          "",
          "AWSCognitoIdentityProviderService",
        ),
        fc.constantFrom(
          "application/x-amz-json-1.1",
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
          "",
        ),
        body(),
        async (operation, prefix, contentType, text) => {
          const res = await fetch(`${gw.url}/`, {
            method: "POST",
            headers: {
              ...(contentType ? { "content-type": contentType } : {}),
              "x-amz-target": `${prefix}${operation}`,
            },
            body: text,
          });
          const raw = await res.text();
          const context = {
            operation,
            prefix,
            contentType,
            body: text.slice(0, 80),
            status: res.status,
          };
          expect({ context, below500: res.status < 500 }).toEqual({ context, below500: true });
          expect(raw).not.toMatch(/\bat [^\n]*\.(ts|js):\d+/);
          if (res.status !== 200) {
            const parsed = JSON.parse(raw) as Record<string, unknown>;
            expect({ context, parsed }).toEqual({
              context,
              parsed: { __type: expect.stringMatching(/^[A-Za-z]+$/), message: expect.any(String) },
            });
            expect(res.headers.get("x-amzn-errortype")).toBe(parsed["__type"]);
          }
        },
      ),
      { numRuns: RUNS },
    );
    // Still serving, and the genuine token still works.
    const ok = await fetch(`${gw.url}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.GetUser",
      },
      body: JSON.stringify({ AccessToken: accessToken }),
    });
    expect([200, 400]).toContain(ok.status);
  });
});
