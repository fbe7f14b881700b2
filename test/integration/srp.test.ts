/**
 * Cognito's SRP (USER_SRP_AUTH, PASSWORD_VERIFIER; DESIGN §12, issue 15) over real HTTP
 * GraphQL and a real SQLite file, with every client value computed by amazon-cognito-identity-js
 * (test/support/srpClient.ts: the library's AuthenticationHelper, driven as CognitoUser drives
 * it). The attacks are named after what they stop (docs/security.md §13).
 */
import { createHash, createHmac, hkdfSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { decodeProtectedHeader } from "jose";
import { seal, unseal } from "../../src/tokens/sealed";
import { deriveSecrets } from "../../src/tokens/secrets";
import { formatSrpTimestamp, padHex, SRP_N, srpVerifier } from "../../src/tokens/srp";
import {
  claimsOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  ME,
  PASSWORD,
  signInAs,
  startGateway,
  type TestClock,
  type TestGateway,
} from "../harness";
import {
  authenticatorCode,
  enrollTotp,
  initiate,
  outcomeOf,
  respond,
  stepAlignedClock,
  type Client,
  type Step,
} from "../support/flows";
import { LibrarySrpClient, type ChallengeParameters } from "../support/srpClient";

const POOL_ID = "eu-west-1_SrpPool1";
/** What the library's CognitoUserPool.getUserPoolName() gives for POOL_ID. */
const POOL_NAME = "SrpPool1";
const NEW_PASSWORD = "Brand-new-pa55!";

function parametersOf(step: Step): ChallengeParameters {
  const { SALT, SRP_B, SECRET_BLOCK, USER_ID_FOR_SRP } = step.parameters;
  if (!SALT || !SRP_B || !SECRET_BLOCK || !USER_ID_FOR_SRP)
    throw new Error(`not a PASSWORD_VERIFIER step: ${JSON.stringify(step.res.body)}`);
  return { SALT, SRP_B, SECRET_BLOCK, USER_ID_FOR_SRP };
}

/** InitiateAuth USER_SRP_AUTH with a new library client's A. */
async function srpInitiate(
  gw: TestGateway,
  client: Client,
  username: string,
  extra: Record<string, unknown> = {},
  poolName = POOL_NAME,
): Promise<{ srp: LibrarySrpClient; step: Step }> {
  const srp = new LibrarySrpClient(poolName);
  const step = await initiate(
    gw,
    client,
    { username },
    { authFlow: "USER_SRP_AUTH", srpA: srp.AHex, ...extra },
  );
  return { srp, step };
}

/** RespondToAuthChallenge PASSWORD_VERIFIER, without a session (as the library sends it). */
function answerVerifier(gw: TestGateway, client: Client, responses: Record<string, string>) {
  return respond(gw, client, "PASSWORD_VERIFIER", undefined, responses);
}

/** The gateway's time, in the client's TIMESTAMP format (the unit tests tie it to DateHelper's). */
function timestampOf(clock: TestClock, offsetMs = 0): string {
  return formatSrpTimestamp(clock.now() + offsetMs);
}

/** The whole USER_SRP_AUTH conversation up to the step after PASSWORD_VERIFIER. */
async function srpSignIn(
  gw: TestGateway,
  client: Client,
  clock: TestClock,
  user: { username: string; password: string },
  extra: Record<string, unknown> = {},
  poolName = POOL_NAME,
): Promise<Step> {
  const { srp, step } = await srpInitiate(gw, client, user.username, extra, poolName);
  expect(outcomeOf(step)).toBe("PASSWORD_VERIFIER");
  return answerVerifier(
    gw,
    client,
    srp.answer(parametersOf(step), user.password, timestampOf(clock)),
  );
}

/** Rows in the challenge table (the store's growth). */
function challengeRows(gw: TestGateway): number {
  const db = new Database(join(gw.dir, "poolgate.db"), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM challenge_sessions").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe("USER_SRP_AUTH with the real client's math", () => {
  let gw: TestGateway;
  let client: Client;
  const clock = frozenClock();

  beforeAll(async () => {
    gw = await startGateway({ clock, env: { POOLGATE_POOL_ID: POOL_ID } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("happy flow: SRP_A → PASSWORD_VERIFIER (SALT, SRP_B, SECRET_BLOCK, no session) → the library's claim → tokens", async () => {
    const user = await createUser(gw);
    const { srp, step } = await srpInitiate(gw, client, user.username, { scopes: ["openid"] });
    expect(outcomeOf(step)).toBe("PASSWORD_VERIFIER");
    expect(step.session).toBeUndefined();
    expect(Object.keys(step.parameters).sort()).toEqual([
      "SALT",
      "SECRET_BLOCK",
      "SRP_B",
      "USERNAME",
      "USER_ID_FOR_SRP",
    ]);
    expect(step.parameters["SALT"]).toMatch(/^[0-9a-f]{32}$/);
    expect(step.parameters["SRP_B"]).toMatch(/^[0-9a-f]{700,768}$/);
    const block = step.parameters["SECRET_BLOCK"]!;
    expect(Buffer.from(block, "base64").toString("base64")).toBe(block); // standard Base64
    expect(step.parameters["USERNAME"]).toBe(user.username);
    expect(step.parameters["USER_ID_FOR_SRP"]).toBe(user.username);

    const done = await answerVerifier(
      gw,
      client,
      srp.answer(parametersOf(step), user.password, timestampOf(clock)),
    );
    expect(outcomeOf(done)).toBe("TOKENS");
    const claims = claimsOf(done.tokens!.accessToken);
    expect(claims).toMatchObject({ username: user.username, client_id: client.clientId });
    // The scopes asked for at InitiateAuth, as a password sign-in grants them.
    const byPassword = await signInAs(gw, client, user, ["openid"]);
    expect(claims["scope"]).toBe(claimsOf(byPassword.accessToken)["scope"]);
    expect(claims["scope"]).not.toContain("email");
    const me = await gw.gql(ME, {}, done.tokens!.accessToken);
    expect(me.body.data?.["me"]).toMatchObject({ username: user.username });
  });

  it("the username is read as sign-in reads it: another case of it gets the stored name as USER_ID_FOR_SRP", async () => {
    const user = await createUser(gw);
    const { srp, step } = await srpInitiate(gw, client, user.username.toUpperCase());
    expect(step.parameters["USER_ID_FOR_SRP"]).toBe(user.username);
    const done = await answerVerifier(
      gw,
      client,
      srp.answer(parametersOf(step), user.password, timestampOf(clock)),
    );
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("USER_AUTH: PASSWORD_SRP as the preferred challenge goes straight to PASSWORD_VERIFIER", async () => {
    const user = await createUser(gw);
    const done = await srpSignIn(gw, client, clock, user, {
      authFlow: "USER_AUTH",
      preferredChallenge: "PASSWORD_SRP",
    });
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("USER_AUTH: SELECT_CHALLENGE answered PASSWORD_SRP with SRP_A continues to PASSWORD_VERIFIER", async () => {
    const user = await createUser(gw);
    const select = await initiate(
      gw,
      client,
      { username: user.username },
      { authFlow: "USER_AUTH" },
    );
    expect(select.availableChallenges).toEqual(["PASSWORD", "PASSWORD_SRP"]);
    const srp = new LibrarySrpClient(POOL_NAME);
    const verifier = await respond(gw, client, "SELECT_CHALLENGE", select.session, {
      ANSWER: "PASSWORD_SRP",
      USERNAME: user.username,
      SRP_A: srp.AHex,
    });
    expect(outcomeOf(verifier)).toBe("PASSWORD_VERIFIER");
    const done = await answerVerifier(
      gw,
      client,
      srp.answer(parametersOf(verifier), user.password, timestampOf(clock)),
    );
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("error flow: no SRP_A is BAD_USER_INPUT, and a wrong password is NOT_AUTHORIZED with sign-in's message", async () => {
    const user = await createUser(gw);
    expectCode(
      (await initiate(gw, client, { username: user.username }, { authFlow: "USER_SRP_AUTH" })).res,
      "BAD_USER_INPUT",
    );
    const wrong = await srpSignIn(gw, client, clock, { ...user, password: "Wrong-pa55word!" });
    expectCode(wrong.res, "NOT_AUTHORIZED");
    expect(wrong.res.body.errors?.[0]?.message).toBe("Incorrect username or password.");
  });

  it("SRP secret block replay: a block that gave tokens, or a wrong answer, is spent", async () => {
    const user = await createUser(gw);
    const { srp, step } = await srpInitiate(gw, client, user.username);
    const responses = srp.answer(parametersOf(step), user.password, timestampOf(clock));
    expect(outcomeOf(await answerVerifier(gw, client, responses))).toBe("TOKENS");
    expectCode((await answerVerifier(gw, client, responses)).res, "INVALID_SESSION");

    // One guess per block: after a wrong claim even the right one is refused with it.
    const second = await srpInitiate(gw, client, user.username);
    const guess = second.srp.answer(
      parametersOf(second.step),
      "Wrong-pa55word!",
      timestampOf(clock),
    );
    expectCode((await answerVerifier(gw, client, guess)).res, "NOT_AUTHORIZED");
    const right = second.srp.answer(parametersOf(second.step), user.password, timestampOf(clock));
    expectCode((await answerVerifier(gw, client, right)).res, "INVALID_SESSION");
  });

  it("concurrent replay: of parallel answers with one secret block exactly one gets tokens", async () => {
    const user = await createUser(gw);
    const { srp, step } = await srpInitiate(gw, client, user.username);
    const responses = srp.answer(parametersOf(step), user.password, timestampOf(clock));
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => answerVerifier(gw, client, responses).then(outcomeOf)),
    );
    expect(outcomes.filter((o) => o === "TOKENS")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "INVALID_SESSION")).toHaveLength(4);
  });

  it("SRP secret block theft and tampering: another client's, a changed one, an expired one are INVALID_SESSION", async () => {
    const user = await createUser(gw);
    const other = await createClient(gw);
    const stolen = await srpInitiate(gw, client, user.username);
    const stolenAnswer = stolen.srp.answer(
      parametersOf(stolen.step),
      user.password,
      timestampOf(clock),
    );
    expectCode((await answerVerifier(gw, other, stolenAnswer)).res, "INVALID_SESSION");

    const tampered = await srpInitiate(gw, client, user.username);
    const params = parametersOf(tampered.step);
    const bytes = Buffer.from(params.SECRET_BLOCK, "base64");
    bytes[200] = bytes[200]! ^ 0x01;
    const changed = { ...params, SECRET_BLOCK: bytes.toString("base64") };
    expectCode(
      (
        await answerVerifier(
          gw,
          client,
          tampered.srp.answer(changed, user.password, timestampOf(clock)),
        )
      ).res,
      "INVALID_SESSION",
    );

    const stale = await srpInitiate(gw, client, user.username);
    clock.advance(3 * 60_000 + 1000);
    expectCode(
      (
        await answerVerifier(
          gw,
          client,
          stale.srp.answer(parametersOf(stale.step), user.password, timestampOf(clock)),
        )
      ).res,
      "INVALID_SESSION",
    );
  });

  it("a claim for another USERNAME than the secret block's is NOT_AUTHORIZED", async () => {
    const user = await createUser(gw);
    const { srp, step } = await srpInitiate(gw, client, user.username);
    const responses = srp.answer(parametersOf(step), user.password, timestampOf(clock));
    expectCode(
      (await answerVerifier(gw, client, { ...responses, USERNAME: "someone-else" })).res,
      "NOT_AUTHORIZED",
    );
  });

  it("A = 0 / A = N (zero-key attack): refused before any step, and a claim assuming S = 0 never verifies", async () => {
    const user = await createUser(gw);
    for (const A of [0n, SRP_N, 2n * SRP_N, 3n * SRP_N])
      for (const srpA of [A.toString(16), `000${A.toString(16)}`])
        expectCode(
          (
            await initiate(
              gw,
              client,
              { username: user.username },
              { authFlow: "USER_SRP_AUTH", srpA },
            )
          ).res,
          "BAD_USER_INPUT",
        );
    expectCode(
      (
        await initiate(
          gw,
          client,
          { username: "nobody-at-all" },
          { authFlow: "USER_SRP_AUTH", srpA: "0" },
        )
      ).res,
      "BAD_USER_INPUT",
    );
    // The A a block was issued for is sealed into it: a client cannot swap in A = 0 afterwards,
    // and a signature made as if S were 0 is a wrong claim.
    const { srp, step } = await srpInitiate(gw, client, user.username);
    const honest = srp.answer(parametersOf(step), user.password, timestampOf(clock));
    const u = BigInt(
      `0x${createHash("sha256")
        .update(Buffer.from(padHex(0n) + padHex(BigInt(`0x${step.parameters["SRP_B"]}`)), "hex"))
        .digest("hex")}`,
    );
    const key = Buffer.from(
      hkdfSync(
        "sha256",
        Buffer.from("00", "hex"),
        Buffer.from(padHex(u), "hex"),
        "Caldera Derived Key",
        16,
      ),
    );
    const forged = createHmac("sha256", key)
      .update(POOL_NAME)
      .update(user.username)
      .update(Buffer.from(honest["PASSWORD_CLAIM_SECRET_BLOCK"]!, "base64"))
      .update(honest["TIMESTAMP"]!)
      .digest("base64");
    expectCode(
      (await answerVerifier(gw, client, { ...honest, PASSWORD_CLAIM_SIGNATURE: forged })).res,
      "NOT_AUTHORIZED",
    );
  });

  it("stale timestamp: a claim signed over a TIMESTAMP more than 5 minutes from the gateway's clock is refused; within 5 it works", async () => {
    const user = await createUser(gw);
    for (const offset of [-6 * 60_000, 6 * 60_000]) {
      const { srp, step } = await srpInitiate(gw, client, user.username);
      const res = await answerVerifier(
        gw,
        client,
        srp.answer(parametersOf(step), user.password, timestampOf(clock, offset)),
      );
      expectCode(res.res, "NOT_AUTHORIZED");
    }
    const malformed = await srpInitiate(gw, client, user.username);
    const garbled = malformed.srp.answer(parametersOf(malformed.step), user.password, "yesterday");
    expectCode((await answerVerifier(gw, client, garbled)).res, "BAD_USER_INPUT");

    const { srp, step } = await srpInitiate(gw, client, user.username);
    const fresh = await answerVerifier(
      gw,
      client,
      srp.answer(parametersOf(step), user.password, timestampOf(clock, -4 * 60_000)),
    );
    expect(outcomeOf(fresh)).toBe("TOKENS");
  });

  it("wrong password through SRP counts towards the lockout: five wrong claims lock the user, for SRP and for the password alike", async () => {
    const user = await createUser(gw);
    for (let i = 0; i < 5; i++)
      expectCode(
        (await srpSignIn(gw, client, clock, { ...user, password: "Wrong-pa55word!" })).res,
        "NOT_AUTHORIZED",
      );
    expectCode((await srpSignIn(gw, client, clock, user)).res, "TOO_MANY_FAILED_ATTEMPTS");
    expectCode((await initiate(gw, client, user)).res, "TOO_MANY_FAILED_ATTEMPTS");
    clock.advance(31 * 60_000);
    expect(outcomeOf(await srpSignIn(gw, client, clock, user))).toBe("TOKENS");
  });

  it("username enumeration through SRP: an unknown name and a user without a verifier get a salt and B of the same shape, stable per name, and fail alike", async () => {
    const withVerifier = await createUser(gw);
    const withoutVerifier = await createUser(gw);
    await gw.pool.store.updateUser(withoutVerifier.sub, { srpVerifierSealed: null }, clock.now());
    const unknown = `nobody-${withVerifier.username}`;
    // One A for every call, so the secret blocks can be compared byte for byte in length.
    const A = new LibrarySrpClient(POOL_NAME);
    const ask = async (username: string) => {
      const step = await initiate(
        gw,
        client,
        { username },
        { authFlow: "USER_SRP_AUTH", srpA: A.AHex },
      );
      expect(outcomeOf(step)).toBe("PASSWORD_VERIFIER");
      return step;
    };
    const rowsBefore = challengeRows(gw);
    const shapes = [];
    for (const name of [withVerifier.username, unknown, withoutVerifier.username]) {
      const [one, two] = [await ask(name), await ask(name)];
      expect(Object.keys(one.parameters).sort()).toEqual(Object.keys(two.parameters).sort());
      // The salt is the name's, on every call; B is new on every call, for everyone.
      expect(one.parameters["SALT"]).toBe(two.parameters["SALT"]);
      expect(one.parameters["SRP_B"]).not.toBe(two.parameters["SRP_B"]);
      expect(one.session).toBeUndefined();
      shapes.push({
        keys: Object.keys(one.parameters).sort(),
        salt: /^[0-9a-f]{32}$/.test(one.parameters["SALT"]!),
        B: /^[0-9a-f]{700,768}$/.test(one.parameters["SRP_B"]!),
        blockLength: one.parameters["SECRET_BLOCK"]!.length,
        names: [one.parameters["USERNAME"], one.parameters["USER_ID_FOR_SRP"]],
      });
    }
    expect(shapes[1]).toEqual({ ...shapes[0], names: [unknown, unknown] });
    expect(shapes[2]).toEqual({
      ...shapes[0],
      names: [withoutVerifier.username, withoutVerifier.username],
    });
    // Real users' steps are rows (2 each); a made-up name's cost the store nothing.
    expect(challengeRows(gw)).toBe(rowsBefore + 4);

    // They fail alike: the unknown name, the user without a verifier (even with the right
    // password) and a wrong password: one code, one message.
    const failures = [
      await srpSignIn(gw, client, clock, { username: unknown, password: PASSWORD }),
      await srpSignIn(gw, client, clock, withoutVerifier),
      await srpSignIn(gw, client, clock, { ...withVerifier, password: "Wrong-pa55word!" }),
    ].map((s) => ({
      code: s.res.body.errors?.[0]?.extensions?.code,
      message: s.res.body.errors?.[0]?.message,
    }));
    expect(failures).toEqual([
      { code: "NOT_AUTHORIZED", message: "Incorrect username or password." },
      { code: "NOT_AUTHORIZED", message: "Incorrect username or password." },
      { code: "NOT_AUTHORIZED", message: "Incorrect username or password." },
    ]);
    expect(challengeRows(gw)).toBe(rowsBefore + 6);
    // And an unknown name locks after five, as a user does (its counter in memory).
    for (let i = 0; i < 4; i++)
      expectCode(
        (await srpSignIn(gw, client, clock, { username: unknown, password: PASSWORD })).res,
        "NOT_AUTHORIZED",
      );
    expectCode(
      (await srpSignIn(gw, client, clock, { username: unknown, password: PASSWORD })).res,
      "TOO_MANY_FAILED_ATTEMPTS",
    );
    expect(challengeRows(gw)).toBe(rowsBefore + 6);
  });

  it("the secret block has one length whatever the name and A: the longest ones fit", async () => {
    const user = await createUser(gw);
    const longest = "\u{20000}".repeat(128); // 128 characters of 4 bytes each, unknown
    const longA = `1${"0".repeat(1023)}`; // 16^1023, 1024 hex digits
    const lengths = [];
    for (const [username, srpA] of [
      [user.username, longA],
      [longest, longA],
      [longest, "2"],
    ] as const) {
      const step = await initiate(gw, client, { username }, { authFlow: "USER_SRP_AUTH", srpA });
      expect(outcomeOf(step)).toBe("PASSWORD_VERIFIER");
      lengths.push(step.parameters["SECRET_BLOCK"]!.length);
    }
    expect(new Set(lengths).size).toBe(1);
    expectCode(
      (
        await initiate(
          gw,
          client,
          { username: user.username },
          { authFlow: "USER_SRP_AUTH", srpA: `1${longA}` },
        )
      ).res,
      "BAD_USER_INPUT",
    );
  });

  it("a database copy alone is no offline oracle: the verifier is sealed", async () => {
    const user = await createUser(gw);
    const { step } = await srpInitiate(gw, client, user.username);
    const salt = step.parameters["SALT"]!;
    const { verifierHex } = srpVerifier(POOL_NAME, user.username, user.password, salt);
    const row = (await gw.pool.store.getUserBySub(user.sub))!;
    expect(row.srpVerifierSealed!.split(".")).toHaveLength(5);
    expect(decodeProtectedHeader(row.srpVerifierSealed!)).toMatchObject({
      alg: "dir",
      enc: "A256GCM",
      typ: "poolgate-srp-verifier+jwe",
      // The binding tag a password sign-in checks without opening: 16 bytes, not the verifier.
      pgb: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    // Neither the salt nor the verifier is anywhere in the database files, in any spelling.
    const files = ["poolgate.db", "poolgate.db-wal"]
      .map((f) => join(gw.dir, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f));
    for (const secret of [salt, verifierHex])
      for (const encoding of ["hex", "base64", "base64url"] as const) {
        const bytes = Buffer.from(secret.length % 2 ? `0${secret}` : secret, "hex");
        for (const needle of [Buffer.from(secret), Buffer.from(bytes.toString(encoding)), bytes])
          for (const file of files) expect(file.includes(needle)).toBe(false);
      }
    // With the master key it opens, to exactly that verifier.
    const key = deriveSecrets(Buffer.from(gw.env["POOLGATE_MASTER_KEY"]!, "base64")).srpVerifierKey;
    const opened = JSON.parse(
      (await unseal(key, "poolgate-srp-verifier+jwe", row.srpVerifierSealed!, 4096))!,
    );
    expect(opened).toEqual({
      sub: user.sub,
      u: user.username,
      p: POOL_NAME,
      s: salt,
      v: verifierHex,
    });
    // Copied onto another user's row, it opens for no one: that user fails SRP as one without.
    const other = await createUser(gw);
    await gw.pool.store.updateUser(
      other.sub,
      { srpVerifierSealed: row.srpVerifierSealed },
      clock.now(),
    );
    expectCode((await srpSignIn(gw, client, clock, other)).res, "NOT_AUTHORIZED");
    // Its binding tag names the first user, so the other's next password sign-in seals their own.
    expect(outcomeOf(await initiate(gw, client, other))).toBe("TOKENS");
    const replaced = (await gw.pool.store.getUserBySub(other.sub))!.srpVerifierSealed;
    expect(replaced).not.toBe(row.srpVerifierSealed);
    expect(outcomeOf(await srpSignIn(gw, client, clock, other))).toBe("TOKENS");
  });

  it("a verifier sealed before the binding tag is opened instead: kept, not re-hashed, and SRP works with it", async () => {
    const user = await createUser(gw);
    const { step } = await srpInitiate(gw, client, user.username);
    const salt = step.parameters["SALT"]!;
    const { verifierHex } = srpVerifier(POOL_NAME, user.username, user.password, salt);
    const key = deriveSecrets(Buffer.from(gw.env["POOLGATE_MASTER_KEY"]!, "base64")).srpVerifierKey;
    const payload = { sub: user.sub, u: user.username, p: POOL_NAME, s: salt, v: verifierHex };
    const untagged = await seal(key, "poolgate-srp-verifier+jwe", JSON.stringify(payload));
    expect(decodeProtectedHeader(untagged)).not.toHaveProperty("pgb");
    await gw.pool.store.updateUser(user.sub, { srpVerifierSealed: untagged }, clock.now());
    const before = (await gw.pool.store.getUserBySub(user.sub))!;
    expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
    const after = (await gw.pool.store.getUserBySub(user.sub))!;
    expect(after.srpVerifierSealed).toBe(untagged);
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(outcomeOf(await srpSignIn(gw, client, clock, user))).toBe("TOKENS");
    // One sealed for another user, without a tag, is opened too, found foreign, and replaced.
    const other = await createUser(gw);
    await gw.pool.store.updateUser(other.sub, { srpVerifierSealed: untagged }, clock.now());
    expect(outcomeOf(await initiate(gw, client, other))).toBe("TOKENS");
    expect((await gw.pool.store.getUserBySub(other.sub))!.srpVerifierSealed).not.toBe(untagged);
    expect(outcomeOf(await srpSignIn(gw, client, clock, other))).toBe("TOKENS");
  });

  it("a verifier's binding tag forged in the header (database write access): it opens for no one, and the next password sign-in seals a new one", async () => {
    const user = await createUser(gw);
    const row = (await gw.pool.store.getUserBySub(user.sub))!;
    const [head, ...rest] = row.srpVerifierSealed!.split(".");
    const header = JSON.parse(Buffer.from(head!, "base64url").toString()) as Record<string, string>;
    const forged = [
      Buffer.from(JSON.stringify({ ...header, pgb: "A".repeat(22) })).toString("base64url"),
      ...rest,
    ].join(".");
    await gw.pool.store.updateUser(user.sub, { srpVerifierSealed: forged }, clock.now());
    expectCode((await srpSignIn(gw, client, clock, user)).res, "NOT_AUTHORIZED");
    expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
    expect((await gw.pool.store.getUserBySub(user.sub))!.srpVerifierSealed).not.toBe(forged);
    expect(outcomeOf(await srpSignIn(gw, client, clock, user))).toBe("TOKENS");
  });

  it("a user created before SRP gets a verifier at the next USER_PASSWORD_AUTH sign-in, and can then use SRP", async () => {
    const user = await createUser(gw);
    await gw.pool.store.updateUser(user.sub, { srpVerifierSealed: null }, clock.now());
    expectCode((await srpSignIn(gw, client, clock, user)).res, "NOT_AUTHORIZED");
    expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
    expect((await gw.pool.store.getUserBySub(user.sub))?.srpVerifierSealed).not.toBeNull();
    expect(outcomeOf(await srpSignIn(gw, client, clock, user))).toBe("TOKENS");
    // So does one whose next password sign-in is the one-call signIn.
    const other = await createUser(gw);
    await gw.pool.store.updateUser(other.sub, { srpVerifierSealed: null }, clock.now());
    await signInAs(gw, client, other);
    expect(outcomeOf(await srpSignIn(gw, client, clock, other))).toBe("TOKENS");
  });
});

describe("SRP and the rest of the conversation", () => {
  let gw: TestGateway;
  let client: Client;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_POOL_ID: POOL_ID, POOLGATE_MFA: "OPTIONAL", POOLGATE_SELF_SIGN_UP: "true" },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("an MFA user gets SOFTWARE_TOKEN_MFA after PASSWORD_VERIFIER, and tokens for the code", async () => {
    const user = await createUser(gw);
    const secret = await enrollTotp(gw, (await signInAs(gw, client, user)).accessToken);
    const mfa = await srpSignIn(gw, client, clock, user);
    expect(outcomeOf(mfa)).toBe("SOFTWARE_TOKEN_MFA");
    expect(mfa.parameters["USER_ID_FOR_SRP"]).toBe(user.username);
    clock.advance(30_000);
    const done = await respond(gw, client, "SOFTWARE_TOKEN_MFA", mfa.session, {
      SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, secret),
    });
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("a FORCE_CHANGE_PASSWORD user gets NEW_PASSWORD_REQUIRED through SRP, and the new password works through SRP at once", async () => {
    const username = `invited-${Date.now()}`;
    await gw.pool.users.adminCreate({
      username,
      temporaryPassword: "Temp-pa55word!",
      messageAction: "SUPPRESS",
    });
    const step = await srpSignIn(gw, client, clock, { username, password: "Temp-pa55word!" });
    expect(outcomeOf(step)).toBe("NEW_PASSWORD_REQUIRED");
    const done = await respond(gw, client, "NEW_PASSWORD_REQUIRED", step.session, {
      NEW_PASSWORD,
    });
    expect(outcomeOf(done)).toBe("TOKENS");
    expect(
      outcomeOf(await srpSignIn(gw, client, clock, { username, password: NEW_PASSWORD })),
    ).toBe("TOKENS");
    expectCode(
      (await srpSignIn(gw, client, clock, { username, password: "Temp-pa55word!" })).res,
      "NOT_AUTHORIZED",
    );
  });

  it("every way a password is set stores its verifier: the new password works through SRP, the old one does not", async () => {
    const expectSrp = async (
      user: { username: string; password: string },
      outcome: string,
    ): Promise<void> => {
      clock.advance(31 * 60_000); // past any lockout of an earlier check
      const step = await srpSignIn(gw, client, clock, user);
      expect({ user: user.username, outcome: outcomeOf(step) }).toEqual({
        user: user.username,
        outcome,
      });
    };
    // AdminSetUserPassword (permanent).
    const admin = await createUser(gw);
    await gw.pool.users.setPassword(admin.username, NEW_PASSWORD, true);
    await expectSrp({ ...admin, password: NEW_PASSWORD }, "TOKENS");
    await expectSrp(admin, "NOT_AUTHORIZED");
    // AdminSetUserPassword (temporary): SRP leads to NEW_PASSWORD_REQUIRED.
    await gw.pool.users.setPassword(admin.username, "Temp-pa55word!", false);
    await expectSrp({ ...admin, password: "Temp-pa55word!" }, "NEW_PASSWORD_REQUIRED");

    // ChangePassword.
    const changer = await createUser(gw);
    await gw.pool.users.changePassword(changer.sub, changer.password, NEW_PASSWORD);
    await expectSrp({ ...changer, password: NEW_PASSWORD }, "TOKENS");
    await expectSrp(changer, "NOT_AUTHORIZED");

    // ForgotPassword → ConfirmForgotPassword.
    const forgetful = await createUser(gw, {
      attributes: { email: "srp-forgetful@example.com", email_verified: "true" },
    });
    await gw.pool.recovery.forgotPassword(forgetful.username);
    const mail = await gw.smtp!.waitFor((m) => m.to.includes("srp-forgetful@example.com"));
    await gw.pool.recovery.confirmForgotPassword(
      forgetful.username,
      gw.smtp!.codeIn(mail),
      NEW_PASSWORD,
    );
    await expectSrp({ ...forgetful, password: NEW_PASSWORD }, "TOKENS");
    await expectSrp(forgetful, "NOT_AUTHORIZED");

    // An invitation sent again (RESEND) with a new temporary password.
    const invited = `resent-${Date.now()}`;
    await gw.pool.users.adminCreate({
      username: invited,
      temporaryPassword: "First-temp-pa55!",
      attributes: { email: "srp-invited@example.com" },
      messageAction: "SUPPRESS",
    });
    await gw.pool.users.adminCreate({
      username: invited,
      temporaryPassword: "Second-temp-pa55!",
      messageAction: "RESEND",
    });
    await expectSrp({ username: invited, password: "Second-temp-pa55!" }, "NEW_PASSWORD_REQUIRED");
    await expectSrp({ username: invited, password: "First-temp-pa55!" }, "NOT_AUTHORIZED");

    // Self sign-up, confirmed.
    const signedUp = { username: `signup-${Date.now()}`, password: PASSWORD };
    await gw.pool.users.signUp({ ...signedUp, attributes: { email: "srp-signup@example.com" } });
    const code = gw.smtp!.codeIn(
      await gw.smtp!.waitFor((m) => m.to.includes("srp-signup@example.com")),
    );
    await gw.pool.users.confirmSignUp(signedUp.username, code);
    await expectSrp(signedUp, "TOKENS");
  });
});

describe("a new POOLGATE_POOL_ID", () => {
  it("drops the verifiers made under the old pool name (x includes it): SRP fails until the next password sign-in makes new ones", async () => {
    const clock = frozenClock();
    const first = await startGateway({ clock, env: { POOLGATE_POOL_ID: POOL_ID } });
    const client = await createClient(first);
    const user = await createUser(first);
    expect(outcomeOf(await srpSignIn(first, client, clock, user))).toBe("TOKENS");
    await first.stop();
    const gw = await startGateway({
      clock,
      reuse: { dir: first.dir, env: { ...first.env, POOLGATE_POOL_ID: "eu-west-1_Moved2" } },
    });
    try {
      expectCode((await srpSignIn(gw, client, clock, user, {}, "Moved2")).res, "NOT_AUTHORIZED");
      expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
      expect(outcomeOf(await srpSignIn(gw, client, clock, user, {}, "Moved2"))).toBe("TOKENS");
    } finally {
      await gw.close();
    }
  });
});
