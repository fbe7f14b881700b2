/**
 * The hosted sign-in pages (DESIGN §13) run the whole conversation of DESIGN §11 over HTTP,
 * driven as a browser drives them (test/support/hostedBrowser.ts: forms, cookies, redirects),
 * with the harness's real SMTP server for the codes: a temporary password changed, TOTP set up
 * and used, email codes, the choice of a factor, forgot password and sign-up. Each ends with a
 * code at the client's callback that the token endpoint exchanges for the user's tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  claimsOf,
  createClient,
  createUser,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import type { ReceivedMail } from "../support/smtp";
import {
  authenticatorCode,
  enrollTotp,
  SET_MFA_PREFERENCE,
  stepAlignedClock,
} from "../support/flows";
import { alertOf, formsOf, HostedBrowser, stepOf, type Page } from "../support/hostedBrowser";

const CALLBACK = "https://app.example.com/callback";
const NEW_PASSWORD = "Brand-new-pa55!";

interface Rp {
  gw: TestGateway;
  clientId: string;
}

interface Started {
  browser: HostedBrowser;
  page: Page;
  verifier: string;
  state: string;
}

/** A public client's authorization request with PKCE, followed to the hosted sign-in form. */
async function startAt(rp: Rp): Promise<Started> {
  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(8).toString("hex");
  const browser = new HostedBrowser(rp.gw.url);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: rp.clientId,
    redirect_uri: CALLBACK,
    scope: "openid email",
    state,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  const { page, left } = await browser.follow(`/oauth2/authorize?${query.toString()}`);
  expect(left).toBeUndefined();
  expect(stepOf(page)).toBe("sign-in");
  return { browser, page, verifier, state };
}

/** The callback the conversation ended at, its code exchanged at the token endpoint. */
async function exchangeAt(
  rp: Rp,
  started: Started,
  done: { page: Page; left?: string },
): Promise<Record<string, any>> {
  expect(alertOf(done.page)).toBeUndefined();
  expect(done.left).toBeDefined();
  const callback = new URL(done.left!);
  expect(callback.origin + callback.pathname).toBe(CALLBACK);
  expect(callback.searchParams.get("state")).toBe(started.state);
  expect(callback.searchParams.get("iss")).toBe(rp.gw.config.issuer);
  const res = await fetch(`${rp.gw.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: rp.clientId,
      code: callback.searchParams.get("code")!,
      redirect_uri: CALLBACK,
      code_verifier: started.verifier,
    }).toString(),
  });
  const body = (await res.json()) as Record<string, any>;
  expect({ status: res.status, error: body["error"] }).toEqual({ status: 200, error: undefined });
  return body;
}

/** The next mail (after `since` messages) that matches. */
function nextMail(
  gw: TestGateway,
  since: number,
  predicate: (mail: ReceivedMail) => boolean,
): Promise<ReceivedMail> {
  const messages = gw.smtp!.messages;
  return gw.smtp!.waitFor((m) => messages.indexOf(m) >= since && predicate(m));
}

/** The newest verification code mailed to `username` after `since` messages (gw.sentCodes). */
async function codeMailedTo(gw: TestGateway, username: string, since: number): Promise<string> {
  await nextMail(gw, since, (m) => m.text.includes(`Username: ${username}`));
  const sent = gw.sentCodes.filter((c) => c.username === username).at(-1);
  if (!sent) throw new Error(`no code mailed to ${username}`);
  return sent.code;
}

/** The key of the MFA set-up page, as a person would type it (groups of four, spaces dropped). */
function setupKeyOf(page: Page): string {
  const m = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(page.html);
  if (!m) throw new Error(`no key on the page:\n${page.html.slice(0, 2000)}`);
  return m[1]!.replace(/\s/g, "");
}

describe("hosted pages with MFA OFF, sign-up and password recovery", () => {
  let gw: TestGateway;
  let rp: Rp;

  beforeAll(async () => {
    gw = await startGateway({
      env: { POOLGATE_SELF_SIGN_UP: "true", POOLGATE_ACCOUNT_RECOVERY: "verified_email" },
    });
    const client = await createClient(gw, {
      allowedScopes: ["openid", "email"],
      callbackUrls: [CALLBACK],
      allowedOAuthFlows: ["code"],
    });
    rp = { gw, clientId: client.clientId };
  });
  afterAll(() => gw.close());

  it("happy flow: NEW_PASSWORD_REQUIRED for an admin-created user, then a code the client exchanges", async () => {
    const temporary = "Temp-pa55word!";
    const invited = await gw.pool.users.adminCreate({
      username: "invitee",
      temporaryPassword: temporary,
      attributes: { email: "invitee@example.com", email_verified: "true" },
      messageAction: "SUPPRESS",
    });
    const started = await startAt(rp);
    const asked = await started.browser.submit(started.page, "sign-in", {
      username: "invitee",
      password: temporary,
    });
    expect(asked.left).toBeUndefined();
    expect(stepOf(asked.page)).toBe("new-password");

    // Two different passwords: the same step again, with the reason.
    const differ = await started.browser.submit(asked.page, "new-password", {
      new_password: NEW_PASSWORD,
      new_password_confirm: `${NEW_PASSWORD}x`,
    });
    expect(differ.page.status).toBe(400);
    expect(stepOf(differ.page)).toBe("new-password");
    expect(alertOf(differ.page)).toBeDefined();

    const done = await started.browser.submit(differ.page, "new-password", {
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    const tokens = await exchangeAt(rp, started, done);
    expect(claimsOf(tokens["id_token"])).toMatchObject({ sub: invited.sub, aud: rp.clientId });

    // The temporary password is gone; the new one signs in.
    const again = await startAt(rp);
    const old = await again.browser.submit(again.page, "sign-in", {
      username: "invitee",
      password: temporary,
    });
    expect(stepOf(old.page)).toBe("sign-in");
    expect(alertOf(old.page)).toBeDefined();
    await exchangeAt(
      rp,
      again,
      await again.browser.submit(old.page, "sign-in", {
        username: "invitee",
        password: NEW_PASSWORD,
      }),
    );
  });

  it("happy flow: forgot password → a code by mail → a new password → sign in", async () => {
    const user = await createUser(gw, {
      attributes: { email: "forgetful@example.com", email_verified: "true" },
    });
    const started = await startAt(rp);
    const forgot = await started.browser.submit(started.page, "forgot-start");
    expect(stepOf(forgot.page)).toBe("forgot");

    const since = gw.smtp!.messages.length;
    const reset = await started.browser.submit(forgot.page, "forgot", { username: user.username });
    expect(stepOf(reset.page)).toBe("reset");
    expect(reset.page.html).toContain("f***@e***.com");
    const code = await codeMailedTo(gw, user.username, since);

    const changed = await started.browser.submit(reset.page, "reset", {
      code,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(stepOf(changed.page)).toBe("sign-in");
    expect(formsOf(changed.page.html).find((f) => f.step === "sign-in")!.fields["username"]).toBe(
      user.username,
    );

    const done = await started.browser.submit(changed.page, "sign-in", {
      username: user.username,
      password: NEW_PASSWORD,
    });
    const tokens = await exchangeAt(rp, started, done);
    expect(claimsOf(tokens["access_token"])["sub"]).toBe(user.sub);
  });

  it("happy flow: sign-up → a confirmation code by mail → sign in", async () => {
    const username = `new-${randomBytes(3).toString("hex")}`;
    const started = await startAt(rp);
    const form = await started.browser.submit(started.page, "sign-up-start");
    expect(stepOf(form.page)).toBe("sign-up");

    const since = gw.smtp!.messages.length;
    const confirm = await started.browser.submit(form.page, "sign-up", {
      username,
      password: NEW_PASSWORD,
      email: `${username}@example.com`,
    });
    expect(alertOf(confirm.page)).toBeUndefined();
    expect(stepOf(confirm.page)).toBe("confirm-sign-up");
    const code = await codeMailedTo(gw, username, since);

    // A wrong code first: the same step, with the error.
    const wrong = await started.browser.submit(confirm.page, "confirm-sign-up", {
      code: String((Number(code) + 1) % 1_000_000).padStart(6, "0"),
    });
    expect(wrong.page.status).toBe(400);
    expect(stepOf(wrong.page)).toBe("confirm-sign-up");
    expect(alertOf(wrong.page)).toBeDefined();

    const confirmed = await started.browser.submit(wrong.page, "confirm-sign-up", { code });
    expect(stepOf(confirmed.page)).toBe("sign-in");
    const done = await started.browser.submit(confirmed.page, "sign-in", {
      username,
      password: NEW_PASSWORD,
    });
    const tokens = await exchangeAt(rp, started, done);
    expect(claimsOf(tokens["id_token"])).toMatchObject({
      "cognito:username": username,
      email: `${username}@example.com`,
    });
  });
});

describe("hosted pages with MFA OPTIONAL and both factors", () => {
  let gw: TestGateway;
  let rp: Rp;
  let api: { clientId: string; clientSecret: string | undefined };
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "OPTIONAL", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
    });
    const client = await createClient(gw, {
      allowedScopes: ["openid", "email"],
      callbackUrls: [CALLBACK],
      allowedOAuthFlows: ["code"],
    });
    rp = { gw, clientId: client.clientId };
    api = await createClient(gw);
  });
  afterAll(() => gw.close());

  async function userWith(factors: { totp?: boolean; email?: boolean }) {
    const email = `u${randomBytes(4).toString("hex")}@example.com`;
    const user = await createUser(gw, { attributes: { email, email_verified: "true" } });
    const tokens = await signInAs(gw, api, user);
    const secret = factors.totp ? await enrollTotp(gw, tokens.accessToken) : undefined;
    if (factors.email) {
      const pref = await gw.gql(
        SET_MFA_PREFERENCE,
        { input: { email: { enabled: true } } },
        tokens.accessToken,
      );
      expect(pref.body.data?.["setUserMfaPreference"]).toBe(true);
    }
    // The enrolment spent this step's code: the sign-in uses the next one.
    clock.advance(30_000);
    return { ...user, email, secret };
  }

  it("happy flow: the TOTP step; a wrong code shows the step again with the error", async () => {
    const user = await userWith({ totp: true });
    const started = await startAt(rp);
    const asked = await started.browser.submit(started.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(stepOf(asked.page)).toBe("totp");

    const right = authenticatorCode(gw, user.secret!);
    const wrong = await started.browser.submit(asked.page, "totp", {
      code: String((Number(right) + 1) % 1_000_000).padStart(6, "0"),
    });
    expect(wrong.left).toBeUndefined();
    expect(wrong.page.status).toBe(400);
    expect(stepOf(wrong.page)).toBe("totp");
    expect(alertOf(wrong.page)).toBeDefined();

    const done = await started.browser.submit(wrong.page, "totp", { code: right });
    const tokens = await exchangeAt(rp, started, done);
    expect(claimsOf(tokens["access_token"])["sub"]).toBe(user.sub);
  });

  it("happy flow: the EMAIL_OTP step with the code from the mail", async () => {
    const user = await userWith({ email: true });
    const started = await startAt(rp);
    const since = gw.smtp!.messages.length;
    const asked = await started.browser.submit(started.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(stepOf(asked.page)).toBe("email-otp");
    // The sign-in code's mail has its own template (no "Username:" line): read it from the mailbox.
    const mail = await nextMail(gw, since, (m) => m.to.includes(user.email));
    const done = await started.browser.submit(asked.page, "email-otp", {
      code: gw.smtp!.codeIn(mail),
    });
    const tokens = await exchangeAt(rp, started, done);
    expect(claimsOf(tokens["id_token"])["email"]).toBe(user.email);
  });

  it("happy flow: SELECT_MFA_TYPE, the chosen factor's step, then the code", async () => {
    const user = await userWith({ totp: true, email: true });
    for (const factor of ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]) {
      const started = await startAt(rp);
      const choose = await started.browser.submit(started.page, "sign-in", {
        username: user.username,
        password: user.password,
      });
      expect(stepOf(choose.page)).toBe("select-mfa");
      expect(choose.page.html).toContain(`value="SOFTWARE_TOKEN_MFA"`);
      expect(choose.page.html).toContain(`value="EMAIL_OTP"`);
      const since = gw.smtp!.messages.length;
      const chosen = await started.browser.submit(choose.page, "select-mfa", { factor });
      let done;
      if (factor === "SOFTWARE_TOKEN_MFA") {
        expect(stepOf(chosen.page)).toBe("totp");
        done = await started.browser.submit(chosen.page, "totp", {
          code: authenticatorCode(gw, user.secret!),
        });
        clock.advance(30_000);
      } else {
        expect(stepOf(chosen.page)).toBe("email-otp");
        const mail = await nextMail(gw, since, (m) => m.to.includes(user.email));
        done = await started.browser.submit(chosen.page, "email-otp", {
          code: gw.smtp!.codeIn(mail),
        });
      }
      const tokens = await exchangeAt(rp, started, done);
      expect(claimsOf(tokens["access_token"])["sub"]).toBe(user.sub);
    }
  });
});

describe("hosted pages with MFA ON", () => {
  let gw: TestGateway;
  let rp: Rp;
  const clock = stepAlignedClock();

  beforeAll(async () => {
    gw = await startGateway({ clock, env: { POOLGATE_MFA: "ON" } });
    const client = await createClient(gw, {
      allowedScopes: ["openid", "email"],
      callbackUrls: [CALLBACK],
      allowedOAuthFlows: ["code"],
    });
    rp = { gw, clientId: client.clientId };
  });
  afterAll(() => gw.close());

  it("happy flow: MFA_SETUP with the key read from the page, then TOTP at the next sign-in", async () => {
    const user = await createUser(gw);
    const started = await startAt(rp);
    const setup = await started.browser.submit(started.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(stepOf(setup.page)).toBe("mfa-setup");
    expect(setup.page.html).toContain("<svg");
    const key = setupKeyOf(setup.page);
    expect(key).toMatch(/^[A-Z2-7]{32}$/);

    // A wrong code: the set-up step again (same key), with the error.
    const right = authenticatorCode(gw, key);
    const wrong = await started.browser.submit(setup.page, "mfa-setup", {
      code: String((Number(right) + 1) % 1_000_000).padStart(6, "0"),
    });
    expect(wrong.left).toBeUndefined();
    expect(stepOf(wrong.page)).toBe("mfa-setup");
    expect(alertOf(wrong.page)).toBeDefined();
    expect(setupKeyOf(wrong.page)).toBe(key);

    const done = await started.browser.submit(wrong.page, "mfa-setup", { code: right });
    await exchangeAt(rp, started, done);

    clock.advance(30_000);
    const next = await startAt(rp);
    const asked = await next.browser.submit(next.page, "sign-in", {
      username: user.username,
      password: user.password,
    });
    expect(stepOf(asked.page)).toBe("totp");
    await exchangeAt(
      rp,
      next,
      await next.browser.submit(asked.page, "totp", { code: authenticatorCode(gw, key) }),
    );
  });

  it("happy flow: NEW_PASSWORD_REQUIRED, then MFA_SETUP, in one hosted conversation", async () => {
    const temporary = "Temp-pa55word!";
    await gw.pool.users.adminCreate({
      username: "invited-mfa",
      temporaryPassword: temporary,
      attributes: { email: "invited-mfa@example.com", email_verified: "true" },
      messageAction: "SUPPRESS",
    });
    const started = await startAt(rp);
    const asked = await started.browser.submit(started.page, "sign-in", {
      username: "invited-mfa",
      password: temporary,
    });
    expect(stepOf(asked.page)).toBe("new-password");
    const setup = await started.browser.submit(asked.page, "new-password", {
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(stepOf(setup.page)).toBe("mfa-setup");
    const done = await started.browser.submit(setup.page, "mfa-setup", {
      code: authenticatorCode(gw, setupKeyOf(setup.page)),
    });
    await exchangeAt(rp, started, done);
  });
});
