/**
 * The sign-in conversation on PostgreSQL across two gateway instances A and B sharing one
 * fresh database and master key (DESIGN §7, §11): a step begun on A is answered on B, and
 * what must happen once — spending a session, accepting a TOTP step, redeeming a code —
 * happens once across both. PostgreSQL is required: when it cannot be reached these fail.
 */
import { randomBytes } from "node:crypto";
import { createClient, createUser, expectCode, startGateway, type TestGateway } from "../harness";
import { formatSrpTimestamp } from "../../src/tokens/srp";
import { createTestDatabase, type TestDatabase } from "../store/pg";
import {
  ASSOCIATE,
  authenticatorCode,
  CONFIRM_FORGOT,
  enrollTotp,
  FORGOT,
  initiate,
  outcomeOf,
  respond,
  stepAlignedClock,
  VERIFY,
  type Client,
} from "../support/flows";
import { LibrarySrpClient } from "../support/srpClient";

let db: TestDatabase;
let a: TestGateway;
let b: TestGateway;
let client: Client;
const clock = stepAlignedClock();

beforeAll(async () => {
  db = await createTestDatabase();
  const shared = {
    POOLGATE_DATABASE_URL: db.url,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    POOLGATE_MFA: "ON",
    POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP",
  };
  a = await startGateway({ clock, env: shared });
  b = await startGateway({ clock, env: shared });
  client = await createClient(a);
}, 30_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

/** A user with an authenticator, set up through MFA_SETUP on A; the set-up step is spent. */
async function totpUser() {
  const user = await createUser(a);
  const first = await initiate(a, client, user);
  expect(outcomeOf(first)).toBe("MFA_SETUP");
  const associated = (await a.gql(ASSOCIATE, { session: first.session })).body.data![
    "associateSoftwareToken"
  ];
  const verified = (
    await b.gql(VERIFY, {
      input: {
        userCode: authenticatorCode(a, associated.secretCode),
        session: associated.session,
      },
    })
  ).body.data!["verifySoftwareToken"];
  const done = await respond(a, client, "MFA_SETUP", verified.session, {});
  expect(outcomeOf(done)).toBe("TOKENS");
  clock.advance(30_000);
  return { ...user, secret: associated.secretCode as string, tokens: done.tokens! };
}

it("happy flow: MFA set-up begun on A, verified on B, finished on A; the next TOTP sign-in begins on B and ends on A", async () => {
  const user = await totpUser();
  const step = await initiate(b, client, user);
  expect(outcomeOf(step)).toBe("SOFTWARE_TOKEN_MFA");
  const done = await respond(a, client, "SOFTWARE_TOKEN_MFA", step.session, {
    SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(a, user.secret),
  });
  expect(outcomeOf(done)).toBe("TOKENS");
  expect(
    (await b.gql(`{ me { username } }`, {}, done.tokens!.accessToken)).body.data?.["me"],
  ).toEqual({
    username: user.username,
  });
});

it("session replay across instances: a session spent on A is INVALID_SESSION on B", async () => {
  const user = await totpUser();
  const step = await initiate(a, client, user);
  const code = authenticatorCode(a, user.secret);
  expect(
    outcomeOf(
      await respond(a, client, "SOFTWARE_TOKEN_MFA", step.session, {
        SOFTWARE_TOKEN_MFA_CODE: code,
      }),
    ),
  ).toBe("TOKENS");
  clock.advance(30_000);
  expectCode(
    (
      await respond(b, client, "SOFTWARE_TOKEN_MFA", step.session, {
        SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(a, user.secret),
      })
    ).res,
    "INVALID_SESSION",
  );
});

it("TOTP replay across instances: a code accepted on A is refused on B within its window", async () => {
  const user = await totpUser();
  const code = authenticatorCode(a, user.secret);
  const onA = await initiate(a, client, user);
  expect(
    outcomeOf(
      await respond(a, client, "SOFTWARE_TOKEN_MFA", onA.session, {
        SOFTWARE_TOKEN_MFA_CODE: code,
      }),
    ),
  ).toBe("TOKENS");
  const onB = await initiate(b, client, user);
  expectCode(
    (await respond(b, client, "SOFTWARE_TOKEN_MFA", onB.session, { SOFTWARE_TOKEN_MFA_CODE: code }))
      .res,
    "CODE_MISMATCH",
  );
});

it("concurrent answers on A and B with one code and two sessions: exactly one signs in", async () => {
  const user = await totpUser();
  const code = authenticatorCode(a, user.secret);
  const [s1, s2] = [await initiate(a, client, user), await initiate(b, client, user)];
  const answers = await Promise.all([
    respond(a, client, "SOFTWARE_TOKEN_MFA", s1.session, { SOFTWARE_TOKEN_MFA_CODE: code }),
    respond(b, client, "SOFTWARE_TOKEN_MFA", s2.session, { SOFTWARE_TOKEN_MFA_CODE: code }),
  ]);
  expect(answers.map(outcomeOf).sort()).toEqual(["CODE_MISMATCH", "TOKENS"]);
});

it("a forgot-password code asked for on A works once, on B, and ends the sessions A issued", async () => {
  const email = `pg-${randomBytes(4).toString("hex")}@example.com`;
  const user = await createUser(a, { attributes: { email, email_verified: "true" } });
  // MFA is ON and the email is verified: email codes are this user's factor, so sign in with one.
  const step = await initiate(a, client, user);
  expect(outcomeOf(step)).toBe("EMAIL_OTP");
  const otp = a.smtp!.codeIn(await a.smtp!.waitFor((m) => m.to.includes(email)));
  const tokens = (await respond(a, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: otp }))
    .tokens!;
  expect(tokens).toBeDefined();
  await a.gql(FORGOT, { input: { clientId: client.clientId, username: user.username } });
  const mail = await a.smtp!.waitFor((m) => m.to.includes(email) && a.smtp!.codeIn(m) !== otp);
  const code = a.smtp!.codeIn(mail);
  const confirm = (gw: TestGateway) =>
    gw.gql(CONFIRM_FORGOT, {
      input: {
        clientId: client.clientId,
        username: user.username,
        code,
        password: "Pg-reset-pa55!",
      },
    });
  expect((await confirm(b)).body.data?.["confirmForgotPassword"]).toBe(true);
  expectCode(await confirm(a), "CODE_MISMATCH");
  // The session from A is revoked on A too (through the change feed, or at once on B's side).
  let status = 0;
  for (let i = 0; i < 40 && status !== 401; i++) {
    status = (await a.gql(`{ me { sub } }`, {}, tokens.accessToken)).status;
    if (status !== 401) await new Promise((r) => setTimeout(r, 50));
  }
  expect(status).toBe(401);
});

it("MFA preferences set on B are what A asks for", async () => {
  const user = await totpUser();
  const tokens = await (async () => {
    const step = await initiate(a, client, user);
    return (
      await respond(a, client, "SOFTWARE_TOKEN_MFA", step.session, {
        SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(a, user.secret),
      })
    ).tokens!;
  })();
  clock.advance(30_000);
  // A second authenticator replaces the first, through B.
  const secret = await enrollTotp(b, tokens.accessToken);
  clock.advance(30_000);
  const step = await initiate(a, client, user);
  expectCode(
    (
      await respond(a, client, "SOFTWARE_TOKEN_MFA", step.session, {
        SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(a, user.secret),
      })
    ).res,
    "CODE_MISMATCH",
  );
  expect(
    outcomeOf(
      await respond(a, client, "SOFTWARE_TOKEN_MFA", step.session, {
        SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(a, secret),
      }),
    ),
  ).toBe("TOKENS");
});

it("SRP across instances: a secret block issued on A and answered on A and B at once gives exactly one next step", async () => {
  const user = await totpUser();
  // The default POOLGATE_POOL_ID, local_poolgate: the library's pool name is "poolgate".
  const srp = new LibrarySrpClient("poolgate");
  const step = await initiate(
    a,
    client,
    { username: user.username },
    { authFlow: "USER_SRP_AUTH", srpA: srp.AHex },
  );
  expect(outcomeOf(step)).toBe("PASSWORD_VERIFIER");
  const { SALT, SRP_B, SECRET_BLOCK, USER_ID_FOR_SRP } = step.parameters;
  const responses = srp.answer(
    { SALT: SALT!, SRP_B: SRP_B!, SECRET_BLOCK: SECRET_BLOCK!, USER_ID_FOR_SRP: USER_ID_FOR_SRP! },
    user.password,
    formatSrpTimestamp(clock.now()),
  );
  const outcomes = await Promise.all(
    [a, b, a, b].map((gw) =>
      respond(gw, client, "PASSWORD_VERIFIER", undefined, responses).then(outcomeOf),
    ),
  );
  expect(outcomes.filter((o) => o === "SOFTWARE_TOKEN_MFA")).toHaveLength(1);
  expect(outcomes.filter((o) => o === "INVALID_SESSION")).toHaveLength(3);
});
