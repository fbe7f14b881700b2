/**
 * Sign-in as a conversation (DESIGN §11, issue 14) over real HTTP, a real SQLite file and a
 * real SMTP server the test runs: admin invitation → new password → MFA set-up → sign-in
 * with TOTP → refresh; email one-time codes; SELECT_MFA_TYPE; temporary passwords; and the
 * admin's MFA reset. Codes and temporary passwords are read out of the mail received.
 */
import QRCode from "qrcode";
import * as qrCode from "../../src/graphql/qrCode";
import {
  createClient,
  createUser,
  expectCode,
  metricOf,
  ME,
  PASSWORD,
  REFRESH,
  SIGN_IN,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import {
  ADMIN_CREATE_USER,
  ASSOCIATE,
  authenticatorCode,
  enrollTotp,
  initiate,
  outcomeOf,
  respond,
  stepAlignedClock,
  SET_MFA_PREFERENCE,
  VERIFY,
  type Client,
} from "../support/flows";

const NEW_PASSWORD = "Brand-new-pa55!";

/** The temporary password of an invitation (the default template ends "… is {####}."). */
function temporaryPasswordIn(text: string): string {
  const m = /temporary password is (\S+)\.\s*$/.exec(text.trim());
  if (!m) throw new Error(`no temporary password in: ${text}`);
  return m[1]!;
}

async function lastMailTo(gw: TestGateway, address: string) {
  return gw.smtp!.waitFor((m) => m.to.includes(address));
}

/** Signs a user in through MFA_SETUP (MFA ON, no factor yet) and returns tokens and the secret. */
async function signInSettingUpTotp(
  gw: TestGateway,
  client: Client,
  user: { username: string; password: string },
): Promise<{ tokens: NonNullable<Awaited<ReturnType<typeof respond>>["tokens"]>; secret: string }> {
  const first = await initiate(gw, client, user);
  expect(outcomeOf(first)).toBe("MFA_SETUP");
  expect(JSON.parse(first.parameters["MFAS_CAN_SETUP"]!)).toEqual(["SOFTWARE_TOKEN_MFA"]);
  const associated = await gw.gql(ASSOCIATE, { session: first.session });
  const { secretCode, session } = associated.body.data!["associateSoftwareToken"];
  const verified = await gw.gql(VERIFY, {
    input: { userCode: authenticatorCode(gw, secretCode), session },
  });
  expect(verified.body.data!["verifySoftwareToken"].status).toBe("SUCCESS");
  const done = await respond(
    gw,
    client,
    "MFA_SETUP",
    verified.body.data!["verifySoftwareToken"].session,
    {},
  );
  expect(outcomeOf(done)).toBe("TOKENS");
  return { tokens: done.tokens!, secret: secretCode };
}

describe("with MFA ON: an invited user from the invitation to a TOTP sign-in and a refresh", () => {
  let gw: TestGateway;
  let client: Client;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({ clock, env: { POOLGATE_MFA: "ON" } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("happy flow: invite → NEW_PASSWORD_REQUIRED → MFA_SETUP → SOFTWARE_TOKEN_MFA → refresh", async () => {
    // The admin signs in through MFA set-up too: MFA is ON for everyone.
    const admin = await createUser(gw, { groups: ["admins"] });
    const { tokens: adminTokens } = await signInSettingUpTotp(gw, client, admin);

    const invited = await gw.gql(
      ADMIN_CREATE_USER,
      {
        input: {
          username: "invitee",
          attributes: [
            { name: "email", value: "invitee@example.com" },
            { name: "name", value: "In Vitee" },
          ],
        },
      },
      adminTokens.accessToken,
    );
    expect(invited.body.data?.["adminCreateUser"]).toMatchObject({
      username: "invitee",
      status: "FORCE_CHANGE_PASSWORD",
    });
    const mail = await lastMailTo(gw, "invitee@example.com");
    expect(mail.subject).toBe("Your temporary password");
    expect(mail.text).toContain("Your username is invitee");
    const temporary = temporaryPasswordIn(mail.text);

    // The temporary password opens only the NEW_PASSWORD_REQUIRED step.
    const first = await initiate(gw, client, { username: "invitee", password: temporary });
    expect(outcomeOf(first)).toBe("NEW_PASSWORD_REQUIRED");
    expect(JSON.parse(first.parameters["userAttributes"]!)).toMatchObject({
      email: "invitee@example.com",
      name: "In Vitee",
    });
    expect(JSON.parse(first.parameters["requiredAttributes"]!)).toEqual([]);

    const afterNewPassword = await respond(gw, client, "NEW_PASSWORD_REQUIRED", first.session, {
      USERNAME: "invitee",
      NEW_PASSWORD: NEW_PASSWORD,
    });
    expect(outcomeOf(afterNewPassword)).toBe("MFA_SETUP");

    const associated = await gw.gql(ASSOCIATE, { session: afterNewPassword.session });
    const setup = associated.body.data!["associateSoftwareToken"];
    expect(setup.secretCode).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.otpauthUri).toMatch(/^otpauth:\/\/totp\/poolgate:invitee\?/);
    expect(new URL(setup.otpauthUri).searchParams.get("secret")).toBe(setup.secretCode);
    const verified = await gw.gql(VERIFY, {
      input: { userCode: authenticatorCode(gw, setup.secretCode), session: setup.session },
    });
    expect(verified.body.data!["verifySoftwareToken"].status).toBe("SUCCESS");
    const signedIn = await respond(
      gw,
      client,
      "MFA_SETUP",
      verified.body.data!["verifySoftwareToken"].session,
      {},
    );
    expect(outcomeOf(signedIn)).toBe("TOKENS");
    const me = await gw.gql(
      `{ me { username status mfa { enabled preferred } } }`,
      {},
      signedIn.tokens!.accessToken,
    );
    expect(me.body.data?.["me"]).toEqual({
      username: "invitee",
      status: "CONFIRMED",
      mfa: { enabled: ["SOFTWARE_TOKEN_MFA"], preferred: null },
    });

    // The next sign-in asks for a code (a later one: the set-up code's step is spent).
    clock.advance(30_000);
    const again = await initiate(gw, client, { username: "invitee", password: NEW_PASSWORD });
    expect(outcomeOf(again)).toBe("SOFTWARE_TOKEN_MFA");
    const withCode = await respond(gw, client, "SOFTWARE_TOKEN_MFA", again.session, {
      USERNAME: "invitee",
      SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, setup.secretCode),
    });
    expect(outcomeOf(withCode)).toBe("TOKENS");
    const refreshed = await gw.gql(REFRESH, {
      input: { clientId: client.clientId, refreshToken: withCode.tokens!.refreshToken },
    });
    expect(refreshed.body.data?.["refresh"]?.accessToken).toEqual(expect.any(String));
    const meAfter = await gw.gql(ME, {}, refreshed.body.data!["refresh"].accessToken);
    expect(meAfter.body.data?.["me"]?.username).toBe("invitee");
  });

  it("associateSoftwareToken draws otpauthUri as an SVG QR code, and only for a query that asks", async () => {
    const user = await createUser(gw);
    const first = await initiate(gw, client, user);
    expect(outcomeOf(first)).toBe("MFA_SETUP");
    const drawn = jest.spyOn(qrCode, "qrCodeSvg");
    try {
      const plain = await gw.gql(ASSOCIATE, { session: first.session });
      expect(plain.body.data?.["associateSoftwareToken"]?.secretCode).toEqual(expect.any(String));
      expect(drawn).not.toHaveBeenCalled();

      const res = await gw.gql(
        `mutation A($session: String) { associateSoftwareToken(session: $session) { otpauthUri qrCodeSvg } }`,
        { session: plain.body.data!["associateSoftwareToken"].session },
      );
      expect(drawn).toHaveBeenCalledTimes(1);
      const { otpauthUri, qrCodeSvg } = res.body.data!["associateSoftwareToken"] as {
        otpauthUri: string;
        qrCodeSvg: string;
      };
      const svg = qrCodeSvg.trim();
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
      // Well-formed and shapes only: <svg>, self-closed <path/>s, </svg>; no script, handler or style.
      expect(svg.replace(/<path [^<>]*\/>/g, "")).toMatch(/^<svg [^<>]*><\/svg>$/);
      expect(svg).not.toMatch(/script|foreignObject|\son\w+=|\sstyle=|href/i);
      // The code of this result's own URI.
      expect(qrCodeSvg).toBe(
        await QRCode.toString(otpauthUri, { type: "svg", errorCorrectionLevel: "M", margin: 1 }),
      );
    } finally {
      drawn.mockRestore();
    }
  });

  it("the one-call signIn answers CHALLENGE_REQUIRED for a user who must answer one, and sends nothing", async () => {
    const user = await createUser(gw);
    const before = gw.smtp!.messages.length;
    const res = await gw.gql(SIGN_IN, {
      input: { clientId: client.clientId, username: user.username, password: user.password },
    });
    expectCode(res, "CHALLENGE_REQUIRED");
    expect(gw.smtp!.messages.length).toBe(before);
  });

  it("an admin resets a user's MFA: the next sign-in sets up an authenticator again", async () => {
    const admin = await createUser(gw, { groups: ["admins"] });
    clock.advance(30_000);
    const { tokens: adminTokens } = await signInSettingUpTotp(gw, client, admin);
    const user = await createUser(gw);
    clock.advance(30_000);
    await signInSettingUpTotp(gw, client, user);
    clock.advance(30_000);
    expect(outcomeOf(await initiate(gw, client, user))).toBe("SOFTWARE_TOKEN_MFA");
    const reset = await gw.gql(
      `mutation R($u: String!) { adminResetUserMfa(username: $u) }`,
      { u: user.username },
      adminTokens.accessToken,
    );
    expect(reset.body.data?.["adminResetUserMfa"]).toBe(true);
    expect(outcomeOf(await initiate(gw, client, user))).toBe("MFA_SETUP");
  });
});

describe("with MFA OPTIONAL and both factors", () => {
  let gw: TestGateway;
  let client: Client;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "OPTIONAL", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  async function userWithEmail(): Promise<{ username: string; password: string; email: string }> {
    const email = `u${Math.random().toString(36).slice(2, 10)}@example.com`;
    const user = await createUser(gw, { attributes: { email, email_verified: "true" } });
    return { ...user, email };
  }

  it("a user without a factor signs in with the password alone", async () => {
    const user = await userWithEmail();
    expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
  });

  it("happy flow: email MFA turned on, then a code by email at every sign-in", async () => {
    const user = await userWithEmail();
    const tokens = await signInAs(gw, client, user);
    const pref = await gw.gql(
      SET_MFA_PREFERENCE,
      { input: { email: { enabled: true } } },
      tokens.accessToken,
    );
    expect(pref.body.data?.["setUserMfaPreference"]).toBe(true);

    const step = await initiate(gw, client, user);
    expect(outcomeOf(step)).toBe("EMAIL_OTP");
    expect(step.parameters["CODE_DELIVERY_DELIVERY_MEDIUM"]).toBe("EMAIL");
    expect(step.parameters["CODE_DELIVERY_DESTINATION"]).toMatch(/^u\*\*\*@e\*\*\*\.com$/);
    const mail = await lastMailTo(gw, user.email);
    expect(mail.subject).toBe("Your sign-in code");
    const code = gw.smtp!.codeIn(mail);
    const done = await respond(gw, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: code });
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("both factors and no preference: SELECT_MFA_TYPE, then the chosen factor; a preference skips the choice", async () => {
    const user = await userWithEmail();
    const tokens = await signInAs(gw, client, user);
    const secret = await enrollTotp(gw, tokens.accessToken);
    await gw.gql(SET_MFA_PREFERENCE, { input: { email: { enabled: true } } }, tokens.accessToken);

    const choose = await initiate(gw, client, user);
    expect(outcomeOf(choose)).toBe("SELECT_MFA_TYPE");
    expect(JSON.parse(choose.parameters["MFAS_CAN_CHOOSE"]!)).toEqual([
      "SOFTWARE_TOKEN_MFA",
      "EMAIL_OTP",
    ]);
    const chosen = await respond(gw, client, "SELECT_MFA_TYPE", choose.session, {
      ANSWER: "SOFTWARE_TOKEN_MFA",
    });
    expect(outcomeOf(chosen)).toBe("SOFTWARE_TOKEN_MFA");
    clock.advance(30_000);
    const done = await respond(gw, client, "SOFTWARE_TOKEN_MFA", chosen.session, {
      SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, secret),
    });
    expect(outcomeOf(done)).toBe("TOKENS");

    await gw.gql(
      SET_MFA_PREFERENCE,
      { input: { email: { enabled: true, preferred: true } } },
      done.tokens!.accessToken,
    );
    expect(outcomeOf(await initiate(gw, client, user))).toBe("EMAIL_OTP");
    const me = await gw.gql(`{ me { mfa { enabled preferred } } }`, {}, done.tokens!.accessToken);
    expect(me.body.data?.["me"]?.mfa).toEqual({
      enabled: ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"],
      preferred: "EMAIL_OTP",
    });
  });

  it("counts challenge answers and messages in /metrics", async () => {
    const user = await userWithEmail();
    const tokens = await signInAs(gw, client, user);
    await gw.gql(SET_MFA_PREFERENCE, { input: { email: { enabled: true } } }, tokens.accessToken);
    const mismatches = () =>
      metricOf(
        gw,
        "poolgate_challenge_answers_total",
        '{challenge="EMAIL_OTP",outcome="CODE_MISMATCH"}',
      );
    const successes = () =>
      metricOf(gw, "poolgate_challenge_answers_total", '{challenge="EMAIL_OTP",outcome="success"}');
    const sent = () => metricOf(gw, "poolgate_messages_total", '{kind="mfa",outcome="sent"}');
    const [m0, s0, sent0] = [await mismatches(), await successes(), await sent()];
    const step = await initiate(gw, client, user);
    const code = gw.smtp!.codeIn(await lastMailTo(gw, user.email));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    await respond(gw, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: wrong });
    await respond(gw, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: code });
    expect([await mismatches(), await successes(), await sent()]).toEqual([
      m0 + 1,
      s0 + 1,
      sent0 + 1,
    ]);
  });

  it("error flow: email MFA cannot be turned on without a verified email (MFA_METHOD_NOT_FOUND)", async () => {
    const user = await createUser(gw, { attributes: { email: "unverified@example.com" } });
    const tokens = await signInAs(gw, client, user);
    const res = await gw.gql(
      SET_MFA_PREFERENCE,
      { input: { email: { enabled: true } } },
      tokens.accessToken,
    );
    expectCode(res, "MFA_METHOD_NOT_FOUND");
  });

  it("error flow: TOTP cannot be turned on before an authenticator is verified (SOFTWARE_TOKEN_MFA_NOT_FOUND)", async () => {
    const user = await userWithEmail();
    const tokens = await signInAs(gw, client, user);
    const res = await gw.gql(
      SET_MFA_PREFERENCE,
      { input: { softwareToken: { enabled: true } } },
      tokens.accessToken,
    );
    expectCode(res, "SOFTWARE_TOKEN_MFA_NOT_FOUND");
    const verify = await gw.gql(VERIFY, { input: { userCode: "123456" } }, tokens.accessToken);
    expectCode(verify, "SOFTWARE_TOKEN_MFA_NOT_FOUND");
  });

  it("error flow: a wrong code while setting up an authenticator is ENABLE_SOFTWARE_TOKEN_MFA and turns nothing on", async () => {
    const user = await userWithEmail();
    const tokens = await signInAs(gw, client, user);
    const associated = await gw.gql(ASSOCIATE, {}, tokens.accessToken);
    const secret = associated.body.data!["associateSoftwareToken"].secretCode as string;
    const wrong = String((Number(authenticatorCode(gw, secret)) + 1) % 1_000_000).padStart(6, "0");
    const res = await gw.gql(VERIFY, { input: { userCode: wrong } }, tokens.accessToken);
    expectCode(res, "ENABLE_SOFTWARE_TOKEN_MFA");
    expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
  });
});

describe("with MFA ON, email offered, and a user with a verified email", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({
      env: { POOLGATE_MFA: "ON", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("the verified email is the factor: a code by email, with no set-up", async () => {
    const user = await createUser(gw, {
      attributes: { email: "verified@example.com", email_verified: "true" },
    });
    const step = await initiate(gw, client, user);
    expect(outcomeOf(step)).toBe("EMAIL_OTP");
    const code = gw.smtp!.codeIn(await lastMailTo(gw, "verified@example.com"));
    expect(
      outcomeOf(await respond(gw, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: code })),
    ).toBe("TOKENS");
  });
});

describe("temporary passwords", () => {
  let gw: TestGateway;
  let client: Client;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_TEMPORARY_PASSWORD_VALIDITY_DAYS: "2", POOLGATE_REQUIRED_ATTRIBUTES: "name" },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  async function invite(username: string, temporaryPassword?: string) {
    return gw.pool.users.adminCreate({
      username,
      ...(temporaryPassword ? { temporaryPassword } : {}),
      attributes: { email: `${username}@example.com` },
    });
  }

  it("NEW_PASSWORD_REQUIRED asks for the pool's required attributes the user lacks, and takes them", async () => {
    await invite("needsname", "Temp-pa55word!");
    const step = await initiate(gw, client, { username: "needsname", password: "Temp-pa55word!" });
    expect(outcomeOf(step)).toBe("NEW_PASSWORD_REQUIRED");
    expect(JSON.parse(step.parameters["requiredAttributes"]!)).toEqual(["userAttributes.name"]);
    const missing = await respond(gw, client, "NEW_PASSWORD_REQUIRED", step.session, {
      NEW_PASSWORD: NEW_PASSWORD,
    });
    expectCode(missing.res, "BAD_USER_INPUT");
    // A refused answer leaves the session usable.
    const done = await respond(gw, client, "NEW_PASSWORD_REQUIRED", step.session, {
      NEW_PASSWORD: NEW_PASSWORD,
      "userAttributes.name": "Need Sname",
    });
    expect(outcomeOf(done)).toBe("TOKENS");
    const me = await gw.gql(`{ me { name status } }`, {}, done.tokens!.accessToken);
    expect(me.body.data?.["me"]).toEqual({ name: "Need Sname", status: "CONFIRMED" });
    expect(
      outcomeOf(await initiate(gw, client, { username: "needsname", password: NEW_PASSWORD })),
    ).toBe("TOKENS");
  });

  it("error flow: a new password that breaks the policy is INVALID_PASSWORD and the session stays usable", async () => {
    await invite("weakchoice", "Temp-pa55word!");
    const step = await initiate(gw, client, { username: "weakchoice", password: "Temp-pa55word!" });
    const weak = await respond(gw, client, "NEW_PASSWORD_REQUIRED", step.session, {
      NEW_PASSWORD: "weak",
      "userAttributes.name": "W",
    });
    expectCode(weak.res, "INVALID_PASSWORD");
    const ok = await respond(gw, client, "NEW_PASSWORD_REQUIRED", step.session, {
      NEW_PASSWORD: NEW_PASSWORD,
      "userAttributes.name": "W",
    });
    expect(outcomeOf(ok)).toBe("TOKENS");
  });

  it("error flow: a temporary password past its validity is refused (NOT_AUTHORIZED)", async () => {
    await invite("latecomer", "Temp-pa55word!");
    clock.advance(2 * 86_400_000 + 1000);
    const step = await initiate(gw, client, { username: "latecomer", password: "Temp-pa55word!" });
    expectCode(step.res, "NOT_AUTHORIZED");
    expect(step.res.body.errors?.[0]?.message).toBe(
      "Temporary password has expired and must be reset by an administrator.",
    );
  });

  it("a generated temporary password is sent in an invitation and meets the password policy", async () => {
    const view = await invite("generated");
    expect(view.status).toBe("FORCE_CHANGE_PASSWORD");
    const mail = await gw.smtp!.waitFor((m) => m.to.includes("generated@example.com"));
    const temporary = temporaryPasswordIn(mail.text);
    expect(temporary).toMatch(/[a-z]/);
    expect(temporary).toMatch(/[A-Z]/);
    expect(temporary).toMatch(/[0-9]/);
    expect(temporary.length).toBeGreaterThanOrEqual(16);
    expect(
      outcomeOf(await initiate(gw, client, { username: "generated", password: temporary })),
    ).toBe("NEW_PASSWORD_REQUIRED");
  });

  it("RESEND gives a new temporary password; the old one stops working", async () => {
    await invite("resent", "First-temp-pa55!");
    await gw.pool.users.adminCreate({
      username: "resent",
      temporaryPassword: "Second-temp-pa55!",
      messageAction: "RESEND",
    });
    expectCode(
      (await initiate(gw, client, { username: "resent", password: "First-temp-pa55!" })).res,
      "NOT_AUTHORIZED",
    );
    expect(
      outcomeOf(await initiate(gw, client, { username: "resent", password: "Second-temp-pa55!" })),
    ).toBe("NEW_PASSWORD_REQUIRED");
  });

  it("adminSetUserPassword with permanent: false makes it a temporary password (FORCE_CHANGE_PASSWORD)", async () => {
    const user = await createUser(gw, { attributes: { name: "P" } });
    await gw.pool.users.setPassword(user.username, "Admin-set-pa55!", false);
    expect(
      outcomeOf(
        await initiate(gw, client, { username: user.username, password: "Admin-set-pa55!" }),
      ),
    ).toBe("NEW_PASSWORD_REQUIRED");
    await gw.pool.users.setPassword(user.username, PASSWORD, true);
    expect(
      outcomeOf(await initiate(gw, client, { username: user.username, password: PASSWORD })),
    ).toBe("TOKENS");
  });
});

describe("USER_AUTH (choice-based sign-in)", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway();
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("happy flow: without a password, SELECT_CHALLENGE offers PASSWORD and PASSWORD_SRP; answering PASSWORD signs in", async () => {
    const user = await createUser(gw);
    const step = await initiate(gw, client, { username: user.username }, { authFlow: "USER_AUTH" });
    expect(outcomeOf(step)).toBe("SELECT_CHALLENGE");
    expect(step.availableChallenges).toEqual(["PASSWORD", "PASSWORD_SRP"]);
    const done = await respond(gw, client, "SELECT_CHALLENGE", step.session, {
      USERNAME: user.username,
      ANSWER: "PASSWORD",
      PASSWORD: user.password,
    });
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("with a password, USER_AUTH signs in at once", async () => {
    const user = await createUser(gw);
    expect(outcomeOf(await initiate(gw, client, user, { authFlow: "USER_AUTH" }))).toBe("TOKENS");
  });

  it("an unknown name gets the same SELECT_CHALLENGE, and any password is NOT_AUTHORIZED", async () => {
    const step = await initiate(gw, client, { username: "nobody-here" }, { authFlow: "USER_AUTH" });
    expect(outcomeOf(step)).toBe("SELECT_CHALLENGE");
    expect(step.availableChallenges).toEqual(["PASSWORD", "PASSWORD_SRP"]);
    const answer = await respond(gw, client, "PASSWORD", step.session, { PASSWORD: PASSWORD });
    expectCode(answer.res, "NOT_AUTHORIZED");
  });

  it("a wrong password through SELECT_CHALLENGE counts towards the lockout like any other", async () => {
    const user = await createUser(gw);
    for (let i = 0; i < 5; i++) {
      const step = await initiate(
        gw,
        client,
        { username: user.username },
        { authFlow: "USER_AUTH" },
      );
      expectCode(
        (
          await respond(gw, client, "SELECT_CHALLENGE", step.session, {
            ANSWER: "PASSWORD",
            PASSWORD: "Wrong-pa55word!",
          })
        ).res,
        "NOT_AUTHORIZED",
      );
    }
    expectCode((await initiate(gw, client, user)).res, "TOO_MANY_FAILED_ATTEMPTS");
  });
});
