/**
 * oidc-client-ts (the OpenID Connect library single-page apps use) in headless Chromium
 * against poolgate as an OpenID provider (DESIGN §13): a small SPA bundled at test time by
 * esbuild from test/browser/oidc/entry.ts, served from its own origin (http://localhost:<port>)
 * while the gateway is the issuer at http://127.0.0.1:<port> — two sites, so every call the
 * library makes (discovery, token endpoint) and the app's GraphQL call are real cross-origin
 * requests, and the hosted session cookie has to survive a cross-site top-level redirect
 * (SameSite=Lax). The sign-in itself is the gateway's hosted pages (plain forms, no script),
 * filled in as a user would. Neither the SPA nor the hosted pages may log a console error
 * (a CSP violation is one) or throw a script error.
 *
 * This suite fails, never skips, when Chromium is missing.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { build, stop as stopEsbuild } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { totpCode } from "../../src/tokens/totp";
import { createClient, createUser, signInAs, startGateway, type TestGateway } from "../harness";
import { launchChromium, watchedPage, type WatchedPage } from "../support/chromium";
import { enrollTotp, stepAlignedClock } from "../support/flows";
import type { Settled, SignedInUser, SpaConfig, SpaPage } from "./oidc/entry";
import { freePort } from "../support/ports";

const HOSTED_COOKIE = "__Host-poolgate-hosted";
const SCOPE = "openid email profile";

/** The gateway's issuer must name its port before it listens: take a free one first. */

/** The SPA's bundle, built once per run. */
async function bundleSpa(): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, "oidc", "entry.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  // esbuild's service process would otherwise outlive the build.
  await stopEsbuild();
  const [file] = result.outputFiles;
  if (!file) throw new Error("esbuild produced no output");
  return file.text;
}

interface Spa {
  /** http://localhost:<port>: another site than the gateway's 127.0.0.1. */
  origin: string;
  /** Which gateway and client the page is set up for (read by each page load). */
  use(authority: string, clientId: string): void;
  close(): Promise<void>;
}

/** The app: one HTML shell at /, /callback and /signed-out, its config and its bundle. */
async function startSpa(script: string): Promise<Spa> {
  let config: SpaConfig | undefined;
  const server: Server = createHttpServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/spa.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(script);
    } else if (path === "/config.js" && config) {
      res.writeHead(200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "no-store",
      });
      res.end(`globalThis.spaConfig = ${JSON.stringify(config)};`);
    } else if ((path === "/" || path === "/callback" || path === "/signed-out") && config) {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        // The app may talk to the gateway and nothing else.
        "content-security-policy": `default-src 'none'; img-src data:; script-src 'self'; connect-src ${config.authority}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      });
      res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPA</title>` +
          `<link rel="icon" href="data:,"><script src="/config.js"></script>` +
          `<script src="/spa.js"></script></head><body></body></html>`,
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    use(authority, clientId) {
      config = { authority, clientId, origin };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gateway whose issuer is http://127.0.0.1:<port>, letting the SPA through CORS. */
async function startIssuer(spa: Spa, env: Record<string, string>, clock = stepAlignedClock()) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const gw = await startGateway({
    clock,
    env: {
      POOLGATE_PORT: String(port),
      POOLGATE_ISSUER: issuer,
      POOLGATE_CORS_ORIGINS: spa.origin,
      ...env,
    },
  });
  const { clientId } = await createClient(gw, {
    allowedScopes: ["openid", "email", "profile"],
    callbackUrls: [`${spa.origin}/callback`],
    logoutUrls: [`${spa.origin}/signed-out`],
    allowedOAuthFlows: ["code"],
  });
  return { gw, issuer, clientId, clock };
}

/** The page's global object, as entry.ts extends it. */
type SpaGlobal = typeof globalThis & { spa: SpaPage };

/** The value of a call that must have succeeded (its error, readably, if not). */
function valueOf<T>(settled: Settled<T>): T {
  if (!settled.ok) throw new Error(`oidc-client-ts threw ${settled.name}: ${settled.message}`);
  return settled.value;
}

let browser: Browser;
let spa: Spa;
beforeAll(async () => {
  spa = await startSpa(await bundleSpa());
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await spa?.close();
});

/** The app in a fresh browser context (its own cookies and storage), and its moves. */
function appOf(w: WatchedPage, issuer: string) {
  const page: Page = w.page;
  // A step that does not happen fails with what Playwright waited for, before Jest's timeout.
  page.setDefaultTimeout(10_000);
  const at = (origin: string, path: string) => (url: URL) =>
    url.origin === origin && url.pathname === path;
  /** Every page of the gateway's the browser loaded, in order (redirects included). */
  const gatewayPaths: string[] = [];
  /** The Origin header of every form the hosted pages posted. */
  const formOrigins: Promise<string | null>[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (r.isNavigationRequest() && url.origin === issuer) gatewayPaths.push(url.pathname);
    if (r.method() === "POST" && url.origin === issuer) formOrigins.push(r.headerValue("origin"));
  });

  /** Starts a redirect of the library and waits until the browser arrives where it leads. */
  async function redirectBy(
    start: () => Promise<Settled<null>>,
    arrival: (url: URL) => boolean,
  ): Promise<void> {
    // A new navigation, not the current page: the app may already be at its callback.
    const arrived = page
      .waitForEvent("framenavigated", {
        predicate: (frame) => frame === page.mainFrame() && arrival(new URL(frame.url())),
      })
      .then(() => page.waitForLoadState());
    const stayed = start().then(
      (settled) => {
        throw new Error(`the redirect did not leave the page: ${JSON.stringify(settled)}`);
      },
      // The navigation destroyed the page's context: the redirect happened.
      () => arrived,
    );
    stayed.catch(() => undefined);
    await Promise.race([arrived, stayed]);
  }

  const signinRedirect = () => page.evaluate(() => (globalThis as SpaGlobal).spa.signinRedirect());
  /** The code step's field (its label says "Code …"). */
  const codeField = () => page.getByRole("textbox", { name: /^Code/ });

  return {
    page,
    gatewayPaths,
    formOrigins: () => Promise.all(formOrigins),
    codeField,
    hostedCookie: async () =>
      (await w.context.cookies(issuer)).find((c) => c.name === HOSTED_COOKIE),
    async open() {
      await page.goto(`${spa.origin}/`);
    },
    /** signinRedirect → the gateway's hosted sign-in form. */
    async toSignInForm() {
      await redirectBy(signinRedirect, at(issuer, "/login"));
      await page.getByLabel("Username").waitFor();
    },
    /** signinRedirect with a live hosted session: straight back at /callback. */
    async toCallbackDirectly() {
      await redirectBy(signinRedirect, at(spa.origin, "/callback"));
    },
    async fillSignIn(username: string, password: string) {
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
    },
    /** Submits a code step's form and waits to be back at the app's callback. */
    async enterCodeAndReturn(code: string, submit: string) {
      await codeField().fill(code);
      await Promise.all([
        page.waitForURL(at(spa.origin, "/callback")),
        page.getByRole("button", { name: submit, exact: true }).click(),
      ]);
    },
    waitForCallback: () => page.waitForURL(at(spa.origin, "/callback")),
    signinCallback: async (): Promise<SignedInUser> =>
      valueOf(await page.evaluate(() => (globalThis as SpaGlobal).spa.signinCallback())),
    getUser: async () =>
      valueOf(await page.evaluate(() => (globalThis as SpaGlobal).spa.getUser())),
    graphql: async (query: string) =>
      valueOf(await page.evaluate((q) => (globalThis as SpaGlobal).spa.graphql(q), query)),
    signOut: (userState: string) =>
      redirectBy(
        () => page.evaluate((s) => (globalThis as SpaGlobal).spa.signoutRedirect(s), userState),
        at(spa.origin, "/signed-out"),
      ),
    signoutCallback: async () =>
      valueOf(await page.evaluate(() => (globalThis as SpaGlobal).spa.signoutCallback())),
    heading: () => page.getByRole("heading", { level: 1 }).textContent(),
  };
}

describe("oidc-client-ts in Chromium: authorization code flow with PKCE against the hosted pages", () => {
  let gw: TestGateway;
  let issuer: string;
  let clientId: string;
  let clock: ReturnType<typeof stepAlignedClock>;
  const pages: WatchedPage[] = [];

  beforeAll(async () => {
    ({ gw, issuer, clientId, clock } = await startIssuer(spa, { POOLGATE_MFA: "OPTIONAL" }));
  }, 60_000);
  afterAll(async () => {
    for (const w of pages) await w.context.close();
    await gw?.close();
  });
  async function open() {
    spa.use(issuer, clientId);
    const w = await watchedPage(browser);
    pages.push(w);
    const app = appOf(w, issuer);
    await app.open();
    return { w, app };
  }

  it("happy flow: signinRedirect → the hosted form → signinCallback → profile claims → GraphQL me → signoutRedirect ends the hosted session", async () => {
    const user = await createUser(gw, {
      attributes: { email: "spa@example.com", email_verified: "true", name: "Spa User" },
    });
    const { w, app } = await open();

    await app.toSignInForm();
    const login = new URL(app.page.url());
    expect(login.searchParams.get("client_id")).toBe(clientId);
    expect(login.searchParams.get("code_challenge_method")).toBe("S256");
    expect(login.searchParams.get("redirect_uri")).toBe(`${spa.origin}/callback`);
    expect(await app.heading()).toBe("Sign in");
    expect(app.gatewayPaths).toEqual(["/oauth2/authorize", "/login"]);

    await Promise.all([app.waitForCallback(), app.fillSignIn(user.username, user.password)]);
    // The form's own origin, not "null": what the gateway checks before reading the form.
    expect(await app.formOrigins()).toEqual([issuer]);
    const callback = new URL(app.page.url());
    expect(callback.searchParams.get("code")).toBeTruthy();
    expect(callback.searchParams.get("iss")).toBe(issuer);

    const signedIn = await app.signinCallback();
    expect(signedIn.profile).toMatchObject({
      sub: user.sub,
      email: "spa@example.com",
      email_verified: true,
      name: "Spa User",
      iss: issuer,
      aud: clientId,
    });
    expect(signedIn).toMatchObject({ scope: SCOPE, expired: false, hasRefreshToken: true });
    expect(await app.getUser()).toMatchObject({ profile: { sub: user.sub } });

    // The access token works on the gateway's GraphQL API, from the app's origin.
    expect(await app.graphql("{ me { sub email } }")).toEqual({
      status: 200,
      body: { data: { me: { sub: user.sub, email: "spa@example.com" } } },
    });

    // The hosted session: Chromium kept the __Host- cookie on http://127.0.0.1.
    expect(await app.hostedCookie()).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: "Lax",
      path: "/",
    });
    // …and sends it on the app's cross-site redirect: no form the second time.
    app.gatewayPaths.length = 0;
    await app.toCallbackDirectly();
    expect(app.gatewayPaths).toEqual(["/oauth2/authorize"]);
    const again = await app.signinCallback();
    expect(again.profile["sub"]).toBe(user.sub);
    expect(again.accessToken).not.toBe(signedIn.accessToken);

    // Sign out: the end-session endpoint, back at the app's sign-out URL with its state.
    app.gatewayPaths.length = 0;
    await app.signOut("back to the start page");
    expect(app.gatewayPaths).toEqual(["/logout"]);
    expect(new URL(app.page.url()).searchParams.get("state")).toBeTruthy();
    expect(await app.signoutCallback()).toBe("back to the start page");
    expect(await app.getUser()).toBeNull();
    expect(await app.hostedCookie()).toBeUndefined();

    // The hosted session is over: signing in again shows the form.
    await app.toSignInForm();
    expect(await app.heading()).toBe("Sign in");
    expect(w.problems).toEqual([]);
  });

  it("TOTP: a user enrolled through the API walks the hosted code step, with the authenticator's code", async () => {
    const user = await createUser(gw, { attributes: { email: "totp-spa@example.com" } });
    const secret = await enrollTotp(gw, (await signInAs(gw, { clientId }, user)).accessToken);
    // The enrolment spent this step's code: the authenticator shows the next one 30 s later.
    clock.advance(30_000);
    const { w, app } = await open();

    await app.toSignInForm();
    await app.fillSignIn(user.username, user.password);
    await app.codeField().waitFor();
    expect(await app.heading()).toBe("Enter your authenticator code");
    await app.enterCodeAndReturn(totpCode(secret, clock.now()), "Sign in");

    const signedIn = await app.signinCallback();
    expect(signedIn.profile).toMatchObject({ sub: user.sub, email: "totp-spa@example.com" });
    expect(await app.graphql("{ me { sub } }")).toEqual({
      status: 200,
      body: { data: { me: { sub: user.sub } } },
    });
    expect(w.problems).toEqual([]);
  });
});

describe("oidc-client-ts in Chromium: a pool with MFA ON sets up the authenticator on the hosted page", () => {
  let gw: TestGateway;
  let issuer: string;
  let clientId: string;
  let clock: ReturnType<typeof stepAlignedClock>;
  let w: WatchedPage;

  beforeAll(async () => {
    ({ gw, issuer, clientId, clock } = await startIssuer(spa, { POOLGATE_MFA: "ON" }));
    w = await watchedPage(browser);
  }, 60_000);
  afterAll(async () => {
    await w?.context.close();
    await gw?.close();
  });

  it("MFA_SETUP: the page shows a QR code and the key; the code computed from the key signs in", async () => {
    const user = await createUser(gw, { attributes: { email: "setup-spa@example.com" } });
    spa.use(issuer, clientId);
    const app = appOf(w, issuer);
    await app.open();

    await app.toSignInForm();
    await app.fillSignIn(user.username, user.password);
    await app.codeField().waitFor();
    expect(await app.heading()).toBe("Set up an authenticator app");
    // The QR code is inline SVG (img-src stays 'none'); the key is shown in groups of four.
    await expect(app.page.locator(".qr > svg").count()).resolves.toBe(1);
    const shown = await app.page.locator("code.secret").innerText();
    expect(shown).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    const secret = shown.replace(/ /g, "");

    await app.enterCodeAndReturn(totpCode(secret, clock.now()), "Verify and sign in");
    const signedIn = await app.signinCallback();
    expect(signedIn.profile).toMatchObject({ sub: user.sub, email: "setup-spa@example.com" });
    expect(await app.graphql("{ me { sub } }")).toEqual({
      status: 200,
      body: { data: { me: { sub: user.sub } } },
    });
    expect(w.problems).toEqual([]);
  });
});
