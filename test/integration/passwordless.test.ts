/**
 * Passwordless sign-in with an email code (issue 15 §2: USER_AUTH's EMAIL_OTP first factor),
 * over GraphQL and Cognito's wire API (the real AWS SDK), with a real SMTP server: the code in
 * the mail signs in; a stranger gets the same answer and no mail; codes are guessed no faster
 * than passwords.
 */
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { loadConfig } from "../../src/config";
import {
  createClient,
  createUser,
  expectCode,
  ME,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { enrollTotp, initiate, outcomeOf, respond, type Client } from "../support/flows";

const FIRST_FACTORS = "PASSWORD,PASSWORD_SRP,EMAIL_OTP";

describe("EMAIL_OTP as a first factor", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({
      env: { POOLGATE_FIRST_FACTORS: FIRST_FACTORS, POOLGATE_MFA: "OPTIONAL" },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  const emailFirst = (username: string) =>
    initiate(gw, client, { username }, { authFlow: "USER_AUTH", preferredChallenge: "EMAIL_OTP" });

  async function mailedCode(address: string): Promise<string> {
    return gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes(address)));
  }

  it("happy flow: USER_AUTH with EMAIL_OTP mails a code; the code signs in, with no second factor after it", async () => {
    const user = await createUser(gw, {
      attributes: { email: "nopass@example.com", email_verified: "true" },
    });
    // Even a user with an authenticator is not asked for it after a passwordless factor.
    await enrollTotp(gw, (await signInAs(gw, client, user)).accessToken);
    const step = await emailFirst(user.username);
    expect(outcomeOf(step)).toBe("EMAIL_OTP");
    expect(step.parameters).toEqual({
      CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL",
      CODE_DELIVERY_DESTINATION: "n***@e***.com",
    });
    const done = await respond(gw, client, "EMAIL_OTP", step.session, {
      EMAIL_OTP_CODE: await mailedCode("nopass@example.com"),
    });
    expect(outcomeOf(done)).toBe("TOKENS");
    expect((await gw.gql(ME, {}, done.tokens!.accessToken)).body.data?.["me"]?.username).toBe(
      user.username,
    );
  });

  it("SELECT_CHALLENGE offers EMAIL_OTP, and choosing it mails a code", async () => {
    const user = await createUser(gw, {
      attributes: { email: "choose@example.com", email_verified: "true" },
    });
    const select = await initiate(
      gw,
      client,
      { username: user.username },
      { authFlow: "USER_AUTH" },
    );
    expect(select.availableChallenges).toEqual(["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]);
    const step = await respond(gw, client, "SELECT_CHALLENGE", select.session, {
      ANSWER: "EMAIL_OTP",
    });
    expect(outcomeOf(step)).toBe("EMAIL_OTP");
    const done = await respond(gw, client, "EMAIL_OTP", step.session, {
      EMAIL_OTP_CODE: await mailedCode("choose@example.com"),
    });
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("enumeration through passwordless sign-in: unknown, unverified and disabled names get the same step and no mail, and their answers fail as a wrong code", async () => {
    const unverified = await createUser(gw, { attributes: { email: "unv@example.com" } });
    const disabled = await createUser(gw, {
      attributes: { email: "off@example.com", email_verified: "true" },
    });
    await gw.pool.users.setEnabled(disabled.username, false);
    for (const name of ["nobody-at-all", unverified.username, disabled.username]) {
      const first = await emailFirst(name);
      const again = await emailFirst(name);
      expect(outcomeOf(first)).toBe("EMAIL_OTP");
      expect(first.parameters["CODE_DELIVERY_DESTINATION"]).toMatch(
        /^[a-z]\*\*\*@[a-z]\*\*\*\.com$/,
      );
      expect(again.parameters).toEqual(first.parameters);
      expect(first.session!.length).toBeGreaterThan(100);
      expectCode(
        (await respond(gw, client, "EMAIL_OTP", first.session, { EMAIL_OTP_CODE: "123456" })).res,
        "CODE_MISMATCH",
      );
    }
    await gw.pool.afterAnswer.drain();
    expect(
      gw.smtp!.messages.filter((m) =>
        ["unv@example.com", "off@example.com"].some((a) => m.to.includes(a)),
      ),
    ).toEqual([]);
  });

  it("enumeration through the session's length: a user's step and a stranger's are equally long", async () => {
    const user = await createUser(gw, {
      username: "look-alike-real",
      attributes: { email: "lookalike@example.com", email_verified: "true" },
    });
    const real = await emailFirst(user.username);
    const stranger = await emailFirst("look-alike-fake");
    expect(outcomeOf(real)).toBe("EMAIL_OTP");
    expect(stranger.session!.length).toBe(real.session!.length);
  });

  it("passwordless code brute force: a step dies after 3 wrong codes, and wrong codes count on the sign-in lockout", async () => {
    const user = await createUser(gw, {
      attributes: { email: "guess@example.com", email_verified: "true" },
    });
    const step = await emailFirst(user.username);
    const code = await mailedCode("guess@example.com");
    const wrong = (k: number) => String((Number(code) + k) % 1_000_000).padStart(6, "0");
    for (let k = 1; k <= 3; k++)
      expectCode(
        (await respond(gw, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: wrong(k) })).res,
        "CODE_MISMATCH",
      );
    expectCode(
      (await respond(gw, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: code })).res,
      "INVALID_SESSION",
    );
    // Three wrong codes counted; two wrong passwords more make five, and the user is locked.
    for (let i = 0; i < 2; i++)
      expectCode(
        (await initiate(gw, client, { ...user, password: "Wrong-pa55word!" })).res,
        "NOT_AUTHORIZED",
      );
    expectCode((await initiate(gw, client, user)).res, "TOO_MANY_FAILED_ATTEMPTS");
  });

  it("mail bombing: asking for codes for one name is limited (LIMIT_EXCEEDED)", async () => {
    const user = await createUser(gw, {
      attributes: { email: "bomb@example.com", email_verified: "true" },
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 7; i++) outcomes.push(outcomeOf(await emailFirst(user.username)));
    expect(outcomes.slice(0, 5)).toEqual(Array(5).fill("EMAIL_OTP"));
    expect(outcomes).toContain("LIMIT_EXCEEDED");
  });

  it("through Cognito's wire API: InitiateAuth USER_AUTH with PREFERRED_CHALLENGE EMAIL_OTP, then RespondToAuthChallenge", async () => {
    const user = await createUser(gw, {
      attributes: { email: "wire-nopass@example.com", email_verified: "true" },
    });
    const sdk = new CognitoIdentityProviderClient({
      region: "local",
      endpoint: gw.url,
      maxAttempts: 1,
    });
    try {
      const step = await sdk.send(
        new InitiateAuthCommand({
          ClientId: client.clientId,
          AuthFlow: "USER_AUTH",
          AuthParameters: { USERNAME: user.username, PREFERRED_CHALLENGE: "EMAIL_OTP" },
        }),
      );
      expect(step.ChallengeName).toBe("EMAIL_OTP");
      expect(step.ChallengeParameters).toMatchObject({
        CODE_DELIVERY_DESTINATION: "w***@e***.com",
      });
      const done = await sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: client.clientId,
          ChallengeName: "EMAIL_OTP",
          Session: step.Session,
          ChallengeResponses: {
            USERNAME: user.username,
            EMAIL_OTP_CODE: await mailedCode("wire-nopass@example.com"),
          },
        }),
      );
      expect(done.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    } finally {
      sdk.destroy();
    }
  });
});

describe("EMAIL_OTP as a first factor, not offered (the default)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("is refused with BAD_USER_INPUT and not listed by SELECT_CHALLENGE", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw, {
      attributes: { email: "x@example.com", email_verified: "true" },
    });
    expectCode(
      (
        await initiate(
          gw,
          client,
          { username: user.username },
          { authFlow: "USER_AUTH", preferredChallenge: "EMAIL_OTP" },
        )
      ).res,
      "BAD_USER_INPUT",
    );
    const select = await initiate(
      gw,
      client,
      { username: user.username },
      { authFlow: "USER_AUTH" },
    );
    expect(select.availableChallenges).toEqual(["PASSWORD", "PASSWORD_SRP"]);
  });

  it("production refuses to start with EMAIL_OTP first factor and no SMTP", () => {
    expect(() =>
      loadConfig({
        POOLGATE_ENV: "production",
        POOLGATE_MASTER_KEY: Buffer.alloc(32, 7).toString("base64"),
        POOLGATE_ACCOUNT_RECOVERY: "admin_only",
        POOLGATE_FIRST_FACTORS: FIRST_FACTORS,
      }),
    ).toThrow(/POOLGATE_SMTP_URL.*passwordless email sign-in/);
  });
});
