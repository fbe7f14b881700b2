/**
 * The hosted sign-in page (/login) runs the whole sign-in conversation (DESIGN §11, §13) in
 * headless Chromium, driven like a user with the keyboard and the mouse, against real
 * gateways on port 0 with real SMTP servers: an invitation's temporary password → a new
 * password and the pool's required name → an authenticator set up from the QR code page →
 * sign-ins with TOTP and email codes, the choice between them, an expired step, and a
 * password reset. Temporary passwords and codes are read from the mail the gateway sent;
 * TOTP codes are computed from the key the page shows, as an authenticator app would, at the
 * gateway's (frozen, step-aligned) time. No CSP violation or script error may happen.
 *
 * This suite fails, never skips, when Chromium is missing.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { totpCode } from "../../src/tokens/totp";
import { createClient, createUser, signInAs, startGateway, type TestGateway } from "../harness";
import { launchChromium, OUTPUT, watchedPage, type WatchedPage } from "../support/chromium";
import { enrollTotp, stepAlignedClock } from "../support/flows";

export const SETUP_SCREENSHOT = join(OUTPUT, "login-totp-setup.png");

const NEW_PASSWORD = "Brand-new-pa55!";
const MESSAGE = {
  codeMismatch: "That code is not right. Check it and try again.",
  setupMismatch: "That code does not match. Enter the code your authenticator app shows now.",
  passwordsDiffer: "The two passwords do not match.",
  invalidSession: "Your sign-in took too long or was interrupted. Please sign in again.",
  passwordChanged: "Your password has been changed. Sign in with your new password.",
};

/** The temporary password of an invitation (the default template ends "… is {####}."). */
function temporaryPasswordIn(text: string): string {
  const m = /temporary password is (\S+)\.\s*$/.exec(text.trim());
  if (!m) throw new Error(`no temporary password in: ${text}`);
  return m[1]!;
}

/** A code that is not the right one (and not one of the steps either side, but for 3 in 10⁶). */
function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, "0");
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(() => browser?.close());

/** Locators and moves of the page, named as a user would see them. */
function pageOf(page: Page) {
  return {
    /** The id of the element with the keyboard focus (a string expression: no DOM types here). */
    focused: (): Promise<unknown> => page.evaluate("document.activeElement?.id"),
    stepHeading: (name: string) => page.getByRole("heading", { level: 2, name, exact: true }),
    alert: (text: string) => page.getByRole("alert").filter({ hasText: text }),
    status: (text: string) => page.getByRole("status").filter({ hasText: text }),
    claims: () => page.locator("#claims"),
    async signIn(username: string, password: string) {
      // Role locators skip hidden views; only the visible form's fields match.
      await page.getByRole("textbox", { name: "Username" }).fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByLabel("Password", { exact: true }).press("Enter");
    },
    async enterCode(label: string, code: string) {
      await page.getByLabel(label, { exact: true }).fill(code);
      await page.getByLabel(label, { exact: true }).press("Enter");
    },
    async signedInAs(username: string) {
      await page.locator("#claims").getByText(username, { exact: true }).waitFor();
    },
  };
}

describe("an invited user on a pool with MFA ON and a required name, in Chromium", () => {
  const clock = stepAlignedClock();
  let gw: TestGateway;
  let base: string;
  let clientId: string;
  let w: WatchedPage;
  let temporary: string;
  let secret: string;

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "ON", POOLGATE_REQUIRED_ATTRIBUTES: "name" },
    });
    // localhost, not 127.0.0.1: the name Chromium treats as a secure context for cookies.
    base = gw.url.replace("127.0.0.1", "localhost");
    ({ clientId } = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] }));
    await gw.pool.users.adminCreate({
      username: "invitee",
      attributes: { email: "invitee@example.com" },
    });
    const mail = await gw.smtp!.waitFor((m) => m.to.includes("invitee@example.com"));
    temporary = temporaryPasswordIn(mail.text);
    w = await watchedPage(browser);
  }, 60_000);
  afterAll(async () => {
    await w?.context.close();
    await gw?.close();
  });

  it("happy flow: temporary password → new password and name → authenticator set up from the QR code → signed in", async () => {
    const { page } = w;
    const p = pageOf(page);
    await page.goto(`${base}/login?client_id=${clientId}`);
    await p.signIn("invitee", temporary);

    await p.stepHeading("Choose a new password").waitFor();
    await expect(p.focused()).resolves.toBe("step-title");
    // The pool requires a name the invitation did not give: the step asks for it.
    await expect(page.getByLabel("Full name").isVisible()).resolves.toBe(true);

    // The confirmation is checked before anything is sent.
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Confirm new password").fill("Something-else-1!");
    await page.getByLabel("Full name").fill("In Vitee");
    await page.getByLabel("Full name").press("Enter");
    await p.alert(MESSAGE.passwordsDiffer).waitFor();
    await expect(p.focused()).resolves.toBe("new-password-confirm");
    await expect(
      page.getByLabel("Confirm new password").getAttribute("aria-invalid"),
    ).resolves.toBe("true");

    await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
    const associated = page.waitForResponse(
      (r) => r.url().endsWith("/graphql") && (r.request().postData() ?? "").includes("Associate"),
    );
    await page.getByLabel("Confirm new password").press("Enter");
    const setup = (await (await associated).json()).data.associateSoftwareToken as {
      secretCode: string;
      otpauthUri: string;
    };

    await p.stepHeading("Set up an authenticator app").waitFor();
    await expect(p.focused()).resolves.toBe("step-title");
    // The QR code: the server's SVG, inline (not an <img>: img-src stays 'none'), labelled.
    const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
    await expect(qr.isVisible()).resolves.toBe(true);
    await expect(page.locator("#qr > svg[role=img]").count()).resolves.toBe(1);
    await expect(page.locator("img").count()).resolves.toBe(0);
    const box = await qr.boundingBox();
    expect(box?.width).toBeGreaterThan(150);
    expect(box?.height).toBeCloseTo(box!.width, 0);
    // The key for manual entry, in groups of four: the secret of the otpauth URI.
    const shown = await page.locator("#totp-secret").innerText();
    expect(shown).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    secret = shown.replace(/ /g, "");
    expect(secret).toBe(setup.secretCode);
    expect(new URL(setup.otpauthUri).searchParams.get("secret")).toBe(secret);
    await expect(
      page
        .getByRole("link", { name: "Open in an authenticator app on this device" })
        .getAttribute("href"),
    ).resolves.toBe(setup.otpauthUri);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: SETUP_SCREENSHOT, fullPage: true });

    // A wrong code keeps the set-up step.
    const now = totpCode(secret, clock.now());
    await p.enterCode("Code from the app", wrongCode(now));
    await p.alert(MESSAGE.setupMismatch).waitFor();
    await expect(p.stepHeading("Set up an authenticator app").isVisible()).resolves.toBe(true);
    await expect(p.focused()).resolves.toBe("setup-code");

    await p.enterCode("Code from the app", now);
    await p.signedInAs("invitee");
    await expect(p.claims().innerText()).resolves.toContain("In Vitee");
    await expect(p.focused()).resolves.toBe("title");
  });

  it("signs out, then signs in with the authenticator's code; a wrong code shows the mismatch and the step stays", async () => {
    const { page } = w;
    const p = pageOf(page);
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await p.status("You have signed out.").waitFor();
    // The set-up code's time step is spent: the app shows the next one 30 s later.
    clock.advance(30_000);

    await p.signIn("invitee", NEW_PASSWORD);
    await p.stepHeading("Enter your authenticator code").waitFor();
    await expect(p.focused()).resolves.toBe("step-title");
    const code = page.getByLabel("Code from the app");
    await expect(code.getAttribute("inputmode")).resolves.toBe("numeric");
    await expect(code.getAttribute("autocomplete")).resolves.toBe("one-time-code");

    const right = totpCode(secret, clock.now());
    await p.enterCode("Code from the app", wrongCode(right));
    await p.alert(MESSAGE.codeMismatch).waitFor();
    await expect(p.stepHeading("Enter your authenticator code").isVisible()).resolves.toBe(true);
    await expect(code.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(p.focused()).resolves.toBe("mfa-code");

    // As an app shows it: with a space in the middle.
    await p.enterCode("Code from the app", `${right.slice(0, 3)} ${right.slice(3)}`);
    await p.signedInAs("invitee");
  });

  it("raised no CSP violation or script error on the way", () => {
    expect(w.problems).toEqual([]);
  });
});

describe("email codes, the choice of factor, an expired step and a password reset, in Chromium", () => {
  const clock = stepAlignedClock();
  let gw: TestGateway;
  let base: string;
  let client: { clientId: string };
  let w: WatchedPage;

  beforeAll(async () => {
    gw = await startGateway({
      clock,
      env: { POOLGATE_MFA: "OPTIONAL", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
    });
    base = gw.url.replace("127.0.0.1", "localhost");
    client = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
    w = await watchedPage(browser);
  }, 60_000);
  afterAll(async () => {
    await w?.context.close();
    await gw?.close();
  });

  let n = 0;
  async function userWithEmail(emailMfa: boolean) {
    const email = `person${++n}@example.com`;
    const user = await createUser(gw, {
      username: `person${n}`,
      attributes: { email, email_verified: "true" },
    });
    if (emailMfa) await turnOnEmailMfa(user.sub);
    return { ...user, email };
  }

  async function turnOnEmailMfa(sub: string) {
    const record = await gw.pool.deps.store.getUserBySub(sub);
    await gw.pool.mfa.setPreferences(record!, { email: { enabled: true } });
  }

  async function freshPage(): Promise<ReturnType<typeof pageOf>> {
    await w.context.clearCookies();
    await w.page.goto(`${base}/login?client_id=${client.clientId}`);
    await w.page.getByRole("textbox", { name: "Username" }).waitFor();
    return pageOf(w.page);
  }

  it("EMAIL_OTP: the step says where the code went, and the code from the mail signs in", async () => {
    const user = await userWithEmail(true);
    const p = await freshPage();
    await p.signIn(user.username, user.password);
    await p.stepHeading("Check your email").waitFor();
    await expect(p.focused()).resolves.toBe("step-title");
    await expect(w.page.locator("#code-destination").innerText()).resolves.toBe("p***@e***.com");
    const mail = await gw.smtp!.waitFor((m) => m.to.includes(user.email));
    await p.enterCode("Code from the email", gw.smtp!.codeIn(mail));
    await p.signedInAs(user.username);
  });

  it("SELECT_MFA_TYPE: both factors offered by name, chosen with the keyboard, then the app's code", async () => {
    const user = await userWithEmail(false);
    const secret = await enrollTotp(gw, (await signInAs(gw, client, user)).accessToken);
    await turnOnEmailMfa(user.sub);
    clock.advance(30_000);
    const p = await freshPage();
    await p.signIn(user.username, user.password);
    await p.stepHeading("How do you want to verify it’s you?").waitFor();
    await expect(p.focused()).resolves.toBe("step-title");
    const app = w.page.getByRole("radio", { name: "Authenticator app" });
    const email = w.page.getByRole("radio", { name: "Email code" });
    await expect(app.isChecked()).resolves.toBe(true);
    // Keyboard only: into the group, down to email, back up to the app, on to Continue.
    await w.page.keyboard.press("Tab");
    await w.page.keyboard.press("ArrowDown");
    await expect(email.isChecked()).resolves.toBe(true);
    await w.page.keyboard.press("ArrowUp");
    await expect(app.isChecked()).resolves.toBe(true);
    await w.page.keyboard.press("Tab");
    await expect(w.page.evaluate("document.activeElement?.textContent")).resolves.toBe("Continue");
    await w.page.keyboard.press("Enter");

    await p.stepHeading("Enter your authenticator code").waitFor();
    await p.enterCode("Code from the app", totpCode(secret, clock.now()));
    await p.signedInAs(user.username);
  });

  it("an answer after the step expired (INVALID_SESSION) goes back to the sign-in form with a message", async () => {
    const user = await userWithEmail(true);
    const p = await freshPage();
    await p.signIn(user.username, user.password);
    await p.stepHeading("Check your email").waitFor();
    const code = gw.smtp!.codeIn(await gw.smtp!.waitFor((m) => m.to.includes(user.email)));
    clock.advance(4 * 60_000); // a challenge session lives 3 minutes
    await p.enterCode("Code from the email", code);
    await p.alert(MESSAGE.invalidSession).waitFor();
    await expect(w.page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Sign in");
    await expect(w.page.getByRole("textbox", { name: "Username" }).inputValue()).resolves.toBe(
      user.username,
    );
    await expect(p.focused()).resolves.toBe("password");
  });

  it("forgot password: the same answer for an unknown name; a code by email, a new password, then sign-in with it", async () => {
    const user = await userWithEmail(false);
    const p = await freshPage();
    const { page } = w;

    // An unknown name gets the same step, with a destination of the same shape.
    await page.getByRole("button", { name: "Forgot your password?" }).click();
    await p.stepHeading("Forgot your password?").waitFor();
    await expect(p.focused()).resolves.toBe("step-title");
    await page.getByRole("textbox", { name: "Username" }).fill("nobody-at-all");
    await page.getByRole("textbox", { name: "Username" }).press("Enter");
    await p.stepHeading("Enter the code and a new password").waitFor();
    await expect(page.locator("#reset-destination").innerText()).resolves.toMatch(
      /^[a-z]\*\*\*@[a-z]\*\*\*\.com$/,
    );
    await page.getByRole("button", { name: "Back to sign in" }).click();
    await expect(p.focused()).resolves.toBe("username");

    // The user: the username typed on the sign-in form carries over.
    await page.getByRole("textbox", { name: "Username" }).fill(user.username);
    await page.getByRole("button", { name: "Forgot your password?" }).focus();
    await page.keyboard.press("Enter");
    await p.stepHeading("Forgot your password?").waitFor();
    await expect(page.getByRole("textbox", { name: "Username" }).inputValue()).resolves.toBe(
      user.username,
    );
    // While the request is out, the form is aria-busy and its view's buttons are disabled.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/graphql", async (route) => {
      if ((route.request().postData() ?? "").includes("Forgot")) await held;
      await route.continue();
    });
    await page.getByRole("button", { name: "Send code" }).click();
    await expect(page.locator("#forgot-form").getAttribute("aria-busy")).resolves.toBe("true");
    await expect(page.getByRole("button", { name: "Send code" }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole("button", { name: "Back to sign in" }).isDisabled()).resolves.toBe(
      true,
    );
    release();
    await p.stepHeading("Enter the code and a new password").waitFor();
    await page.unroute("**/graphql");
    await expect(page.locator("#reset-destination").innerText()).resolves.toBe("p***@e***.com");
    const mail = await gw.smtp!.waitFor((m) => m.to.includes(user.email));
    const code = gw.smtp!.codeIn(mail);

    // A password against the policy: the gateway's message names the rule; the step stays.
    await page.getByLabel("Code from the email").fill(code);
    await page.getByLabel("New password", { exact: true }).fill("weakpassword");
    await page.getByLabel("Confirm new password").fill("weakpassword");
    await page.getByLabel("Confirm new password").press("Enter");
    await page
      .getByRole("alert")
      .filter({ hasText: /^Password does not conform to policy: / })
      .waitFor();
    await expect(
      page.getByLabel("New password", { exact: true }).getAttribute("aria-invalid"),
    ).resolves.toBe("true");
    await expect(p.focused()).resolves.toBe("reset-password");

    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
    await page.getByLabel("Confirm new password").press("Enter");
    await p.status(MESSAGE.passwordChanged).waitFor();
    await expect(p.focused()).resolves.toBe("password");
    await expect(page.getByRole("textbox", { name: "Username" }).inputValue()).resolves.toBe(
      user.username,
    );

    await page.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Password", { exact: true }).press("Enter");
    await p.signedInAs(user.username);
  });

  it("raised no CSP violation or script error on the way", () => {
    expect(w.problems).toEqual([]);
  });
});
