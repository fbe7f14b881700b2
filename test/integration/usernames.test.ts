/**
 * Username rules (identity/usernames.ts; issue 12 #9): NFKC everywhere a username enters,
 * case-insensitive unless POOLGATE_USERNAME_CASE_SENSITIVE=true (Cognito's
 * UsernameConfiguration), and the start-up check that brings an existing store in line.
 * Real HTTP, real SQLite file, the real CLI process (bin/poolgate.js → dist/, so
 * `npm run build` first, as `npm test` does).
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import type { UserRecord } from "../../src/store/store";
import {
  claimsOf,
  codeOf,
  createClient,
  expectCode,
  PASSWORD,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestGateway,
} from "../harness";

const ROOT = join(__dirname, "..", "..");
const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { userSub userConfirmed }
}`;
const ADMIN_CREATE_USER = `mutation AdminCreateUser($input: AdminCreateUserInput!) {
  adminCreateUser(input: $input) { sub username }
}`;
const ADMIN_GET_USER = `query AdminGetUser($username: String!) { adminGetUser(username: $username) { sub username } }`;

type Client = { clientId: string; clientSecret: string | undefined };

/** A fresh lowercase ASCII base name, and its lookalikes. */
function names() {
  const tail = randomBytes(3).toString("hex");
  const plain = `alice${tail}`;
  return {
    plain,
    fullwidth: `\uFF41lice${tail}`, // ａ
    mathBold: `\u{1D41A}lice${tail}`, // 𝐚
    upper: plain.toUpperCase(),
    mixed: `Alice${tail}`,
  };
}

function poolgateCli(
  gw: TestGateway,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("POOLGATE_") && k !== "NODE_ENV") env[k] = v;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/poolgate.js", ...args],
      { cwd: ROOT, env: { ...env, ...gw.env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function legacyUser(username: string, srpVerifierSealed: string | null = null): UserRecord {
  return {
    sub: randomUUID(),
    username,
    // Never verified: these users only have to exist.
    passwordHash: "legacy",
    enabled: true,
    confirmed: true,
    passwordResetRequired: false,
    temporaryPasswordExpiresAtMs: null,
    srpVerifierSealed,
    attributes: {},
    confirmationCodeHash: null,
    confirmationCodeExpiresAtMs: null,
    createdAtMs: Date.now(),
    updatedAtMs: Date.now(),
  };
}

describe("usernames in the default, case-insensitive pool", () => {
  let gw: TestGateway;
  let client: Client;
  let adminToken: string;

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_SELF_SIGN_UP: "true" } });
    client = await createClient(gw);
    const admin = `admin-${randomBytes(3).toString("hex")}`;
    await gw.pool.users.adminCreate({ username: admin, password: PASSWORD, groups: ["admins"] });
    adminToken = (await signInAs(gw, client, { username: admin, password: PASSWORD })).accessToken;
  });
  afterAll(() => gw.close());

  // With an email: a code reaches a user only by mail.
  const signUp = (username: string): Promise<GqlResult> =>
    gw.gql(SIGN_UP, {
      input: {
        clientId: client.clientId,
        username,
        password: PASSWORD,
        attributes: [{ name: "email", value: "lookalike@example.com" }],
      },
    });
  const adminCreate = (username: string): Promise<GqlResult> =>
    gw.gql(ADMIN_CREATE_USER, { input: { username, password: PASSWORD } }, adminToken);
  const signIn = (username: string, password = PASSWORD): Promise<GqlResult> =>
    gw.gql(SIGN_IN, { input: { clientId: client.clientId, username, password } });

  it("attack: lookalike usernames (fullwidth ａlice, mathematical 𝐚lice, ALICE) cannot register beside alice, through signUp, adminCreateUser or the CLI", async () => {
    const n = names();
    expect(codeOf(await adminCreate(n.plain))).toBeUndefined();
    for (const lookalike of [n.fullwidth, n.mathBold, n.upper, n.mixed]) {
      expectCode(await signUp(lookalike), "USERNAME_EXISTS");
      expectCode(await adminCreate(lookalike), "USERNAME_EXISTS");
    }
    const cli = await poolgateCli(gw, [
      "users",
      "create",
      "--username",
      n.fullwidth,
      "--password",
      PASSWORD,
    ]);
    expect(cli.code).not.toBe(0);
    expect(cli.stdout + cli.stderr).toMatch(/USERNAME_EXISTS|already exists/);
  });

  it("attack: signing in as a lookalike or another case signs in the one user, with its canonical username in the tokens", async () => {
    const n = names();
    const created = await adminCreate(n.mixed);
    expect(created.body.data?.["adminCreateUser"]).toEqual({
      sub: expect.any(String),
      username: n.plain,
    });
    for (const spelling of [n.plain, n.upper, n.mixed, n.fullwidth, n.mathBold]) {
      const res = await signIn(spelling);
      const access = claimsOf(res.body.data?.["signIn"]?.accessToken ?? "x.e30.x");
      expect({ spelling, code: codeOf(res), username: access["username"] }).toEqual({
        spelling,
        code: undefined,
        username: n.plain,
      });
    }
    const found = await gw.gql(ADMIN_GET_USER, { username: n.fullwidth.toUpperCase() }, adminToken);
    expect(found.body.data?.["adminGetUser"]?.username).toBe(n.plain);
  });

  it("attack: spelling a name differently does not buy five more guesses: every spelling shares one lockout counter", async () => {
    const n = names();
    expect(codeOf(await adminCreate(n.plain))).toBeUndefined();
    const spellings = [n.plain, n.upper, n.fullwidth, n.mathBold, n.mixed, n.plain];
    const codes = [];
    for (const spelling of spellings) codes.push(codeOf(await signIn(spelling, "Wrong-passw0rd!")));
    expect(codes).toEqual([...Array(5).fill("NOT_AUTHORIZED"), "TOO_MANY_FAILED_ATTEMPTS"]);
  });

  it("confirms a sign-up under any spelling of the name", async () => {
    const n = names();
    expect(codeOf(await signUp(n.mixed))).toBeUndefined();
    const code = gw.sentCodes.filter((m) => m.username === n.plain).at(-1)?.code;
    const res = await gw.gql(
      `mutation C($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) }`,
      { input: { clientId: client.clientId, username: n.fullwidth, code } },
    );
    expect(res.body.data?.["confirmSignUp"]).toBe(true);
  });
});

describe("usernames with POOLGATE_USERNAME_CASE_SENSITIVE=true", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_USERNAME_CASE_SENSITIVE: "true" } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("keeps Alice and alice apart, stored as given, while NFKC still folds lookalikes", async () => {
    const n = names();
    const mixed = await gw.pool.users.adminCreate({ username: n.mixed, password: PASSWORD });
    const plain = await gw.pool.users.adminCreate({ username: n.plain, password: PASSWORD });
    expect([mixed.username, plain.username]).toEqual([n.mixed, n.plain]);
    expect(mixed.sub).not.toBe(plain.sub);
    await expect(
      gw.pool.users.adminCreate({ username: n.fullwidth, password: PASSWORD }),
    ).rejects.toMatchObject({ code: "USERNAME_EXISTS" });
    const tokens = await signInAs(gw, client, { username: n.mathBold, password: PASSWORD });
    expect(claimsOf(tokens.accessToken)["sub"]).toBe(plain.sub);
    expectCode(
      await gw.gql(SIGN_IN, {
        input: { clientId: client.clientId, username: n.upper, password: PASSWORD },
      }),
      "NOT_AUTHORIZED",
    );
  });
});

describe("an existing store under a new username rule", () => {
  /** A data folder whose store holds the given names as a pre-rule poolgate left them. */
  async function legacyStore(usernames: string[]): Promise<TestGateway> {
    const gw = await startGateway({ env: { POOLGATE_USERNAME_CASE_SENSITIVE: "true" } });
    for (const username of usernames)
      await gw.pool.store.createUser(legacyUser(username, `verifier of ${username}`));
    await gw.pool.store.setPoolSetting("username_rule", "none (before issue 12)");
    await gw.stop();
    return gw;
  }

  it("renames stored names to their canonical form at start, so their owners can still sign in", async () => {
    const n = names();
    const legacy = await legacyStore([n.mixed, `\uFF42ob${n.plain}`, `carol${n.plain}`]);
    const gw = await startGateway({
      reuse: { dir: legacy.dir, env: { ...legacy.env, POOLGATE_USERNAME_CASE_SENSITIVE: "false" } },
    });
    try {
      expect((await gw.pool.users.find(n.mixed))?.username).toBe(n.plain);
      expect(await gw.pool.store.getUserByUsername(n.mixed)).toBeUndefined();
      expect((await gw.pool.store.getUserByUsername(`bob${n.plain}`))?.username).toBe(
        `bob${n.plain}`,
      );
      expect(await gw.pool.store.getPoolSetting("username_rule")).toBe("nfkc-lowercase");
      // SRP's x includes the username: a renamed user's verifier is dropped (a password sign-in
      // makes a new one); a name that stays keeps its own.
      expect((await gw.pool.store.getUserByUsername(n.plain))?.srpVerifierSealed).toBeNull();
      expect(
        (await gw.pool.store.getUserByUsername(`bob${n.plain}`))?.srpVerifierSealed,
      ).toBeNull();
      expect((await gw.pool.store.getUserByUsername(`carol${n.plain}`))?.srpVerifierSealed).toBe(
        `verifier of carol${n.plain}`,
      );
    } finally {
      await gw.close();
    }
  });

  it("refuses to start when two stored names would become one user, naming both; case-sensitive mode is the way out for case-only pairs", async () => {
    const n = names();
    const legacy = await legacyStore([n.mixed, n.plain]);
    const insensitive = { ...legacy.env, POOLGATE_USERNAME_CASE_SENSITIVE: "false" };
    const refused = startGateway({ reuse: { dir: legacy.dir, env: insensitive } });
    await expect(refused).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await expect(refused).rejects.toThrow(n.mixed);
    await expect(refused).rejects.toThrow(n.plain);
    const gw = await startGateway({ reuse: legacy });
    try {
      expect((await gw.pool.users.find(n.mixed))?.username).toBe(n.mixed);
      expect((await gw.pool.users.find(n.plain))?.username).toBe(n.plain);
    } finally {
      await gw.close();
    }
  });

  it("refuses to start, in either mode, when two stored names are NFKC lookalikes", async () => {
    const n = names();
    const legacy = await legacyStore([n.fullwidth, n.plain]);
    await expect(startGateway({ reuse: legacy })).rejects.toThrow(n.fullwidth);
    await expect(
      startGateway({
        reuse: {
          dir: legacy.dir,
          env: { ...legacy.env, POOLGATE_USERNAME_CASE_SENSITIVE: "false" },
        },
      }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await legacy.close();
  });
});
