/**
 * Self sign-up and confirmation (DESIGN §4): SignUp, ConfirmSignUp and the password policy,
 * over real HTTP against a real SQLite file.
 */
import { randomBytes } from "node:crypto";
import {
  codeOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  ME,
  PASSWORD,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestClock,
  type TestGateway,
} from "../harness";

const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { userSub userConfirmed codeDeliveryDestination }
}`;
const CONFIRM_SIGN_UP = `mutation ConfirmSignUp($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) }`;

type Client = { clientId: string; clientSecret: string | undefined };

function newUsername(): string {
  return `signup-${randomBytes(4).toString("hex")}`;
}

/** Without attributes, the sign-up gives an email: a code reaches a user only by mail. */
function signUp(
  gw: TestGateway,
  client: Client,
  input: { username: string; password: string; attributes?: { name: string; value: string }[] },
): Promise<GqlResult> {
  const attributes = input.attributes ?? [
    { name: "email", value: `${input.username}@example.com` },
  ];
  return gw.gql(SIGN_UP, { input: { clientId: client.clientId, ...input, attributes } });
}

function confirm(
  gw: TestGateway,
  client: Client,
  username: string,
  code: string,
): Promise<GqlResult> {
  return gw.gql(CONFIRM_SIGN_UP, { input: { clientId: client.clientId, username, code } });
}

function signIn(
  gw: TestGateway,
  client: Client,
  username: string,
  password: string,
): Promise<GqlResult> {
  return gw.gql(SIGN_IN, { input: { clientId: client.clientId, username, password } });
}

/** The last code the sender received for a username. */
function codeSentTo(gw: TestGateway, username: string): string {
  const sent = gw.sentCodes.filter((m) => m.username === username).at(-1);
  if (!sent) throw new Error(`no code sent to ${username}`);
  return sent.code;
}

/** Another 6-digit code than the given one. */
function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, "0");
}

describe("self sign-up with POOLGATE_SELF_SIGN_UP=true", () => {
  let gw: TestGateway;
  let clock: TestClock;
  let client: Client;

  beforeAll(async () => {
    clock = frozenClock();
    gw = await startGateway({ clock, env: { POOLGATE_SELF_SIGN_UP: "true" } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("creates an unconfirmed user and hands the confirmation code to the sender", async () => {
    const username = newUsername();
    const email = `${username}@example.com`;
    const res = await signUp(gw, client, {
      username,
      password: PASSWORD,
      attributes: [{ name: "email", value: email }],
    });
    expect(codeOf(res)).toBeUndefined();
    expect(res.body.data?.["signUp"]).toEqual({
      userSub: expect.any(String),
      userConfirmed: false,
      codeDeliveryDestination: email,
    });
    const sent = gw.sentCodes.filter((m) => m.username === username);
    expect(sent).toEqual([
      { username, destination: email, code: expect.stringMatching(/^\d{6}$/) },
    ]);
  });

  it("refuses sign-in before confirmation with USER_NOT_CONFIRMED", async () => {
    const username = newUsername();
    expect(codeOf(await signUp(gw, client, { username, password: PASSWORD }))).toBeUndefined();
    expectCode(await signIn(gw, client, username, PASSWORD), "USER_NOT_CONFIRMED");
  });

  it("refuses a wrong confirmation code with CODE_MISMATCH and leaves the user unconfirmed", async () => {
    const username = newUsername();
    await signUp(gw, client, { username, password: PASSWORD });
    const res = await confirm(gw, client, username, wrongCode(codeSentTo(gw, username)));
    expect(res.body.data?.["confirmSignUp"] ?? null).toBeNull();
    expectCode(res, "CODE_MISMATCH");
    expectCode(await signIn(gw, client, username, PASSWORD), "USER_NOT_CONFIRMED");
  });

  it("confirms the user with the right code, after which sign-in works", async () => {
    const username = newUsername();
    const signedUp = await signUp(gw, client, { username, password: PASSWORD });
    const res = await confirm(gw, client, username, codeSentTo(gw, username));
    expect({ confirmed: res.body.data?.["confirmSignUp"], code: codeOf(res) }).toEqual({
      confirmed: true,
      code: undefined,
    });

    const tokens = await signInAs(gw, client, { username, password: PASSWORD });
    const me = await gw.gql(ME, {}, tokens.accessToken);
    expect(me.body.data?.["me"]).toMatchObject({
      sub: signedUp.body.data?.["signUp"].userSub,
      username,
    });
  });

  it("confirms after one wrong code once the right code is given", async () => {
    const username = newUsername();
    await signUp(gw, client, { username, password: PASSWORD });
    const code = codeSentTo(gw, username);
    expectCode(await confirm(gw, client, username, wrongCode(code)), "CODE_MISMATCH");
    expect((await confirm(gw, client, username, code)).body.data?.["confirmSignUp"]).toBe(true);
    expect(codeOf(await signIn(gw, client, username, PASSWORD))).toBeUndefined();
  });

  it("refuses a username that is taken with USERNAME_EXISTS", async () => {
    const username = newUsername();
    expect(codeOf(await signUp(gw, client, { username, password: PASSWORD }))).toBeUndefined();
    expectCode(await signUp(gw, client, { username, password: PASSWORD }), "USERNAME_EXISTS");
    const existing = await createUser(gw);
    expectCode(
      await signUp(gw, client, { username: existing.username, password: PASSWORD }),
      "USERNAME_EXISTS",
    );
  });

  it.each([
    ["too short", "Sh0rt!"],
    ["without lowercase", "NO-LOWER-1!"],
    ["without uppercase", "no-upper-1!"],
    ["without numbers", "No-Numbers!"],
    ["without symbols", "NoSymbols1"],
  ])("refuses a password %s with INVALID_PASSWORD and creates no user", async (_rule, password) => {
    const username = newUsername();
    expectCode(await signUp(gw, client, { username, password }), "INVALID_PASSWORD");
    expect(gw.sentCodes.filter((m) => m.username === username)).toEqual([]);
    // The username is still free.
    expect(codeOf(await signUp(gw, client, { username, password: PASSWORD }))).toBeUndefined();
  });

  it.each(["email_verified", "phone_number_verified"])(
    "refuses setting %s at sign-up with BAD_USER_INPUT and creates no user",
    async (attribute) => {
      const username = newUsername();
      const res = await signUp(gw, client, {
        username,
        password: PASSWORD,
        attributes: [
          { name: "email", value: `${username}@example.com` },
          { name: "phone_number", value: "+15555550100" },
          { name: attribute, value: "true" },
        ],
      });
      expectCode(res, "BAD_USER_INPUT");
      expect(gw.sentCodes.filter((m) => m.username === username)).toEqual([]);
      expect(codeOf(await signUp(gw, client, { username, password: PASSWORD }))).toBeUndefined();
    },
  );

  it("answers CODE_MISMATCH for an unknown username, as for a wrong code (no enumeration)", async () => {
    expectCode(await confirm(gw, client, newUsername(), "123456"), "CODE_MISMATCH");
  });

  /** A confirmed user, an unknown name and an unconfirmed user with a wrong code. */
  async function threeWrongConfirmations(): Promise<[string, string, string][]> {
    const confirmed = newUsername();
    await signUp(gw, client, { username: confirmed, password: PASSWORD });
    await confirm(gw, client, confirmed, codeSentTo(gw, confirmed));
    const pending = newUsername();
    await signUp(gw, client, { username: pending, password: PASSWORD });
    return [
      ["a confirmed user", confirmed, "123456"],
      ["an unknown name", newUsername(), "123456"],
      ["a wrong code", pending, wrongCode(codeSentTo(gw, pending))],
    ];
  }

  it("attack: confirmSignUp does not tell a confirmed user from an unknown name: one code, one message, one code comparison each", async () => {
    const answers = [];
    for (const [, username, code] of await threeWrongConfirmations()) {
      const before = gw.pool.users.codeComparisons;
      const res = await confirm(gw, client, username, code);
      answers.push({
        status: res.status,
        data: res.body.data?.["confirmSignUp"] ?? null,
        errors: res.body.errors?.map((e) => ({ code: e.extensions?.code, message: e.message })),
        comparisons: gw.pool.users.codeComparisons - before,
      });
    }
    expect(answers[0]).toEqual({
      status: 200,
      data: null,
      errors: [
        {
          code: "CODE_MISMATCH",
          message: "Invalid verification code provided, please try again.",
        },
      ],
      comparisons: 1,
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it("stops enumeration through the confirmation lockout: a confirmed user, an unknown name and a wrong code lock alike", async () => {
    const sequences: Record<string, (string | undefined)[]> = {};
    for (const [what, username, code] of await threeWrongConfirmations()) {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 7; i++) codes.push(codeOf(await confirm(gw, client, username, code)));
      sequences[what] = codes;
    }
    const expected = [
      ...Array(5).fill("CODE_MISMATCH"),
      ...Array(2).fill("TOO_MANY_FAILED_ATTEMPTS"),
    ];
    expect(sequences).toEqual({
      "a confirmed user": expected,
      "an unknown name": expected,
      "a wrong code": expected,
    });
  });

  it("refuses sign-up and confirmation through an unknown client with NOT_AUTHORIZED", async () => {
    const unknown = { clientId: "a".repeat(26), clientSecret: undefined };
    const username = newUsername();
    expectCode(await signUp(gw, unknown, { username, password: PASSWORD }), "NOT_AUTHORIZED");
    expectCode(await confirm(gw, unknown, username, "123456"), "NOT_AUTHORIZED");
  });

  // Moves the shared clock a day forward: kept last in this block.
  it("refuses a code older than 24 hours with EXPIRED_CODE", async () => {
    const username = newUsername();
    await signUp(gw, client, { username, password: PASSWORD });
    clock.advance(25 * 3600 * 1000);
    expectCode(await confirm(gw, client, username, codeSentTo(gw, username)), "EXPIRED_CODE");
    expectCode(await signIn(gw, client, username, PASSWORD), "USER_NOT_CONFIRMED");
  });
});

describe("a custom password policy from the environment", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({
      env: {
        POOLGATE_SELF_SIGN_UP: "true",
        POOLGATE_PASSWORD_MIN_LENGTH: "12",
        POOLGATE_PASSWORD_REQUIRE: "numbers",
      },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("enforces the configured minimum length and only the configured character classes", async () => {
    expectCode(
      await signUp(gw, client, { username: newUsername(), password: "abcdefghij1" }),
      "INVALID_PASSWORD",
    );
    expectCode(
      await signUp(gw, client, { username: newUsername(), password: "abcdefghijkl" }),
      "INVALID_PASSWORD",
    );
    expect(
      codeOf(await signUp(gw, client, { username: newUsername(), password: "abcdefghijk1" })),
    ).toBeUndefined();
    expect(
      codeOf(await signUp(gw, client, { username: newUsername(), password: "ABCDEFGHIJK1" })),
    ).toBeUndefined();
  });
});

describe("self sign-up off (the default)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("refuses signUp with NOT_AUTHORIZED and sends no code", async () => {
    const client = await createClient(gw);
    const username = newUsername();
    const res = await signUp(gw, client, { username, password: PASSWORD });
    expect(res.body.data?.["signUp"] ?? null).toBeNull();
    expectCode(res, "NOT_AUTHORIZED");
    expect(gw.sentCodes).toEqual([]);
    expectCode(await signIn(gw, client, username, PASSWORD), "NOT_AUTHORIZED");
  });
});
