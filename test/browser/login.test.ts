/**
 * The hosted sign-in page (/login) end to end in headless Chromium (Debian's `chromium`,
 * driven by playwright-core), against a real gateway on port 0: sign in, see the claims,
 * reload and stay signed in through the HttpOnly cookie, sign out, and the uniform message
 * for a wrong password. `localhost` in the URL makes the page a secure context, so Chromium
 * accepts the `__Host-` cookie (it needs Secure) over plain http.
 *
 * This suite fails, never skips, when Chromium is missing: CI installs it (.ci/run).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { createClient, createUser, startGateway, type TestGateway } from "../harness";
import { CHROMIUM, LAUNCH_ARGS, OUTPUT, requireChromium } from "../support/chromium";

export const SCREENSHOT = join(OUTPUT, "login.png");

describe("the hosted sign-in page in Chromium", () => {
  let gw: TestGateway;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  let clientId: string;
  let user: { username: string; password: string };
  const problems: string[] = [];

  beforeAll(async () => {
    requireChromium();
    gw = await startGateway();
    // localhost, not 127.0.0.1: the name Chromium treats as a secure context for cookies.
    base = gw.url.replace("127.0.0.1", "localhost");
    ({ clientId } = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] }));
    user = await createUser(gw, {
      username: "alice",
      attributes: { email: "alice@example.com", email_verified: "true", name: "Alice Example" },
      groups: ["readers"],
    });
    profile = mkdtempSync(join(tmpdir(), "poolgate-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: LAUNCH_ARGS,
      viewport: { width: 800, height: 720 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    // Any CSP violation or script error is a bug in the page.
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await gw?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const login = () => `${base}/login?client_id=${clientId}`;
  /** The id of the element that has the keyboard focus (a string expression: no DOM types here). */
  const focused = (): Promise<unknown> => page.evaluate("document.activeElement?.id");
  const claims = () => page.locator("#claims");

  it("shows the sign-in form with labelled fields, focusable from the keyboard", async () => {
    await page.goto(login());
    await page.getByLabel("Username").waitFor();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Sign in");
    // Keyboard only: Tab reaches the username, then the password, then the button.
    await page.locator("body").focus();
    await page.keyboard.press("Tab");
    await expect(focused()).resolves.toBe("username");
    await page.keyboard.press("Tab");
    await expect(focused()).resolves.toBe("password");
    await page.keyboard.press("Tab");
    await expect(focused()).resolves.toBe("sign-in");
  });

  it("a wrong password shows the uniform message in a live region and focuses the password", async () => {
    await page.getByLabel("Username").fill(user.username);
    await page.getByLabel("Password").fill("Wrong-passw0rd!");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await expect(
      alert.filter({ hasText: "Incorrect username or password." }).waitFor(),
    ).resolves.toBeUndefined();
    await expect(focused()).resolves.toBe("password");
    await expect(page.getByLabel("Password").getAttribute("aria-invalid")).resolves.toBe("true");
    // An unknown user gets the very same words.
    await page.getByLabel("Username").fill("nobody-here");
    await page.getByLabel("Password").fill("Wrong-passw0rd!");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "Incorrect username or password." }).waitFor();
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "login-error.png"), fullPage: true });
  });

  it("happy flow: signs in with the keyboard, shows the claims, and keeps the refresh token out of reach", async () => {
    await page.getByLabel("Username").fill(user.username);
    await page.getByLabel("Password").fill(user.password);
    const response = page.waitForResponse(
      (r) =>
        r.url().endsWith("/graphql") && (r.request().postData() ?? "").includes("InitiateAuth"),
    );
    await page.getByLabel("Password").press("Enter");
    const body = await (await response).json();
    // The page signs in through initiateAuth; this user has no challenge, so tokens come at once.
    expect(body.data.initiateAuth.authenticationResult.refreshToken).toBeUndefined(); // not even asked for
    await claims().getByText(user.username, { exact: true }).waitFor();
    const text = await claims().innerText();
    expect(text).toContain("alice@example.com (verified)");
    expect(text).toContain("readers");
    expect(text).toContain("Alice Example");
    // Focus moved to the heading of the signed-in view.
    await expect(focused()).resolves.toBe("title");

    const cookies = await context.cookies(base);
    const cookie = cookies.find((c) => c.name === `__Host-poolgate-refresh-${clientId}`);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    // HttpOnly: the page's script cannot see it; nothing lands in web storage either.
    await expect(page.evaluate("document.cookie")).resolves.toBe("");
    await expect(page.evaluate("localStorage.length + sessionStorage.length")).resolves.toBe(0);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("stays signed in across a reload, through the cookie", async () => {
    await page.reload();
    await claims().getByText(user.username, { exact: true }).waitFor();
    await expect(page.getByLabel("Username").isVisible()).resolves.toBe(false);
  });

  it("refreshes the tokens on request", async () => {
    await page.getByRole("button", { name: "Refresh tokens" }).click();
    await page.getByRole("status").filter({ hasText: "Tokens refreshed." }).waitFor();
    await claims().getByText(user.username, { exact: true }).waitFor();
  });

  it("signs out: the cookie is gone, and a reload stays signed out", async () => {
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "You have signed out." }).waitFor();
    await expect(focused()).resolves.toBe("username");
    const cookies = await context.cookies(base);
    expect(cookies.filter((c) => c.name.startsWith("__Host-poolgate-refresh-"))).toEqual([]);
    await page.reload();
    await page.getByLabel("Username").waitFor();
    await expect(claims().isVisible()).resolves.toBe(false);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Sign in");
  });

  it("raised no CSP violation or script error on the way", () => {
    expect(problems).toEqual([]);
  });
});

describe("GET /login over HTTP", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("sends a strict CSP whose nonce is the one on the inline script and style, and anti-framing headers", async () => {
    const { clientId } = await createClient(gw);
    const res = await fetch(`${gw.url}/login?client_id=${clientId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toEqual(expect.any(String));
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/); // nothing external
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
    // A fresh nonce per response.
    const again = await fetch(`${gw.url}/login?client_id=${clientId}`);
    expect(again.headers.get("content-security-policy")).not.toBe(csp);
  });

  it("refuses an unknown, malformed or confidential client with a 400 page and no script", async () => {
    const { clientId: confidential } = await createClient(gw, { generateSecret: true });
    for (const query of [
      "",
      "?client_id=nosuchclient",
      '?client_id="><script>',
      `?client_id=${confidential}`,
    ]) {
      const res = await fetch(`${gw.url}/login${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      const html = await res.text();
      expect(html).not.toContain("<script");
      expect(html).toContain("Sign-in is not available");
    }
  });

  it("uses POOLGATE_LOGIN_CLIENT_ID when set, ignoring ?client_id=", async () => {
    const first = await startGateway();
    const { clientId } = await createClient(first);
    await first.stop();
    const configured = await startGateway({
      reuse: { dir: first.dir, env: { ...first.env, POOLGATE_LOGIN_CLIENT_ID: clientId } },
    });
    try {
      const res = await fetch(`${configured.url}/login?client_id=ignored`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`data-client-id="${clientId}"`);
    } finally {
      await configured.close();
    }
  });
});
