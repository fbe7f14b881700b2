/**
 * The pre token generation hook (DESIGN §14, issue 17; docs/hooks.md) over real HTTP and real
 * SQLite, with hooks as real module files (CommonJS and ESM) loaded through POOLGATE_HOOKS:
 * every trigger source, every kind of override, Cognito's refusals, failures that leave
 * nothing behind, timeouts, start-up failures and metrics.
 *
 * The test hook records each event it gets in events.jsonl and answers what answers.json
 * says for the event's user (or `client:<id>` for a machine): a `response`, a whole `answer`,
 * a `throw`, a `sleepMs`; with no entry it stamps the trigger source in both tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  claimsOf,
  codeOf,
  createClient,
  createUser,
  expectCode,
  metricOf,
  REFRESH,
  SIGN_IN,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { initiate, respond } from "../support/flows";
import {
  CHEAP_HASHING,
  processEnv,
  startGatewayProcess,
  stopAllGatewayProcesses,
  type GatewayProcess,
} from "../support/processes";
import { alertOf, HostedBrowser, stepOf } from "../support/hostedBrowser";

const CALLBACK = "https://app.example.com/callback";
const CHANGE_PASSWORD = `mutation { changePassword(input: { previousPassword: "Wrong-pa55word!", proposedPassword: "An0ther-pa55word!" }) }`;

/** The test hook (CommonJS): its behaviour is read from files next to it. */
const HOOK_BODY = `
function answersFor(event) {
  let answers = {};
  try { answers = JSON.parse(fs.readFileSync(path.join(dir, "answers.json"), "utf8")); } catch {}
  return answers[event.userName ?? "client:" + event.callerContext.clientId];
}
async function preTokenGeneration(event) {
  fs.appendFileSync(path.join(dir, "events.jsonl"), JSON.stringify(event) + "\\n");
  const spec = answersFor(event);
  if (spec && spec.sleepMs) await new Promise((resolve) => setTimeout(resolve, spec.sleepMs));
  if (spec && "throw" in spec) throw new Error(spec.throw);
  if (spec && "answer" in spec) return spec.answer;
  if (spec && "response" in spec) { event.response = spec.response; return event; }
  const stamp = { claimsToAddOrOverride: { trigger: event.triggerSource } };
  event.response = { claimsAndScopeOverrideDetails: { idTokenGeneration: stamp, accessTokenGeneration: stamp } };
  return event;
}
`;
const CJS_HOOK = `const fs = require("node:fs");\nconst path = require("node:path");\nconst dir = __dirname;\n${HOOK_BODY}\nexports.preTokenGeneration = preTokenGeneration;\n`;

type Spec =
  | { response: unknown }
  | { answer: unknown }
  | { throw: string }
  | { sleepMs: number; response?: unknown };

class HookFiles {
  private readonly answers: Record<string, Spec> = {};
  constructor(readonly dir: string) {
    writeFileSync(join(dir, "events.jsonl"), "");
  }
  answer(key: string, spec: Spec | undefined): void {
    if (spec === undefined) delete this.answers[key];
    else this.answers[key] = spec;
    writeFileSync(join(this.dir, "answers.json"), JSON.stringify(this.answers));
  }
  /** Every event the hook got for `key` (a username, or `client:<id>`), oldest first. */
  events(key: string): Record<string, any>[] {
    return readFileSync(join(this.dir, "events.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, any>)
      .filter((e) => (e["userName"] ?? `client:${e["callerContext"]["clientId"]}`) === key);
  }
}

const details = (d: Record<string, unknown>) => ({
  response: { claimsAndScopeOverrideDetails: d },
});

/** Sessions the user has that are live (counted by revoking them: call it last). */
async function liveSessions(gw: TestGateway, sub: string): Promise<number> {
  return (await gw.pool.store.revokeUserSessions(sub, "global_sign_out", gw.pool.deps.now()))
    .length;
}

async function postForm(
  gw: TestGateway,
  path: string,
  form: Record<string, string>,
  basic?: { clientId: string; clientSecret?: string | undefined },
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(basic
        ? {
            authorization: `Basic ${Buffer.from(`${basic.clientId}:${basic.clientSecret}`).toString("base64")}`,
          }
        : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

let dir: string;
let hooks: HookFiles;
let gw: TestGateway;
let app: { clientId: string; clientSecret?: string | undefined };
let confidential: { clientId: string; clientSecret?: string | undefined };
let machine: { clientId: string; clientSecret?: string | undefined };
let web: { clientId: string; clientSecret?: string | undefined };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-hooks-"));
  writeFileSync(join(dir, "hooks.cjs"), CJS_HOOK);
  hooks = new HookFiles(dir);
  gw = await startGateway({ env: { POOLGATE_HOOKS: join(dir, "hooks.cjs") } });
  const now = gw.pool.deps.now();
  await gw.pool.resourceServers.create({ id: "orders", scopes: ["read", "admin"] }, now);
  app = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
  confidential = await createClient(gw, {
    generateSecret: true,
    allowedScopes: ["openid", "email", "orders/read"],
    rotateRefreshTokens: true,
    allowedOAuthFlows: ["client_credentials"],
  });
  machine = await createClient(gw, {
    generateSecret: true,
    allowedScopes: ["orders/read"],
    allowedOAuthFlows: ["client_credentials"],
  });
  web = await createClient(gw, {
    allowedScopes: ["openid", "email"],
    callbackUrls: [CALLBACK],
    allowedOAuthFlows: ["code", "implicit"],
  });
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Authorize → the hosted sign-in form → the password: the page it ends on, or where it left. */
async function hostedSignIn(
  browser: HostedBrowser,
  params: Record<string, string>,
  who: { username: string; password: string },
) {
  const first = await browser.follow(
    `${gw.url}/oauth2/authorize?${new URLSearchParams({
      client_id: web.clientId,
      redirect_uri: CALLBACK,
      scope: "openid email",
      state: "st",
      ...params,
    })}`,
  );
  expect(stepOf(first.page)).toBe("sign-in");
  return browser.submit(first.page, "sign-in", { username: who.username, password: who.password });
}

describe("preTokenGeneration: one event per issuance, with Cognito's trigger sources", () => {
  it("GraphQL signIn sends a V2_0 TokenGeneration_Authentication event with the user's attributes, groups and scopes", async () => {
    const user = await createUser(gw, {
      attributes: { email: "ev@example.com", email_verified: "true", "custom:tenant_id": "t-1" },
    });
    const tokens = await signInAs(gw, app, user);
    const [event] = hooks.events(user.username);
    expect(event).toEqual({
      version: "2",
      triggerSource: "TokenGeneration_Authentication",
      region: "local",
      userPoolId: gw.config.poolId,
      userName: user.username,
      callerContext: { awsSdkVersion: "aws-sdk-unknown-unknown", clientId: app.clientId },
      request: {
        userAttributes: {
          sub: user.sub,
          "cognito:user_status": "CONFIRMED",
          email: "ev@example.com",
          email_verified: "true",
          "custom:tenant_id": "t-1",
        },
        groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
        scopes: expect.arrayContaining(["aws.cognito.signin.user.admin", "openid", "email"]),
      },
      response: { claimsAndScopeOverrideDetails: null },
    });
    expect(claimsOf(tokens.idToken)["trigger"]).toBe("TokenGeneration_Authentication");
    expect(claimsOf(tokens.accessToken)["trigger"]).toBe("TokenGeneration_Authentication");
  });

  it("Cognito's InitiateAuth through the AWS SDK gets tokens shaped by the hook, and a failing hook is UnexpectedLambdaException (400)", async () => {
    const sdk = new CognitoIdentityProviderClient({
      region: "local",
      endpoint: gw.url,
      maxAttempts: 1,
    });
    try {
      const user = await createUser(gw);
      const auth = (username: string, password: string) =>
        sdk.send(
          new InitiateAuthCommand({
            AuthFlow: "USER_PASSWORD_AUTH",
            ClientId: app.clientId,
            AuthParameters: { USERNAME: username, PASSWORD: password },
          }),
        );
      const ok = await auth(user.username, user.password);
      expect(claimsOf(ok.AuthenticationResult!.AccessToken!)["trigger"]).toBe(
        "TokenGeneration_Authentication",
      );
      hooks.answer(user.username, { throw: "tenant directory down" });
      const failed = await auth(user.username, user.password).catch((err: unknown) => err);
      expect(failed).toMatchObject({
        name: "UnexpectedLambdaException",
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      sdk.destroy();
    }
  });

  it("refresh runs the hook again (TokenGeneration_RefreshTokens) with the session's scopes as granted, not as the last run changed them", async () => {
    const user = await createUser(gw);
    hooks.answer(user.username, {
      response: {
        claimsAndScopeOverrideDetails: {
          accessTokenGeneration: { scopesToAdd: ["orders/admin"], scopesToSuppress: ["email"] },
        },
      },
    });
    const first = await signInAs(gw, app, user);
    expect(claimsOf(first.accessToken)["scope"].split(" ")).toEqual(
      expect.arrayContaining(["orders/admin"]),
    );
    expect(claimsOf(first.accessToken)["scope"].split(" ")).not.toContain("email");
    const res = await gw.gql(REFRESH, {
      input: { clientId: app.clientId, refreshToken: first.refreshToken },
    });
    const refreshed = res.body.data!["refresh"];
    expect(claimsOf(refreshed.accessToken)["scope"].split(" ")).toContain("orders/admin");
    const [signIn, refresh] = hooks.events(user.username);
    expect(refresh!["triggerSource"]).toBe("TokenGeneration_RefreshTokens");
    expect(refresh!["request"]["scopes"]).toEqual(signIn!["request"]["scopes"]);
    expect(refresh!["request"]["scopes"]).toContain("email");
    expect(refresh!["request"]["scopes"]).not.toContain("orders/admin");
  });

  it("a new password that ends the conversation (NEW_PASSWORD_REQUIRED) is TokenGeneration_NewPasswordChallenge", async () => {
    const username = `newpw-${randomBytes(3).toString("hex")}`;
    await gw.pool.users.adminCreate({
      username,
      temporaryPassword: "Temp-pa55word!",
      attributes: {},
      groups: [],
    });
    const step = await initiate(gw, app, { username, password: "Temp-pa55word!" });
    expect(step.challengeName).toBe("NEW_PASSWORD_REQUIRED");
    const done = await respond(gw, app, "NEW_PASSWORD_REQUIRED", step.session, {
      NEW_PASSWORD: "Brand-new-pa55!",
    });
    expect(claimsOf(done.tokens!.idToken)["trigger"]).toBe("TokenGeneration_NewPasswordChallenge");
    expect(
      hooks.events(username).map((e) => e["request"]["userAttributes"]["cognito:user_status"]),
    ).toEqual(["CONFIRMED"]);
  });

  it("the authorization code flow is TokenGeneration_HostedAuth, and the ID token's at_hash is of the final access token", async () => {
    const user = await createUser(gw);
    hooks.answer(
      user.username,
      details({ accessTokenGeneration: { claimsToAddOrOverride: { plan: "gold" } } }),
    );
    const browser = new HostedBrowser(gw.url);
    const p = pkce();
    const done = await hostedSignIn(
      browser,
      {
        response_type: "code",
        code_challenge: p.challenge,
        code_challenge_method: "S256",
        nonce: "n-1",
      },
      user,
    );
    const code = new URL(done.left!).searchParams.get("code")!;
    const exchanged = await postForm(gw, "/oauth2/token", {
      grant_type: "authorization_code",
      client_id: web.clientId,
      code,
      redirect_uri: CALLBACK,
      code_verifier: p.verifier,
    });
    expect(exchanged.status).toBe(200);
    const id = claimsOf(exchanged.body["id_token"]);
    expect(claimsOf(exchanged.body["access_token"])["plan"]).toBe("gold");
    expect(id["nonce"]).toBe("n-1");
    expect(id["at_hash"]).toBe(
      createHash("sha256")
        .update(exchanged.body["access_token"] as string, "ascii")
        .digest()
        .subarray(0, 16)
        .toString("base64url"),
    );
    expect(hooks.events(user.username).map((e) => e["triggerSource"])).toEqual([
      "TokenGeneration_HostedAuth",
    ]);
  });

  it("client credentials send a V3_0 TokenGeneration_ClientCredentials event with no user, and apply its access token changes", async () => {
    const key = `client:${machine.clientId}`;
    hooks.answer(
      key,
      details({
        accessTokenGeneration: {
          claimsToAddOrOverride: { tenant_id: "acme" },
          scopesToAdd: ["orders/admin"],
        },
        // Not for machines: no ID token, no groups.
        idTokenGeneration: { claimsToAddOrOverride: { ignored: true } },
        groupOverrideDetails: { groupsToOverride: ["admins"] },
      }),
    );
    const res = await postForm(gw, "/oauth2/token", { grant_type: "client_credentials" }, machine);
    expect(res.status).toBe(200);
    expect(res.body["scope"]).toBe("orders/read orders/admin");
    const claims = claimsOf(res.body["access_token"]);
    expect(claims).toMatchObject({ tenant_id: "acme", sub: machine.clientId });
    expect(claims).not.toHaveProperty("cognito:groups");
    const [event] = hooks.events(key);
    expect(event).toEqual({
      version: "3",
      triggerSource: "TokenGeneration_ClientCredentials",
      region: "local",
      userPoolId: gw.config.poolId,
      callerContext: { awsSdkVersion: "aws-sdk-unknown-unknown", clientId: machine.clientId },
      request: {
        userAttributes: {},
        groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
        scopes: ["orders/read"],
      },
      response: { claimsAndScopeOverrideDetails: null },
    });
    const seen = await postForm(
      gw,
      "/oauth2/introspect",
      { token: res.body["access_token"] as string },
      machine,
    );
    expect(seen.body).toMatchObject({
      active: true,
      scope: "orders/read orders/admin",
      tenant_id: "acme",
    });
  });
});

describe("preTokenGeneration: what a hook may change", () => {
  it("adds and overrides claims of every type Cognito allows, in the ID and the access token", async () => {
    const user = await createUser(gw, { attributes: { family_name: "Zoe" } });
    const claims = {
      tenant: "acme",
      seats: 12,
      trial: false,
      tags: ["a", 1, true],
      profile_json: { plan: { tier: "gold", limits: [1, 2] }, note: null },
    };
    hooks.answer(
      user.username,
      details({
        idTokenGeneration: { claimsToAddOrOverride: { ...claims, family_name: "Doe" } },
        accessTokenGeneration: { claimsToAddOrOverride: claims },
      }),
    );
    const tokens = await signInAs(gw, app, user);
    expect(claimsOf(tokens.idToken)).toMatchObject({
      ...claims,
      family_name: "Doe",
      sub: user.sub,
    });
    expect(claimsOf(tokens.accessToken)).toMatchObject({ ...claims, sub: user.sub });
  });

  it("suppresses claims (a claim both added and suppressed is suppressed)", async () => {
    const user = await createUser(gw, {
      attributes: { email: "hidden@example.com", email_verified: "true" },
    });
    hooks.answer(
      user.username,
      details({
        idTokenGeneration: {
          claimsToAddOrOverride: { both: "x" },
          claimsToSuppress: ["email", "email_verified", "both"],
        },
      }),
    );
    const id = claimsOf((await signInAs(gw, app, user)).idToken);
    expect(id).not.toHaveProperty("email");
    expect(id).not.toHaveProperty("email_verified");
    expect(id).not.toHaveProperty("both");
  });

  it("scopesToSuppress takes a scope away from the directives: aws.cognito.signin.user.admin suppressed is FORBIDDEN on changePassword", async () => {
    const user = await createUser(gw);
    hooks.answer(
      user.username,
      details({ accessTokenGeneration: { scopesToSuppress: ["aws.cognito.signin.user.admin"] } }),
    );
    const tokens = await signInAs(gw, app, user);
    expect(claimsOf(tokens.accessToken)["scope"]).not.toContain("aws.cognito.signin.user.admin");
    expectCode(await gw.gql(CHANGE_PASSWORD, {}, tokens.accessToken), "FORBIDDEN");
  });

  it("scopesToAdd reaches the directives and /oauth2/introspect: a code-flow token given aws.cognito.signin.user.admin and orders/admin", async () => {
    const user = await createUser(gw);
    hooks.answer(
      user.username,
      details({
        accessTokenGeneration: { scopesToAdd: ["aws.cognito.signin.user.admin", "orders/admin"] },
      }),
    );
    const browser = new HostedBrowser(gw.url);
    const p = pkce();
    const done = await hostedSignIn(
      browser,
      { response_type: "code", code_challenge: p.challenge, code_challenge_method: "S256" },
      user,
    );
    const exchanged = await postForm(gw, "/oauth2/token", {
      grant_type: "authorization_code",
      client_id: web.clientId,
      code: new URL(done.left!).searchParams.get("code")!,
      redirect_uri: CALLBACK,
      code_verifier: p.verifier,
    });
    const access = exchanged.body["access_token"] as string;
    expect(hooks.events(user.username)[0]!["request"]["scopes"]).not.toContain(
      "aws.cognito.signin.user.admin",
    );
    // The directive lets the call through; the wrong previous password is what refuses it.
    expect(codeOf(await gw.gql(CHANGE_PASSWORD, {}, access))).toBe("NOT_AUTHORIZED");
    const seen = await postForm(gw, "/oauth2/introspect", { token: access }, confidential);
    expect(seen.body["scope"].split(" ")).toEqual(
      expect.arrayContaining(["openid", "email", "aws.cognito.signin.user.admin", "orders/admin"]),
    );
  });

  it("groupOverrideDetails replaces cognito:groups in both tokens and sets cognito:roles and cognito:preferred_role in the ID token", async () => {
    const user = await createUser(gw);
    hooks.answer(
      user.username,
      details({
        groupOverrideDetails: {
          groupsToOverride: ["tenant-a", "readers"],
          iamRolesToOverride: ["arn:aws:iam::123456789012:role/reader"],
          preferredRole: "arn:aws:iam::123456789012:role/reader",
        },
      }),
    );
    const tokens = await signInAs(gw, app, user);
    expect(claimsOf(tokens.idToken)).toMatchObject({
      "cognito:groups": ["tenant-a", "readers"],
      "cognito:roles": ["arn:aws:iam::123456789012:role/reader"],
      "cognito:preferred_role": "arn:aws:iam::123456789012:role/reader",
    });
    expect(claimsOf(tokens.accessToken)["cognito:groups"]).toEqual(["tenant-a", "readers"]);
    expect(claimsOf(tokens.accessToken)).not.toHaveProperty("cognito:roles");
  });

  it("groupOverrideDetails null suppresses the groups; left out, they stay", async () => {
    const kept = await createUser(gw, { groups: ["crew"] });
    const dropped = await createUser(gw, { groups: ["crew"] });
    hooks.answer(dropped.username, details({ groupOverrideDetails: null }));
    expect(claimsOf((await signInAs(gw, app, kept)).accessToken)["cognito:groups"]).toEqual([
      "crew",
    ]);
    const tokens = await signInAs(gw, app, dropped);
    expect(claimsOf(tokens.idToken)).not.toHaveProperty("cognito:groups");
    expect(claimsOf(tokens.accessToken)).not.toHaveProperty("cognito:groups");
  });

  it("a version one answer (claimsOverrideDetails) still customizes the ID token", async () => {
    const user = await createUser(gw);
    hooks.answer(user.username, {
      response: { claimsOverrideDetails: { claimsToAddOrOverride: { legacy: "yes" } } },
    });
    const tokens = await signInAs(gw, app, user);
    expect(claimsOf(tokens.idToken)["legacy"]).toBe("yes");
    expect(claimsOf(tokens.accessToken)).not.toHaveProperty("legacy");
  });

  it("an access token may be given an aud, but only its own app client id", async () => {
    const user = await createUser(gw);
    hooks.answer(
      user.username,
      details({ accessTokenGeneration: { claimsToAddOrOverride: { aud: app.clientId } } }),
    );
    expect(claimsOf((await signInAs(gw, app, user)).accessToken)["aud"]).toBe(app.clientId);
  });
});

/** Signs a fresh user in with a hook answer; expects UNEXPECTED_LAMBDA and no session left. */
async function expectRefused(spec: Spec): Promise<void> {
  const user = await createUser(gw);
  hooks.answer(user.username, spec);
  const res = await gw.gql(SIGN_IN, {
    input: { clientId: app.clientId, username: user.username, password: user.password },
  });
  expect(res.status).toBeLessThan(500);
  expectCode(res, "UNEXPECTED_LAMBDA");
  expect(res.body.data).toBeNull();
  expect(await liveSessions(gw, user.sub)).toBe(0);
}

describe("preTokenGeneration: refusals (security)", () => {
  const identity = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "jti",
    "origin_jti",
    "event_id",
    "auth_time",
    "token_use",
  ];
  it.each(identity.map((c) => [c]))(
    "stops a hook from forging %s in the ID token: claimsToAddOrOverride is UNEXPECTED_LAMBDA, no session",
    async (claim) => {
      await expectRefused(
        details({ idTokenGeneration: { claimsToAddOrOverride: { [claim]: "forged" } } }),
      );
    },
  );

  const access = [
    "sub",
    "client_id",
    "username",
    "scope",
    "version",
    "iss",
    "exp",
    "origin_jti",
    "cognito:groups",
    "cognito:username",
    "device_key",
    "nonce",
    "at_hash",
    "acr",
    "amr",
    "azp",
    "nbf",
    "identities",
    "dev:flag",
  ];
  it.each(access.map((c) => [c]))(
    "stops a hook from setting %s in the access token: claimsToAddOrOverride is UNEXPECTED_LAMBDA, no session",
    async (claim) => {
      await expectRefused(
        details({ accessTokenGeneration: { claimsToAddOrOverride: { [claim]: "forged" } } }),
      );
    },
  );

  it.each([
    ["sub"],
    ["token_use"],
    ["cognito:username"],
    ["username"],
    ["scope"],
    ["exp"],
    ["jti"],
  ])(
    "stops a hook from suppressing %s: claimsToSuppress is UNEXPECTED_LAMBDA, no session",
    async (claim) => {
      await expectRefused(
        details({
          accessTokenGeneration: { claimsToSuppress: [claim] },
          idTokenGeneration: { claimsToSuppress: [claim] },
        }),
      );
    },
  );

  it("stops a hook from forging the subject: sub in claimsToAddOrOverride is UNEXPECTED_LAMBDA", async () => {
    await expectRefused(
      details({ accessTokenGeneration: { claimsToAddOrOverride: { sub: "someone-else" } } }),
    );
  });

  it("stops a hook from granting admin power: poolgate/admin in scopesToAdd is UNEXPECTED_LAMBDA", async () => {
    await expectRefused(details({ accessTokenGeneration: { scopesToAdd: ["poolgate/admin"] } }));
  });

  it("stops a hook from pointing an access token at another audience", async () => {
    await expectRefused(
      details({ accessTokenGeneration: { claimsToAddOrOverride: { aud: machine.clientId } } }),
    );
  });

  it.each([
    ["null", null],
    ["a list of objects", [{ a: 1 }]],
    ["a nested list", [["a"]]],
  ])("refuses a claim whose value is %s", async (_what, value) => {
    await expectRefused(details({ idTokenGeneration: { claimsToAddOrOverride: { odd: value } } }));
  });

  it("refuses a JSON object for email_verified in the ID token (Cognito keeps it scalar)", async () => {
    await expectRefused(
      details({ idTokenGeneration: { claimsToAddOrOverride: { email_verified: { v: true } } } }),
    );
  });

  it.each([
    ["an answer that is not an object", { answer: "tokens please" }],
    ["an answer that is a list", { answer: [] }],
    ["an answer without a response", { answer: { version: "2" } }],
    ["a misspelt member", details({ idTokenGeneration: { claimsToAdd: { a: "b" } } })],
    ["a scope with blank space", details({ accessTokenGeneration: { scopesToAdd: ["a b"] } })],
    [
      "a list of numbers as claimsToSuppress",
      details({ idTokenGeneration: { claimsToSuppress: [1] } }),
    ],
    [
      "a group list that is a string",
      details({ groupOverrideDetails: { groupsToOverride: "admins" } }),
    ],
    [
      "both version one and version two details",
      { response: { claimsOverrideDetails: {}, claimsAndScopeOverrideDetails: {} } },
    ],
    [
      "overrides larger than half the longest token",
      details({ accessTokenGeneration: { claimsToAddOrOverride: { big: "x".repeat(5000) } } }),
    ],
  ])("refuses %s", async (_what, spec) => {
    await expectRefused(spec as Spec);
  });

  it("a hook that throws fails the sign-in with UNEXPECTED_LAMBDA, counted as an error, and leaves no session", async () => {
    const before = await metricOf(
      gw,
      "poolgate_hook_calls_total",
      '{hook="preTokenGeneration",outcome="error"}',
    );
    await expectRefused({ throw: "boom" });
    expect(
      await metricOf(
        gw,
        "poolgate_hook_calls_total",
        '{hook="preTokenGeneration",outcome="error"}',
      ),
    ).toBe(before + 1);
    expect(
      await metricOf(
        gw,
        "poolgate_hook_calls_total",
        '{hook="preTokenGeneration",outcome="success"}',
      ),
    ).toBeGreaterThan(0);
  });

  it("a hook failing at refresh leaves the presented refresh token current: the retry rotates it", async () => {
    const user = await createUser(gw);
    const first = await signInAs(gw, confidential, user);
    hooks.answer(user.username, { throw: "flaky" });
    const failed = await postForm(
      gw,
      "/oauth2/token",
      { grant_type: "refresh_token", refresh_token: first.refreshToken },
      confidential,
    );
    expect(failed).toEqual({
      status: 400,
      body: expect.objectContaining({
        error: "invalid_request",
        poolgate_code: "UNEXPECTED_LAMBDA",
      }),
    });
    hooks.answer(user.username, undefined);
    const retried = await postForm(
      gw,
      "/oauth2/token",
      { grant_type: "refresh_token", refresh_token: first.refreshToken },
      confidential,
    );
    expect(retried.status).toBe(200);
    expect(retried.body["refresh_token"]).toBeDefined();
    expect(claimsOf(retried.body["access_token"])["trigger"]).toBe("TokenGeneration_RefreshTokens");
  });

  it("a hook failing at the code exchange gives invalid_request with poolgate_code UNEXPECTED_LAMBDA and no session", async () => {
    const user = await createUser(gw);
    hooks.answer(
      user.username,
      details({ idTokenGeneration: { claimsToAddOrOverride: { iss: "https://evil.example" } } }),
    );
    const browser = new HostedBrowser(gw.url);
    const p = pkce();
    const done = await hostedSignIn(
      browser,
      { response_type: "code", code_challenge: p.challenge, code_challenge_method: "S256" },
      user,
    );
    const res = await postForm(gw, "/oauth2/token", {
      grant_type: "authorization_code",
      client_id: web.clientId,
      code: new URL(done.left!).searchParams.get("code")!,
      redirect_uri: CALLBACK,
      code_verifier: p.verifier,
    });
    expect(res).toEqual({
      status: 400,
      body: expect.objectContaining({
        error: "invalid_request",
        poolgate_code: "UNEXPECTED_LAMBDA",
      }),
    });
    expect(await liveSessions(gw, user.sub)).toBe(0);
  });

  it("a hook failing in the implicit flow shows the hosted page's message and leaves no hosted session or tokens", async () => {
    const user = await createUser(gw);
    hooks.answer(user.username, { throw: "no" });
    const browser = new HostedBrowser(gw.url);
    const done = await hostedSignIn(browser, { response_type: "token", nonce: "n" }, user);
    expect(done.left).toBeUndefined();
    expect(done.page.status).toBe(400);
    expect(stepOf(done.page)).toBe("sign-in");
    expect(alertOf(done.page)).toContain("could not be completed");
    expect([...browser.cookies.keys()].some((k) => k.includes("hosted"))).toBe(false);
    expect(await liveSessions(gw, user.sub)).toBe(0);
  });
  it("a hook failing in the implicit flow from a live hosted session shows an error page, not a redirect", async () => {
    const user = await createUser(gw);
    const browser = new HostedBrowser(gw.url);
    const p = pkce();
    const first = await hostedSignIn(
      browser,
      { response_type: "code", code_challenge: p.challenge, code_challenge_method: "S256" },
      user,
    );
    expect(first.left).toBeDefined();
    hooks.answer(user.username, { throw: "no" });
    const again = await browser.request(
      `${gw.url}/oauth2/authorize?${new URLSearchParams({
        client_id: web.clientId,
        redirect_uri: CALLBACK,
        scope: "openid email",
        state: "st",
        response_type: "token",
        nonce: "n",
      })}`,
    );
    expect({ status: again.status, location: again.headers.get("location") }).toEqual({
      status: 400,
      location: null,
    });
    expect(again.html).toContain("could not be completed");
  });
});

describe("preTokenGeneration: timeouts", () => {
  let slow: TestGateway;
  let client: { clientId: string };
  beforeAll(async () => {
    slow = await startGateway({
      env: { POOLGATE_HOOKS: join(dir, "hooks.cjs"), POOLGATE_HOOK_TIMEOUT_MS: "50" },
    });
    client = await createClient(slow, { allowedScopes: ["openid"] });
  });
  afterAll(() => slow.close());

  it("a hook slower than POOLGATE_HOOK_TIMEOUT_MS fails the sign-in with UNEXPECTED_LAMBDA, counted as a timeout, and leaves no session", async () => {
    const user = await createUser(slow);
    hooks.answer(user.username, { sleepMs: 400 });
    const res = await slow.gql(SIGN_IN, {
      input: { clientId: client.clientId, username: user.username, password: user.password },
    });
    expectCode(res, "UNEXPECTED_LAMBDA");
    expect(
      await metricOf(
        slow,
        "poolgate_hook_calls_total",
        '{hook="preTokenGeneration",outcome="timeout"}',
      ),
    ).toBe(1);
    // The late answer changes nothing either.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await liveSessions(slow, user.sub)).toBe(0);
  });

  it("a hook within the timeout is answered as usual", async () => {
    const user = await createUser(slow);
    expect(claimsOf((await signInAs(slow, client, user)).idToken)["trigger"]).toBe(
      "TokenGeneration_Authentication",
    );
  });
});

describe("POOLGATE_HOOKS at start-up", () => {
  it("refuses to start when the hook module is missing, naming the path", async () => {
    const missing = join(dir, "nope.cjs");
    await expect(startGateway({ env: { POOLGATE_HOOKS: missing } })).rejects.toThrow(
      `no file at ${missing}`,
    );
  });

  it("refuses to start when preTokenGeneration is not a function", async () => {
    const file = join(dir, "wrong.cjs");
    writeFileSync(file, `exports.preTokenGeneration = { claims: {} };\n`);
    await expect(startGateway({ env: { POOLGATE_HOOKS: file } })).rejects.toThrow(
      "the export preTokenGeneration of",
    );
  });
});

/**
 * An ESM hook in a real gateway process (`poolgate serve`, dist/: npm run build), since jest's
 * module system cannot load ESM on Node 20; Node's own loader does. The hook is the worked
 * example of docs/hooks.md, taken from the document itself so the two cannot drift apart.
 */
describe("docs/hooks.md's multi-tenant example, as an ESM module in a real gateway process", () => {
  let proc: GatewayProcess;
  let setupDir: string;
  let client: { clientId: string };
  let admin: { username: string; password: string };
  let member: { username: string; password: string };

  beforeAll(async () => {
    const doc = readFileSync(join(__dirname, "../../docs/hooks.md"), "utf8");
    const code = /<!-- example: tenants.mjs -->\s*```js\n([\s\S]*?)```/.exec(doc)?.[1];
    if (code === undefined) throw new Error("docs/hooks.md lost its tenants.mjs example");
    const file = join(dir, "tenants.mjs");
    writeFileSync(file, code);
    // The pool's data is made in-process, then served by a process with the hook.
    const setup = await startGateway();
    setupDir = setup.dir;
    try {
      const now = setup.pool.deps.now();
      await setup.pool.resourceServers.create({ id: "orders", scopes: ["read", "admin"] }, now);
      client = await createClient(setup, { allowedScopes: ["openid", "orders/read"] });
      admin = await createUser(setup, {
        attributes: { "custom:tenant_id": "acme" },
        groups: ["admins"],
      });
      member = await createUser(setup, { attributes: { "custom:tenant_id": "globex" } });
    } finally {
      await setup.stop();
    }
    proc = await startGatewayProcess(
      "tenants",
      processEnv({
        ...CHEAP_HASHING,
        POOLGATE_DATABASE_URL: setup.env["POOLGATE_DATABASE_URL"]!,
        POOLGATE_MASTER_KEY: setup.env["POOLGATE_MASTER_KEY"]!,
        POOLGATE_HOOKS: file,
      }),
    );
  });
  afterAll(async () => {
    await stopAllGatewayProcesses();
    rmSync(setupDir, { recursive: true, force: true });
  });

  const signIn = async (who: { username: string; password: string }) => {
    const res = await proc.gql(SIGN_IN, {
      input: { clientId: client.clientId, username: who.username, password: who.password },
    });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!["signIn"] as { idToken: string; accessToken: string };
  };

  it("puts tenant_id in both tokens and grants orders/admin to members of admins only", async () => {
    const a = await signIn(admin);
    const m = await signIn(member);
    expect(claimsOf(a.idToken)["tenant_id"]).toBe("acme");
    expect(claimsOf(a.accessToken)["tenant_id"]).toBe("acme");
    expect(claimsOf(a.accessToken)["scope"].split(" ")).toContain("orders/admin");
    expect(claimsOf(m.idToken)["tenant_id"]).toBe("globex");
    expect(claimsOf(m.accessToken)["scope"].split(" ")).not.toContain("orders/admin");
  });
});
