/**
 * Cognito's wire API (DESIGN §12, issue 15) through the real AWS SDK
 * (`@aws-sdk/client-cognito-identity-provider` with `endpoint` set to the gateway), over real
 * HTTP with real SQLite and a real SMTP server: every public operation, the challenges of the
 * sign-in conversation, SECRET_HASH, Cognito's exception names, and tokens shared with the
 * GraphQL door.
 */
import { createHmac } from "node:crypto";
import {
  AssociateSoftwareTokenCommand,
  ChangePasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  DeleteUserAttributesCommand,
  DeleteUserCommand,
  ForgotPasswordCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserAttributeVerificationCodeCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SetUserMFAPreferenceCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
  VerifySoftwareTokenCommand,
  VerifyUserAttributeCommand,
  type AuthenticationResultType,
} from "@aws-sdk/client-cognito-identity-provider";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import type { Jwks } from "aws-jwt-verify/jwk";
import { totpCode } from "../../src/tokens/totp";
import {
  createClient,
  createUser,
  ME,
  metricOf,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { stepAlignedClock } from "../support/flows";

/** The exception an SDK call failed with: its name and message (or "OK"). */
async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
    return { name: "OK", message: "" };
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    expect(e.$metadata?.httpStatusCode).toBeLessThan(500);
    return { name: e.name ?? "?", message: e.message ?? "" };
  }
}

function secretHash(secret: string, username: string, clientId: string): string {
  return createHmac("sha256", secret)
    .update(username + clientId)
    .digest("base64");
}

describe("Cognito's public operations through the AWS SDK", () => {
  let gw: TestGateway;
  let sdk: CognitoIdentityProviderClient;
  let client: { clientId: string; clientSecret: string | undefined };
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: {
        POOLGATE_SELF_SIGN_UP: "true",
        POOLGATE_MFA: "OPTIONAL",
        POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP",
      },
    });
    sdk = new CognitoIdentityProviderClient({ region: "local", endpoint: gw.url, maxAttempts: 1 });
    client = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
  });
  afterAll(async () => {
    sdk.destroy();
    await gw.close();
  });

  const passwordAuth = (username: string, password: string, extra: Record<string, string> = {}) =>
    sdk.send(
      new InitiateAuthCommand({
        ClientId: client.clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: username, PASSWORD: password, ...extra },
      }),
    );

  it("happy flow: USER_PASSWORD_AUTH returns Cognito's AuthenticationResult; its access token works on GraphQL, and a GraphQL token works on GetUser", async () => {
    const user = await createUser(gw, { attributes: { email: "wire@example.com", name: "Wire" } });
    const out = await passwordAuth(user.username, user.password);
    const result = out.AuthenticationResult as AuthenticationResultType;
    expect(result).toMatchObject({
      TokenType: "Bearer",
      ExpiresIn: 3600,
      AccessToken: expect.any(String),
      IdToken: expect.any(String),
      RefreshToken: expect.any(String),
    });
    expect(out.ChallengeName).toBeUndefined();
    const me = await gw.gql(ME, {}, result.AccessToken);
    expect(me.body.data?.["me"]?.username).toBe(user.username);
    const viaGraphQL = await signInAs(gw, client, user);
    const got = await sdk.send(new GetUserCommand({ AccessToken: viaGraphQL.accessToken }));
    expect(got.Username).toBe(user.username);
    expect(got.UserAttributes).toEqual(
      expect.arrayContaining([
        { Name: "sub", Value: user.sub },
        { Name: "email", Value: "wire@example.com" },
        { Name: "name", Value: "Wire" },
      ]),
    );
  });

  it("error flow: a wrong password and an unknown user get NotAuthorizedException with Cognito's message", async () => {
    const user = await createUser(gw);
    for (const [name, password] of [
      [user.username, "Wrong-pa55word!"],
      ["nobody-at-all", "Wrong-pa55word!"],
    ] as const) {
      expect(await failure(passwordAuth(name, password))).toEqual({
        name: "NotAuthorizedException",
        message: "Incorrect username or password.",
      });
    }
  });

  it("REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken refresh; RevokeToken ends the session at both doors", async () => {
    const user = await createUser(gw);
    const first = (await passwordAuth(user.username, user.password)).AuthenticationResult!;
    const refreshed = await sdk.send(
      new InitiateAuthCommand({
        ClientId: client.clientId,
        AuthFlow: "REFRESH_TOKEN_AUTH",
        AuthParameters: { REFRESH_TOKEN: first.RefreshToken! },
      }),
    );
    expect(refreshed.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    expect(refreshed.AuthenticationResult?.RefreshToken).toBeUndefined();
    const amplifyStyle = await sdk.send(
      new GetTokensFromRefreshTokenCommand({
        ClientId: client.clientId,
        RefreshToken: first.RefreshToken!,
      }),
    );
    expect(amplifyStyle.AuthenticationResult?.IdToken).toEqual(expect.any(String));
    await sdk.send(
      new RevokeTokenCommand({ ClientId: client.clientId, Token: first.RefreshToken! }),
    );
    expect(
      await failure(
        sdk.send(
          new GetTokensFromRefreshTokenCommand({
            ClientId: client.clientId,
            RefreshToken: first.RefreshToken!,
          }),
        ),
      ),
    ).toEqual({ name: "NotAuthorizedException", message: "Refresh Token has been revoked" });
    expect((await gw.gql(ME, {}, first.AccessToken)).status).toBe(401);
    expect(
      await failure(sdk.send(new GetUserCommand({ AccessToken: first.AccessToken! }))),
    ).toEqual({
      name: "NotAuthorizedException",
      message: "Invalid Access Token",
    });
  });

  it("GlobalSignOut ends every session, including those signed in through GraphQL", async () => {
    const user = await createUser(gw);
    const graphql = await signInAs(gw, client, user);
    const wire = (await passwordAuth(user.username, user.password)).AuthenticationResult!;
    await sdk.send(new GlobalSignOutCommand({ AccessToken: wire.AccessToken! }));
    expect((await gw.gql(ME, {}, graphql.accessToken)).status).toBe(401);
  });

  it("ChangePassword, attribute changes with email verification, DeleteUserAttributes and DeleteUser", async () => {
    const user = await createUser(gw, {
      attributes: { email: "before@example.com", email_verified: "true", nickname: "n" },
    });
    const token = (await passwordAuth(user.username, user.password)).AuthenticationResult!
      .AccessToken!;
    await sdk.send(
      new ChangePasswordCommand({
        AccessToken: token,
        PreviousPassword: user.password,
        ProposedPassword: "Changed-pa55word!",
      }),
    );
    expect(
      (await passwordAuth(user.username, "Changed-pa55word!")).AuthenticationResult,
    ).toBeDefined();
    const updated = await sdk.send(
      new UpdateUserAttributesCommand({
        AccessToken: token,
        UserAttributes: [{ Name: "email", Value: "after@example.com" }],
      }),
    );
    expect(updated.CodeDeliveryDetailsList).toEqual([
      { Destination: "a***@e***.com", DeliveryMedium: "EMAIL", AttributeName: "email" },
    ]);
    const code = gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes("after@example.com")));
    expect(
      await failure(
        sdk.send(
          new VerifyUserAttributeCommand({
            AccessToken: token,
            AttributeName: "email",
            Code: code === "000000" ? "000001" : "000000",
          }),
        ),
      ),
    ).toMatchObject({ name: "CodeMismatchException" });
    await sdk.send(
      new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: "email", Code: code }),
    );
    const resent = await sdk.send(
      new GetUserAttributeVerificationCodeCommand({ AccessToken: token, AttributeName: "email" }),
    );
    expect(resent.CodeDeliveryDetails?.Destination).toBe("a***@e***.com");
    await sdk.send(
      new DeleteUserAttributesCommand({ AccessToken: token, UserAttributeNames: ["nickname"] }),
    );
    const got = await sdk.send(new GetUserCommand({ AccessToken: token }));
    const attributes = Object.fromEntries((got.UserAttributes ?? []).map((a) => [a.Name, a.Value]));
    expect(attributes).toMatchObject({ email: "after@example.com", email_verified: "true" });
    expect(attributes["nickname"]).toBeUndefined();
    await sdk.send(new DeleteUserCommand({ AccessToken: token }));
    expect(await gw.pool.users.find(user.username)).toBeUndefined();
    expect((await failure(passwordAuth(user.username, "Changed-pa55word!"))).name).toBe(
      "NotAuthorizedException",
    );
  });

  it("SignUp, ConfirmSignUp and ResendConfirmationCode, with the codes read out of the mail", async () => {
    const signedUp = await sdk.send(
      new SignUpCommand({
        ClientId: client.clientId,
        Username: "wire-signup",
        Password: "Sign-up-pa55!",
        UserAttributes: [{ Name: "email", Value: "signup@example.com" }],
      }),
    );
    expect(signedUp).toMatchObject({
      UserConfirmed: false,
      UserSub: expect.any(String),
      CodeDeliveryDetails: {
        Destination: "s***@e***.com",
        DeliveryMedium: "EMAIL",
        AttributeName: "email",
      },
    });
    expect((await failure(passwordAuth("wire-signup", "Sign-up-pa55!"))).name).toBe(
      "UserNotConfirmedException",
    );
    const firstMail = await gw.smtp!.waitFor((m) => m.to.includes("signup@example.com"));
    await sdk.send(
      new ResendConfirmationCodeCommand({ ClientId: client.clientId, Username: "wire-signup" }),
    );
    const second = gw.smtp!.codeIn(
      await gw.smtp!.waitFor((m) => m !== firstMail && m.to.includes("signup@example.com")),
    );
    await sdk.send(
      new ConfirmSignUpCommand({
        ClientId: client.clientId,
        Username: "wire-signup",
        ConfirmationCode: second,
      }),
    );
    expect((await passwordAuth("wire-signup", "Sign-up-pa55!")).AuthenticationResult).toBeDefined();
    expect(
      (
        await failure(
          sdk.send(
            new SignUpCommand({
              ClientId: client.clientId,
              Username: "wire-signup",
              Password: "Sign-up-pa55!",
            }),
          ),
        )
      ).name,
    ).toBe("UsernameExistsException");
  });

  it("ForgotPassword and ConfirmForgotPassword; an unknown user gets the same kind of answer", async () => {
    const user = await createUser(gw, {
      attributes: { email: "forgot@example.com", email_verified: "true" },
    });
    const out = await sdk.send(
      new ForgotPasswordCommand({ ClientId: client.clientId, Username: user.username }),
    );
    expect(out.CodeDeliveryDetails).toEqual({
      Destination: "f***@e***.com",
      DeliveryMedium: "EMAIL",
      AttributeName: "email",
    });
    const stranger = await sdk.send(
      new ForgotPasswordCommand({ ClientId: client.clientId, Username: "stranger" }),
    );
    expect(Object.keys(stranger.CodeDeliveryDetails ?? {}).sort()).toEqual([
      "AttributeName",
      "DeliveryMedium",
      "Destination",
    ]);
    const code = gw.smtp!.codeIn(
      await gw.smtp!.waitFor((m) => m.to.includes("forgot@example.com")),
    );
    expect(
      (
        await failure(
          sdk.send(
            new ConfirmForgotPasswordCommand({
              ClientId: client.clientId,
              Username: user.username,
              ConfirmationCode: code,
              Password: "short",
            }),
          ),
        )
      ).name,
    ).toBe("InvalidPasswordException");
    await sdk.send(
      new ConfirmForgotPasswordCommand({
        ClientId: client.clientId,
        Username: user.username,
        ConfirmationCode: code,
        Password: "Reset-pa55word!",
      }),
    );
    expect(
      (await passwordAuth(user.username, "Reset-pa55word!")).AuthenticationResult,
    ).toBeDefined();
  });

  it("TOTP: associate and verify with the access token, then SOFTWARE_TOKEN_MFA at sign-in; SetUserMFAPreference and GetUser show it", async () => {
    const user = await createUser(gw);
    const token = (await passwordAuth(user.username, user.password)).AuthenticationResult!
      .AccessToken!;
    const { SecretCode } = await sdk.send(
      new AssociateSoftwareTokenCommand({ AccessToken: token }),
    );
    expect(SecretCode).toMatch(/^[A-Z2-7]{32}$/);
    expect(
      (
        await sdk.send(
          new VerifySoftwareTokenCommand({
            AccessToken: token,
            UserCode: totpCode(SecretCode!, clock.now()),
          }),
        )
      ).Status,
    ).toBe("SUCCESS");
    await sdk.send(
      new SetUserMFAPreferenceCommand({
        AccessToken: token,
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
      }),
    );
    const got = await sdk.send(new GetUserCommand({ AccessToken: token }));
    expect(got).toMatchObject({
      UserMFASettingList: ["SOFTWARE_TOKEN_MFA"],
      PreferredMfaSetting: "SOFTWARE_TOKEN_MFA",
    });
    clock.advance(30_000);
    const challenge = await passwordAuth(user.username, user.password);
    expect(challenge.ChallengeName).toBe("SOFTWARE_TOKEN_MFA");
    expect(challenge.Session).toEqual(expect.any(String));
    expect(
      await failure(
        sdk.send(
          new RespondToAuthChallengeCommand({
            ClientId: client.clientId,
            ChallengeName: "SOFTWARE_TOKEN_MFA",
            Session: challenge.Session,
            ChallengeResponses: {
              USERNAME: user.username,
              SOFTWARE_TOKEN_MFA_CODE:
                "000000" === totpCode(SecretCode!, clock.now()) ? "111111" : "000000",
            },
          }),
        ),
      ),
    ).toEqual({ name: "CodeMismatchException", message: "Invalid code received for user" });
    const done = await sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: client.clientId,
        ChallengeName: "SOFTWARE_TOKEN_MFA",
        Session: challenge.Session,
        ChallengeResponses: {
          USERNAME: user.username,
          SOFTWARE_TOKEN_MFA_CODE: totpCode(SecretCode!, clock.now()),
        },
      }),
    );
    expect(done.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    expect(
      await failure(
        sdk.send(
          new RespondToAuthChallengeCommand({
            ClientId: client.clientId,
            ChallengeName: "SOFTWARE_TOKEN_MFA",
            Session: challenge.Session,
            ChallengeResponses: {
              USERNAME: user.username,
              SOFTWARE_TOKEN_MFA_CODE: totpCode(SecretCode!, clock.now() + 30_000),
            },
          }),
        ),
      ),
    ).toEqual({
      name: "NotAuthorizedException",
      message: "Invalid session for the user, session is expired.",
    });
  });

  it("NEW_PASSWORD_REQUIRED for an invited user, answered with the new password", async () => {
    await gw.pool.users.adminCreate({
      username: "wire-invitee",
      temporaryPassword: "Temp-pa55word!",
      attributes: {},
      messageAction: "SUPPRESS",
    });
    const first = await passwordAuth("wire-invitee", "Temp-pa55word!");
    expect(first.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    expect(JSON.parse(first.ChallengeParameters!["requiredAttributes"]!)).toEqual([]);
    const done = await sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: client.clientId,
        ChallengeName: "NEW_PASSWORD_REQUIRED",
        Session: first.Session,
        ChallengeResponses: { USERNAME: "wire-invitee", NEW_PASSWORD: "Chosen-pa55word!" },
      }),
    );
    expect(done.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
  });

  it("USER_AUTH without a password: SELECT_CHALLENGE, answered with PASSWORD", async () => {
    const user = await createUser(gw);
    const select = await sdk.send(
      new InitiateAuthCommand({
        ClientId: client.clientId,
        AuthFlow: "USER_AUTH",
        AuthParameters: { USERNAME: user.username },
      }),
    );
    expect(select.ChallengeName).toBe("SELECT_CHALLENGE");
    expect(select.AvailableChallenges).toContain("PASSWORD");
    const done = await sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: client.clientId,
        ChallengeName: "SELECT_CHALLENGE",
        Session: select.Session,
        ChallengeResponses: {
          USERNAME: user.username,
          ANSWER: "PASSWORD",
          PASSWORD: user.password,
        },
      }),
    );
    expect(done.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
  });
});

describe("SECRET_HASH for a confidential app client", () => {
  let gw: TestGateway;
  let sdk: CognitoIdentityProviderClient;
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    gw = await startGateway();
    sdk = new CognitoIdentityProviderClient({ region: "local", endpoint: gw.url, maxAttempts: 1 });
    const made = await createClient(gw, { generateSecret: true, allowedScopes: ["openid"] });
    client = { clientId: made.clientId, clientSecret: made.clientSecret! };
  });
  afterAll(async () => {
    sdk.destroy();
    await gw.close();
  });

  const auth = (username: string, password: string, hash: string | undefined) =>
    sdk.send(
      new InitiateAuthCommand({
        ClientId: client.clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: {
          USERNAME: username,
          PASSWORD: password,
          ...(hash !== undefined ? { SECRET_HASH: hash } : {}),
        },
      }),
    );

  it("happy flow: the right SECRET_HASH signs in; a refresh takes one keyed with the user's sub", async () => {
    const user = await createUser(gw);
    const out = await auth(
      user.username,
      user.password,
      secretHash(client.clientSecret, user.username, client.clientId),
    );
    const refreshed = await sdk.send(
      new InitiateAuthCommand({
        ClientId: client.clientId,
        AuthFlow: "REFRESH_TOKEN_AUTH",
        AuthParameters: {
          REFRESH_TOKEN: out.AuthenticationResult!.RefreshToken!,
          SECRET_HASH: secretHash(client.clientSecret, user.sub, client.clientId),
        },
      }),
    );
    expect(refreshed.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
  });

  it("client impersonation without the secret: a missing or wrong SECRET_HASH is NotAuthorizedException and checks no password", async () => {
    const user = await createUser(gw);
    const before = gw.pool.hasher.verifications;
    expect(await failure(auth(user.username, user.password, undefined))).toEqual({
      name: "NotAuthorizedException",
      message: `Client ${client.clientId} is configured with secret but SECRET_HASH was not received`,
    });
    for (const wrong of [
      secretHash(client.clientSecret, `${user.username}x`, client.clientId),
      secretHash(`${client.clientSecret}x`, user.username, client.clientId),
      "not-base64!",
    ]) {
      expect(await failure(auth(user.username, user.password, wrong))).toEqual({
        name: "NotAuthorizedException",
        message: `Unable to verify secret hash for client ${client.clientId}`,
      });
    }
    expect(gw.pool.hasher.verifications).toBe(before);
  });
});

describe("the wire itself", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_CORS_ORIGINS: "https://app.example.com" } });
  });
  afterAll(() => gw.close());

  const post = (
    target: string | undefined,
    body: string,
    contentType = "application/x-amz-json-1.1",
  ) =>
    fetch(`${gw.url}/`, {
      method: "POST",
      headers: {
        "content-type": contentType,
        ...(target !== undefined ? { "x-amz-target": target } : {}),
      },
      body,
    });

  async function expectError(res: Response, status: number, type: string): Promise<void> {
    expect(res.status).toBe(status);
    expect(res.headers.get("x-amzn-errortype")).toBe(type);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ __type: type, message: expect.any(String) });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  }

  it("an operation poolgate does not implement is UnsupportedOperationException, never a 5xx", async () => {
    await expectError(
      await post("AWSCognitoIdentityProviderService.CreateUserPool", "{}"),
      400,
      "UnsupportedOperationException",
    );
    await expectError(
      await post("SomethingElse.InitiateAuth", "{}"),
      400,
      "UnsupportedOperationException",
    );
    await expectError(await post(undefined, "{}"), 400, "UnsupportedOperationException");
    await expectError(
      await post("AWSCognitoIdentityProviderService.__proto__", "{}"),
      400,
      "UnsupportedOperationException",
    );
  });

  it("a malformed body is SerializationException; a wrong member type or a missing member is InvalidParameterException", async () => {
    const op = "AWSCognitoIdentityProviderService.InitiateAuth";
    await expectError(await post(op, "{not json"), 400, "SerializationException");
    await expectError(await post(op, "[]"), 400, "SerializationException");
    await expectError(await post(op, "{}", "text/plain"), 400, "SerializationException");
    await expectError(
      await post(op, JSON.stringify({ ClientId: 7 })),
      400,
      "InvalidParameterException",
    );
    await expectError(
      await post(op, JSON.stringify({ AuthFlow: "USER_PASSWORD_AUTH" })),
      400,
      "InvalidParameterException",
    );
    await expectError(
      await post(
        op,
        JSON.stringify({
          ClientId: "x",
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: ["a"] },
        }),
      ),
      400,
      "InvalidParameterException",
    );
    await expectError(
      await post(op, JSON.stringify({ ClientId: "x", AuthFlow: "NO_SUCH_FLOW" })),
      400,
      "InvalidParameterException",
    );
  });

  it("counts each call in poolgate_cognito_operations_total; made-up operation names are `other`", async () => {
    const counted = (labels: string) => metricOf(gw, "poolgate_cognito_operations_total", labels);
    const before = await counted('{operation="other",outcome="UnsupportedOperationException"}');
    const parse = await counted('{operation="InitiateAuth",outcome="SerializationException"}');
    await post("AWSCognitoIdentityProviderService.MadeUp123", "{}");
    await post("AWSCognitoIdentityProviderService.InitiateAuth", "{oops");
    expect(await counted('{operation="other",outcome="UnsupportedOperationException"}')).toBe(
      before + 1,
    );
    expect(await counted('{operation="InitiateAuth",outcome="SerializationException"}')).toBe(
      parse + 1,
    );
    const { body } = await gw.gateway.metrics.render();
    expect(body).not.toContain("MadeUp123");
  });

  it("GET / is not the API (404), and a browser preflight from a listed origin may send every header Amplify v6 sends", async () => {
    expect((await fetch(`${gw.url}/`)).status).toBe(404);
    // What Amplify JS v6 (aws-amplify 6.22) sets on each call, as Chromium lists it in the
    // preflight (test/browser/amplify.test.ts runs the real thing).
    const amplifyHeaders = [
      "amz-sdk-invocation-id",
      "amz-sdk-request",
      "cache-control",
      "content-type",
      "x-amz-target",
      "x-amz-user-agent",
    ];
    const preflight = await fetch(`${gw.url}/`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": amplifyHeaders.join(","),
      },
    });
    expect(preflight.status).toBe(204);
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "")
      .split(",")
      .map((h) => h.trim());
    expect(allowed).toEqual(expect.arrayContaining([...amplifyHeaders, "authorization"]));
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const other = await fetch(`${gw.url}/`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(other.status).toBe(403);
  });
});

describe("tokens from the wire API verify as Cognito's", () => {
  let gw: TestGateway;
  const poolId = "eu-west-1_Wire42";

  beforeAll(async () => {
    gw = await startGateway({
      env: {
        POOLGATE_POOL_ID: poolId,
        POOLGATE_ISSUER: `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`,
      },
    });
  });
  afterAll(() => gw.close());

  it("aws-jwt-verify's CognitoJwtVerifier accepts the ID and access tokens of InitiateAuth", async () => {
    const { clientId } = await createClient(gw, { allowedScopes: ["openid", "email"] });
    const user = await createUser(gw, { groups: ["readers"] });
    const sdk = new CognitoIdentityProviderClient({
      region: "eu-west-1",
      endpoint: gw.url,
      maxAttempts: 1,
    });
    try {
      const out = await sdk.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
        }),
      );
      const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as Jwks;
      const access = CognitoJwtVerifier.create({
        userPoolId: poolId,
        tokenUse: "access",
        clientId,
        groups: "readers",
      });
      const id = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: "id", clientId });
      access.cacheJwks(jwks);
      id.cacheJwks(jwks);
      expect(await access.verify(out.AuthenticationResult!.AccessToken!)).toMatchObject({
        sub: user.sub,
        username: user.username,
        client_id: clientId,
        token_use: "access",
      });
      expect(await id.verify(out.AuthenticationResult!.IdToken!)).toMatchObject({
        "cognito:username": user.username,
        aud: clientId,
      });
    } finally {
      sdk.destroy();
    }
  });
});

describe("the MFA challenges on the wire", () => {
  let gw: TestGateway;
  let sdk: CognitoIdentityProviderClient;
  let clientId: string;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "ON", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
    });
    sdk = new CognitoIdentityProviderClient({ region: "local", endpoint: gw.url, maxAttempts: 1 });
    ({ clientId } = await createClient(gw));
  });
  afterAll(async () => {
    sdk.destroy();
    await gw.close();
  });

  const passwordAuth = (username: string, password: string) =>
    sdk.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    );
  const respond = (
    name: "MFA_SETUP" | "SELECT_MFA_TYPE" | "EMAIL_OTP" | "SOFTWARE_TOKEN_MFA",
    session: string | undefined,
    responses: Record<string, string>,
  ) =>
    sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: name,
        Session: session,
        ChallengeResponses: responses,
      }),
    );

  it("MFA_SETUP: AssociateSoftwareToken and VerifySoftwareToken with the Session, then RespondToAuthChallenge MFA_SETUP", async () => {
    const user = await createUser(gw);
    const setup = await passwordAuth(user.username, user.password);
    expect(setup.ChallengeName).toBe("MFA_SETUP");
    expect(JSON.parse(setup.ChallengeParameters!["MFAS_CAN_SETUP"]!)).toEqual([
      "SOFTWARE_TOKEN_MFA",
    ]);
    const associated = await sdk.send(
      new AssociateSoftwareTokenCommand({ Session: setup.Session }),
    );
    const verified = await sdk.send(
      new VerifySoftwareTokenCommand({
        Session: associated.Session,
        UserCode: totpCode(associated.SecretCode!, clock.now()),
      }),
    );
    expect(verified.Status).toBe("SUCCESS");
    const done = await respond("MFA_SETUP", verified.Session, { USERNAME: user.username });
    expect(done.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    expect(
      (await failure(sdk.send(new AssociateSoftwareTokenCommand({ Session: setup.Session })))).name,
    ).toBe("NotAuthorizedException");
  });

  it("EMAIL_OTP for a user with a verified email, and SELECT_MFA_TYPE when they have both factors", async () => {
    const user = await createUser(gw, {
      attributes: { email: "both-wire@example.com", email_verified: "true" },
    });
    const first = await passwordAuth(user.username, user.password);
    expect(first.ChallengeName).toBe("EMAIL_OTP");
    expect(first.ChallengeParameters).toMatchObject({ CODE_DELIVERY_DESTINATION: "b***@e***.com" });
    const firstMail = await gw.smtp!.waitFor((m) => m.to.includes("both-wire@example.com"));
    const done = await respond("EMAIL_OTP", first.Session, {
      USERNAME: user.username,
      EMAIL_OTP_CODE: gw.smtp!.codeIn(firstMail),
    });
    const token = done.AuthenticationResult!.AccessToken!;
    const { SecretCode } = await sdk.send(
      new AssociateSoftwareTokenCommand({ AccessToken: token }),
    );
    await sdk.send(
      new VerifySoftwareTokenCommand({
        AccessToken: token,
        UserCode: totpCode(SecretCode!, clock.now()),
      }),
    );
    await sdk.send(
      new SetUserMFAPreferenceCommand({ AccessToken: token, EmailMfaSettings: { Enabled: true } }),
    );
    clock.advance(30_000);
    const choose = await passwordAuth(user.username, user.password);
    expect(choose.ChallengeName).toBe("SELECT_MFA_TYPE");
    expect(JSON.parse(choose.ChallengeParameters!["MFAS_CAN_CHOOSE"]!)).toEqual([
      "SOFTWARE_TOKEN_MFA",
      "EMAIL_OTP",
    ]);
    const totp = await respond("SELECT_MFA_TYPE", choose.Session, {
      USERNAME: user.username,
      ANSWER: "SOFTWARE_TOKEN_MFA",
    });
    expect(totp.ChallengeName).toBe("SOFTWARE_TOKEN_MFA");
    const signedIn = await respond("SOFTWARE_TOKEN_MFA", totp.Session, {
      USERNAME: user.username,
      SOFTWARE_TOKEN_MFA_CODE: totpCode(SecretCode!, clock.now()),
    });
    expect(signedIn.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
  });
});
