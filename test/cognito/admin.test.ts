/**
 * Cognito's admin operations (DESIGN §12, issue 15) through the real AWS SDK, signing with a
 * poolgate access key through the SDK's own `credentials` option, over real HTTP with real
 * SQLite and a real SMTP server: every admin operation's happy flow and Cognito's errors, the
 * attacks on the signature (each test named after the one it stops), ListUsers' filters and
 * pages, and tokens shared with the GraphQL door.
 */
import { LibrarySrpClient, type ChallengeParameters } from "../support/srpClient";
import { createHash, createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminResetUserPasswordCommand,
  AdminRespondToAuthChallengeCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  InitiateAuthCommand,
  ListGroupsCommand,
  ListUsersCommand,
  type UserType,
} from "@aws-sdk/client-cognito-identity-provider";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import {
  claimsOf,
  createClient,
  createUser,
  ME,
  signInAs,
  startGateway,
  type TestClock,
  type TestGateway,
} from "../harness";

const TARGET = "AWSCognitoIdentityProviderService.";

/** Real time plus an offset the test moves: the SDK signs with the real clock. */
function movableClock(): TestClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

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

interface RawRequest {
  headers: Record<string, string>;
  body: string;
}

interface RawResponse {
  status: number;
  type: string | undefined;
  body: Record<string, unknown>;
}

/** A request body as the SDK holds it (a string, or bytes that warn when read as one) as text. */
function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  const bytes = body as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

const MISMATCH =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

describe("Cognito's admin operations through the AWS SDK, signed with a poolgate access key", () => {
  let gw: TestGateway;
  let admin: CognitoIdentityProviderClient;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  let client: { clientId: string; clientSecret: string | undefined };
  let POOL: string;
  const clock = movableClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "OPTIONAL", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
    });
    POOL = gw.config.poolId;
    const { key, secretAccessKey } = await gw.pool.accessKeys.create("admin tests");
    credentials = { accessKeyId: key.accessKeyId, secretAccessKey };
    admin = sdkWith(credentials);
    client = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
  });
  afterAll(async () => {
    admin.destroy();
    await gw.close();
  });

  function sdkWith(creds: { accessKeyId: string; secretAccessKey: string }) {
    return new CognitoIdentityProviderClient({
      region: "local",
      endpoint: gw.url,
      credentials: creds,
      maxAttempts: 1,
    });
  }

  /** Runs `edit` on each request the SDK sends, after it is signed (what a wire attacker can do). */
  function afterSigning(
    sdk: CognitoIdentityProviderClient,
    edit: (request: { headers: Record<string, string>; body: unknown }) => void,
  ): void {
    const middleware = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      edit((args as { request: { headers: Record<string, string>; body: unknown } }).request);
      return next(args);
    };
    sdk.middlewareStack.addRelativeTo(
      middleware as unknown as Parameters<typeof sdk.middlewareStack.addRelativeTo>[0],
      { relation: "after", toMiddleware: "httpSigningMiddleware", name: "afterSigning" },
    );
  }

  /** Sends headers and a body exactly as given (a replay, or a request signed by hand). */
  function rawPost(raw: RawRequest): Promise<RawResponse> {
    const url = new URL(gw.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: "/", method: "POST", headers: raw.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({
              status: res.statusCode ?? 0,
              type: res.headers["x-amzn-errortype"] as string | undefined,
              body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
            });
          });
        },
      );
      req.on("error", reject);
      req.end(raw.body);
    });
  }

  /** A request signed by hand with the SDK's signer, for what the SDK will not send itself. */
  async function signByHand(
    operation: string,
    input: Record<string, unknown>,
    options: {
      service?: string;
      secret?: string;
      accessKeyId?: string;
      dateMs?: number;
      checksum?: boolean;
    } = {},
  ): Promise<RawRequest> {
    const url = new URL(gw.url);
    const body = JSON.stringify(input);
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: options.accessKeyId ?? credentials.accessKeyId,
        secretAccessKey: options.secret ?? credentials.secretAccessKey,
      },
      region: "local",
      service: options.service ?? "cognito-idp",
      sha256: Hash.bind(null, "sha256"),
      applyChecksum: options.checksum ?? false,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: "/",
        headers: {
          host: url.host,
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": TARGET + operation,
        },
        body,
      }),
      { signingDate: new Date(options.dateMs ?? Date.now()) },
    );
    return { headers: signed.headers as Record<string, string>, body };
  }

  /** The next request `sdk` sends, as signed (headers and body), captured on the way out. */
  function captureNext(sdk: CognitoIdentityProviderClient): () => RawRequest {
    let captured: RawRequest | undefined;
    afterSigning(sdk, (request) => {
      captured = { headers: { ...request.headers }, body: bodyText(request.body) };
    });
    return () => {
      if (captured === undefined) throw new Error("nothing was sent");
      return captured;
    };
  }

  const invited = async (username: string, attributes: Record<string, string> = {}) =>
    admin.send(
      new AdminCreateUserCommand({
        UserPoolId: POOL,
        Username: username,
        TemporaryPassword: "Temp-pa55word!",
        MessageAction: "SUPPRESS",
        UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
      }),
    );

  const adminPasswordAuth = (username: string, password: string) =>
    admin.send(
      new AdminInitiateAuthCommand({
        UserPoolId: POOL,
        ClientId: client.clientId,
        AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    );

  describe("users", () => {
    it("happy flow: AdminCreateUser with a TemporaryPassword → NEW_PASSWORD_REQUIRED through AdminInitiateAuth → AdminRespondToAuthChallenge returns tokens that work on GraphQL", async () => {
      const created = await invited("adm-newcomer", { email: "newcomer@example.com" });
      expect(created.User).toMatchObject({
        Username: "adm-newcomer",
        Enabled: true,
        UserStatus: "FORCE_CHANGE_PASSWORD",
        Attributes: expect.arrayContaining([{ Name: "email", Value: "newcomer@example.com" }]),
      });
      expect(created.User?.UserCreateDate).toBeInstanceOf(Date);
      expect(Math.abs(created.User!.UserCreateDate!.getTime() - clock.now())).toBeLessThan(5_000);
      const challenge = await adminPasswordAuth("adm-newcomer", "Temp-pa55word!");
      expect(challenge.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
      const done = await admin.send(
        new AdminRespondToAuthChallengeCommand({
          UserPoolId: POOL,
          ClientId: client.clientId,
          ChallengeName: "NEW_PASSWORD_REQUIRED",
          Session: challenge.Session,
          ChallengeResponses: { USERNAME: "adm-newcomer", NEW_PASSWORD: "Chosen-pa55word!" },
        }),
      );
      const token = done.AuthenticationResult?.AccessToken;
      expect(token).toEqual(expect.any(String));
      const me = await gw.gql(ME, {}, token);
      expect(me.body.data?.["me"]?.username).toBe("adm-newcomer");
      const got = await admin.send(
        new AdminGetUserCommand({ UserPoolId: POOL, Username: "adm-newcomer" }),
      );
      expect(got.UserStatus).toBe("CONFIRMED");
    });

    it("AdminCreateUser without a TemporaryPassword sends an invitation by email, and RESEND a new one; SMS is refused; a taken name is UsernameExistsException", async () => {
      const before = gw.smtp!.messages.length;
      const created = await admin.send(
        new AdminCreateUserCommand({
          UserPoolId: POOL,
          Username: "adm-invitee",
          DesiredDeliveryMediums: ["EMAIL"],
          UserAttributes: [{ Name: "email", Value: "invitee@example.com" }],
        }),
      );
      expect(created.User?.UserStatus).toBe("FORCE_CHANGE_PASSWORD");
      const invitation = await gw.smtp!.waitFor((m) => m.to.includes("invitee@example.com"));
      expect(gw.smtp!.messages.length).toBe(before + 1);
      await admin.send(
        new AdminCreateUserCommand({
          UserPoolId: POOL,
          Username: "adm-invitee",
          MessageAction: "RESEND",
        }),
      );
      await gw.smtp!.waitFor((m) => m !== invitation && m.to.includes("invitee@example.com"));
      expect(
        await failure(
          admin.send(
            new AdminCreateUserCommand({
              UserPoolId: POOL,
              Username: "adm-sms",
              DesiredDeliveryMediums: ["SMS"],
              UserAttributes: [{ Name: "phone_number", Value: "+15555550100" }],
            }),
          ),
        ),
      ).toMatchObject({ name: "InvalidParameterException" });
      expect(await failure(invited("adm-invitee"))).toEqual({
        name: "UsernameExistsException",
        message: "User account already exists",
      });
      expect(
        await failure(
          admin.send(
            new AdminCreateUserCommand({
              UserPoolId: POOL,
              Username: "adm-unknown-action",
              MessageAction: "SHOUT" as never,
            }),
          ),
        ),
      ).toMatchObject({ name: "InvalidParameterException" });
    });

    it("AdminGetUser answers Cognito's shape (dates as epoch seconds, UserStatus, Enabled, sub among the attributes); an unknown user is UserNotFoundException", async () => {
      const user = await createUser(gw, {
        attributes: { email: "shape@example.com", name: "Shape" },
      });
      const raw = await rawPost(
        await signByHand("AdminGetUser", { UserPoolId: POOL, Username: user.username }),
      );
      expect(raw.status).toBe(200);
      expect(raw.body).toEqual({
        Username: user.username,
        UserAttributes: [
          { Name: "sub", Value: user.sub },
          { Name: "email", Value: "shape@example.com" },
          { Name: "name", Value: "Shape" },
        ],
        UserCreateDate: expect.any(Number),
        UserLastModifiedDate: expect.any(Number),
        Enabled: true,
        UserStatus: "CONFIRMED",
      });
      expect(Math.abs((raw.body["UserCreateDate"] as number) * 1000 - clock.now())).toBeLessThan(
        10_000,
      );
      const got = await admin.send(
        new AdminGetUserCommand({ UserPoolId: POOL, Username: user.username }),
      );
      expect(got.UserCreateDate).toBeInstanceOf(Date);
      expect(
        await failure(
          admin.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: "nobody" })),
        ),
      ).toEqual({ name: "UserNotFoundException", message: "User does not exist." });
    });

    it("a UserPoolId other than POOLGATE_POOL_ID is ResourceNotFoundException", async () => {
      expect(
        await failure(
          admin.send(new AdminGetUserCommand({ UserPoolId: "eu-west-1_other", Username: "x" })),
        ),
      ).toEqual({
        name: "ResourceNotFoundException",
        message: "User pool eu-west-1_other does not exist.",
      });
    });

    it("AdminDisableUser rejects the user's tokens at once and refuses sign-in; AdminEnableUser lets them sign in again", async () => {
      const user = await createUser(gw);
      const token = (await adminPasswordAuth(user.username, user.password)).AuthenticationResult!
        .AccessToken!;
      expect((await gw.gql(ME, {}, token)).status).toBe(200);
      await admin.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: user.username }));
      expect((await gw.gql(ME, {}, token)).status).toBe(401);
      expect(
        (await admin.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: user.username })))
          .Enabled,
      ).toBe(false);
      expect((await failure(adminPasswordAuth(user.username, user.password))).name).toBe(
        "NotAuthorizedException",
      );
      await admin.send(new AdminEnableUserCommand({ UserPoolId: POOL, Username: user.username }));
      expect(
        (await adminPasswordAuth(user.username, user.password)).AuthenticationResult,
      ).toBeDefined();
      expect(
        await failure(
          admin.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: "nobody" })),
        ),
      ).toMatchObject({ name: "UserNotFoundException" });
    });

    it("AdminDeleteUser ends the user's sessions and the user; a second delete is UserNotFoundException", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      await admin.send(new AdminDeleteUserCommand({ UserPoolId: POOL, Username: user.username }));
      expect((await gw.gql(ME, {}, tokens.accessToken)).status).toBe(401);
      expect(
        await failure(
          admin.send(new AdminDeleteUserCommand({ UserPoolId: POOL, Username: user.username })),
        ),
      ).toMatchObject({ name: "UserNotFoundException" });
    });

    it("AdminUserGlobalSignOut ends every session, GraphQL's included, and a sign-in after it works", async () => {
      const user = await createUser(gw);
      const graphql = await signInAs(gw, client, user);
      const wire = (await adminPasswordAuth(user.username, user.password)).AuthenticationResult!;
      await admin.send(
        new AdminUserGlobalSignOutCommand({ UserPoolId: POOL, Username: user.username }),
      );
      expect((await gw.gql(ME, {}, graphql.accessToken)).status).toBe(401);
      expect((await gw.gql(ME, {}, wire.AccessToken)).status).toBe(401);
      const again = (await adminPasswordAuth(user.username, user.password)).AuthenticationResult!;
      expect((await gw.gql(ME, {}, again.AccessToken)).status).toBe(200);
    });

    it("AdminSetUserPassword: Permanent sets the password; without it the user must choose a new one (FORCE_CHANGE_PASSWORD)", async () => {
      const user = await createUser(gw);
      await admin.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: POOL,
          Username: user.username,
          Password: "Permanent-pa55word!",
          Permanent: true,
        }),
      );
      expect(
        (await adminPasswordAuth(user.username, "Permanent-pa55word!")).AuthenticationResult,
      ).toBeDefined();
      await admin.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: POOL,
          Username: user.username,
          Password: "Temporary-pa55word!",
        }),
      );
      expect(
        (await admin.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: user.username })))
          .UserStatus,
      ).toBe("FORCE_CHANGE_PASSWORD");
      expect((await adminPasswordAuth(user.username, "Temporary-pa55word!")).ChallengeName).toBe(
        "NEW_PASSWORD_REQUIRED",
      );
      expect(
        await failure(
          admin.send(
            new AdminSetUserPasswordCommand({
              UserPoolId: POOL,
              Username: user.username,
              Password: "short",
              Permanent: true,
            }),
          ),
        ),
      ).toMatchObject({ name: "InvalidPasswordException" });
    });

    it("AdminResetUserPassword: the next sign-in is PasswordResetRequiredException, and AdminGetUser says RESET_REQUIRED", async () => {
      const user = await createUser(gw);
      await admin.send(
        new AdminResetUserPasswordCommand({ UserPoolId: POOL, Username: user.username }),
      );
      expect((await failure(adminPasswordAuth(user.username, user.password))).name).toBe(
        "PasswordResetRequiredException",
      );
      expect(
        (await admin.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: user.username })))
          .UserStatus,
      ).toBe("RESET_REQUIRED");
    });

    it("AdminSetUserMFAPreference turns email MFA on: AdminGetUser shows it and the next sign-in asks EMAIL_OTP; SMS is refused", async () => {
      const user = await createUser(gw, {
        attributes: { email: "mfa-admin@example.com", email_verified: "true" },
      });
      await admin.send(
        new AdminSetUserMFAPreferenceCommand({
          UserPoolId: POOL,
          Username: user.username,
          EmailMfaSettings: { Enabled: true, PreferredMfa: true },
        }),
      );
      const got = await admin.send(
        new AdminGetUserCommand({ UserPoolId: POOL, Username: user.username }),
      );
      expect(got).toMatchObject({
        UserMFASettingList: ["EMAIL_OTP"],
        PreferredMfaSetting: "EMAIL_OTP",
      });
      const challenge = await adminPasswordAuth(user.username, user.password);
      expect(challenge.ChallengeName).toBe("EMAIL_OTP");
      const code = gw.smtp!.codeIn(
        await gw.smtp!.waitFor((m) => m.to.includes("mfa-admin@example.com")),
      );
      const done = await admin.send(
        new AdminRespondToAuthChallengeCommand({
          UserPoolId: POOL,
          ClientId: client.clientId,
          ChallengeName: "EMAIL_OTP",
          Session: challenge.Session,
          ChallengeResponses: { USERNAME: user.username, EMAIL_OTP_CODE: code },
        }),
      );
      expect(done.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
      expect(
        await failure(
          admin.send(
            new AdminSetUserMFAPreferenceCommand({
              UserPoolId: POOL,
              Username: user.username,
              SMSMfaSettings: { Enabled: true },
            }),
          ),
        ),
      ).toMatchObject({ name: "InvalidParameterException" });
      expect(
        await failure(
          admin.send(
            new AdminSetUserMFAPreferenceCommand({
              UserPoolId: POOL,
              Username: "nobody",
              EmailMfaSettings: { Enabled: false },
            }),
          ),
        ),
      ).toMatchObject({ name: "UserNotFoundException" });
    });
  });

  describe("AdminInitiateAuth", () => {
    it("ADMIN_USER_PASSWORD_AUTH (and ADMIN_NO_SRP_AUTH) sign in; REFRESH_TOKEN_AUTH refreshes; the tokens are the gateway's", async () => {
      const user = await createUser(gw);
      const first = (await adminPasswordAuth(user.username, user.password)).AuthenticationResult!;
      expect(first).toMatchObject({ TokenType: "Bearer", ExpiresIn: 3600 });
      expect(claimsOf(first.AccessToken!)).toMatchObject({
        client_id: client.clientId,
        username: user.username,
        token_use: "access",
      });
      const legacy = await admin.send(
        new AdminInitiateAuthCommand({
          UserPoolId: POOL,
          ClientId: client.clientId,
          AuthFlow: "ADMIN_NO_SRP_AUTH",
          AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
        }),
      );
      expect(legacy.AuthenticationResult?.IdToken).toEqual(expect.any(String));
      const refreshed = await admin.send(
        new AdminInitiateAuthCommand({
          UserPoolId: POOL,
          ClientId: client.clientId,
          AuthFlow: "REFRESH_TOKEN_AUTH",
          AuthParameters: { REFRESH_TOKEN: first.RefreshToken! },
        }),
      );
      expect(refreshed.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
      expect(refreshed.AuthenticationResult?.RefreshToken).toBeUndefined();
      const me = await gw.gql(ME, {}, refreshed.AuthenticationResult!.AccessToken);
      expect(me.body.data?.["me"]?.sub).toBe(user.sub);
    });

    it("happy flow: USER_SRP_AUTH through AdminInitiateAuth, answered with AdminRespondToAuthChallenge PASSWORD_VERIFIER", async () => {
      const user = await createUser(gw);
      const srp = new LibrarySrpClient(POOL.split("_")[1]!);
      const challenge = await admin.send(
        new AdminInitiateAuthCommand({
          UserPoolId: POOL,
          ClientId: client.clientId,
          AuthFlow: "USER_SRP_AUTH",
          AuthParameters: { USERNAME: user.username, SRP_A: srp.AHex },
        }),
      );
      expect(challenge.ChallengeName).toBe("PASSWORD_VERIFIER");
      const done = await admin.send(
        new AdminRespondToAuthChallengeCommand({
          UserPoolId: POOL,
          ClientId: client.clientId,
          ChallengeName: "PASSWORD_VERIFIER",
          ChallengeResponses: srp.answer(
            challenge.ChallengeParameters as unknown as ChallengeParameters,
            user.password,
          ),
        }),
      );
      expect(
        (await gw.gql(ME, {}, done.AuthenticationResult!.AccessToken)).body.data?.["me"]?.sub,
      ).toBe(user.sub);
    });

    it("error flow: a wrong password is NotAuthorizedException; USER_PASSWORD_AUTH is not an AdminInitiateAuth flow", async () => {
      const user = await createUser(gw);
      expect(await failure(adminPasswordAuth(user.username, "Wrong-pa55word!"))).toEqual({
        name: "NotAuthorizedException",
        message: "Incorrect username or password.",
      });
      expect(await failure(adminPasswordAuth("nobody-at-all", "Wrong-pa55word!"))).toEqual({
        name: "NotAuthorizedException",
        message: "Incorrect username or password.",
      });
      for (const flow of ["USER_PASSWORD_AUTH"] as const)
        expect(
          await failure(
            admin.send(
              new AdminInitiateAuthCommand({
                UserPoolId: POOL,
                ClientId: client.clientId,
                AuthFlow: flow,
                AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
              }),
            ),
          ),
        ).toEqual({
          name: "InvalidParameterException",
          message: `Initiate Auth method not supported: ${flow}`,
        });
    });

    it("a client with a secret needs SECRET_HASH, as in InitiateAuth", async () => {
      const confidential = await createClient(gw, {
        allowedScopes: ["openid"],
        generateSecret: true,
      });
      const user = await createUser(gw);
      const send = (extra: Record<string, string>) =>
        admin.send(
          new AdminInitiateAuthCommand({
            UserPoolId: POOL,
            ClientId: confidential.clientId,
            AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
            AuthParameters: { USERNAME: user.username, PASSWORD: user.password, ...extra },
          }),
        );
      expect((await failure(send({}))).name).toBe("NotAuthorizedException");
      const ok = await send({
        SECRET_HASH: secretHash(confidential.clientSecret!, user.username, confidential.clientId),
      });
      expect(ok.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    });
  });

  describe("groups", () => {
    it("AdminAddUserToGroup needs no CreateGroup first; AdminListGroupsForUser shows CreateGroup's details; AdminRemoveUserFromGroup; tokens carry cognito:groups", async () => {
      const user = await createUser(gw);
      await admin.send(
        new CreateGroupCommand({
          UserPoolId: POOL,
          GroupName: "adm-editors",
          Description: "Edit everything",
          Precedence: 1,
        }),
      );
      for (const group of ["adm-editors", "adm-joined-only"])
        await admin.send(
          new AdminAddUserToGroupCommand({
            UserPoolId: POOL,
            Username: user.username,
            GroupName: group,
          }),
        );
      const listed = await admin.send(
        new AdminListGroupsForUserCommand({ UserPoolId: POOL, Username: user.username }),
      );
      expect(listed.Groups).toEqual([
        {
          GroupName: "adm-editors",
          UserPoolId: POOL,
          Description: "Edit everything",
          Precedence: 1,
          CreationDate: expect.any(Date),
          LastModifiedDate: expect.any(Date),
        },
        { GroupName: "adm-joined-only", UserPoolId: POOL },
      ]);
      expect(listed.NextToken).toBeUndefined();
      const paged = await admin.send(
        new AdminListGroupsForUserCommand({ UserPoolId: POOL, Username: user.username, Limit: 1 }),
      );
      expect(paged.Groups?.map((g) => g.GroupName)).toEqual(["adm-editors"]);
      const rest = await admin.send(
        new AdminListGroupsForUserCommand({
          UserPoolId: POOL,
          Username: user.username,
          Limit: 1,
          NextToken: paged.NextToken,
        }),
      );
      expect(rest.Groups?.map((g) => g.GroupName)).toEqual(["adm-joined-only"]);
      expect(rest.NextToken).toBeUndefined();
      const token = (await adminPasswordAuth(user.username, user.password)).AuthenticationResult!
        .AccessToken!;
      expect(claimsOf(token)["cognito:groups"]).toEqual(["adm-editors", "adm-joined-only"]);
      await admin.send(
        new AdminRemoveUserFromGroupCommand({
          UserPoolId: POOL,
          Username: user.username,
          GroupName: "adm-joined-only",
        }),
      );
      expect(
        (
          await admin.send(
            new AdminListGroupsForUserCommand({ UserPoolId: POOL, Username: user.username }),
          )
        ).Groups?.map((g) => g.GroupName),
      ).toEqual(["adm-editors"]);
      expect(
        await failure(
          admin.send(
            new AdminAddUserToGroupCommand({
              UserPoolId: POOL,
              Username: "nobody",
              GroupName: "adm-editors",
            }),
          ),
        ),
      ).toMatchObject({ name: "UserNotFoundException" });
      expect(
        await failure(
          admin.send(
            new AdminAddUserToGroupCommand({
              UserPoolId: POOL,
              Username: user.username,
              GroupName: "has space",
            }),
          ),
        ),
      ).toMatchObject({ name: "InvalidParameterException" });
    });

    it("CreateGroup and ListGroups: created groups with their details and joined-only names, in order, a page at a time; a second CreateGroup is GroupExistsException", async () => {
      const created = await admin.send(
        new CreateGroupCommand({ UserPoolId: POOL, GroupName: "lg-a", Precedence: 0 }),
      );
      expect(created.Group).toEqual({
        GroupName: "lg-a",
        UserPoolId: POOL,
        Precedence: 0,
        CreationDate: expect.any(Date),
        LastModifiedDate: expect.any(Date),
      });
      await admin.send(
        new CreateGroupCommand({ UserPoolId: POOL, GroupName: "lg-c", Description: "C" }),
      );
      const user = await createUser(gw, { groups: ["lg-b"] });
      expect(user.sub).toEqual(expect.any(String));
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const listed = await admin.send(
          new ListGroupsCommand({ UserPoolId: POOL, Limit: 2, NextToken: token }),
        );
        expect(listed.Groups!.length).toBeLessThanOrEqual(2);
        seen.push(...listed.Groups!.map((g) => g.GroupName!));
        token = listed.NextToken;
      } while (token !== undefined);
      expect(seen.filter((g) => g.startsWith("lg-"))).toEqual(["lg-a", "lg-b", "lg-c"]);
      expect(new Set(seen).size).toBe(seen.length);
      expect(
        await failure(admin.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "lg-a" }))),
      ).toMatchObject({ name: "GroupExistsException" });
      expect(
        await failure(
          admin.send(
            new CreateGroupCommand({
              UserPoolId: POOL,
              GroupName: "lg-role",
              RoleArn: "arn:aws:iam::111111111111:role/R",
            }),
          ),
        ),
      ).toMatchObject({ name: "InvalidParameterException" });
      expect(
        await failure(
          admin.send(
            new CreateGroupCommand({ UserPoolId: POOL, GroupName: "lg-neg", Precedence: -1 }),
          ),
        ),
      ).toMatchObject({ name: "InvalidParameterException" });
    });
  });

  describe("ListUsers", () => {
    const BULK = 130;

    beforeAll(async () => {
      for (let i = 0; i < BULK; i++)
        await gw.pool.users.adminCreate({
          username: `bulk-${String(i).padStart(3, "0")}`,
          password: "Bulk-pa55word!",
          attributes: { email: `bulk${i}@${i % 3 === 0 ? "three" : "other"}.example.com` },
        });
    });

    async function walk(filter: string | undefined, limit?: number) {
      const users: UserType[] = [];
      const sizes: number[] = [];
      let token: string | undefined;
      do {
        const page = await admin.send(
          new ListUsersCommand({
            UserPoolId: POOL,
            Filter: filter,
            PaginationToken: token,
            ...(limit !== undefined ? { Limit: limit } : {}),
          }),
        );
        users.push(...page.Users!);
        sizes.push(page.Users!.length);
        token = page.PaginationToken;
      } while (token !== undefined);
      return { users, sizes };
    }

    it("walks ~130 users in pages of 60 (the default and the most), in username order, each once", async () => {
      const bulk = await walk('username ^= "bulk-"');
      expect(bulk.sizes).toEqual([60, 60, 10]);
      expect(bulk.users.map((u) => u.Username)).toEqual(
        Array.from({ length: BULK }, (_, i) => `bulk-${String(i).padStart(3, "0")}`),
      );
      expect(bulk.users[0]).toMatchObject({
        Enabled: true,
        UserStatus: "CONFIRMED",
        UserCreateDate: expect.any(Date),
        Attributes: expect.arrayContaining([{ Name: "email", Value: "bulk0@three.example.com" }]),
      });
      const everyone = await walk(undefined);
      const names = everyone.users.map((u) => u.Username!);
      expect(everyone.sizes.slice(0, -1).every((n) => n === 60)).toBe(true);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toEqual(
        [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
      expect(names).toEqual(expect.arrayContaining(bulk.users.map((u) => u.Username!)));
      expect((await walk('username ^= "bulk-"', 7)).sizes).toEqual([
        ...Array<number>(18).fill(7),
        4,
      ]);
    });

    it("filters: = and ^= on email, username and sub; cognito:user_status; status; quotes and wildcards are literal", async () => {
      const user = await createUser(gw, {
        username: "lu-percent%_",
        attributes: { email: 'odd"quote%_@example.com', family_name: "O'Hara\\" },
      });
      await createUser(gw, { username: "lu-percentXY" });
      const names = async (filter: string) => (await walk(filter)).users.map((u) => u.Username);
      expect(await names('email = "odd\\"quote%_@example.com"')).toEqual(["lu-percent%_"]);
      expect(await names('email ^= "odd\\"q"')).toEqual(["lu-percent%_"]);
      expect(await names('username ^= "lu-percent%"')).toEqual(["lu-percent%_"]);
      expect(await names('username ^= "lu-percent"')).toEqual(["lu-percent%_", "lu-percentxy"]);
      expect(await names('family_name = "O\'Hara\\\\"')).toEqual(["lu-percent%_"]);
      expect(await names(`sub = "${user.sub}"`)).toEqual(["lu-percent%_"]);
      expect(await names('username = "LU-PERCENT%_"')).toEqual(["lu-percent%_"]); // case-insensitive pool
      expect((await names('email ^= "bulk1"')).length).toBe(41); // bulk1, bulk10–19, bulk100–129
      await invited("lu-pending");
      expect(await names('cognito:user_status = "force_change_password"')).toEqual(
        expect.arrayContaining(["lu-pending"]),
      );
      expect(await names('cognito:user_status = "FORCE_CHANGE_PASSWORD"')).not.toEqual(
        expect.arrayContaining(["lu-percent%_"]),
      );
      expect(await names('cognito:user_status = "ARCHIVED"')).toEqual([]);
      await admin.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: "lu-percentXY" }));
      expect(await names('status = "Disabled"')).toEqual(expect.arrayContaining(["lu-percentxy"]));
      expect(await names('status = "Enabled"')).not.toEqual(
        expect.arrayContaining(["lu-percentxy"]),
      );
    });

    it("AttributesToGet returns only those attributes", async () => {
      const page = await admin.send(
        new ListUsersCommand({
          UserPoolId: POOL,
          Filter: 'username = "bulk-003"',
          AttributesToGet: ["email"],
        }),
      );
      expect(page.Users).toEqual([
        expect.objectContaining({
          Username: "bulk-003",
          Attributes: [{ Name: "email", Value: "bulk3@three.example.com" }],
        }),
      ]);
    });

    it("error flow: a bad filter, a Limit past 60 or below 1, and a made-up PaginationToken are InvalidParameterException", async () => {
      for (const filter of [
        "email = unquoted",
        'custom:tier = "gold"',
        'email == "x"',
        'cognito:user_status ^= "CONF"',
        'status = "enabled"',
        'email = "a\\nb"',
      ])
        expect({ filter, ...(await failure(walk(filter))) }).toMatchObject({
          filter,
          name: "InvalidParameterException",
        });
      expect(
        await failure(admin.send(new ListUsersCommand({ UserPoolId: POOL, Limit: 61 }))),
      ).toEqual({
        name: "InvalidParameterException",
        message:
          "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60",
      });
      expect(
        (await failure(admin.send(new ListUsersCommand({ UserPoolId: POOL, Limit: 0 })))).name,
      ).toBe("InvalidParameterException");
      expect(
        (
          await failure(
            admin.send(new ListUsersCommand({ UserPoolId: POOL, PaginationToken: "not-ours" })),
          )
        ).name,
      ).toBe("InvalidParameterException");
    });
  });

  describe("the signature", () => {
    const getUser = (username = "adm-sig-target") =>
      new AdminGetUserCommand({ UserPoolId: POOL, Username: username });

    beforeAll(async () => {
      await createUser(gw, { username: "adm-sig-target" });
    });

    it("an unsigned admin call is refused (MissingAuthenticationTokenException)", async () => {
      const res = await rawPost({
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `${TARGET}AdminGetUser`,
        },
        body: JSON.stringify({ UserPoolId: POOL, Username: "adm-sig-target" }),
      });
      expect(res).toEqual({
        status: 403,
        type: "MissingAuthenticationTokenException",
        body: {
          __type: "MissingAuthenticationTokenException",
          message: "Missing Authentication Token",
        },
      });
      // Through the SDK, with the signature taken off on the way: the same, and nothing ran.
      const stripped = sdkWith(credentials);
      afterSigning(stripped, (request) => {
        delete request.headers["authorization"];
      });
      expect(
        await failure(
          stripped.send(
            new AdminDeleteUserCommand({ UserPoolId: POOL, Username: "adm-sig-target" }),
          ),
        ),
      ).toEqual({
        name: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token",
      });
      stripped.destroy();
      expect((await admin.send(getUser())).Username).toBe("adm-sig-target");
      // Even an unparsable body is refused for its missing signature first.
      expect(
        (
          await rawPost({
            headers: {
              "content-type": "application/x-amz-json-1.1",
              "x-amz-target": `${TARGET}ListUsers`,
            },
            body: "{not json",
          })
        ).type,
      ).toBe("MissingAuthenticationTokenException");
    });

    it("a signature made with the wrong secret is refused", async () => {
      const wrong = sdkWith({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: `${credentials.secretAccessKey.slice(0, -1)}${credentials.secretAccessKey.endsWith("A") ? "B" : "A"}`,
      });
      expect(await failure(wrong.send(getUser()))).toEqual({
        name: "InvalidSignatureException",
        message: MISMATCH,
      });
      expect(
        await failure(
          wrong.send(new AdminDeleteUserCommand({ UserPoolId: POOL, Username: "adm-sig-target" })),
        ),
      ).toMatchObject({ name: "InvalidSignatureException" });
      wrong.destroy();
      expect((await admin.send(getUser())).Username).toBe("adm-sig-target");
    });

    it("an unknown or deleted access key is refused (UnrecognizedClientException)", async () => {
      const expected = {
        name: "UnrecognizedClientException",
        message: "The security token included in the request is invalid.",
      };
      const unknown = sdkWith({
        accessKeyId: "PGAKAAAAAAAAAAAAAAAA",
        secretAccessKey: credentials.secretAccessKey,
      });
      expect(await failure(unknown.send(getUser()))).toEqual(expected);
      unknown.destroy();
      const aws = sdkWith({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x" });
      expect(await failure(aws.send(getUser()))).toEqual(expected);
      aws.destroy();
      const { key, secretAccessKey } = await gw.pool.accessKeys.create("short-lived");
      const doomed = sdkWith({ accessKeyId: key.accessKeyId, secretAccessKey });
      expect((await doomed.send(getUser())).Username).toBe("adm-sig-target");
      expect(await gw.pool.accessKeys.delete(key.accessKeyId)).toBe(true);
      expect(await failure(doomed.send(getUser()))).toEqual(expected);
      doomed.destroy();
    });

    it("a signed request replayed after 5 minutes is refused", async () => {
      const sdk = sdkWith(credentials);
      const captured = captureNext(sdk);
      expect((await sdk.send(getUser())).Username).toBe("adm-sig-target");
      sdk.destroy();
      const request = captured();
      // Within its 5 minutes a signature holds (as AWS's): the replay of a read is a read.
      expect((await rawPost(request)).status).toBe(200);
      clock.advance(5 * 60_000 + 1_000);
      try {
        const late = await rawPost(request);
        expect(late.status).toBe(400);
        expect(late.type).toBe("InvalidSignatureException");
        expect(late.body["message"]).toMatch(
          /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
        );
      } finally {
        clock.advance(-(5 * 60_000 + 1_000));
      }
      // And one signed for later than 5 minutes from now is not yet good.
      const early = await rawPost(
        await signByHand(
          "AdminGetUser",
          { UserPoolId: POOL, Username: "adm-sig-target" },
          { dateMs: clock.now() + 6 * 60_000 },
        ),
      );
      expect(early.type).toBe("InvalidSignatureException");
      expect(early.body["message"]).toMatch(/^Signature not yet current: .* is still later than /);
    });

    it("a signed request whose body was changed is refused", async () => {
      const victim = await createUser(gw);
      // The SDK signs its own x-amz-content-sha256: a changed body no longer matches it.
      const tampering = sdkWith(credentials);
      afterSigning(tampering, (request) => {
        const body = bodyText(request.body).replace("adm-sig-target", victim.username);
        request.body = body;
        request.headers["content-length"] = String(Buffer.byteLength(body));
      });
      expect(
        await failure(
          tampering.send(
            new AdminDeleteUserCommand({ UserPoolId: POOL, Username: "adm-sig-target" }),
          ),
        ),
      ).toEqual({ name: "InvalidSignatureException", message: MISMATCH });
      tampering.destroy();
      // A changed body with the header changed to its hash, or without the header at all.
      const signed = await signByHand(
        "AdminDeleteUser",
        { UserPoolId: POOL, Username: "adm-sig-target" },
        { checksum: true },
      );
      const body = JSON.stringify({ UserPoolId: POOL, Username: victim.username });
      const forged = await rawPost({
        headers: {
          ...signed.headers,
          "x-amz-content-sha256": createHash("sha256").update(body).digest("hex"),
          "content-length": String(Buffer.byteLength(body)),
        },
        body,
      });
      expect([forged.type, forged.body["message"]]).toEqual([
        "InvalidSignatureException",
        MISMATCH,
      ]);
      const unhashed = await signByHand("AdminDeleteUser", {
        UserPoolId: POOL,
        Username: "adm-sig-target",
      });
      const swapped = await rawPost({
        headers: { ...unhashed.headers, "content-length": String(Buffer.byteLength(body)) },
        body,
      });
      expect(swapped.type).toBe("InvalidSignatureException");
      // Nothing was deleted; the untouched request does what it says.
      expect((await admin.send(getUser(victim.username))).Username).toBe(victim.username);
      expect(
        (
          await rawPost(
            await signByHand("AdminGetUser", { UserPoolId: POOL, Username: victim.username }),
          )
        ).status,
      ).toBe(200);
    });

    it("a signature for another service is refused", async () => {
      const res = await rawPost(
        await signByHand(
          "AdminGetUser",
          { UserPoolId: POOL, Username: "adm-sig-target" },
          { service: "cognito-identity" },
        ),
      );
      expect(res).toMatchObject({
        status: 400,
        type: "InvalidSignatureException",
        body: { message: "Credential should be scoped to correct service: 'cognito-idp'. " },
      });
    });

    it("a malformed Authorization header is IncompleteSignatureException; a session token is UnrecognizedClientException", async () => {
      const good = await signByHand("AdminGetUser", {
        UserPoolId: POOL,
        Username: "adm-sig-target",
      });
      const auth = good.headers["authorization"]!;
      for (const authorization of [
        "Bearer abc",
        auth.replace(/, Signature=[0-9a-f]+/, ""),
        auth.replace(/Signature=[0-9a-f]+/, "Signature=xyz"),
        auth.replace(/Credential=[^,]+/, "Credential=PGAK/20240101/local"),
        auth.replace(/SignedHeaders=[^,]+/, "SignedHeaders=content-type;x-amz-date;x-amz-target"),
      ])
        expect({
          authorization,
          type: (await rawPost({ ...good, headers: { ...good.headers, authorization } })).type,
        }).toEqual({
          authorization,
          type: "IncompleteSignatureException",
        });
      const withToken = await rawPost({
        ...good,
        headers: { ...good.headers, "x-amz-security-token": "session" },
      });
      expect(withToken.type).toBe("UnrecognizedClientException");
      expect((await rawPost(good)).status).toBe(200);
    });

    it("public operations stay unsigned and ignore an Authorization header", async () => {
      const user = await createUser(gw);
      const anyone = new CognitoIdentityProviderClient({
        region: "local",
        endpoint: gw.url,
        maxAttempts: 1,
      });
      afterSigning(anyone, (request) => {
        request.headers["authorization"] = "AWS4-HMAC-SHA256 nonsense";
      });
      const out = await anyone.send(
        new InitiateAuthCommand({
          ClientId: client.clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
        }),
      );
      anyone.destroy();
      expect(out.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    });

    it("a sealed secret copied onto another key's row does not open as that key's", async () => {
      const { key, secretAccessKey } = await gw.pool.accessKeys.create("original");
      const stored = await gw.pool.store.getAccessKey(key.accessKeyId);
      expect(stored?.secretSealed).not.toContain(secretAccessKey);
      await gw.pool.store.createAccessKey({ ...stored!, accessKeyId: "PGAKQQQQQQQQQQQQQQQQ" });
      await expect(gw.pool.accessKeys.secretFor("PGAKQQQQQQQQQQQQQQQQ")).rejects.toThrow();
      expect(await gw.pool.accessKeys.secretFor(key.accessKeyId)).toBe(secretAccessKey);
      await gw.pool.store.deleteAccessKey("PGAKQQQQQQQQQQQQQQQQ");
    });

    it("a key's use is recorded at most once a minute", async () => {
      const { key, secretAccessKey } = await gw.pool.accessKeys.create("usage");
      const lastUsed = async () =>
        (await gw.pool.accessKeys.list()).find((k) => k.accessKeyId === key.accessKeyId)!
          .lastUsedAtMs;
      expect(await lastUsed()).toBeNull();
      const sdk = sdkWith({ accessKeyId: key.accessKeyId, secretAccessKey });
      await sdk.send(getUser());
      const first = await lastUsed();
      expect(first).toEqual(expect.any(Number));
      clock.advance(30_000);
      await sdk.send(getUser());
      expect(await lastUsed()).toBe(first);
      clock.advance(31_000);
      try {
        await sdk.send(getUser());
        expect(await lastUsed()).toBeGreaterThanOrEqual(first! + 60_000);
      } finally {
        clock.advance(-61_000);
        sdk.destroy();
      }
    });
  });
});
