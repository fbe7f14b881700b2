/**
 * Attacks on the sign-in conversation and on recovery (issue 14, "Bad input"), each test named
 * after the attack it stops, over real HTTP with a real SMTP server. Every refusal is a stable
 * code, never a 5xx, and leaves nothing half-done.
 */
import {
  createClient,
  createUser,
  expectCode,
  startGateway,
  type TestClock,
  type TestGateway,
} from "../harness";
import {
  authenticatorCode,
  CONFIRM_FORGOT,
  enrollTotp,
  FORGOT,
  initiate,
  outcomeOf,
  respond,
  stepAlignedClock,
  type Client,
} from "../support/flows";
import { signInAs } from "../harness";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AfterAnswer } from "../../src/identity/afterAnswer";
import { RecoveryService } from "../../src/identity/recovery";

/** A six-digit code other than `code`. */
function otherThan(code: string, k = 1): string {
  return String((Number(code) + k) % 1_000_000).padStart(6, "0");
}

async function totpUser(gw: TestGateway, client: Client, clock: TestClock) {
  const user = await createUser(gw, {
    attributes: {
      email: `${Math.random().toString(36).slice(2)}@example.com`,
      email_verified: "true",
    },
  });
  const tokens = await signInAs(gw, client, user);
  const secret = await enrollTotp(gw, tokens.accessToken);
  clock.advance(30_000); // the enrolment spent the current step
  return { ...user, secret };
}

describe("attacks on challenge sessions", () => {
  let gw: TestGateway;
  let client: Client;
  let other: Client;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({ clock, env: { POOLGATE_MFA: "OPTIONAL" } });
    client = await createClient(gw);
    other = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("session replay: a session that gave tokens is INVALID_SESSION the second time", async () => {
    const user = await totpUser(gw, client, clock);
    const step = await initiate(gw, client, user);
    const code = authenticatorCode(gw, user.secret);
    expect(
      outcomeOf(
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", step.session, {
          SOFTWARE_TOKEN_MFA_CODE: code,
        }),
      ),
    ).toBe("TOKENS");
    clock.advance(30_000);
    const replay = await respond(gw, client, "SOFTWARE_TOKEN_MFA", step.session, {
      SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret),
    });
    expectCode(replay.res, "INVALID_SESSION");
  });

  it("concurrent replay: of parallel answers with one session exactly one gets tokens", async () => {
    const user = await totpUser(gw, client, clock);
    const step = await initiate(gw, client, user);
    // Codes of the current and the next step: both valid, so only the session decides.
    const answers = await Promise.all(
      [0, 30_000, 0, 30_000].map((offset) =>
        respond(gw, client, "SOFTWARE_TOKEN_MFA", step.session, {
          SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret, offset),
        }),
      ),
    );
    expect(answers.filter((a) => a.tokens).length).toBe(1);
    for (const a of answers.filter((x) => !x.tokens))
      expect(["INVALID_SESSION", "CODE_MISMATCH"]).toContain(outcomeOf(a));
  });

  it("session tampering: a changed character anywhere in the session is INVALID_SESSION", async () => {
    const user = await totpUser(gw, client, clock);
    const step = await initiate(gw, client, user);
    const session = step.session!;
    for (const at of [5, Math.floor(session.length / 2), session.length - 3]) {
      const flipped =
        session.slice(0, at) + (session[at] === "A" ? "B" : "A") + session.slice(at + 1);
      const res = await respond(gw, client, "SOFTWARE_TOKEN_MFA", flipped, {
        SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret),
      });
      expectCode(res.res, "INVALID_SESSION");
    }
    for (const junk of ["", "not-a-session", "a.b.c.d.e", "x".repeat(10_000)]) {
      expectCode(
        (
          await respond(gw, client, "SOFTWARE_TOKEN_MFA", junk, {
            SOFTWARE_TOKEN_MFA_CODE: "123456",
          })
        ).res,
        "INVALID_SESSION",
      );
    }
    // The genuine session still works: the forgeries did not spend it.
    expect(
      outcomeOf(
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", session, {
          SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret),
        }),
      ),
    ).toBe("TOKENS");
  });

  it("session theft across clients: a session presented by another app client is INVALID_SESSION", async () => {
    const user = await totpUser(gw, client, clock);
    const step = await initiate(gw, client, user);
    const stolen = await respond(gw, other, "SOFTWARE_TOKEN_MFA", step.session, {
      SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret),
    });
    expectCode(stolen.res, "INVALID_SESSION");
  });

  it("challenge confusion: a session answered as another challenge is INVALID_SESSION", async () => {
    const user = await totpUser(gw, client, clock);
    const step = await initiate(gw, client, user);
    for (const name of [
      "EMAIL_OTP",
      "NEW_PASSWORD_REQUIRED",
      "MFA_SETUP",
      "SELECT_MFA_TYPE",
      "PASSWORD",
    ]) {
      const res = await respond(gw, client, name, step.session, {
        EMAIL_OTP_CODE: "123456",
        NEW_PASSWORD: "Pwned-pa55word!",
        ANSWER: "SOFTWARE_TOKEN_MFA",
        PASSWORD: user.password,
      });
      expectCode(res.res, "INVALID_SESSION");
    }
  });

  it("stale session: a session past its 3 minutes is INVALID_SESSION; a client's longer validity is honoured", async () => {
    const user = await totpUser(gw, client, clock);
    const step = await initiate(gw, client, user);
    clock.advance(3 * 60_000 + 1);
    expectCode(
      (
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", step.session, {
          SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret),
        })
      ).res,
      "INVALID_SESSION",
    );
    const patient = await createClient(gw, { authSessionValidityMinutes: 10 });
    const step2 = await initiate(gw, patient, user);
    clock.advance(9 * 60_000);
    expect(
      outcomeOf(
        await respond(gw, patient, "SOFTWARE_TOKEN_MFA", step2.session, {
          SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret),
        }),
      ),
    ).toBe("TOKENS");
  });
});

describe("attacks on one-time codes", () => {
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

  it("TOTP replay: a code accepted once is refused within its window, even with a fresh session", async () => {
    const user = await totpUser(gw, client, clock);
    const code = authenticatorCode(gw, user.secret);
    const first = await initiate(gw, client, user);
    expect(
      outcomeOf(
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", first.session, {
          SOFTWARE_TOKEN_MFA_CODE: code,
        }),
      ),
    ).toBe("TOKENS");
    clock.advance(10_000); // same step: the code is still what the authenticator shows
    const second = await initiate(gw, client, user);
    const replay = await respond(gw, client, "SOFTWARE_TOKEN_MFA", second.session, {
      SOFTWARE_TOKEN_MFA_CODE: code,
    });
    expectCode(replay.res, "CODE_MISMATCH");
    // An earlier step's code (still inside the ±1 window) is refused too: steps only move forward.
    clock.advance(30_000);
    const earlier = await respond(gw, client, "SOFTWARE_TOKEN_MFA", second.session, {
      SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret, -30_000),
    });
    expectCode(earlier.res, "CODE_MISMATCH");
    expect(
      outcomeOf(
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", second.session, {
          SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, user.secret),
        }),
      ),
    ).toBe("TOKENS");
  });

  it("TOTP code brute force: a session dies after 3 wrong codes, and wrong codes lock the user out", async () => {
    const user = await totpUser(gw, client, clock);
    const right = authenticatorCode(gw, user.secret);
    const step = await initiate(gw, client, user);
    for (let k = 1; k <= 3; k++) {
      const wrong = await respond(gw, client, "SOFTWARE_TOKEN_MFA", step.session, {
        SOFTWARE_TOKEN_MFA_CODE: otherThan(right, k * 7919),
      });
      expectCode(wrong.res, "CODE_MISMATCH");
    }
    // The right code no longer opens the spent session.
    expectCode(
      (
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", step.session, {
          SOFTWARE_TOKEN_MFA_CODE: right,
        })
      ).res,
      "INVALID_SESSION",
    );
    // 1 password + 3 codes counted: the next password attempt is the fifth failure-in-waiting
    // and locks the user (attempts are counted before they are checked, and only tokens clear
    // the count), so then even the right code, and the right password, are refused.
    const fifth = await initiate(gw, client, user);
    expect(outcomeOf(fifth)).toBe("SOFTWARE_TOKEN_MFA");
    expectCode(
      (
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", fifth.session, {
          SOFTWARE_TOKEN_MFA_CODE: right,
        })
      ).res,
      "TOO_MANY_FAILED_ATTEMPTS",
    );
    expectCode((await initiate(gw, client, user)).res, "TOO_MANY_FAILED_ATTEMPTS");
  });

  it("MFA code guessing by alias batching: several respondToAuthChallenge or confirmForgotPassword fields in one request are refused before any runs", async () => {
    const user = await totpUser(gw, client, clock);
    const step = await initiate(gw, client, user);
    const right = authenticatorCode(gw, user.secret);
    const answers = ["000000", "111111", right].map(
      (c, i) =>
        `a${i}: respondToAuthChallenge(input: { clientId: "${client.clientId}", challengeName: SOFTWARE_TOKEN_MFA, session: "${step.session}", responses: [{ name: "SOFTWARE_TOKEN_MFA_CODE", value: "${c}" }] }) { challengeName }`,
    );
    const batched = await gw.gql(`mutation { ${answers.join("\n")} }`);
    expect(batched.status).toBe(400);
    expect(batched.body.data ?? null).toBeNull();
    expectCode(batched, "BAD_USER_INPUT");
    // Nothing ran: the session and the right code still work.
    expect(
      outcomeOf(
        await respond(gw, client, "SOFTWARE_TOKEN_MFA", step.session, {
          SOFTWARE_TOKEN_MFA_CODE: right,
        }),
      ),
    ).toBe("TOKENS");
    const confirms = ["000000", "111111"].map(
      (c, i) =>
        `c${i}: confirmForgotPassword(input: { clientId: "${client.clientId}", username: "${user.username}", code: "${c}", password: "Attacker-pa55!" })`,
    );
    const batchedConfirm = await gw.gql(`mutation { ${confirms.join("\n")} }`);
    expect(batchedConfirm.status).toBe(400);
    expectCode(batchedConfirm, "BAD_USER_INPUT");
  });

  it("email code brute force: wrong email codes count like wrong TOTP codes", async () => {
    const email = `bf${Math.random().toString(36).slice(2)}@example.com`;
    const user = await createUser(gw, { attributes: { email, email_verified: "true" } });
    await gw.pool.mfa.setPreferences((await gw.pool.deps.store.getUserBySub(user.sub))!, {
      email: { enabled: true },
    });
    const step = await initiate(gw, client, user);
    expect(outcomeOf(step)).toBe("EMAIL_OTP");
    const code = gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes(email)));
    for (let k = 1; k <= 3; k++)
      expectCode(
        (
          await respond(gw, client, "EMAIL_OTP", step.session, {
            EMAIL_OTP_CODE: otherThan(code, k),
          })
        ).res,
        "CODE_MISMATCH",
      );
    expectCode(
      (await respond(gw, client, "EMAIL_OTP", step.session, { EMAIL_OTP_CODE: code })).res,
      "INVALID_SESSION",
    );
  });

  it("forgot-password code brute force: wrong codes lock the confirmation, even for the right code", async () => {
    const email = `fp${Math.random().toString(36).slice(2)}@example.com`;
    const user = await createUser(gw, { attributes: { email, email_verified: "true" } });
    await gw.gql(FORGOT, { input: { clientId: client.clientId, username: user.username } });
    const code = gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes(email)));
    const confirm = (c: string) =>
      gw.gql(CONFIRM_FORGOT, {
        input: {
          clientId: client.clientId,
          username: user.username,
          code: c,
          password: "Attacker-pa55!",
        },
      });
    for (let k = 1; k <= 5; k++) expectCode(await confirm(otherThan(code, k)), "CODE_MISMATCH");
    expectCode(await confirm(code), "TOO_MANY_FAILED_ATTEMPTS");
    // The password did not change.
    expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
  });
});

describe("with a mail server that refuses some recipients", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({
      env: { POOLGATE_MFA: "OPTIONAL", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
      smtp: { rejectRcpt: { code: 550, when: (to) => to.endsWith("@rejected.example") } },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("code delivery failure: an email sign-in code that cannot be sent is CODE_DELIVERY_FAILURE and leaves no step to answer", async () => {
    const user = await createUser(gw, {
      attributes: { email: "bounce@rejected.example", email_verified: "true" },
    });
    const record = await gw.pool.deps.store.getUserBySub(user.sub);
    await gw.pool.mfa.setPreferences(record!, { email: { enabled: true } });
    const step = await initiate(gw, client, user);
    expectCode(step.res, "CODE_DELIVERY_FAILURE");
    expect(step.session).toBeUndefined();
  });

  it("code delivery failure: choosing email codes at SELECT_MFA_TYPE when the mail fails leaves the choice open", async () => {
    const user = await createUser(gw, {
      attributes: { email: "both@rejected.example", email_verified: "true" },
    });
    const secret = await enrollTotp(gw, (await signInAs(gw, client, user)).accessToken);
    const record = await gw.pool.deps.store.getUserBySub(user.sub);
    await gw.pool.mfa.setPreferences(record!, { email: { enabled: true } });
    const choose = await initiate(gw, client, user);
    expect(outcomeOf(choose)).toBe("SELECT_MFA_TYPE");
    const email = await respond(gw, client, "SELECT_MFA_TYPE", choose.session, {
      ANSWER: "EMAIL_OTP",
    });
    expectCode(email.res, "CODE_DELIVERY_FAILURE");
    const totp = await respond(gw, client, "SELECT_MFA_TYPE", choose.session, {
      ANSWER: "SOFTWARE_TOKEN_MFA",
    });
    expect(outcomeOf(totp)).toBe("SOFTWARE_TOKEN_MFA");
    // The enrolment spent this step's code; the next step's is accepted (±1 window).
    const done = await respond(gw, client, "SOFTWARE_TOKEN_MFA", totp.session, {
      SOFTWARE_TOKEN_MFA_CODE: authenticatorCode(gw, secret, 30_000),
    });
    expect(outcomeOf(done)).toBe("TOKENS");
  });

  it("code delivery failure: a forgot-password code that cannot be sent is void (no pending code is left)", async () => {
    const user = await createUser(gw, {
      attributes: { email: "lost@rejected.example", email_verified: "true" },
    });
    const res = await gw.gql(FORGOT, {
      input: { clientId: client.clientId, username: user.username },
    });
    expect(res.body.data?.["forgotPassword"]?.destination).toBe("l***@r***.example");
    await gw.pool.afterAnswer.drain();
    expect(await gw.pool.deps.store.getCode(user.sub, "forgot_password")).toBeUndefined();
  });

  it("code delivery failure: an invitation that cannot be sent leaves no user behind", async () => {
    await expect(
      gw.pool.users.adminCreate({
        username: "never-invited",
        attributes: { email: "x@rejected.example" },
      }),
    ).rejects.toMatchObject({ code: "CODE_DELIVERY_FAILURE" });
    expect(await gw.pool.users.find("never-invited")).toBeUndefined();
  });
});

describe("store growth through USER_AUTH", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("attack: 300 made-up usernames sent to USER_AUTH without a password do not grow the store", async () => {
    const client = await createClient(gw);
    const rows = () => {
      const db = new Database(join(gw.dir, "poolgate.db"), { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM challenge_sessions").get() as { n: number })
          .n;
      } finally {
        db.close();
      }
    };
    const before = rows();
    for (let i = 0; i < 300; i++) {
      const step = await initiate(
        gw,
        client,
        { username: `made-up-${i}` },
        { authFlow: "USER_AUTH" },
      );
      expect(outcomeOf(step)).toBe("SELECT_CHALLENGE");
    }
    expect(rows()).toBe(before);
  });
});

describe("enumeration through forgotPassword", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway();
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  const forgot = (username: string) =>
    gw.gql(FORGOT, { input: { clientId: client.clientId, username } });

  it("enumeration through the answer: real, unverified, disabled and unknown names get the same shape, stable per name", async () => {
    const real = await createUser(gw, {
      attributes: { email: "real@example.com", email_verified: "true" },
    });
    const unverified = await createUser(gw, { attributes: { email: "unverified@example.com" } });
    const disabled = await createUser(gw, {
      attributes: { email: "disabled@example.com", email_verified: "true" },
    });
    await gw.pool.users.setEnabled(disabled.username, false);
    const shapes: unknown[] = [];
    for (const name of [
      real.username,
      unverified.username,
      disabled.username,
      "no-such-user",
      "another-stranger",
    ]) {
      const first = await forgot(name);
      const again = await forgot(name);
      expect(first.status).toBe(200);
      const details = first.body.data?.["forgotPassword"];
      expect(details).toEqual({
        destination: expect.stringMatching(/^[a-z0-9]\*\*\*@[a-z0-9]\*\*\*\.[a-z]+$/),
        deliveryMedium: "EMAIL",
        attributeName: "email",
      });
      expect(again.body.data?.["forgotPassword"]).toEqual(details);
      shapes.push(Object.keys(details).sort());
    }
    expect(new Set(shapes.map((s) => JSON.stringify(s))).size).toBe(1);
    // Only the real, verified address got mail.
    await gw.smtp!.waitFor((m) => m.to.includes("real@example.com"));
    expect(gw.smtp!.messages.filter((m) => !m.to.includes("real@example.com"))).toEqual([]);
  });

  it("enumeration through forgotPassword timing: a real user and a stranger cost the same store work before the answer, and the mail goes out after it", async () => {
    const real = await createUser(gw, {
      attributes: { email: "timed@example.com", email_verified: "true" },
    });
    // Every store call the recovery service makes, recorded as it is made (the real store
    // answers each one): what it does before its answer is what decides the answer's timing.
    const calls: string[] = [];
    const sent: string[] = [];
    const store = gw.pool.deps.store;
    const recording = new Proxy(store, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== "function" || typeof prop !== "string") return value;
        return (...args: unknown[]) => {
          calls.push(prop);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const afterAnswer = new AfterAnswer(gw.pool.deps.logger);
    const recovery = new RecoveryService(
      { ...gw.pool.deps, store: recording },
      gw.pool.users,
      gw.pool.sessions,
      {
        send: async (m) => {
          sent.push(m.to);
        },
      },
      afterAnswer,
    );
    const workOf = async (name: string) => {
      calls.length = 0;
      const answer = await recovery.forgotPassword(name);
      // Read right after the answer: the delivery work starts only on a later turn of the loop.
      return { answer, before: [...calls] };
    };
    const known = await workOf(real.username);
    const unknown = await workOf("timed-stranger");
    expect(known.before).toEqual(unknown.before);
    expect(known.before).toEqual(["getUserByUsername"]);
    expect(known.answer.destination).toBe("t***@e***.com");
    expect(sent).toEqual([]);
    // The code is made, stored and sent afterwards, for the real user only.
    await afterAnswer.drain();
    expect(calls).toContain("putCode");
    expect(sent).toEqual(["timed@example.com"]);
  });
});
