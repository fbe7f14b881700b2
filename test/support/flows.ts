/**
 * A small harness for sign-in conversations over GraphQL (DESIGN §11), so tests read like the
 * flows they check: initiate(gw, client, user) → respond(…, "SOFTWARE_TOKEN_MFA", session,
 * { SOFTWARE_TOKEN_MFA_CODE: code }). Codes an authenticator app would show come from
 * `authenticatorCode` (RFC 6238 through otpauth, as apps compute them).
 */
import { totpCode } from "../../src/tokens/totp";
import {
  codeOf,
  frozenClock,
  type GqlResult,
  type TestClock,
  type TestGateway,
  type Tokens,
} from "../harness";

export const INITIATE_AUTH = `mutation InitiateAuth($input: InitiateAuthInput!) {
  initiateAuth(input: $input) {
    authenticationResult { accessToken idToken refreshToken expiresIn tokenType }
    challengeName session challengeParameters { name value } availableChallenges
  }
}`;

export const RESPOND = `mutation Respond($input: RespondToAuthChallengeInput!) {
  respondToAuthChallenge(input: $input) {
    authenticationResult { accessToken idToken refreshToken expiresIn tokenType }
    challengeName session challengeParameters { name value } availableChallenges
  }
}`;

export const ASSOCIATE = `mutation Associate($session: String) {
  associateSoftwareToken(session: $session) { secretCode session otpauthUri }
}`;

export const VERIFY = `mutation Verify($input: VerifySoftwareTokenInput!) {
  verifySoftwareToken(input: $input) { status session }
}`;

export const SET_MFA_PREFERENCE = `mutation Pref($input: MfaPreferenceInput!) { setUserMfaPreference(input: $input) }`;

export const FORGOT = `mutation Forgot($input: ForgotPasswordInput!) {
  forgotPassword(input: $input) { destination deliveryMedium attributeName }
}`;

export const CONFIRM_FORGOT = `mutation ConfirmForgot($input: ConfirmForgotPasswordInput!) {
  confirmForgotPassword(input: $input)
}`;

export const RESEND = `mutation Resend($input: ResendConfirmationCodeInput!) {
  resendConfirmationCode(input: $input) { destination deliveryMedium attributeName }
}`;

export const ADMIN_CREATE_USER = `mutation Create($input: AdminCreateUserInput!) {
  adminCreateUser(input: $input) { sub username status email }
}`;

export interface Client {
  clientId: string;
  clientSecret?: string | undefined;
}

export interface Step {
  tokens: Tokens | undefined;
  challengeName: string | undefined;
  session: string | undefined;
  parameters: Record<string, string>;
  availableChallenges: string[] | undefined;
  res: GqlResult;
}

function stepOf(res: GqlResult, field: string): Step {
  const data = res.body.data?.[field] as
    | {
        authenticationResult: Tokens | null;
        challengeName: string | null;
        session: string | null;
        challengeParameters: { name: string; value: string }[];
        availableChallenges: string[] | null;
      }
    | null
    | undefined;
  return {
    tokens: data?.authenticationResult ?? undefined,
    challengeName: data?.challengeName ?? undefined,
    session: data?.session ?? undefined,
    parameters: Object.fromEntries((data?.challengeParameters ?? []).map((p) => [p.name, p.value])),
    availableChallenges: data?.availableChallenges ?? undefined,
    res,
  };
}

function secretOf(client: Client): { clientSecret?: string } {
  return client.clientSecret ? { clientSecret: client.clientSecret } : {};
}

export async function initiate(
  gw: TestGateway,
  client: Client,
  user: { username: string; password?: string },
  extra: Record<string, unknown> = {},
): Promise<Step> {
  const res = await gw.gql(INITIATE_AUTH, {
    input: {
      clientId: client.clientId,
      ...secretOf(client),
      authFlow: "USER_PASSWORD_AUTH",
      username: user.username,
      ...(user.password !== undefined ? { password: user.password } : {}),
      ...extra,
    },
  });
  return stepOf(res, "initiateAuth");
}

export async function respond(
  gw: TestGateway,
  client: Client,
  challengeName: string,
  session: string | undefined,
  responses: Record<string, string>,
): Promise<Step> {
  const res = await gw.gql(RESPOND, {
    input: {
      clientId: client.clientId,
      ...secretOf(client),
      challengeName,
      // PASSWORD_VERIFIER has no session: the field is left out, as a client would.
      ...(session !== undefined ? { session } : {}),
      responses: Object.entries(responses).map(([name, value]) => ({ name, value })),
    },
  });
  return stepOf(res, "respondToAuthChallenge");
}

/**
 * A frozen clock 1 s into a 30-second TOTP step, so a test that moves it by less than 29 s
 * stays in the same step and one that moves it by 30 s is exactly one step on.
 */
export function stepAlignedClock(): TestClock {
  return frozenClock(Math.floor(Date.now() / 30_000) * 30_000 + 1_000);
}

/** What an authenticator app shows for `secret` at the gateway's time (its clock, if frozen). */
export function authenticatorCode(gw: TestGateway, secret: string, offsetMs = 0): string {
  return totpCode(secret, (gw.clock?.now() ?? Date.now()) + offsetMs);
}

/** The step's outcome for an assertion: tokens, the challenge name, or the error code. */
export function outcomeOf(step: Step): string {
  if (step.tokens) return "TOKENS";
  if (step.challengeName) return step.challengeName;
  return codeOf(step.res) ?? "NO_ANSWER";
}

/**
 * Sets up TOTP for a signed-in user through the API (associate → verify with the access
 * token) and returns the secret; the authenticator's first code is spent by the verification.
 */
export async function enrollTotp(gw: TestGateway, accessToken: string): Promise<string> {
  const associated = await gw.gql(ASSOCIATE, {}, accessToken);
  const secret = associated.body.data?.["associateSoftwareToken"]?.["secretCode"] as
    string | undefined;
  if (!secret) throw new Error(`associate failed: ${JSON.stringify(associated.body.errors)}`);
  const verified = await gw.gql(
    VERIFY,
    { input: { userCode: authenticatorCode(gw, secret) } },
    accessToken,
  );
  if (verified.body.data?.["verifySoftwareToken"]?.["status"] !== "SUCCESS")
    throw new Error(`verify failed: ${JSON.stringify(verified.body.errors)}`);
  return secret;
}
