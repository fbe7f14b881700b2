/**
 * Amplify JS v6 (`aws-amplify`, the library Cognito web apps are written against today) in
 * headless Chromium against poolgate's Cognito wire API (DESIGN §12, issue 15): a page bundled
 * at test time by esbuild from test/browser/amplify/entry.ts, served from its own origin on
 * port 0, so every call Amplify makes is a real, preflighted cross-origin request to a real
 * gateway with `userPoolEndpoint` pointed at it. Each case asserts what Amplify
 * returned and that the gateway agrees (the tokens Amplify holds work on GraphQL, or stop
 * working). The page's CSP lets it reach the gateway and nothing else, and no console or page
 * error may happen but the "Failed to load resource" of each expected 4xx.
 *
 * This suite fails, never skips, when Chromium is missing.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { build, stop as stopEsbuild } from "esbuild";
import type { Browser } from "playwright-core";
import { totpCode } from "../../src/tokens/totp";
import {
  createClient,
  createUser,
  ME,
  metricOf,
  signInAs,
  SIGN_IN,
  startGateway,
  type TestGateway,
} from "../harness";
import type { AmplifyPage, SessionOutcome, Settled, SignInOutcome } from "./amplify/entry";
import { launchChromium, watchedPage, type WatchedPage } from "../support/chromium";
import { enrollTotp, stepAlignedClock } from "../support/flows";

const POOL_ID = "eu-west-1_Amplify7";
const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
/** What Chromium logs for a response with a 400 status (the only console error allowed). */
const FAILED_400 =
  "Failed to load resource: the server responded with a status of 400 (Bad Request)";

/** The page's bundle (about 350 KB), built once per run: esbuild takes 0.1–0.2 s. */
async function bundleAmplifyPage(): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, "amplify", "entry.ts")],
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

interface Site {
  origin: string;
  /** The one origin the page may connect to (its CSP's connect-src). */
  gatewayUrl: string;
  close(): Promise<void>;
}

/** The page and its bundle on 127.0.0.1 port 0: an origin of its own, not the gateway's. */
async function startSite(script: string): Promise<Site> {
  const site = { gatewayUrl: "" } as Site;
  const server: Server = createServer((req, res) => {
    if (req.url === "/amplify.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(script);
    } else if (req.url === "/") {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": `default-src 'none'; img-src data:; script-src 'self'; connect-src ${site.gatewayUrl}`,
      });
      res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Amplify</title>` +
          `<link rel="icon" href="data:,"><script src="/amplify.js"></script></head><body></body></html>`,
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  site.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return site;
}

/** The page's global object, as entry.ts extends it. */
type PageGlobal = typeof globalThis & { amplify: AmplifyPage };

/** One call Amplify made to the gateway, as the browser saw it. */
interface Call {
  operation: string;
  status: number;
  /** The request's AuthFlow (InitiateAuth) or ChallengeName (RespondToAuthChallenge). */
  flow: string | undefined;
  /** The refresh token sent (GetTokensFromRefreshToken, RevokeToken's Token). */
  refreshToken: string | undefined;
  origin: string | undefined;
  userAgent: string | undefined;
  allowOrigin: string | undefined;
  errorType: string | undefined;
}

let browser: Browser;
let site: Site;
let gw: TestGateway;
let clientId: string;
const clock = stepAlignedClock();

beforeAll(async () => {
  site = await startSite(await bundleAmplifyPage());
  gw = await startGateway({
    clock,
    env: {
      POOLGATE_POOL_ID: POOL_ID,
      POOLGATE_MFA: "OPTIONAL",
      POOLGATE_CORS_ORIGINS: site.origin,
    },
  });
  site.gatewayUrl = gw.url;
  ({ clientId } = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] }));
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await site?.close();
  await gw?.close();
});

/** A fresh page (its own storage) with Amplify configured for the gateway, and its calls. */
async function amplifyPage(client = clientId) {
  const w: WatchedPage = await watchedPage(browser);
  // In the order the responses came; allHeaders() (which has Origin) answers later.
  const recorded: Promise<Call>[] = [];
  w.page.on("response", (response) => {
    const request = response.request();
    const target = request.headers()["x-amz-target"];
    if (target === undefined) return;
    const body = JSON.parse(request.postData() ?? "{}") as Record<string, unknown>;
    const flow = body["AuthFlow"] ?? body["ChallengeName"];
    const refreshToken = body["RefreshToken"] ?? body["Token"];
    const headers = response.headers();
    recorded.push(
      request.allHeaders().then((sent) => ({
        operation: target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target,
        status: response.status(),
        flow: typeof flow === "string" ? flow : undefined,
        refreshToken: typeof refreshToken === "string" ? refreshToken : undefined,
        origin: sent["origin"],
        userAgent: sent["x-amz-user-agent"],
        allowOrigin: headers["access-control-allow-origin"],
        errorType: headers["x-amzn-errortype"],
      })),
    );
  });
  const calls = () => Promise.all(recorded);
  await w.page.goto(`${site.origin}/`);
  // Functions passed to page.evaluate run in the page: each reaches `amplify` on its own.
  await w.page.evaluate(
    ([poolId, client, endpoint]) =>
      (globalThis as PageGlobal).amplify.configure(poolId, client, endpoint),
    [POOL_ID, client, gw.url] as const,
  );
  return {
    w,
    calls,
    /** The operations called since the page opened, in order, with their status. */
    operations: async () => (await calls()).map((c) => `${c.operation} ${c.status}`),
    signIn: (username: string, password: string, authFlowType?: "USER_PASSWORD_AUTH") =>
      w.page.evaluate(
        ([u, pw, flow]): Promise<Settled<SignInOutcome>> =>
          (globalThis as PageGlobal).amplify.signIn(u, pw, flow ?? undefined),
        [username, password, authFlowType ?? null] as const,
      ),
    confirmSignIn: (response: string) =>
      w.page.evaluate(
        (r): Promise<Settled<SignInOutcome>> => (globalThis as PageGlobal).amplify.confirmSignIn(r),
        response,
      ),
    session: (forceRefresh: boolean) =>
      w.page.evaluate(
        (f): Promise<Settled<SessionOutcome>> => (globalThis as PageGlobal).amplify.session(f),
        forceRefresh,
      ),
    attributes: () =>
      w.page.evaluate((): Promise<Settled<Record<string, string | undefined>>> =>
        (globalThis as PageGlobal).amplify.attributes(),
      ),
    signOut: (global: boolean) =>
      w.page.evaluate(
        (g): Promise<Settled<null>> => (globalThis as PageGlobal).amplify.signOut(g),
        global,
      ),
  };
}

/** The value of a call that must have succeeded (its error, readably, if not). */
function valueOf<T>(settled: Settled<T>): T {
  if (!settled.ok) throw new Error(`Amplify threw ${settled.name}: ${settled.message}`);
  return settled.value;
}

const SIGNED_IN: Settled<SignInOutcome> = {
  ok: true,
  value: { isSignedIn: true, signInStep: "DONE" },
};

/** Preflights the gateway answered at the wire API's route (Playwright does not show them to the page). */
const preflights = () =>
  metricOf(gw, "poolgate_http_requests_total", '{route="/",method="OPTIONS",status="204"}');

async function usernameOnGraphQL(accessToken: string | undefined): Promise<unknown> {
  const me = await gw.gql(ME, {}, accessToken);
  return me.status === 200 ? me.body.data?.["me"]?.username : me.status;
}

describe("Amplify JS v6 in Chromium against poolgate's wire API", () => {
  const pages: WatchedPage[] = [];
  afterAll(async () => {
    for (const w of pages) await w.context.close();
  });
  async function open(client?: string) {
    const page = await amplifyPage(client);
    pages.push(page.w);
    return page;
  }

  it("happy flow: USER_PASSWORD_AUTH signs in; fetchUserAttributes, a forced refresh through GetTokensFromRefreshToken, and a global signOut the gateway enforces", async () => {
    const user = await createUser(gw, {
      attributes: { email: "amplify@example.com", given_name: "Ampli" },
    });
    const p = await open();
    const preflightsBefore = await preflights();

    expect(await p.signIn(user.username, user.password, "USER_PASSWORD_AUTH")).toEqual(SIGNED_IN);
    const first = valueOf(await p.session(false));
    expect(first).toMatchObject({ username: user.username, userId: user.sub, userSub: user.sub });
    expect(await usernameOnGraphQL(first.accessToken)).toBe(user.username);

    expect(valueOf(await p.attributes())).toEqual({
      sub: user.sub,
      email: "amplify@example.com",
      given_name: "Ampli",
    });

    const refreshed = valueOf(await p.session(true));
    expect(refreshed.accessToken).toEqual(expect.any(String));
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.idToken).not.toBe(first.idToken);
    expect(await usernameOnGraphQL(refreshed.accessToken)).toBe(user.username);

    expect(await p.signOut(true)).toEqual({ ok: true, value: null });
    // Amplify swallows a failed GlobalSignOut and clears its tokens anyway: the gateway decides.
    expect(await usernameOnGraphQL(first.accessToken)).toBe(401);
    expect(await usernameOnGraphQL(refreshed.accessToken)).toBe(401);
    expect(valueOf(await p.session(false)).accessToken).toBeUndefined();

    expect(await p.operations()).toEqual([
      "InitiateAuth 200",
      "GetUser 200",
      "GetTokensFromRefreshToken 200",
      "GlobalSignOut 200",
    ]);
    expect((await p.calls())[0]!.flow).toBe("USER_PASSWORD_AUTH");
    // Cross-origin, every one: the page's origin sent and allowed back, after a preflight
    // that let through Amplify's own header (Chromium caches the preflight's answer).
    for (const call of await p.calls())
      expect(call).toMatchObject({
        origin: site.origin,
        allowOrigin: site.origin,
        userAgent: expect.stringMatching(/^aws-amplify\/6\./),
      });
    expect(await preflights()).toBeGreaterThan(preflightsBefore);
    expect(p.w.problems).toEqual([]);
  });

  it("NEW_PASSWORD_REQUIRED: an invited user's temporary password → confirmSignIn with a new password → signed in", async () => {
    await gw.pool.users.adminCreate({
      username: "amplify-invitee",
      temporaryPassword: "Temp-pa55word!",
      attributes: {},
      messageAction: "SUPPRESS",
    });
    const p = await open();
    expect(await p.signIn("amplify-invitee", "Temp-pa55word!", "USER_PASSWORD_AUTH")).toEqual({
      ok: true,
      value: { isSignedIn: false, signInStep: "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED" },
    });
    expect(await p.confirmSignIn("Chosen-pa55word!")).toEqual(SIGNED_IN);
    const session = valueOf(await p.session(false));
    expect(await usernameOnGraphQL(session.accessToken)).toBe("amplify-invitee");
    // The gateway holds the new password, and the temporary one no longer signs in.
    await signInAs(gw, { clientId }, { username: "amplify-invitee", password: "Chosen-pa55word!" });
    const temporary = await gw.gql(SIGN_IN, {
      input: { clientId, username: "amplify-invitee", password: "Temp-pa55word!" },
    });
    expect(temporary.body.errors?.[0]?.extensions?.code).toBe("NOT_AUTHORIZED");
    expect(await p.operations()).toEqual(["InitiateAuth 200", "RespondToAuthChallenge 200"]);
    expect((await p.calls())[1]!.flow).toBe("NEW_PASSWORD_REQUIRED");
    expect(p.w.problems).toEqual([]);
  });

  it("TOTP: a user enrolled through the API gets CONFIRM_SIGN_IN_WITH_TOTP_CODE; the authenticator's code signs in", async () => {
    const user = await createUser(gw);
    const secret = await enrollTotp(gw, (await signInAs(gw, { clientId }, user)).accessToken);
    // The enrolment spent this step's code: the authenticator shows the next one 30 s later.
    clock.advance(30_000);
    const p = await open();
    expect(await p.signIn(user.username, user.password, "USER_PASSWORD_AUTH")).toEqual({
      ok: true,
      value: { isSignedIn: false, signInStep: "CONFIRM_SIGN_IN_WITH_TOTP_CODE" },
    });
    expect(await p.confirmSignIn(totpCode(secret, clock.now()))).toEqual(SIGNED_IN);
    const session = valueOf(await p.session(false));
    expect(session).toMatchObject({ username: user.username, userId: user.sub });
    expect(await usernameOnGraphQL(session.accessToken)).toBe(user.username);
    expect(await p.operations()).toEqual(["InitiateAuth 200", "RespondToAuthChallenge 200"]);
    expect((await p.calls())[1]!.flow).toBe("SOFTWARE_TOKEN_MFA");
    expect(p.w.problems).toEqual([]);
  });

  it("error flow: a wrong password is Amplify's NotAuthorizedException, and the page holds no tokens", async () => {
    const user = await createUser(gw);
    const p = await open();
    expect(await p.signIn(user.username, "Wrong-pa55word!", "USER_PASSWORD_AUTH")).toEqual({
      ok: false,
      name: "NotAuthorizedException",
      message: "Incorrect username or password.",
    });
    expect(valueOf(await p.session(false)).accessToken).toBeUndefined();
    expect(await p.calls()).toMatchObject([
      { operation: "InitiateAuth", status: 400, errorType: "NotAuthorizedException" },
    ]);
    // The gateway gives GraphQL the same answer.
    const graphql = await gw.gql(SIGN_IN, {
      input: { clientId, username: user.username, password: "Wrong-pa55word!" },
    });
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe("NOT_AUTHORIZED");
    expect(p.w.problems).toEqual([FAILED_400]);
  });

  it("with refresh-token rotation, Amplify refreshes with the rotated token each time, and a local signOut revokes it through RevokeToken", async () => {
    // No grace for the previous token: were Amplify to send it again, that would be reuse.
    const rotating = await createClient(gw, {
      allowedScopes: ["openid", "email", "profile"],
      rotateRefreshTokens: true,
      refreshTokenReuseGraceSeconds: 0,
    });
    const user = await createUser(gw);
    const p = await open(rotating.clientId);
    expect(await p.signIn(user.username, user.password, "USER_PASSWORD_AUTH")).toEqual(SIGNED_IN);
    clock.advance(1_000);
    valueOf(await p.session(true));
    clock.advance(1_000);
    const second = valueOf(await p.session(true));
    expect(await usernameOnGraphQL(second.accessToken)).toBe(user.username);

    expect(await p.signOut(false)).toEqual({ ok: true, value: null });
    expect(await usernameOnGraphQL(second.accessToken)).toBe(401);
    expect(await p.operations()).toEqual([
      "InitiateAuth 200",
      "GetTokensFromRefreshToken 200",
      "GetTokensFromRefreshToken 200",
      "RevokeToken 200",
    ]);
    // Three different refresh tokens: the sign-in's, then each rotation's.
    const sent = (await p.calls()).slice(1).map((c) => c.refreshToken);
    expect(sent).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    expect(new Set(sent).size).toBe(3);
    expect(p.w.problems).toEqual([]);
  });

  it("happy flow: Amplify's default signIn (USER_SRP_AUTH → PASSWORD_VERIFIER) signs in", async () => {
    const user = await createUser(gw);
    const p = await open();
    expect(await p.signIn(user.username, user.password)).toEqual(SIGNED_IN);
    const session = valueOf(await p.session(false));
    expect(await usernameOnGraphQL(session.accessToken)).toBe(user.username);
    expect(await p.operations()).toEqual(["InitiateAuth 200", "RespondToAuthChallenge 200"]);
    expect((await p.calls()).map((c) => c.flow)).toEqual(["USER_SRP_AUTH", "PASSWORD_VERIFIER"]);
    expect(p.w.problems).toEqual([]);
  });
});
