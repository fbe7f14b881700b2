/**
 * Account recovery and verification (DESIGN §11, issue 14 #4) over real HTTP with a real SMTP
 * server: forgotPassword → the code in the mail → confirmForgotPassword, which revokes every
 * session; resendConfirmationCode; an email change verified with the code sent to it.
 */
import {
  claimsOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  ME,
  REFRESH,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { CONFIRM_FORGOT, FORGOT, initiate, outcomeOf, RESEND, type Client } from "../support/flows";

const NEW_PASSWORD = "Recovered-pa55!";

describe("forgot password", () => {
  let gw: TestGateway;
  let client: Client;
  const clock = frozenClock();

  beforeAll(async () => {
    gw = await startGateway({ clock });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  function forgot(username: string) {
    return gw.gql(FORGOT, { input: { clientId: client.clientId, username } });
  }
  function confirm(username: string, code: string, password = NEW_PASSWORD) {
    return gw.gql(CONFIRM_FORGOT, {
      input: { clientId: client.clientId, username, code, password },
    });
  }

  it("happy flow: the code from the mail sets a new password and revokes every session", async () => {
    const user = await createUser(gw, {
      attributes: { email: "forgetful@example.com", email_verified: "true" },
    });
    const before = await signInAs(gw, client, user);
    const res = await forgot(user.username);
    expect(res.body.data?.["forgotPassword"]).toEqual({
      destination: "f***@e***.com",
      deliveryMedium: "EMAIL",
      attributeName: "email",
    });
    const mail = await gw.smtp!.waitFor((m) => m.to.includes("forgetful@example.com"));
    expect(mail.subject).toBe("Your verification code");
    const code = gw.smtp!.codeIn(mail);

    expect((await confirm(user.username, code)).body.data?.["confirmForgotPassword"]).toBe(true);
    // Every token of every session before the reset stops working.
    expect((await gw.gql(ME, {}, before.accessToken)).status).toBe(401);
    expectCode(
      await gw.gql(REFRESH, {
        input: { clientId: client.clientId, refreshToken: before.refreshToken },
      }),
      "REFRESH_TOKEN_REVOKED",
    );
    // The old password is gone, the new one works, and the code was single use.
    expectCode((await initiate(gw, client, user)).res, "NOT_AUTHORIZED");
    expect(outcomeOf(await initiate(gw, client, { ...user, password: NEW_PASSWORD }))).toBe(
      "TOKENS",
    );
    expectCode(await confirm(user.username, code, "Another-pa55word!"), "CODE_MISMATCH");
  });

  it("error flow: a code past its hour is EXPIRED_CODE and changes nothing", async () => {
    const user = await createUser(gw, {
      attributes: { email: "slow@example.com", email_verified: "true" },
    });
    await forgot(user.username);
    const code = gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes("slow@example.com")));
    clock.advance(60 * 60 * 1000 + 1);
    expectCode(await confirm(user.username, code), "EXPIRED_CODE");
    expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
  });

  it("error flow: a new password that breaks the policy leaves the code usable", async () => {
    const user = await createUser(gw, {
      attributes: { email: "policy@example.com", email_verified: "true" },
    });
    await forgot(user.username);
    const code = gw.smtp!.codeIn(
      await gw.smtp!.waitFor((m) => m.to.includes("policy@example.com")),
    );
    expectCode(await confirm(user.username, code, "short"), "INVALID_PASSWORD");
    expect((await confirm(user.username, code)).body.data?.["confirmForgotPassword"]).toBe(true);
  });

  it("the last code sent is the one that works", async () => {
    const user = await createUser(gw, {
      attributes: { email: "twice@example.com", email_verified: "true" },
    });
    await forgot(user.username);
    const firstMail = await gw.smtp!.waitFor((m) => m.to.includes("twice@example.com"));
    await forgot(user.username);
    const secondMail = await gw.smtp!.waitFor(
      (m) => m !== firstMail && m.to.includes("twice@example.com"),
    );
    const [first, second] = [gw.smtp!.codeIn(firstMail), gw.smtp!.codeIn(secondMail)];
    if (first !== second) expectCode(await confirm(user.username, first), "CODE_MISMATCH");
    expect((await confirm(user.username, second)).body.data?.["confirmForgotPassword"]).toBe(true);
  });

  it("an admin's password reset sends a code, and the user's sign-in says PASSWORD_RESET_REQUIRED until it is used", async () => {
    const user = await createUser(gw, {
      attributes: { email: "reset@example.com", email_verified: "true" },
    });
    await gw.pool.recovery.adminResetPassword(user.username);
    expectCode((await initiate(gw, client, user)).res, "PASSWORD_RESET_REQUIRED");
    const code = gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes("reset@example.com")));
    expect((await confirm(user.username, code)).body.data?.["confirmForgotPassword"]).toBe(true);
    expect(outcomeOf(await initiate(gw, client, { ...user, password: NEW_PASSWORD }))).toBe(
      "TOKENS",
    );
  });
});

describe("with POOLGATE_ACCOUNT_RECOVERY=admin_only", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_ACCOUNT_RECOVERY: "admin_only" } });
  });
  afterAll(() => gw.close());

  it("forgotPassword is refused for every name alike", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw, {
      attributes: { email: "a@example.com", email_verified: "true" },
    });
    for (const username of [user.username, "nobody-at-all"]) {
      expectCode(
        await gw.gql(FORGOT, { input: { clientId: client.clientId, username } }),
        "NOT_AUTHORIZED",
      );
    }
  });
});

describe("resendConfirmationCode", () => {
  let gw: TestGateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_SELF_SIGN_UP: "true" } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("happy flow: a new code by email confirms the sign-up; the first code no longer does", async () => {
    const signUp = await gw.gql(
      `mutation S($input: SignUpInput!) { signUp(input: $input) { userConfirmed } }`,
      {
        input: {
          clientId: client.clientId,
          username: "resender",
          password: "Sign-up-pa55!",
          attributes: [{ name: "email", value: "resender@example.com" }],
        },
      },
    );
    expect(signUp.body.data?.["signUp"]?.userConfirmed).toBe(false);
    const firstMail = await gw.smtp!.waitFor((m) => m.to.includes("resender@example.com"));
    const first = gw.smtp!.codeIn(firstMail);
    const res = await gw.gql(RESEND, {
      input: { clientId: client.clientId, username: "resender" },
    });
    expect(res.body.data?.["resendConfirmationCode"]).toEqual({
      destination: "r***@e***.com",
      deliveryMedium: "EMAIL",
      attributeName: "email",
    });
    const second = gw.smtp!.codeIn(
      await gw.smtp!.waitFor((m) => m !== firstMail && m.to.includes("resender@example.com")),
    );
    const CONFIRM = `mutation C($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) }`;
    if (first !== second)
      expectCode(
        await gw.gql(CONFIRM, {
          input: { clientId: client.clientId, username: "resender", code: first },
        }),
        "CODE_MISMATCH",
      );
    const ok = await gw.gql(CONFIRM, {
      input: { clientId: client.clientId, username: "resender", code: second },
    });
    expect(ok.body.data?.["confirmSignUp"]).toBe(true);
  });
});

describe("verifying a changed email", () => {
  let gw: TestGateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway();
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  const UPDATE = `mutation U($a: [AttributeInput!]!) { updateUserAttributes(attributes: $a) { destination deliveryMedium attributeName } }`;
  const VERIFY_ATTRIBUTE = `mutation V($code: String!) { verifyUserAttribute(attributeName: "email", code: $code) }`;

  it("happy flow: a new email is unverified until the code sent to it is given", async () => {
    const user = await createUser(gw, {
      attributes: { email: "old@example.com", email_verified: "true" },
    });
    const tokens = await signInAs(gw, client, user);
    const res = await gw.gql(
      UPDATE,
      { a: [{ name: "email", value: "new@example.com" }] },
      tokens.accessToken,
    );
    expect(res.body.data?.["updateUserAttributes"]).toEqual([
      { destination: "n***@e***.com", deliveryMedium: "EMAIL", attributeName: "email" },
    ]);
    const me = `{ me { email emailVerified } }`;
    expect((await gw.gql(me, {}, tokens.accessToken)).body.data?.["me"]).toEqual({
      email: "new@example.com",
      emailVerified: false,
    });
    const code = gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes("new@example.com")));
    expectCode(
      await gw.gql(
        VERIFY_ATTRIBUTE,
        { code: code === "000000" ? "000001" : "000000" },
        tokens.accessToken,
      ),
      "CODE_MISMATCH",
    );
    const ok = await gw.gql(VERIFY_ATTRIBUTE, { code }, tokens.accessToken);
    expect(ok.body.data?.["verifyUserAttribute"]).toBe(true);
    expect((await gw.gql(me, {}, tokens.accessToken)).body.data?.["me"]).toEqual({
      email: "new@example.com",
      emailVerified: true,
    });
    // The ID token of the next sign-in says so too.
    const again = await signInAs(gw, client, user);
    expect(claimsOf(again.idToken)).toMatchObject({
      email: "new@example.com",
      email_verified: true,
    });
  });

  it("error flow: a code sent to an earlier address verifies nothing after another change", async () => {
    const user = await createUser(gw, { attributes: { email: "first@example.com" } });
    const tokens = await signInAs(gw, client, user);
    await gw.gql(
      UPDATE,
      { a: [{ name: "email", value: "second@example.com" }] },
      tokens.accessToken,
    );
    const code = gw.smtp!.codeIn(
      await gw.smtp!.waitFor((m) => m.to.includes("second@example.com")),
    );
    await gw.gql(
      `mutation { updateUserAttributes(attributes: [{ name: "name", value: "n" }]) { destination } }`,
      {},
      tokens.accessToken,
    );
    await gw.pool.deps.store.updateUser(
      user.sub,
      { attributes: { email: "third@example.com", email_verified: "false", name: "n" } },
      Date.now(),
    );
    expectCode(await gw.gql(VERIFY_ATTRIBUTE, { code }, tokens.accessToken), "CODE_MISMATCH");
  });

  it("error flow: verification flags cannot be set by the user", async () => {
    const user = await createUser(gw, { attributes: { email: "flag@example.com" } });
    const tokens = await signInAs(gw, client, user);
    expectCode(
      await gw.gql(UPDATE, { a: [{ name: "email_verified", value: "true" }] }, tokens.accessToken),
      "BAD_USER_INPUT",
    );
  });
});
