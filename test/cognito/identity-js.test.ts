/**
 * amazon-cognito-identity-js (the library most Cognito web apps were written against), with
 * `endpoint` pointed at the gateway, over real HTTP: authenticateUser, refreshSession,
 * getUserAttributes, changePassword, forgotPassword → confirmPassword (the code read out of
 * a real SMTP server's mail), globalSignOut, and the MFA callbacks.
 */
import {
  AuthenticationDetails,
  CognitoRefreshToken,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
  type ICognitoUserAttributeData,
} from "amazon-cognito-identity-js";
import { totpCode } from "../../src/tokens/totp";
import { createClient, createUser, ME, startGateway, type TestGateway } from "../harness";
import { enrollTotp, stepAlignedClock } from "../support/flows";

type Flow = "USER_PASSWORD_AUTH" | "USER_SRP_AUTH";

interface Outcome {
  kind: "session" | "mfa" | "newPassword" | "failure";
  session?: CognitoUserSession;
  error?: { name?: string; code?: string; message?: string };
}

/** authenticateUser as a promise of what the library called back with. */
function authenticate(user: CognitoUser, username: string, password: string): Promise<Outcome> {
  return new Promise((resolve) => {
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session) => resolve({ kind: "session", session }),
      onFailure: (error: Outcome["error"]) =>
        resolve({ kind: "failure", ...(error ? { error } : {}) }),
      totpRequired: () => resolve({ kind: "mfa" }),
      newPasswordRequired: () => resolve({ kind: "newPassword" }),
    });
  });
}

function callback<T>(
  run: (done: (err: Error | undefined | null, value?: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    run((err, value) => (err ? reject(err) : resolve(value as T))),
  );
}

describe("amazon-cognito-identity-js against poolgate", () => {
  let gw: TestGateway;
  let pool: CognitoUserPool;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "OPTIONAL", POOLGATE_POOL_ID: "eu-west-1_Pool9" },
    });
    const { clientId } = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
    pool = new CognitoUserPool({
      UserPoolId: "eu-west-1_Pool9",
      ClientId: clientId,
      endpoint: `${gw.url}/`,
    });
  });
  afterAll(() => gw.close());

  function cognitoUser(username: string, flow: Flow = "USER_PASSWORD_AUTH"): CognitoUser {
    const user = new CognitoUser({ Username: username, Pool: pool });
    user.setAuthenticationFlowType(flow);
    return user;
  }

  it("happy flow: authenticateUser, getUserAttributes, refreshSession; the session's tokens work on GraphQL", async () => {
    const created = await createUser(gw, {
      attributes: { email: "js@example.com", given_name: "Jay" },
    });
    const user = cognitoUser(created.username);
    const outcome = await authenticate(user, created.username, created.password);
    expect(outcome.kind).toBe("session");
    const session = outcome.session!;
    expect(session.isValid()).toBe(true);
    expect(session.getIdToken().decodePayload()).toMatchObject({
      "cognito:username": created.username,
      email: "js@example.com",
    });
    const me = await gw.gql(ME, {}, session.getAccessToken().getJwtToken());
    expect(me.body.data?.["me"]?.username).toBe(created.username);
    const attributes = await callback<ICognitoUserAttributeData[]>((done) =>
      user.getUserAttributes((err, result) =>
        done(
          err,
          result?.map((a) => ({ Name: a.getName(), Value: a.getValue() })),
        ),
      ),
    );
    expect(attributes).toEqual(
      expect.arrayContaining([
        { Name: "email", Value: "js@example.com" },
        { Name: "given_name", Value: "Jay" },
        { Name: "sub", Value: created.sub },
      ]),
    );
    const refreshed = await callback<CognitoUserSession>((done) =>
      user.refreshSession(
        new CognitoRefreshToken({ RefreshToken: session.getRefreshToken().getToken() }),
        done,
      ),
    );
    expect(refreshed.getAccessToken().getJwtToken()).not.toBe("");
    expect(refreshed.getRefreshToken().getToken()).toBe(session.getRefreshToken().getToken());
  });

  it("happy flow: authenticateUser with the library's default flow, SRP (USER_SRP_AUTH → PASSWORD_VERIFIER)", async () => {
    const created = await createUser(gw, { attributes: { email: "srp@example.com" } });
    const outcome = await authenticate(
      cognitoUser(created.username, "USER_SRP_AUTH"),
      created.username,
      created.password,
    );
    expect(outcome.kind).toBe("session");
    const me = await gw.gql(ME, {}, outcome.session!.getAccessToken().getJwtToken());
    expect(me.body.data?.["me"]?.username).toBe(created.username);
    const wrong = await authenticate(
      cognitoUser(created.username, "USER_SRP_AUTH"),
      created.username,
      "Wrong-pa55word!",
    );
    expect(wrong.error).toMatchObject({
      code: "NotAuthorizedException",
      message: "Incorrect username or password.",
    });
  });

  it("a TOTP user signing in with SRP: PASSWORD_VERIFIER, then totpRequired", async () => {
    const created = await createUser(gw);
    const viaGraphQL = (
      await gw.gql(`mutation S($i: SignInInput!) { signIn(input: $i) { accessToken } }`, {
        i: { clientId: pool.getClientId(), username: created.username, password: created.password },
      })
    ).body.data!["signIn"].accessToken as string;
    const secret = await enrollTotp(gw, viaGraphQL);
    clock.advance(30_000);
    const user = cognitoUser(created.username, "USER_SRP_AUTH");
    expect((await authenticate(user, created.username, created.password)).kind).toBe("mfa");
    const session = await new Promise<CognitoUserSession>((resolve, reject) =>
      user.sendMFACode(
        totpCode(secret, clock.now()),
        { onSuccess: resolve, onFailure: reject },
        "SOFTWARE_TOKEN_MFA",
      ),
    );
    expect(session.isValid()).toBe(true);
  });

  it("error flow: a wrong password reaches onFailure as NotAuthorizedException", async () => {
    const created = await createUser(gw);
    const outcome = await authenticate(
      cognitoUser(created.username),
      created.username,
      "Wrong-pa55word!",
    );
    expect(outcome.kind).toBe("failure");
    expect(outcome.error).toMatchObject({
      code: "NotAuthorizedException",
      message: "Incorrect username or password.",
    });
  });

  it("changePassword, then globalSignOut ends every session", async () => {
    const created = await createUser(gw);
    const user = cognitoUser(created.username);
    const { session } = await authenticate(user, created.username, created.password);
    await callback((done) => user.changePassword(created.password, "Js-changed-pa55!", done));
    expect(
      (await authenticate(cognitoUser(created.username), created.username, "Js-changed-pa55!"))
        .kind,
    ).toBe("session");
    await new Promise<void>((resolve, reject) =>
      user.globalSignOut({ onSuccess: () => resolve(), onFailure: reject }),
    );
    expect((await gw.gql(ME, {}, session!.getAccessToken().getJwtToken())).status).toBe(401);
  });

  it("forgotPassword → the code from the mail → confirmPassword", async () => {
    const created = await createUser(gw, {
      attributes: { email: "js-forgot@example.com", email_verified: "true" },
    });
    const user = cognitoUser(created.username);
    const delivery = await new Promise<unknown>((resolve, reject) =>
      user.forgotPassword({
        onSuccess: resolve,
        onFailure: reject,
        inputVerificationCode: resolve,
      }),
    );
    expect(delivery).toMatchObject({
      CodeDeliveryDetails: {
        Destination: "j***@e***.com",
        DeliveryMedium: "EMAIL",
        AttributeName: "email",
      },
    });
    const code = gw.smtp!.codeIn(
      await gw.smtp!.waitFor((m) => m.to.includes("js-forgot@example.com")),
    );
    await new Promise<void>((resolve, reject) =>
      user.confirmPassword(code, "Js-reset-pa55word!", {
        onSuccess: () => resolve(),
        onFailure: reject,
      }),
    );
    expect(
      (await authenticate(cognitoUser(created.username), created.username, "Js-reset-pa55word!"))
        .kind,
    ).toBe("session");
  });

  it("a TOTP user: totpRequired, then sendMFACode with the authenticator's code", async () => {
    const created = await createUser(gw);
    const viaGraphQL = (
      await gw.gql(`mutation S($i: SignInInput!) { signIn(input: $i) { accessToken } }`, {
        i: { clientId: pool.getClientId(), username: created.username, password: created.password },
      })
    ).body.data!["signIn"].accessToken as string;
    const secret = await enrollTotp(gw, viaGraphQL);
    clock.advance(30_000);
    const user = cognitoUser(created.username);
    expect((await authenticate(user, created.username, created.password)).kind).toBe("mfa");
    const session = await new Promise<CognitoUserSession>((resolve, reject) =>
      user.sendMFACode(
        totpCode(secret, clock.now()),
        { onSuccess: resolve, onFailure: reject },
        "SOFTWARE_TOKEN_MFA",
      ),
    );
    expect(session.isValid()).toBe(true);
  });
});
