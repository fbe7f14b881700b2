/**
 * Secrets (DESIGN §7, §8; CONVENTIONS 11):
 *   (a) no log line ever holds a password, client secret, token, password hash, refresh-token
 *       hash, confirmation code (outside the development sender), SMTP password or the master
 *       key — checked at log level trace over a full walk through the API, in development and in
 *       production (where codes go out by real SMTP, and also when the mail server refuses them);
 *   (b) a copy of the database alone yields no signing key and no token: private JWKs are sealed
 *       under the master key, and tokens are never stored.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { compactDecrypt, decodeProtectedHeader, type JWK } from "jose";
import { loadConfig } from "../../src/config";
import { createSender } from "../../src/delivery/createSender";
import { UserPool } from "../../src/identity/pool";
import { createLogger } from "../../src/log";
import { createGateway, type Gateway } from "../../src/server";
import { openStore } from "../../src/store/open";
import { deriveSecrets, storageHash } from "../../src/tokens/secrets";
import { totpCode } from "../../src/tokens/totp";
import {
  claimsOf,
  createClient,
  createUser,
  REFRESH,
  REVOKE,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestGateway,
  type Tokens,
} from "../harness";
import { startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from "../support/smtp";

const TEST_ENV = {
  POOLGATE_PORT: "0",
  POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
  POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
  POOLGATE_SYNC_INTERVAL_MS: "50",
};

const INITIATE_AUTH = `mutation I($input: InitiateAuthInput!) { initiateAuth(input: $input) { authenticationResult { accessToken refreshToken } session challengeName } }`;
const RESPOND = `mutation R($input: RespondToAuthChallengeInput!) { respondToAuthChallenge(input: $input) { authenticationResult { accessToken refreshToken } session challengeName } }`;
const FORGOT = `mutation F($input: ForgotPasswordInput!) { forgotPassword(input: $input) { destination } }`;
const CONFIRM_FORGOT = `mutation C($input: ConfirmForgotPasswordInput!) { confirmForgotPassword(input: $input) }`;
const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { userSub } }`;
const CONFIRM_SIGN_UP = `mutation Confirm($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) }`;
const CHANGE_PASSWORD = `mutation Change($input: ChangePasswordInput!) { changePassword(input: $input) }`;
const ADMIN_CREATE_USER = `mutation Create($input: AdminCreateUserInput!) { adminCreateUser(input: $input) { sub } }`;
const ADMIN_SET_PASSWORD = `mutation SetPassword($username: String!, $password: String!) {
  adminSetUserPassword(username: $username, password: $password)
}`;

/** A gateway whose logger writes every line (level trace) into memory. */
interface LoggedGateway {
  url: string;
  dir: string;
  masterKey: string;
  gateway: Gateway;
  pool: UserPool;
  lines: string[];
  /** The mail server, with AUTH, when started with one (production: codes go out by SMTP). */
  smtp: TestSmtpServer | undefined;
  smtpPassword: string | undefined;
  gql(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult>;
  close(): Promise<void>;
}

async function startLoggedGateway(
  env: Record<string, string>,
  smtpOptions?: Omit<TestSmtpOptions, "auth">,
): Promise<LoggedGateway> {
  const dir = mkdtempSync(join(tmpdir(), "poolgate-secrets-"));
  const masterKey = randomBytes(32).toString("base64");
  const smtpPassword = smtpOptions ? `Smtp-${randomBytes(9).toString("base64url")}` : undefined;
  const smtp = smtpOptions
    ? await startSmtpServer({ ...smtpOptions, auth: { user: "poolgate", pass: smtpPassword! } })
    : undefined;
  const config = loadConfig({
    ...TEST_ENV,
    POOLGATE_LOG_LEVEL: "trace",
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
    POOLGATE_MASTER_KEY: masterKey,
    ...(smtp ? { POOLGATE_SMTP_URL: smtp.url } : {}),
    ...env,
  });
  const lines: string[] = [];
  const logger = createLogger(
    { logLevel: "trace" },
    { write: (line: string) => void lines.push(line) },
  );
  // No sender: the gateway's own (SMTP when there is a server, else the development log).
  const gateway = await createGateway({ config, logger });
  const url = await gateway.listen();
  return {
    url,
    dir,
    masterKey,
    gateway,
    pool: gateway.pool,
    lines,
    smtp,
    smtpPassword,
    async gql(query, variables, token) {
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, headers: res.headers, body: JSON.parse(await res.text()) };
    },
    async close() {
      await gateway.stop();
      await smtp?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function data<T = any>(res: GqlResult, field: string): T {
  const value = res.body.data?.[field];
  if (value === undefined || value === null)
    throw new Error(`${field} failed: ${JSON.stringify(res.body.errors)}`);
  return value as T;
}

/**
 * Walks through every credential-carrying operation and returns every secret it saw,
 * named, plus the confirmation code.
 */
async function walkThrough(gw: LoggedGateway, environment: "development" | "production") {
  const secrets = new Map<string, string>();
  const keep = (name: string, value: string | null | undefined) => {
    if (typeof value === "string" && value.length > 0) secrets.set(name, value);
  };
  const rand = () => randomBytes(3).toString("hex");
  keep("master key (base64)", gw.masterKey);
  keep("master key (base64url)", Buffer.from(gw.masterKey, "base64").toString("base64url"));
  keep("master key (hex)", Buffer.from(gw.masterKey, "base64").toString("hex"));
  keep("SMTP password", gw.smtpPassword);
  keep("SMTP URL", gw.smtp?.url);

  // A confidential client with rotation, so refreshes hand out new refresh tokens too.
  const { client, clientSecret } = await gw.pool.clients.create(
    {
      name: "confidential",
      generateSecret: true,
      rotateRefreshTokens: true,
      allowedScopes: ["openid", "email", "poolgate/admin"],
    },
    Date.now(),
  );
  keep("client secret", clientSecret);
  keep("client secret hash", (await gw.pool.store.getClient(client.clientId))?.secretHash);
  const app = { clientId: client.clientId, clientSecret: clientSecret! };

  const admin = { username: `admin-${rand()}`, password: `Adm1n-${rand()}!` };
  await gw.pool.users.adminCreate({ ...admin, attributes: {}, groups: ["admins"] });
  const alice = { username: `alice-${rand()}`, password: `Al1ce-${rand()}!` };
  await gw.pool.users.adminCreate({
    ...alice,
    attributes: { email: `${alice.username}@example.com` },
    groups: [],
  });
  keep("admin password", admin.password);
  keep("alice password", alice.password);
  const wrong = `Wr0ng-${rand()}!`;
  keep("wrong password", wrong);

  const signIn = (user: { username: string; password: string }) =>
    gw.gql(SIGN_IN, { input: { ...app, username: user.username, password: user.password } });
  const keepTokens = (prefix: string, t: Partial<Tokens>) => {
    keep(`${prefix} access token`, t.accessToken);
    keep(`${prefix} ID token`, t.idToken);
    keep(`${prefix} refresh token`, t.refreshToken);
    if (t.refreshToken)
      keep(
        `${prefix} refresh-token hash`,
        storageHash(gw.pool.deps.secrets.storageHashKey, "refresh-token", t.refreshToken),
      );
  };

  // Sign-in: right password, wrong password, wrong client secret.
  const aliceTokens = data<Tokens>(await signIn(alice), "signIn");
  keepTokens("alice sign-in", aliceTokens);
  // Two sessions for the admin, so the global sign-out below has more than one to end.
  expect(data(await signIn(admin), "signIn")).toBeDefined();
  const adminTokens = data<Tokens>(await signIn(admin), "signIn");
  keepTokens("admin sign-in", adminTokens);
  expect((await signIn({ ...alice, password: wrong })).body.errors?.[0]?.extensions?.code).toBe(
    "NOT_AUTHORIZED",
  );
  const badSecret = await gw.gql(SIGN_IN, {
    input: { ...app, clientSecret: `${clientSecret}x`, ...alice },
  });
  expect(badSecret.body.errors?.[0]?.extensions?.code).toBe("NOT_AUTHORIZED");

  // Refresh (rotating), then a tampered refresh token.
  const refreshed = data<Tokens>(
    await gw.gql(REFRESH, { input: { ...app, refreshToken: aliceTokens.refreshToken } }),
    "refresh",
  );
  keepTokens("alice refresh", refreshed);
  const tampered = `${aliceTokens.refreshToken.slice(0, -4)}AAAA`;
  expect(
    (await gw.gql(REFRESH, { input: { ...app, refreshToken: tampered } })).body.errors?.length,
  ).toBeGreaterThan(0);

  // The OAuth 2.0 endpoints, with the client secret in HTTP Basic (RFC 6749 §2.3.1).
  const basic = `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString("base64")}`;
  keep("HTTP Basic credential", basic.slice("Basic ".length));
  const form = async (path: string, fields: Record<string, string>, authorization = basic) => {
    const res = await fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization },
      body: new URLSearchParams(fields).toString(),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
  };
  const viaOAuth = await form("/oauth2/token", {
    grant_type: "refresh_token",
    refresh_token: refreshed.refreshToken,
  });
  expect(viaOAuth.status).toBe(200);
  keepTokens("alice /oauth2/token", {
    accessToken: viaOAuth.body["access_token"],
    idToken: viaOAuth.body["id_token"],
    refreshToken: viaOAuth.body["refresh_token"],
  });
  const wrongBasic = `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}x`).toString("base64")}`;
  keep("wrong HTTP Basic credential", wrongBasic.slice("Basic ".length));
  expect(
    (await form("/oauth2/token", { grant_type: "refresh_token", refresh_token: "x" }, wrongBasic))
      .status,
  ).toBe(401);
  expect((await form("/oauth2/introspect", { token: refreshed.accessToken })).status).toBe(200);
  for (const token of [refreshed.accessToken, `${refreshed.accessToken}x`]) {
    await fetch(`${gw.url}/oauth2/userInfo`, { headers: { authorization: `Bearer ${token}` } });
  }
  const spare = data<Tokens>(await signIn(alice), "signIn");
  keepTokens("alice spare sign-in", spare);
  expect((await form("/oauth2/revoke", { token: spare.refreshToken })).status).toBe(200);

  // me with good and bad tokens.
  expect(data(await gw.gql(`{ me { sub } }`, {}, refreshed.accessToken), "me")).toBeDefined();
  const [h, p] = refreshed.accessToken.split(".");
  for (const bad of [`${h}.${p}.AAAA`, refreshed.idToken, `${refreshed.accessToken}x`, "garbage"]) {
    expect((await gw.gql(`{ me { sub } }`, {}, bad)).status).toBe(401);
  }

  // Admin operations that carry passwords.
  const bob = { username: `bob-${rand()}`, password: `B0b-${rand()}!` };
  keep("bob password", bob.password);
  data(
    await gw.gql(
      ADMIN_CREATE_USER,
      { input: { username: bob.username, password: bob.password } },
      adminTokens.accessToken,
    ),
    "adminCreateUser",
  );
  const keepHash = async (label: string, username: string) =>
    keep(`${label} password hash`, (await gw.pool.store.getUserByUsername(username))?.passwordHash);
  await keepHash("bob before the admin set it", bob.username);
  const bobNew = `B0b-set-${rand()}!`;
  keep("bob password set by admin", bobNew);
  expect(
    data(
      await gw.gql(
        ADMIN_SET_PASSWORD,
        { username: bob.username, password: bobNew },
        adminTokens.accessToken,
      ),
      "adminSetUserPassword",
    ),
  ).toBe(true);

  // Sign-up and confirmation.
  const carol = { username: `carol-${rand()}`, password: `Car0l-${rand()}!` };
  keep("carol password", carol.password);
  data(
    await gw.gql(SIGN_UP, {
      input: {
        ...app,
        username: carol.username,
        password: carol.password,
        attributes: [{ name: "email", value: `${carol.username}@example.com` }],
      },
    }),
    "signUp",
  );
  const carolRecord = await gw.pool.store.getUserByUsername(carol.username);
  keep("confirmation code hash", carolRecord?.confirmationCodeHash);
  let code: string;
  if (environment === "development") {
    // The development sender logs the code on purpose (there is nowhere else to send it).
    const line = gw.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l["username"] === carol.username && typeof l["text"] === "string");
    code = /\d{6}/.exec(String(line?.["text"]))?.[0] ?? "";
  } else {
    // Production: the code went out by SMTP (with AUTH).
    const mail = gw.smtp!.lastTo(`${carol.username}@example.com`);
    expect(mail?.user).toBe("poolgate");
    code = mail ? gw.smtp!.codeIn(mail) : "";
  }
  expect(code).toMatch(/^\d{6}$/);
  const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  expect(
    (
      await gw.gql(CONFIRM_SIGN_UP, {
        input: { ...app, username: carol.username, code: wrongCode },
      })
    ).body.errors?.[0]?.extensions?.code,
  ).toBe("CODE_MISMATCH");
  expect(
    data(
      await gw.gql(CONFIRM_SIGN_UP, { input: { ...app, username: carol.username, code } }),
      "confirmSignUp",
    ),
  ).toBe(true);
  keepTokens("carol sign-in", data<Tokens>(await signIn(carol), "signIn"));

  // Change password: wrong previous password, then the right one.
  await keepHash("alice before the change", alice.username);
  const aliceNew = `Al1ce-new-${rand()}!`;
  keep("alice new password", aliceNew);
  expect(
    (
      await gw.gql(
        CHANGE_PASSWORD,
        { input: { previousPassword: wrong, proposedPassword: aliceNew } },
        refreshed.accessToken,
      )
    ).body.errors?.[0]?.extensions?.code,
  ).toBe("NOT_AUTHORIZED");
  expect(
    data(
      await gw.gql(
        CHANGE_PASSWORD,
        { input: { previousPassword: alice.password, proposedPassword: aliceNew } },
        refreshed.accessToken,
      ),
      "changePassword",
    ),
  ).toBe(true);

  // Revoke and global sign-out.
  expect(
    data(await gw.gql(REVOKE, { input: { ...app, token: refreshed.refreshToken } }), "revoke"),
  ).toBe(true);
  expect(
    data(await gw.gql(`mutation { globalSignOut }`, {}, adminTokens.accessToken), "globalSignOut"),
  ).toBe(true);
  expect(
    (await gw.gql(REFRESH, { input: { ...app, refreshToken: refreshed.refreshToken } })).body
      .errors?.[0]?.extensions?.code,
  ).toBe("REFRESH_TOKEN_REVOKED");

  // What the store holds: every password hash (before and after the changes), session hashes, sealed keys.
  for (const user of [admin, alice, bob, carol]) await keepHash(user.username, user.username);
  const aliceSession = await gw.pool.store.getSession(
    String(claimsOf(aliceTokens.accessToken)["origin_jti"]),
  );
  keep("alice session refresh-token hash", aliceSession?.refreshTokenHash);
  keep("alice session previous refresh-token hash", aliceSession?.previousRefreshTokenHash);
  for (const key of await gw.pool.store.listKeys()) {
    keep(`sealed private key ${key.kid}`, key.privateJwkEncrypted);
    const { plaintext } = await compactDecrypt(
      key.privateJwkEncrypted,
      gw.pool.deps.secrets.keyEncryptionKey,
    );
    const jwk = JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
    for (const param of ["d", "p", "q", "dp", "dq", "qi"] as const)
      keep(`private key ${key.kid} ${param}`, jwk[param]);
  }
  for (const [name, value] of Object.entries(gw.pool.deps.secrets)) {
    keep(`derived ${name} (base64)`, Buffer.from(value as Uint8Array).toString("base64"));
    keep(`derived ${name} (hex)`, Buffer.from(value as Uint8Array).toString("hex"));
  }
  return { secrets, code };
}

/**
 * The sign-in conversation and recovery (issue 14): TOTP set-up and sign-in, email codes, an
 * invitation and its temporary password, forgot password, attribute verification. Returns the
 * secrets that must never be logged, and apart those that travel by mail (codes, the
 * temporary password): the development sender logs those on purpose, production never.
 */
async function walkConversation(gw: LoggedGateway, environment: "development" | "production") {
  const secrets = new Map<string, string>();
  const mailed = new Map<string, string>();
  const keep = (name: string, value: string | null | undefined) => {
    if (typeof value === "string" && value.length > 0) secrets.set(name, value);
  };
  const rand = () => randomBytes(3).toString("hex");
  const { client } = await gw.pool.clients.create(
    { name: "conversation", allowedScopes: ["openid", "email"] },
    Date.now(),
  );
  const app = { clientId: client.clientId };
  /** The text of the last message to `address`: from the mail server, or the development log. */
  const seen = new Set<object>();
  const messageTo = async (address: string, username: string): Promise<string> => {
    if (environment === "production") {
      const mail = await gw.smtp!.waitFor((m) => m.to.includes(address) && !seen.has(m));
      seen.add(mail);
      return mail.text;
    }
    await gw.pool.afterAnswer.drain();
    const line = gw.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => typeof l["text"] === "string" && l["username"] === username)
      .at(-1);
    return String(line?.["text"] ?? "");
  };
  const codeIn = (text: string) => /(?<!\d)\d{6}(?!\d)/.exec(text)?.[0] ?? "";
  const step = (res: GqlResult, field: string) =>
    data<{
      authenticationResult: Tokens | null;
      session: string | null;
      challengeName: string | null;
    }>(res, field);

  // An invitation: the temporary password travels by mail, then NEW_PASSWORD_REQUIRED.
  const dave = { username: `dave-${rand()}`, email: `dave-${rand()}@example.com` };
  await gw.pool.users.adminCreate({
    username: dave.username,
    attributes: { email: dave.email, email_verified: "true" },
  });
  const temporary =
    /temporary password is (\S+)\.\s*$/.exec(
      (await messageTo(dave.email, dave.username)).trim(),
    )?.[1] ?? "";
  expect(temporary.length).toBeGreaterThanOrEqual(16);
  mailed.set("temporary password", temporary);
  const first = step(
    await gw.gql(INITIATE_AUTH, {
      input: {
        ...app,
        authFlow: "USER_PASSWORD_AUTH",
        username: dave.username,
        password: temporary,
      },
    }),
    "initiateAuth",
  );
  keep("NEW_PASSWORD_REQUIRED session", first.session);
  const davePassword = `D4ve-${rand()}!`;
  keep("dave new password", davePassword);
  const signedIn = step(
    await gw.gql(RESPOND, {
      input: {
        ...app,
        challengeName: "NEW_PASSWORD_REQUIRED",
        session: first.session,
        responses: [{ name: "NEW_PASSWORD", value: davePassword }],
      },
    }),
    "respondToAuthChallenge",
  );
  const daveTokens = signedIn.authenticationResult!;
  keep("dave access token", daveTokens.accessToken);
  keep("dave refresh token", daveTokens.refreshToken);

  // TOTP: the secret, its URI and its QR code are handed out once; codes are used once.
  const associated = data<{ secretCode: string; otpauthUri: string }>(
    await gw.gql(
      `mutation { associateSoftwareToken { secretCode otpauthUri } }`,
      {},
      daveTokens.accessToken,
    ),
    "associateSoftwareToken",
  );
  keep("TOTP secret", associated.secretCode);
  keep("otpauth URI", associated.otpauthUri);
  keep("otpauth URI (escaped)", encodeURIComponent(associated.otpauthUri));
  const setupCode = totpCode(associated.secretCode, Date.now());
  keep("TOTP set-up code", setupCode);
  data(
    await gw.gql(
      `mutation V($c: String!) { verifySoftwareToken(input: { userCode: $c }) { status } }`,
      { c: setupCode },
      daveTokens.accessToken,
    ),
    "verifySoftwareToken",
  );
  keep(
    "sealed TOTP secret",
    (await gw.pool.store.getMfa((await gw.pool.store.getUserByUsername(dave.username))!.sub))
      ?.totpSecretSealed,
  );
  // A wrong code, then (next step) the right one.
  const mfaStep = step(
    await gw.gql(INITIATE_AUTH, {
      input: {
        ...app,
        authFlow: "USER_PASSWORD_AUTH",
        username: dave.username,
        password: davePassword,
      },
    }),
    "initiateAuth",
  );
  expect(mfaStep.challengeName).toBe("SOFTWARE_TOKEN_MFA");
  keep("SOFTWARE_TOKEN_MFA session", mfaStep.session);
  const nextStepCode = totpCode(associated.secretCode, Date.now() + 30_000);
  keep("TOTP sign-in code", nextStepCode);
  const wrongTotp = String((Number(nextStepCode) + 1) % 1_000_000).padStart(6, "0");
  keep("wrong TOTP code", wrongTotp);
  const answers: unknown[] = [];
  for (const c of [wrongTotp, nextStepCode]) {
    const res = await gw.gql(RESPOND, {
      input: {
        ...app,
        challengeName: "SOFTWARE_TOKEN_MFA",
        session: mfaStep.session,
        responses: [{ name: "SOFTWARE_TOKEN_MFA_CODE", value: c }],
      },
    });
    answers.push(
      res.body.data?.["respondToAuthChallenge"]?.authenticationResult
        ? "TOKENS"
        : res.body.errors?.[0]?.extensions?.code,
    );
  }
  expect(answers).toEqual(["CODE_MISMATCH", "TOKENS"]);

  // Email MFA: the code travels by mail.
  const erin = {
    username: `erin-${rand()}`,
    password: `Er1n-${rand()}!`,
    email: `erin-${rand()}@example.com`,
  };
  keep("erin password", erin.password);
  await gw.pool.users.adminCreate({
    username: erin.username,
    password: erin.password,
    attributes: { email: erin.email, email_verified: "true" },
  });
  await gw.pool.mfa.setPreferences((await gw.pool.store.getUserByUsername(erin.username))!, {
    email: { enabled: true },
  });
  const emailStep = step(
    await gw.gql(INITIATE_AUTH, {
      input: {
        ...app,
        authFlow: "USER_PASSWORD_AUTH",
        username: erin.username,
        password: erin.password,
      },
    }),
    "initiateAuth",
  );
  expect(emailStep.challengeName).toBe("EMAIL_OTP");
  keep("EMAIL_OTP session", emailStep.session);
  const emailCode = codeIn(await messageTo(erin.email, erin.username));
  mailed.set("email sign-in code", emailCode);
  const erinTokens = step(
    await gw.gql(RESPOND, {
      input: {
        ...app,
        challengeName: "EMAIL_OTP",
        session: emailStep.session,
        responses: [{ name: "EMAIL_OTP_CODE", value: emailCode }],
      },
    }),
    "respondToAuthChallenge",
  ).authenticationResult!;
  keep("erin access token", erinTokens.accessToken);

  // Forgot password: the code travels by mail; a wrong one first.
  data(await gw.gql(FORGOT, { input: { ...app, username: erin.username } }), "forgotPassword");
  const forgotCode = codeIn(await messageTo(erin.email, erin.username));
  mailed.set("forgot-password code", forgotCode);
  const erinNew = `Er1n-new-${rand()}!`;
  keep("erin reset password", erinNew);
  const confirmed: unknown[] = [];
  for (const c of [String((Number(forgotCode) + 1) % 1_000_000).padStart(6, "0"), forgotCode]) {
    const res = await gw.gql(CONFIRM_FORGOT, {
      input: { ...app, username: erin.username, code: c, password: erinNew },
    });
    confirmed.push(
      res.body.data?.["confirmForgotPassword"] ?? res.body.errors?.[0]?.extensions?.code,
    );
  }
  expect(confirmed).toEqual(["CODE_MISMATCH", true]);

  // An email change and its verification code.
  const newEmail = `frank-${rand()}@example.com`;
  data(
    await gw.gql(
      `mutation U($e: String!) { updateUserAttributes(attributes: [{ name: "email", value: $e }]) { destination } }`,
      { e: newEmail },
      daveTokens.accessToken,
    ),
    "updateUserAttributes",
  );
  const verifyCode = codeIn(await messageTo(newEmail, dave.username));
  mailed.set("attribute verification code", verifyCode);
  data(
    await gw.gql(
      `mutation V($c: String!) { verifyUserAttribute(attributeName: "email", code: $c) }`,
      { c: verifyCode },
      daveTokens.accessToken,
    ),
    "verifyUserAttribute",
  );
  for (const [name, value] of mailed)
    expect({ name, value }).toEqual({ name, value: expect.stringMatching(/.{6,}/) });
  return { secrets, mailed };
}

function expectNoSecretIn(lines: readonly string[], secrets: ReadonlyMap<string, string>): void {
  const log = lines.join("");
  const found = [...secrets].filter(([, value]) => log.includes(value)).map(([name]) => name);
  expect(found).toEqual([]);
  // Not even a recognisable fragment of a JWS/JWE (their headers start with `eyJ`).
  expect(log.match(/eyJ[A-Za-z0-9_-]{20,}/g) ?? []).toEqual([]);
  // Nor an argon2 PHC string.
  expect(log).not.toContain("$argon2");
}

describe.each(["development", "production"] as const)(
  "logs in %s at level trace",
  (environment) => {
    let gw: LoggedGateway;
    let walk: Awaited<ReturnType<typeof walkThrough>>;
    let conversation: Awaited<ReturnType<typeof walkConversation>>;

    beforeAll(async () => {
      gw = await startLoggedGateway(
        {
          POOLGATE_ENV: environment,
          POOLGATE_SELF_SIGN_UP: "true",
          POOLGATE_MFA: "OPTIONAL",
          POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP",
        },
        // Production refuses to start self sign-up without SMTP.
        environment === "production" ? {} : undefined,
      );
      walk = await walkThrough(gw, environment);
      conversation = await walkConversation(gw, environment);
    });
    afterAll(() => gw.close());

    it("the walk through the API was logged (the check below is not vacuous)", () => {
      const events = gw.lines.map((l) => (JSON.parse(l) as { event?: string }).event);
      expect(events).toEqual(
        expect.arrayContaining(["sign_in", "refresh", "global_sign_out", "admin"]),
      );
      expect(
        gw.lines.some((l) => (JSON.parse(l) as { reason?: string }).reason !== undefined),
      ).toBe(true);
      expect(walk.secrets.size).toBeGreaterThan(30);
    });

    it("no log line holds a password, client secret, token, password or refresh-token hash, private key or master key", () => {
      expectNoSecretIn(gw.lines, walk.secrets);
    });

    it("no log line holds a TOTP secret, otpauth URI, TOTP code, challenge session or a password set in a conversation", () => {
      expect(conversation.secrets.size).toBeGreaterThan(12);
      expectNoSecretIn(gw.lines, conversation.secrets);
    });

    it(
      environment === "development"
        ? "codes and temporary passwords sent by mail appear only in the development sender's lines"
        : "production never logs a code or temporary password sent by mail",
      () => {
        for (const [name, value] of conversation.mailed) {
          const holding = gw.lines.filter((l) => l.includes(value));
          if (environment === "production")
            expect({ name, holding }).toEqual({ name, holding: [] });
          else
            for (const line of holding)
              expect({ name, line: JSON.parse(line) }).toMatchObject({
                name,
                line: { level: 40, text: expect.stringContaining(value) },
              });
        }
      },
    );

    if (environment === "development") {
      it("the development sender logs the sign-up confirmation code as a warning, and only that line holds it", () => {
        const holding = gw.lines.filter((l) => l.includes(walk.code));
        expect(holding).toHaveLength(1);
        expect(JSON.parse(holding[0]!)).toMatchObject({
          level: 40,
          kind: "verification",
          text: expect.stringContaining(walk.code),
        });
      });
    } else {
      it("production never logs the sign-up confirmation code, the message text or the SMTP password", () => {
        const log = gw.lines.join("");
        expect(log).not.toContain(walk.code);
        expect(log).not.toContain(gw.smtpPassword);
        expect(gw.lines.some((l) => "text" in (JSON.parse(l) as object))).toBe(false);
      });
    }
  },
);

describe("keys and tokens at rest: a copy of the database alone", () => {
  let gw: TestGateway;
  let copyDir: string;
  let copyFile: string;
  const seen: { name: string; value: string }[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    const client = await createClient(gw, { rotateRefreshTokens: true, generateSecret: true });
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    const refreshed = (
      await gw.gql(REFRESH, {
        input: {
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          refreshToken: tokens.refreshToken,
        },
      })
    ).body.data?.["refresh"] as Tokens;
    await gw.pool.keys.rotate(gw.pool.deps.now());
    const after = await signInAs(gw, client, user);
    for (const [prefix, t] of [
      ["sign-in", tokens],
      ["refresh", refreshed],
      ["after rotation", after],
    ] as const) {
      seen.push(
        { name: `${prefix} access token`, value: t.accessToken },
        { name: `${prefix} ID token`, value: t.idToken },
      );
      if (t.refreshToken) seen.push({ name: `${prefix} refresh token`, value: t.refreshToken });
    }
    seen.push(
      { name: "client secret", value: client.clientSecret! },
      { name: "password", value: user.password },
    );
    seen.push({ name: "master key", value: gw.env["POOLGATE_MASTER_KEY"]! });
    const accessKey = await gw.pool.accessKeys.create("at rest");
    seen.push({ name: "access key secret", value: accessKey.secretAccessKey });
    // Stopping closes the store: the WAL is checkpointed into the main file.
    await gw.stop();
    const file = gw.config.databaseUrl.slice("sqlite:".length);
    copyDir = mkdtempSync(join(tmpdir(), "poolgate-stolen-"));
    copyFile = join(copyDir, "stolen.db");
    copyFileSync(file, copyFile);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copyFile}-wal`);
  });
  afterAll(async () => {
    await gw.close();
    rmSync(copyDir, { recursive: true, force: true });
  });

  function allTextCells(db: Database.Database): { table: string; column: string; value: string }[] {
    const out: { table: string; column: string; value: string }[] = [];
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as {
      name: string;
    }[];
    for (const { name: table } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          out.push({
            table,
            column,
            value: Buffer.isBuffer(value) ? value.toString("latin1") : String(value),
          });
        }
      }
    }
    return out;
  }

  it("holds no private JWK parameter in clear: each private key is a compact JWE (dir + A256GCM)", () => {
    const db = new Database(copyFile, { readonly: true });
    try {
      const rows = db.prepare(`SELECT * FROM signing_keys`).all() as Record<string, unknown>[];
      expect(rows.length).toBe(2);
      for (const row of rows) {
        for (const value of Object.values(row))
          expect(String(value)).not.toMatch(/"(d|p|q|dp|dq|qi)"\s*:/);
        const sealed = String(row["private_jwk_encrypted"]);
        expect(sealed.split(".")).toHaveLength(5);
        expect(decodeProtectedHeader(sealed)).toMatchObject({ alg: "dir", enc: "A256GCM" });
      }
      // And nowhere else in the database either.
      for (const cell of allTextCells(db))
        expect({ ...cell, privateParameter: /"d"\s*:/.test(cell.value) }).toMatchObject({
          privateParameter: false,
        });
    } finally {
      db.close();
    }
  });

  it("stops key theft from a database copy: the sealed key does not open with another master key", async () => {
    const db = new Database(copyFile, { readonly: true });
    const sealed = (
      db.prepare(`SELECT private_jwk_encrypted FROM signing_keys`).all() as {
        private_jwk_encrypted: string;
      }[]
    ).map((r) => r.private_jwk_encrypted);
    db.close();
    const other = deriveSecrets(randomBytes(32));
    for (const jwe of sealed) {
      await expect(compactDecrypt(jwe, other.keyEncryptionKey)).rejects.toThrow();
      await expect(compactDecrypt(jwe, other.refreshTokenKey)).rejects.toThrow();
    }
    // Control: with the right master key the same rows do open and hold an RSA private key.
    const right = deriveSecrets(Buffer.from(gw.env["POOLGATE_MASTER_KEY"]!, "base64"));
    const { plaintext } = await compactDecrypt(sealed[0]!, right.keyEncryptionKey);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toHaveProperty("d");
  });

  it("stops a gateway from starting on the copy with another master key (UserPool.open and createGateway reject)", async () => {
    const env = {
      ...gw.env,
      POOLGATE_DATABASE_URL: `sqlite:${copyFile}`,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    };
    const config = loadConfig(env);
    const logger = createLogger({ logLevel: "silent" });
    const store = await openStore(config.databaseUrl);
    try {
      await expect(
        UserPool.open({
          store,
          config,
          masterKey: config.masterKey!,
          logger,
          sender: createSender(config, logger),
          backgroundSync: false,
        }),
      ).rejects.toThrow();
      await expect(createGateway({ config, logger, store })).rejects.toThrow();
    } finally {
      await store.close();
    }
    // Control: the right master key starts on the same copy.
    const rightConfig = loadConfig({ ...env, POOLGATE_MASTER_KEY: gw.env["POOLGATE_MASTER_KEY"]! });
    const rightStore = await openStore(rightConfig.databaseUrl);
    try {
      const pool = await UserPool.open({
        store: rightStore,
        config: rightConfig,
        masterKey: rightConfig.masterKey!,
        logger,
        sender: createSender(rightConfig, logger),
        backgroundSync: false,
      });
      expect(pool.keys.ring().kids(Date.now())).toHaveLength(2);
      await pool.close();
    } finally {
      await rightStore.close();
    }
  });

  it("holds no token, client secret, access key secret, password or master key in any column of any table, nor anywhere in the file", () => {
    const db = new Database(copyFile, { readonly: true });
    let cells: ReturnType<typeof allTextCells>;
    try {
      cells = allTextCells(db);
    } finally {
      db.close();
    }
    expect(cells.some((c) => c.table === "sessions")).toBe(true);
    const found = seen
      .filter(({ value }) => cells.some((c) => c.value.includes(value)))
      .map(({ name }) => name);
    expect(found).toEqual([]);
    const bytes =
      readFileSync(copyFile).toString("latin1") +
      (existsSync(`${copyFile}-wal`) ? readFileSync(`${copyFile}-wal`).toString("latin1") : "");
    expect(seen.filter(({ value }) => bytes.includes(value)).map(({ name }) => name)).toEqual([]);
  });
});

describe.each<[string, Omit<TestSmtpOptions, "auth">]>([
  ["refuses the recipient", { rejectRcpt: { code: 550 } }],
  ["refuses the message", { rejectData: { code: 554 } }],
])("production, when the mail server %s", (_what, refusal) => {
  let gw: LoggedGateway;
  let app: { clientId: string };
  beforeAll(async () => {
    gw = await startLoggedGateway(
      { POOLGATE_ENV: "production", POOLGATE_SELF_SIGN_UP: "true" },
      refusal,
    );
    app = { clientId: (await gw.pool.clients.create({ name: "web" }, Date.now())).client.clientId };
  });
  afterAll(() => gw.close());

  it("sign-up answers CODE_DELIVERY_FAILURE and no log line holds the code, the message, the SMTP password or the address", async () => {
    const username = `dave-${randomBytes(3).toString("hex")}`;
    const email = `${username}@example.com`;
    const res = await gw.gql(SIGN_UP, {
      input: {
        ...app,
        username,
        password: `Dav3-${randomBytes(3).toString("hex")}!`,
        attributes: [{ name: "email", value: email }],
      },
    });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("CODE_DELIVERY_FAILURE");
    const log = gw.lines.join("");
    // The failure was logged, in SMTP terms and with the masked address.
    const code = String(refusal.rejectData?.code ?? refusal.rejectRcpt?.code);
    const failure = gw.lines.find((l) => l.includes("CODE_DELIVERY_FAILURE"));
    expect(failure).toContain(code);
    expect(failure).toContain("d***@e***.com");
    expect(log).not.toContain(email);
    expect(log).not.toContain(gw.smtpPassword);
    expect(log).not.toContain(gw.smtp!.url);
    // When the server saw the message before refusing it, its code is known: never logged.
    for (const mail of gw.smtp!.refused) {
      expect(log).not.toContain(gw.smtp!.codeIn(mail));
      expect(log).not.toContain(mail.text);
    }
    expect(gw.smtp!.refused.length).toBe(refusal.rejectData ? 1 : 0);
  });
});
