/**
 * signIn (USER_PASSWORD_AUTH) over real HTTP: the happy flow, every error code of DESIGN §4
 * a sign-in can produce, the lockout of §7, the scope rules of §2 and the hardening of §8.
 * Hash work is observed through `pool.hasher.verifications`, never through timing.
 */
import { randomBytes } from "node:crypto";
import {
  claimsOf,
  codeOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  PASSWORD,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestClock,
  type TestGateway,
} from "../harness";

type Client = { clientId: string; clientSecret: string | undefined };

function signInInput(client: Client, username: string, password: string, scopes?: string[]) {
  return {
    input: {
      clientId: client.clientId,
      ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
      username,
      password,
      ...(scopes ? { scopes } : {}),
    },
  };
}

function attempt(
  gw: TestGateway,
  client: Client,
  username: string,
  password: string,
  scopes?: string[],
): Promise<GqlResult> {
  return gw.gql(SIGN_IN, signInInput(client, username, password, scopes));
}

/** Runs `work` and returns its result with the number of password-hash verifications it cost. */
async function countingVerifications<T>(
  gw: TestGateway,
  work: () => Promise<T>,
): Promise<{ result: T; verifications: number }> {
  const before = gw.pool.hasher.verifications;
  const result = await work();
  return { result, verifications: gw.pool.hasher.verifications - before };
}

function scopesOf(accessToken: string): string[] {
  return String(claimsOf(accessToken)["scope"]).split(" ").sort();
}

function unknownUsername(): string {
  return `nobody-${randomBytes(6).toString("hex")}`;
}

const WRONG_PASSWORD = "Wrong-h0rse!";

describe("signIn", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({
      // Self sign-up creates unconfirmed users; the larger body lets a 1 MB password reach the resolver.
      env: { POOLGATE_SELF_SIGN_UP: "true", POOLGATE_MAX_BODY_BYTES: String(2 * 1024 * 1024) },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  describe("happy flow", () => {
    it("happy flow: returns ID, access and refresh tokens of type Bearer", async () => {
      const user = await createUser(gw);
      const res = await attempt(gw, client, user.username, user.password);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const result = res.body.data?.["signIn"];
      expect(result).toMatchObject({
        accessToken: expect.any(String),
        idToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: "Bearer",
      });
      expect(claimsOf(result.accessToken)).toMatchObject({
        sub: user.sub,
        username: user.username,
        token_use: "access",
      });
      expect(claimsOf(result.idToken)).toMatchObject({
        sub: user.sub,
        "cognito:username": user.username,
        token_use: "id",
      });
    });

    it("happy flow: expiresIn is the client's access-token lifetime", async () => {
      const short = await createClient(gw, { accessTokenValiditySeconds: 900 });
      const user = await createUser(gw);
      const tokens = await signInAs(gw, short, user);
      expect(tokens.expiresIn).toBe(900);
      const claims = claimsOf(tokens.accessToken);
      expect(claims["exp"] - claims["iat"]).toBe(900);
    });

    it("happy flow: a confidential client signs in with its secret", async () => {
      const confidential = await createClient(gw, { generateSecret: true });
      expect(confidential.clientSecret).toEqual(expect.any(String));
      const user = await createUser(gw);
      const tokens = await signInAs(gw, confidential, user);
      expect(claimsOf(tokens.accessToken)["client_id"]).toBe(confidential.clientId);
    });

    it("happy flow: each sign-in costs exactly one password-hash verification", async () => {
      const user = await createUser(gw);
      const { result, verifications } = await countingVerifications(gw, () =>
        attempt(gw, client, user.username, user.password),
      );
      expect(result.body.data?.["signIn"]?.accessToken).toEqual(expect.any(String));
      expect(verifications).toBe(1);
    });
  });

  describe("wrong credentials", () => {
    it("error flow: an unknown username and a wrong password get the same code and the same message (no user enumeration)", async () => {
      const user = await createUser(gw);
      const unknown = await attempt(gw, client, unknownUsername(), PASSWORD);
      const wrong = await attempt(gw, client, user.username, WRONG_PASSWORD);
      expectCode(unknown, "NOT_AUTHORIZED");
      expectCode(wrong, "NOT_AUTHORIZED");
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.body.errors?.[0]?.message).toBe(wrong.body.errors?.[0]?.message);
      expect(unknown.body.data ?? null).toBeNull();
      expect(wrong.body.data ?? null).toBeNull();
    });

    it("error flow: an unknown username costs one password-hash verification, like a wrong password (no timing oracle)", async () => {
      const user = await createUser(gw);
      const unknown = await countingVerifications(gw, () =>
        attempt(gw, client, unknownUsername(), PASSWORD),
      );
      const wrong = await countingVerifications(gw, () =>
        attempt(gw, client, user.username, WRONG_PASSWORD),
      );
      expectCode(unknown.result, "NOT_AUTHORIZED");
      expectCode(wrong.result, "NOT_AUTHORIZED");
      expect(unknown.verifications).toBe(1);
      expect(wrong.verifications).toBe(1);
    });

    it("error flow: a disabled user with the right password gets NOT_AUTHORIZED", async () => {
      const user = await createUser(gw);
      await gw.pool.users.setEnabled(user.username, false);
      const res = await attempt(gw, client, user.username, user.password);
      expectCode(res, "NOT_AUTHORIZED");
      expect(res.body.data ?? null).toBeNull();
    });

    it("error flow: a disabled user with a wrong password gets the wrong-credentials answer", async () => {
      const user = await createUser(gw);
      const reference = await attempt(gw, client, unknownUsername(), WRONG_PASSWORD);
      await gw.pool.users.setEnabled(user.username, false);
      const res = await attempt(gw, client, user.username, WRONG_PASSWORD);
      expectCode(res, "NOT_AUTHORIZED");
      expect(res.body.errors?.[0]?.message).toBe(reference.body.errors?.[0]?.message);
    });
  });

  describe("account state", () => {
    it("error flow: a self-registered user who has not confirmed gets USER_NOT_CONFIRMED after the right password", async () => {
      const username = `signup-${randomBytes(4).toString("hex")}`;
      await gw.pool.users.signUp({
        username,
        password: PASSWORD,
        attributes: { email: `${username}@example.com` },
      });
      const res = await attempt(gw, client, username, PASSWORD);
      expectCode(res, "USER_NOT_CONFIRMED");
      expect(res.body.data ?? null).toBeNull();
    });

    it("error flow: an unconfirmed user with a wrong password gets NOT_AUTHORIZED (the state is shown only to the password's owner)", async () => {
      const username = `signup-${randomBytes(4).toString("hex")}`;
      await gw.pool.users.signUp({ username, password: PASSWORD, attributes: {} });
      expectCode(await attempt(gw, client, username, WRONG_PASSWORD), "NOT_AUTHORIZED");
    });

    it("error flow: a user marked unconfirmed in the store gets USER_NOT_CONFIRMED", async () => {
      const user = await createUser(gw);
      await gw.pool.store.updateUser(user.sub, { confirmed: false }, gw.pool.deps.now());
      expectCode(await attempt(gw, client, user.username, user.password), "USER_NOT_CONFIRMED");
    });

    it("error flow: a user whose password an admin reset gets PASSWORD_RESET_REQUIRED after the right password", async () => {
      const user = await createUser(gw);
      await gw.pool.users.requirePasswordReset(user.username);
      const res = await attempt(gw, client, user.username, user.password);
      expectCode(res, "PASSWORD_RESET_REQUIRED");
      expect(res.body.data ?? null).toBeNull();
      expectCode(await attempt(gw, client, user.username, WRONG_PASSWORD), "NOT_AUTHORIZED");
    });
  });

  describe("client authentication", () => {
    let confidential: Client;
    let user: { sub: string; username: string; password: string };
    beforeAll(async () => {
      confidential = await createClient(gw, { generateSecret: true });
      user = await createUser(gw);
    });

    it("error flow: a wrong client secret gets NOT_AUTHORIZED", async () => {
      const res = await attempt(
        gw,
        { clientId: confidential.clientId, clientSecret: `x${confidential.clientSecret}` },
        user.username,
        user.password,
      );
      expectCode(res, "NOT_AUTHORIZED");
      expect(res.body.data ?? null).toBeNull();
    });

    it("error flow: a confidential client without its secret gets NOT_AUTHORIZED", async () => {
      const res = await attempt(
        gw,
        { clientId: confidential.clientId, clientSecret: undefined },
        user.username,
        user.password,
      );
      expectCode(res, "NOT_AUTHORIZED");
    });

    it("error flow: a secret presented for a public client gets NOT_AUTHORIZED", async () => {
      const res = await attempt(
        gw,
        { clientId: client.clientId, clientSecret: randomBytes(36).toString("base64url") },
        user.username,
        user.password,
      );
      expectCode(res, "NOT_AUTHORIZED");
    });

    it("error flow: an unknown client id gets NOT_AUTHORIZED", async () => {
      const res = await attempt(
        gw,
        { clientId: randomBytes(13).toString("hex"), clientSecret: undefined },
        user.username,
        user.password,
      );
      expectCode(res, "NOT_AUTHORIZED");
    });

    it("error flow: another client's secret does not authenticate a confidential client", async () => {
      const other = await createClient(gw, { generateSecret: true });
      const res = await attempt(
        gw,
        { clientId: confidential.clientId, clientSecret: other.clientSecret },
        user.username,
        user.password,
      );
      expectCode(res, "NOT_AUTHORIZED");
    });
  });

  describe("scopes", () => {
    let admin: { sub: string; username: string; password: string };
    let member: { sub: string; username: string; password: string };
    beforeAll(async () => {
      admin = await createUser(gw, { groups: ["admins"] });
      member = await createUser(gw, { groups: ["staff"] });
    });

    it("happy flow: every sign-in includes aws.cognito.signin.user.admin, requested or not", async () => {
      expect(scopesOf((await signInAs(gw, client, member)).accessToken)).toContain(
        "aws.cognito.signin.user.admin",
      );
      expect(scopesOf((await signInAs(gw, client, member, ["openid"])).accessToken)).toEqual([
        "aws.cognito.signin.user.admin",
        "openid",
      ]);
      expect(scopesOf((await signInAs(gw, client, member, [])).accessToken)).toEqual([
        "aws.cognito.signin.user.admin",
      ]);
    });

    it("happy flow: requested scopes are granted exactly", async () => {
      const tokens = await signInAs(gw, client, member, ["openid", "email"]);
      expect(scopesOf(tokens.accessToken)).toEqual([
        "aws.cognito.signin.user.admin",
        "email",
        "openid",
      ]);
    });

    it("happy flow: without a request, a user outside the admin group gets every allowed scope but poolgate/admin", async () => {
      const tokens = await signInAs(gw, client, member);
      expect(scopesOf(tokens.accessToken)).toEqual([
        "aws.cognito.signin.user.admin",
        "email",
        "openid",
        "profile",
      ]);
    });

    it("happy flow: without a request, a member of the admin group also gets poolgate/admin", async () => {
      const tokens = await signInAs(gw, client, admin);
      expect(scopesOf(tokens.accessToken)).toEqual([
        "aws.cognito.signin.user.admin",
        "email",
        "openid",
        "poolgate/admin",
        "profile",
      ]);
    });

    it("happy flow: a member of the admin group who asks for poolgate/admin gets it", async () => {
      const tokens = await signInAs(gw, client, admin, ["poolgate/admin"]);
      expect(scopesOf(tokens.accessToken)).toEqual([
        "aws.cognito.signin.user.admin",
        "poolgate/admin",
      ]);
    });

    it("error flow: a scope the client is not allowed gets INVALID_SCOPE", async () => {
      const narrow = await createClient(gw, { allowedScopes: ["openid"] });
      const res = await attempt(gw, narrow, member.username, member.password, [
        "openid",
        "profile",
      ]);
      expectCode(res, "INVALID_SCOPE");
      expect(res.body.data ?? null).toBeNull();
    });

    it("error flow: a custom scope unknown to the client gets INVALID_SCOPE", async () => {
      expectCode(
        await attempt(gw, client, member.username, member.password, ["orders/write"]),
        "INVALID_SCOPE",
      );
    });

    it("stops privilege escalation: poolgate/admin requested by a user outside the admin group gets INVALID_SCOPE, not a silent drop", async () => {
      const res = await attempt(gw, client, member.username, member.password, [
        "openid",
        "poolgate/admin",
      ]);
      expectCode(res, "INVALID_SCOPE");
      expect(res.body.data ?? null).toBeNull();
    });

    it("error flow: poolgate/admin on a client that does not allow it gets INVALID_SCOPE even for an admin", async () => {
      const plain = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
      expectCode(
        await attempt(gw, plain, admin.username, admin.password, ["poolgate/admin"]),
        "INVALID_SCOPE",
      );
      const tokens = await signInAs(gw, plain, admin);
      expect(scopesOf(tokens.accessToken)).not.toContain("poolgate/admin");
    });
  });

  describe("hardening", () => {
    const TWO_SIGN_INS = `mutation Two($a: SignInInput!, $b: SignInInput!) {
      a: signIn(input: $a) { accessToken }
      b: signIn(input: $b) { accessToken }
    }`;

    it("stops password spraying by alias batching: two signIn fields in one operation are rejected before any hashing", async () => {
      const user = await createUser(gw);
      const { result, verifications } = await countingVerifications(gw, () =>
        gw.gql(TWO_SIGN_INS, {
          a: signInInput(client, user.username, WRONG_PASSWORD).input,
          b: signInInput(client, user.username, user.password).input,
        }),
      );
      expect(result.status).toBeLessThan(500);
      expect(result.body.data ?? null).toBeNull();
      expect(verifications).toBe(0);
      expectCode(result, "BAD_USER_INPUT");
    });

    it("stops alias batching hidden in a fragment: signIn fields spread from a fragment are counted too", async () => {
      const user = await createUser(gw);
      const query = `mutation Two($a: SignInInput!, $b: SignInInput!) { ...Both }
        fragment Both on Mutation { a: signIn(input: $a) { accessToken } b: signIn(input: $b) { accessToken } }`;
      const { result, verifications } = await countingVerifications(gw, () =>
        gw.gql(query, {
          a: signInInput(client, user.username, WRONG_PASSWORD).input,
          b: signInInput(client, user.username, user.password).input,
        }),
      );
      expect(result.body.data ?? null).toBeNull();
      expect(verifications).toBe(0);
      expectCode(result, "BAD_USER_INPUT");
    });

    it("stops credential checks mixed in one operation: signIn with refresh is rejected", async () => {
      const user = await createUser(gw);
      const query = `mutation Mixed($a: SignInInput!) {
        signIn(input: $a) { accessToken }
        refresh(input: { clientId: "${client.clientId}", refreshToken: "x" }) { accessToken }
      }`;
      const { result, verifications } = await countingVerifications(gw, () =>
        gw.gql(query, { a: signInInput(client, user.username, user.password).input }),
      );
      expect(verifications).toBe(0);
      expectCode(result, "BAD_USER_INPUT");
    });

    it("stops password spraying by HTTP batching: a JSON array body is refused with a 4xx and no hashing", async () => {
      const user = await createUser(gw);
      const batch = [
        { query: SIGN_IN, variables: signInInput(client, user.username, WRONG_PASSWORD) },
        { query: SIGN_IN, variables: signInInput(client, user.username, user.password) },
      ];
      const { result, verifications } = await countingVerifications(gw, async () => {
        const res = await fetch(`${gw.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(batch),
        });
        return { status: res.status, text: await res.text() };
      });
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(result.status).toBeLessThan(500);
      expect(result.text).not.toContain('accessToken":"');
      expect(verifications).toBe(0);
    });
  });

  describe("bad input never gives a 5xx", () => {
    it("error flow: missing variables get BAD_USER_INPUT with a 4xx", async () => {
      const res = await gw.gql(SIGN_IN);
      expectCode(res, "BAD_USER_INPUT");
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });

    it("error flow: an input without a password gets BAD_USER_INPUT", async () => {
      const res = await gw.gql(SIGN_IN, {
        input: { clientId: client.clientId, username: "someone" },
      });
      expectCode(res, "BAD_USER_INPUT");
      expect(res.status).toBeLessThan(500);
    });

    it.each([
      ["a number as username", { username: 42, password: PASSWORD }],
      ["a boolean as password", { username: "someone", password: true }],
      ["null as password", { username: "someone", password: null }],
      ["an object as username", { username: { $ne: "" }, password: PASSWORD }],
      ["numbers as scopes", { username: "someone", password: PASSWORD, scopes: [1, 2] }],
    ])(
      "error flow: wrong variable types (%s) get BAD_USER_INPUT with a 4xx",
      async (_name, fields) => {
        const res = await gw.gql(SIGN_IN, { input: { clientId: client.clientId, ...fields } });
        expectCode(res, "BAD_USER_INPUT");
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      },
    );

    it("error flow: an input that is not an object gets BAD_USER_INPUT", async () => {
      const res = await gw.gql(SIGN_IN, { input: "signIn" });
      expectCode(res, "BAD_USER_INPUT");
      expect(res.status).toBeLessThan(500);
    });

    it("stops hash-cost denial of service: a 1 MB password is refused without being hashed", async () => {
      const user = await createUser(gw);
      const huge = "A1!a".repeat(256 * 1024);
      const { result, verifications } = await countingVerifications(gw, () =>
        attempt(gw, client, user.username, huge),
      );
      expect(result.status).toBeLessThan(500);
      expect(["NOT_AUTHORIZED", "BAD_USER_INPUT"]).toContain(codeOf(result));
      expect(result.body.data ?? null).toBeNull();
      expect(verifications).toBe(0);
    });

    it("stops hash-cost denial of service: a password one character over the limit is refused without being hashed", async () => {
      const user = await createUser(gw);
      const { result, verifications } = await countingVerifications(gw, () =>
        attempt(gw, client, user.username, "x".repeat(257)),
      );
      expect(["NOT_AUTHORIZED", "BAD_USER_INPUT"]).toContain(codeOf(result));
      expect(verifications).toBe(0);
    });

    it("error flow: an empty username gets NOT_AUTHORIZED or BAD_USER_INPUT", async () => {
      const res = await attempt(gw, client, "", PASSWORD);
      expect(res.status).toBeLessThan(500);
      expect(["NOT_AUTHORIZED", "BAD_USER_INPUT"]).toContain(codeOf(res));
      expect(res.body.data ?? null).toBeNull();
    });

    it("error flow: an overlong username gets NOT_AUTHORIZED or BAD_USER_INPUT without hashing", async () => {
      const { result, verifications } = await countingVerifications(gw, () =>
        attempt(gw, client, "u".repeat(10_000), PASSWORD),
      );
      expect(result.status).toBeLessThan(500);
      expect(["NOT_AUTHORIZED", "BAD_USER_INPUT"]).toContain(codeOf(result));
      expect(verifications).toBe(0);
    });
  });
});

describe("signIn under the default request-body limit", () => {
  let gw: TestGateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway();
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("stops hash-cost denial of service: a 1 MB password over the body limit gets 413, not a 5xx, and no hashing", async () => {
    const user = await createUser(gw);
    const { result, verifications } = await countingVerifications(gw, () =>
      attempt(gw, client, user.username, "A1!a".repeat(256 * 1024)),
    );
    expect(result.status).toBe(413);
    expect(result.body.data ?? null).toBeNull();
    expect(result.body.errors?.length).toBeGreaterThan(0);
    expect(verifications).toBe(0);
  });
});

describe("signIn lockout (DESIGN §7)", () => {
  let gw: TestGateway;
  let clock: TestClock;
  let client: Client;

  beforeAll(async () => {
    clock = frozenClock();
    gw = await startGateway({ clock });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  async function fail(username: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++)
      expectCode(await attempt(gw, client, username, WRONG_PASSWORD), "NOT_AUTHORIZED");
  }

  it("error flow: five wrong passwords lock the user: the sixth attempt gets TOO_MANY_FAILED_ATTEMPTS", async () => {
    const user = await createUser(gw);
    await fail(user.username, 5);
    expectCode(
      await attempt(gw, client, user.username, WRONG_PASSWORD),
      "TOO_MANY_FAILED_ATTEMPTS",
    );
  });

  it("happy flow: four wrong passwords do not lock the user", async () => {
    const user = await createUser(gw);
    await fail(user.username, 4);
    expect((await signInAs(gw, client, user)).accessToken).toEqual(expect.any(String));
  });

  it("stops guessing during a lockout: the right password is refused while the lock lasts", async () => {
    const user = await createUser(gw);
    await fail(user.username, 5);
    const res = await attempt(gw, client, user.username, user.password);
    expectCode(res, "TOO_MANY_FAILED_ATTEMPTS");
    expect(res.body.data ?? null).toBeNull();
  });

  it("stops hash-cost abuse during a lockout: attempts while locked cost no hash verification", async () => {
    const user = await createUser(gw);
    await fail(user.username, 5);
    const { result, verifications } = await countingVerifications(gw, async () => {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 10; i++)
        codes.push(
          codeOf(await attempt(gw, client, user.username, i % 2 ? user.password : WRONG_PASSWORD)),
        );
      return codes;
    });
    expect(new Set(result)).toEqual(new Set(["TOO_MANY_FAILED_ATTEMPTS"]));
    expect(verifications).toBe(0);
  });

  it("error flow: attempts during a lockout do not count: the lock still ends after 1 s", async () => {
    const user = await createUser(gw);
    await fail(user.username, 5);
    for (let i = 0; i < 10; i++)
      expectCode(
        await attempt(gw, client, user.username, WRONG_PASSWORD),
        "TOO_MANY_FAILED_ATTEMPTS",
      );
    clock.advance(1000);
    expect((await signInAs(gw, client, user)).accessToken).toEqual(expect.any(String));
  });

  it("stops username enumeration through the lockout: an unknown username is locked after five failures like a real one", async () => {
    const user = await createUser(gw);
    const ghost = unknownUsername();
    const sequence = async (username: string) => {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 7; i++)
        codes.push(codeOf(await attempt(gw, client, username, WRONG_PASSWORD)));
      return codes;
    };
    const known = await sequence(user.username);
    const unknown = await sequence(ghost);
    expect(unknown).toEqual(known);
    expect(unknown).toEqual([
      ...Array(5).fill("NOT_AUTHORIZED"),
      "TOO_MANY_FAILED_ATTEMPTS",
      "TOO_MANY_FAILED_ATTEMPTS",
    ]);
  });

  it("happy flow: after the lock passes the right password works and resets the failure count", async () => {
    const user = await createUser(gw);
    await fail(user.username, 5);
    expectCode(await attempt(gw, client, user.username, user.password), "TOO_MANY_FAILED_ATTEMPTS");
    clock.advance(1000);
    expect((await signInAs(gw, client, user)).accessToken).toEqual(expect.any(String));
    // Reset: four new failures do not lock, the fifth locks for 1 s again (not 2 s or more).
    await fail(user.username, 4);
    expect((await signInAs(gw, client, user)).accessToken).toEqual(expect.any(String));
    await fail(user.username, 5);
    expectCode(await attempt(gw, client, user.username, user.password), "TOO_MANY_FAILED_ATTEMPTS");
    clock.advance(1000);
    expect((await signInAs(gw, client, user)).accessToken).toEqual(expect.any(String));
  });

  it("error flow: the lock doubles with each further failure: 1 s after the fifth, 2 s after the sixth, 4 s after the seventh", async () => {
    const user = await createUser(gw);
    await fail(user.username, 5);
    for (const lockMs of [1000, 2000, 4000]) {
      clock.advance(lockMs - 1);
      expectCode(
        await attempt(gw, client, user.username, user.password),
        "TOO_MANY_FAILED_ATTEMPTS",
      );
      clock.advance(1);
      if (lockMs < 4000) {
        // The lock is over: this failure is the next consecutive one and doubles the lock.
        expectCode(await attempt(gw, client, user.username, WRONG_PASSWORD), "NOT_AUTHORIZED");
        expectCode(
          await attempt(gw, client, user.username, user.password),
          "TOO_MANY_FAILED_ATTEMPTS",
        );
      }
    }
    expect((await signInAs(gw, client, user)).accessToken).toEqual(expect.any(String));
  });

  it("stops parallel password guessing: a burst of concurrent wrong passwords gets no more than five hash verifications", async () => {
    const user = await createUser(gw);
    const hasher = gw.pool.hasher;
    const BURST = 20;
    // Hold every verification until each request of the burst has either reached the hasher or
    // been answered, so the requests overlap as they do under a production hash cost (the
    // harness's cheap hash would otherwise finish each attempt before the next one arrives).
    let held = 0;
    let answered = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const progress = () => {
      if (held + answered >= BURST) open();
    };
    // Liveness only, not an assertion: an implementation that serialises a user's attempts must not wait forever.
    const fallback = setTimeout(() => open(), 2000);
    const verify = hasher.verify;
    hasher.verify = async (encoded: string, password: string) => {
      held++;
      progress();
      await gate;
      return verify.call(hasher, encoded, password);
    };
    try {
      const results = await Promise.all(
        Array.from({ length: BURST }, () =>
          attempt(gw, client, user.username, WRONG_PASSWORD).then((res) => {
            answered++;
            progress();
            return res;
          }),
        ),
      );
      const codes = results.map(codeOf);
      expect(
        codes.filter((c) => c !== "NOT_AUTHORIZED" && c !== "TOO_MANY_FAILED_ATTEMPTS"),
      ).toEqual([]);
      expect(codes.filter((c) => c === "NOT_AUTHORIZED").length).toBeLessThanOrEqual(5);
      expect(held).toBeLessThanOrEqual(5);
    } finally {
      hasher.verify = verify;
      clearTimeout(fallback);
    }
    expectCode(await attempt(gw, client, user.username, user.password), "TOO_MANY_FAILED_ATTEMPTS");
  });

  it("error flow: the lockout of one user does not lock another", async () => {
    const locked = await createUser(gw);
    const other = await createUser(gw);
    await fail(locked.username, 5);
    expectCode(
      await attempt(gw, client, locked.username, locked.password),
      "TOO_MANY_FAILED_ATTEMPTS",
    );
    expect((await signInAs(gw, client, other)).accessToken).toEqual(expect.any(String));
  });
});
