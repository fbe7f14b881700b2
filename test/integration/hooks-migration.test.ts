/**
 * Cognito's user migration trigger in-process (DESIGN §14, issue 17 #3, docs/hooks.md), over
 * real HTTP with real SQLite and real hook modules written here into a temp folder and loaded
 * through POOLGATE_HOOKS.
 *
 * The headline: users move from ANOTHER running poolgate (the "old pool") whose Cognito API
 * the hook calls with the AWS SDK — InitiateAuth USER_PASSWORD_AUTH to check the password,
 * AdminGetUser for the attributes, AdminListGroupsForUser and the new pool's
 * AdminAddUserToGroup for the groups (Cognito's trigger cannot return groups) — as a hook
 * written for a Cognito pool would. Then the rules: refusals answer as unknown names (lockout
 * and hash work included), failures are UNEXPECTED_LAMBDA and create nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
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
  signInAs,
  SIGN_IN,
  startGateway,
  type TestClock,
  type TestGateway,
} from "../harness";
import { CONFIRM_FORGOT, FORGOT, initiate, outcomeOf, type Client } from "../support/flows";

/** Real time plus an offset: the SDK signs admin calls with the real clock. */
function movableClock(): TestClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

const SDK = require.resolve("@aws-sdk/client-cognito-identity-provider");
const CALLS = 'poolgate_hook_calls_total{hook="userMigration",outcome="success"}';
const REFUSED = 'poolgate_hook_calls_total{hook="userMigration",outcome="refused"}';

/**
 * The migration hook of docs/hooks.md, as a CommonJS module: it reads where the old pool is
 * (and the new pool's admin key, for groups) from the environment at call time.
 */
const MIGRATE_FROM_COGNITO = `
const {
  AdminAddUserToGroupCommand, AdminGetUserCommand, AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient, InitiateAuthCommand,
} = require(${JSON.stringify(SDK)});

const env = (name) => process.env[name];
const clientFor = (endpoint, prefix) =>
  new CognitoIdentityProviderClient({
    region: env(prefix + "_REGION"),
    endpoint,
    credentials: { accessKeyId: env(prefix + "_KEY_ID"), secretAccessKey: env(prefix + "_SECRET") },
    maxAttempts: 1,
  });
const clients = [];
const remember = (c) => (clients.push(c), c);

exports.userMigration = async (event) => {
  const old = remember(clientFor(env("OLD_POOL_URL"), "OLD_POOL"));
  if (event.triggerSource === "UserMigration_Authentication") {
    // A wrong password throws NotAuthorizedException: the trigger's "no".
    await old.send(new InitiateAuthCommand({
      ClientId: env("OLD_POOL_CLIENT_ID"),
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password },
    }));
  }
  // An unknown name throws UserNotFoundException: the trigger's "no" as well.
  const user = await old.send(new AdminGetUserCommand({
    UserPoolId: env("OLD_POOL_ID"), Username: event.userName,
  }));
  event.response.userAttributes = Object.fromEntries(
    user.UserAttributes.filter((a) => a.Name !== "sub").map((a) => [a.Name, a.Value]),
  );
  event.response.finalUserStatus =
    event.triggerSource === "UserMigration_Authentication" ? "CONFIRMED" : "RESET_REQUIRED";
  event.response.messageAction = "SUPPRESS";
  const { Groups } = await old.send(new AdminListGroupsForUserCommand({
    UserPoolId: env("OLD_POOL_ID"), Username: event.userName,
  }));
  copyGroupsOnceCreated(event.userName, Groups.map((g) => g.GroupName));
  return event;
};

// Cognito creates the user after the trigger answers: the groups follow once it exists.
function copyGroupsOnceCreated(username, groups) {
  if (groups.length === 0) return;
  const fresh = remember(clientFor(env("NEW_POOL_URL"), "NEW_POOL"));
  const poolId = env("NEW_POOL_ID");
  (async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await fresh.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }));
      } catch {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      for (const GroupName of groups)
        await fresh.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: username, GroupName }));
      return;
    }
  })().catch(() => undefined);
}

exports.close = () => clients.splice(0).forEach((c) => c.destroy());
`;

/**
 * A hook whose answer the username picks, for the rules: `throw-*` throws, `slow-*` outlasts
 * the timeout, `none-*` answers without userAttributes, `sub-*` sets `sub`, `status-*` an
 * unknown finalUserStatus, `reset-*` RESET_REQUIRED, `weird-*` an unknown attribute; any other
 * name is migrated CONFIRMED with an email.
 */
const BY_NAME = `
exports.userMigration = async (event) => {
  const name = event.userName;
  globalThis.__migrationEvents = (globalThis.__migrationEvents || []).concat([
    { ...event, request: { ...event.request, password: event.request.password ? "<given>" : undefined } },
  ]);
  if (name.startsWith("throw-")) throw new Error("Bad password");
  if (name.startsWith("slow-")) await new Promise((r) => setTimeout(r, 1000));
  if (name.startsWith("none-")) return event;
  event.response.userAttributes = { email: name + "@example.com", email_verified: "true" };
  if (name.startsWith("sub-")) event.response.userAttributes.sub = "00000000-0000-0000-0000-000000000000";
  if (name.startsWith("weird-")) event.response.userAttributes.shoe_size = "44";
  event.response.finalUserStatus =
    name.startsWith("status-") ? "ARCHIVED" : name.startsWith("reset-") ? "RESET_REQUIRED" : "CONFIRMED";
  return event;
};
`;

function writeHook(source: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "poolgate-hooks-"));
  const path = join(dir, "hooks.cjs");
  writeFileSync(path, source);
  return { dir, path };
}

describe("userMigration: users move over from another poolgate through its Cognito API", () => {
  let old: TestGateway;
  let gw: TestGateway;
  let oldClient: Client;
  let client: Client;
  let hook: { dir: string; path: string };
  let sdk: CognitoIdentityProviderClient;
  let admin: CognitoIdentityProviderClient;
  const saved = { ...process.env };

  beforeAll(async () => {
    old = await startGateway({ clock: movableClock() });
    oldClient = await createClient(old);
    const oldKey = await old.pool.accessKeys.create("migration");
    hook = writeHook(MIGRATE_FROM_COGNITO);
    gw = await startGateway({ clock: movableClock(), env: { POOLGATE_HOOKS: hook.path } });
    client = await createClient(gw);
    const newKey = await gw.pool.accessKeys.create("group copy");
    Object.assign(process.env, {
      OLD_POOL_URL: old.url,
      OLD_POOL_ID: old.config.poolId,
      OLD_POOL_REGION: old.config.poolId.split("_")[0],
      OLD_POOL_CLIENT_ID: oldClient.clientId,
      OLD_POOL_KEY_ID: oldKey.key.accessKeyId,
      OLD_POOL_SECRET: oldKey.secretAccessKey,
      NEW_POOL_URL: gw.url,
      NEW_POOL_ID: gw.config.poolId,
      NEW_POOL_REGION: gw.config.poolId.split("_")[0],
      NEW_POOL_KEY_ID: newKey.key.accessKeyId,
      NEW_POOL_SECRET: newKey.secretAccessKey,
    });
    const region = gw.config.poolId.split("_")[0]!;
    sdk = new CognitoIdentityProviderClient({ region, endpoint: gw.url, maxAttempts: 1 });
    admin = new CognitoIdentityProviderClient({
      region,
      endpoint: gw.url,
      credentials: { accessKeyId: newKey.key.accessKeyId, secretAccessKey: newKey.secretAccessKey },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    (createRequire(__filename)(hook.path) as { close(): void }).close();
    sdk?.destroy();
    admin?.destroy();
    process.env = saved;
    await gw?.close();
    await old?.close();
    rmSync(hook.dir, { recursive: true, force: true });
  });

  async function groupsOf(username: string): Promise<string[]> {
    const out = await admin.send(
      new AdminListGroupsForUserCommand({ UserPoolId: gw.config.poolId, Username: username }),
    );
    return (out.Groups ?? []).map((g) => g.GroupName!).sort();
  }

  /** Waits for the hook's group copy (it follows the user's creation). */
  async function eventuallyGroups(username: string, expected: string[]): Promise<void> {
    for (let i = 0; i < 100 && (await groupsOf(username)).join() !== expected.join(); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await groupsOf(username)).toEqual(expected);
  }

  it("happy flow: a GraphQL sign-in with the old password gives tokens; the user exists with its attributes and groups; the next sign-in does not call the hook", async () => {
    const user = await createUser(old, {
      attributes: { email: "moving@example.com", email_verified: "true", name: "Mover" },
      groups: ["editors", "readers"],
    });
    expect(await gw.pool.users.find(user.username)).toBeUndefined();
    const calls = await metricOf(gw, CALLS);

    const tokens = await signInAs(gw, client, user);
    expect(claimsOf(tokens.idToken)).toMatchObject({
      "cognito:username": user.username,
      email: "moving@example.com",
      email_verified: true,
      name: "Mover",
    });
    expect(await metricOf(gw, CALLS)).toBe(calls + 1);
    const migrated = await gw.pool.users.find(user.username);
    expect(migrated).toMatchObject({
      attributes: { email: "moving@example.com", email_verified: "true", name: "Mover" },
    });
    // A subject of its own: Cognito makes `sub`, the hook cannot carry the old one over.
    expect(migrated!.sub).not.toBe(user.sub);
    await eventuallyGroups(user.username, ["editors", "readers"]);

    const again = await signInAs(gw, client, user);
    expect(claimsOf(again.accessToken)["cognito:groups"]).toEqual(["editors", "readers"]);
    expect(await metricOf(gw, CALLS)).toBe(calls + 1);
  });

  it("happy flow: Cognito's InitiateAuth USER_PASSWORD_AUTH through the AWS SDK migrates; the password is stored as any (argon2id hash and SRP verifier)", async () => {
    const user = await createUser(old, { attributes: { email: "sdk@example.com" } });
    const out = await sdk.send(
      new InitiateAuthCommand({
        ClientId: client.clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
      }),
    );
    expect(out.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    const stored = await gw.pool.users.record(user.username);
    // Stored as any password: an argon2id hash and an SRP verifier.
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored.srpVerifierSealed).toEqual(expect.any(String));
    expect(stored.attributes).toEqual({ email: "sdk@example.com" });
  });

  it("happy flow: AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH migrates too", async () => {
    const user = await createUser(old, { attributes: { email: "admin-flow@example.com" } });
    const out = await admin.send(
      new AdminInitiateAuthCommand({
        UserPoolId: gw.config.poolId,
        ClientId: client.clientId,
        AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
      }),
    );
    expect(out.AuthenticationResult?.IdToken).toEqual(expect.any(String));
  });

  it("happy flow: forgot password for a name only the old pool knows migrates the user (RESET_REQUIRED) and sends the code; confirmForgotPassword, then sign-in", async () => {
    const user = await createUser(old, {
      attributes: { email: "forgot-mover@example.com", email_verified: "true" },
    });
    const res = await gw.gql(FORGOT, {
      input: { clientId: client.clientId, username: user.username },
    });
    expect(res.body.data?.["forgotPassword"]).toMatchObject({ destination: "f***@e***.com" });
    const view = await gw.pool.users.find(user.username);
    expect(view?.status).toBe("RESET_REQUIRED");
    const mail = await gw.smtp!.waitFor((m) => m.to.includes("forgot-mover@example.com"));
    const newPassword = "Brand-new-pa55!";
    const confirmed = await gw.gql(CONFIRM_FORGOT, {
      input: {
        clientId: client.clientId,
        username: user.username,
        code: gw.smtp!.codeIn(mail),
        password: newPassword,
      },
    });
    expect(confirmed.body.data?.["confirmForgotPassword"]).toBe(true);
    expect(outcomeOf(await initiate(gw, client, { ...user, password: newPassword }))).toBe(
      "TOKENS",
    );
  });

  it("error flow: a wrong old password answers exactly as an unknown name, after the same hash work, and counts towards the lockout", async () => {
    const user = await createUser(old);
    const stranger = `nobody-${Date.now()}`;
    const tryIt = async (username: string, password: string) => {
      const before = gw.pool.hasher.verifications;
      const res = await gw.gql(SIGN_IN, {
        input: { clientId: client.clientId, username, password },
      });
      return {
        code: codeOf(res),
        message: res.body.errors?.[0]?.message,
        status: res.status,
        verifications: gw.pool.hasher.verifications - before,
      };
    };
    const refused = await metricOf(gw, REFUSED);
    const wrong = await tryIt(user.username, "Wrong-pa55word!");
    expect(wrong).toEqual(await tryIt(stranger, "Wrong-pa55word!"));
    expect(wrong).toMatchObject({ code: "NOT_AUTHORIZED", verifications: 1 });
    expect(await metricOf(gw, REFUSED)).toBe(refused + 2);
    expect(await gw.pool.users.find(user.username)).toBeUndefined();

    for (let i = 0; i < 4; i++)
      expect((await tryIt(user.username, "Wrong-pa55word!")).code).toBe("NOT_AUTHORIZED");
    // Locked before the hook is asked: the old pool is not a guessing oracle either.
    const calls = (await metricOf(gw, REFUSED)) + (await metricOf(gw, CALLS));
    expect((await tryIt(user.username, user.password)).code).toBe("TOO_MANY_FAILED_ATTEMPTS");
    expect((await metricOf(gw, REFUSED)) + (await metricOf(gw, CALLS))).toBe(calls);
  });
});

describe("userMigration: Cognito's rules for the hook's answer", () => {
  let gw: TestGateway;
  let client: Client;
  let hook: { dir: string; path: string };

  beforeAll(async () => {
    hook = writeHook(BY_NAME);
    gw = await startGateway({
      clock: movableClock(),
      env: { POOLGATE_HOOKS: hook.path, POOLGATE_HOOK_TIMEOUT_MS: "200" },
    });
    client = await createClient(gw);
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(hook.dir, { recursive: true, force: true });
  });

  const events = () =>
    (globalThis as { __migrationEvents?: Record<string, any>[] }).__migrationEvents ?? [];

  it("happy flow: the hook gets Cognito's event: version, triggerSource, region, userPoolId, userName, callerContext, the password, an empty response", async () => {
    const username = `ok-${Date.now()}`;
    expect(outcomeOf(await initiate(gw, client, { username, password: "any" }))).toBe("TOKENS");
    const [region] = gw.config.poolId.split("_");
    expect(events().at(-1)).toEqual({
      version: "1",
      triggerSource: "UserMigration_Authentication",
      region,
      userPoolId: gw.config.poolId,
      userName: username,
      callerContext: { awsSdkVersion: "poolgate", clientId: client.clientId },
      request: { password: "<given>", validationData: {}, clientMetadata: {} },
      response: expect.objectContaining({ userAttributes: expect.any(Object) }),
    });
  });

  it("happy flow: the password policy is not applied to a migrated password (Cognito's rule)", async () => {
    const username = `ok-weak-${Date.now()}`;
    expect(outcomeOf(await initiate(gw, client, { username, password: "abc" }))).toBe("TOKENS");
  });

  it("happy flow: finalUserStatus RESET_REQUIRED makes the user and answers PASSWORD_RESET_REQUIRED", async () => {
    const username = `reset-${Date.now()}`;
    expectCode(
      (await initiate(gw, client, { username, password: "Old-pa55!" })).res,
      "PASSWORD_RESET_REQUIRED",
    );
    expect((await gw.pool.users.find(username))?.status).toBe("RESET_REQUIRED");
  });

  it("error flow: a hook that throws is Cognito's refusal: NOT_AUTHORIZED as for an unknown name, and no user", async () => {
    const username = `throw-${Date.now()}`;
    const res = (await initiate(gw, client, { username, password: "Old-pa55!" })).res;
    expectCode(res, "NOT_AUTHORIZED");
    expect(res.body.errors?.[0]?.message).toBe("Incorrect username or password.");
    expect(await gw.pool.users.find(username)).toBeUndefined();
  });

  it("error flow: an answer without userAttributes is 'no such user': NOT_AUTHORIZED, no user; forgot password answers as for any stranger", async () => {
    const username = `none-${Date.now()}`;
    expectCode(
      (await initiate(gw, client, { username, password: "Old-pa55!" })).res,
      "NOT_AUTHORIZED",
    );
    const forgot = await gw.gql(FORGOT, { input: { clientId: client.clientId, username } });
    expect(forgot.body.data?.["forgotPassword"]?.destination).toEqual(expect.any(String));
    expect(await gw.pool.users.find(username)).toBeUndefined();
  });

  it.each([
    ["slow-", "a timeout"],
    ["sub-", "a restricted attribute (sub)"],
    ["status-", "an unknown finalUserStatus"],
    ["weird-", "an attribute the pool does not have"],
  ])(
    "error flow: %s… (%s) is UNEXPECTED_LAMBDA on GraphQL and UnexpectedLambdaException on Cognito's API, never a 5xx, and no user",
    async (prefix) => {
      const username = `${prefix}${Date.now()}`;
      const res = (await initiate(gw, client, { username, password: "Old-pa55!" })).res;
      expect(res.status).toBeLessThan(500);
      expectCode(res, "UNEXPECTED_LAMBDA");
      const sdk = new CognitoIdentityProviderClient({
        region: gw.config.poolId.split("_")[0]!,
        endpoint: gw.url,
        maxAttempts: 1,
      });
      try {
        await sdk.send(
          new InitiateAuthCommand({
            ClientId: client.clientId,
            AuthFlow: "USER_PASSWORD_AUTH",
            AuthParameters: { USERNAME: username, PASSWORD: "Old-pa55!" },
          }),
        );
        throw new Error("signed in");
      } catch (err) {
        const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
        expect(e.name).toBe("UnexpectedLambdaException");
        expect(e.$metadata?.httpStatusCode).toBe(400);
      } finally {
        sdk.destroy();
      }
      const forgot = await gw.gql(FORGOT, { input: { clientId: client.clientId, username } });
      expectCode(forgot, "UNEXPECTED_LAMBDA");
      // The slow hook finishes later: its answer is dropped, nothing appears.
      await new Promise((r) => setTimeout(r, prefix === "slow-" ? 1000 : 0));
      expect(await gw.pool.users.find(username)).toBeUndefined();
    },
  );

  it("error flow: two concurrent sign-ins of one unknown name make one user, and neither is a 5xx", async () => {
    const username = `ok-race-${Date.now()}`;
    const calls = await metricOf(gw, CALLS);
    const both = await Promise.all(
      [0, 1].map(() => initiate(gw, client, { username, password: "Race-pa55!" })),
    );
    for (const step of both) expect(step.res.status).toBeLessThan(500);
    expect(both.map(outcomeOf)).toEqual(["TOKENS", "TOKENS"]);
    // Both asked the hook (the name had no user for either): one insert lost, and signed in as the winner.
    expect(await metricOf(gw, CALLS)).toBe(calls + 2);
    expect(
      await gw.pool.users.list({ field: "username", op: "=", value: username }, undefined, 10),
    ).toHaveLength(1);
  });
});
