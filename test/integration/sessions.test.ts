/**
 * Sessions, refresh, rotation, revocation and the admin switches (DESIGN §3, §4, §5, §7),
 * over real HTTP against a real SQLite file.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { sealRefreshToken } from "../../src/tokens/refresh";
import {
  claimsOf,
  codeOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  headerOf,
  ME,
  PASSWORD,
  REFRESH,
  REVOKE,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestClock,
  type TestGateway,
  type Tokens,
} from "../harness";

const ROOT = join(__dirname, "..", "..");

const GLOBAL_SIGN_OUT = `mutation { globalSignOut }`;
const CHANGE_PASSWORD = `mutation ChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) }`;
const ADMIN_CREATE_USER = `mutation AdminCreateUser($input: AdminCreateUserInput!) {
  adminCreateUser(input: $input) { sub username email groups enabled confirmed }
}`;
const ADMIN_DISABLE_USER = `mutation AdminDisableUser($username: String!) { adminDisableUser(username: $username) }`;
const ADMIN_ENABLE_USER = `mutation AdminEnableUser($username: String!) { adminEnableUser(username: $username) }`;
const ADMIN_DELETE_USER = `mutation AdminDeleteUser($username: String!) { adminDeleteUser(username: $username) }`;
const ADMIN_ADD_USER_TO_GROUP = `mutation AdminAddUserToGroup($username: String!, $group: String!) {
  adminAddUserToGroup(username: $username, group: $group)
}`;
const ADMIN_USER_GLOBAL_SIGN_OUT = `mutation AdminUserGlobalSignOut($username: String!) {
  adminUserGlobalSignOut(username: $username)
}`;

type Client = { clientId: string; clientSecret: string | undefined };

function refresh(gw: TestGateway, client: Client, refreshToken: string): Promise<GqlResult> {
  return gw.gql(REFRESH, { input: { clientId: client.clientId, refreshToken } });
}

function revoke(gw: TestGateway, client: Client, token: string): Promise<GqlResult> {
  return gw.gql(REVOKE, { input: { clientId: client.clientId, token } });
}

function signIn(
  gw: TestGateway,
  client: Client,
  user: { username: string; password: string },
): Promise<GqlResult> {
  return gw.gql(SIGN_IN, {
    input: { clientId: client.clientId, username: user.username, password: user.password },
  });
}

function refreshed(res: GqlResult): Tokens & { refreshToken: string | null } {
  const result = res.body.data?.["refresh"];
  if (!result) throw new Error(`refresh failed: ${JSON.stringify(res.body.errors)}`);
  return result;
}

/** The access token serves `me` as the given user. */
async function expectServed(gw: TestGateway, accessToken: string, sub: string): Promise<void> {
  const res = await gw.gql(ME, {}, accessToken);
  expect({ status: res.status, code: codeOf(res), sub: res.body.data?.["me"]?.sub }).toEqual({
    status: 200,
    code: undefined,
    sub,
  });
}

/** The access token is refused: HTTP 401 with UNAUTHENTICATED. */
async function expectRejected(gw: TestGateway, accessToken: string): Promise<void> {
  const res = await gw.gql(ME, {}, accessToken);
  expect(res.status).toBe(401);
  expectCode(res, "UNAUTHENTICATED");
}

/** The mutation field was denied: null (propagated to data), one error with the field's path and the code. */
function expectDenied(res: GqlResult, field: string, code: string): void {
  expect(res.body.data?.[field] ?? null).toBeNull();
  expectCode(res, code);
  expect(res.body.errors?.[0]?.path).toEqual([field]);
}

/** Flips one character in the middle of a compact token's segment. */
function tamper(token: string, segment: number): string {
  const parts = token.split(".");
  const part = parts[segment] ?? "";
  const i = Math.floor(part.length / 2);
  parts[segment] = part.slice(0, i) + (part[i] === "A" ? "B" : "A") + part.slice(i + 1);
  return parts.join(".");
}

describe("sessions on a running gateway", () => {
  let gw: TestGateway;
  let clock: TestClock;
  let client: Client;

  beforeAll(async () => {
    clock = frozenClock();
    gw = await startGateway({ clock });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  describe("refresh", () => {
    it("keeps the session's origin_jti and the original auth_time while iat moves on", async () => {
      const user = await createUser(gw);
      const first = await signInAs(gw, client, user);
      clock.advance(5_000);
      const next = refreshed(await refresh(gw, client, first.refreshToken));

      const [oldAccess, newAccess] = [claimsOf(first.accessToken), claimsOf(next.accessToken)];
      const [oldId, newId] = [claimsOf(first.idToken), claimsOf(next.idToken)];
      expect(newAccess["origin_jti"]).toBe(oldAccess["origin_jti"]);
      expect(newId["origin_jti"]).toBe(oldAccess["origin_jti"]);
      expect(oldId["origin_jti"]).toBe(oldAccess["origin_jti"]);
      expect(newAccess["auth_time"]).toBe(oldAccess["auth_time"]);
      expect(newId["auth_time"]).toBe(oldId["auth_time"]);
      expect(newAccess["iat"]).toBe(oldAccess["iat"] + 5);
      expect(newAccess["jti"]).not.toBe(oldAccess["jti"]);
      expect(newAccess).toMatchObject({
        sub: user.sub,
        client_id: client.clientId,
        token_use: "access",
        scope: oldAccess["scope"],
      });
      expect(newId).toMatchObject({ sub: user.sub, aud: client.clientId, token_use: "id" });
    });

    it("returns no refresh token on a client without rotation, and the refresh token keeps working", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      const first = refreshed(await refresh(gw, client, tokens.refreshToken));
      expect(first).toMatchObject({ refreshToken: null, tokenType: "Bearer", expiresIn: 3600 });
      const second = refreshed(await refresh(gw, client, tokens.refreshToken));
      expect(second.refreshToken).toBeNull();
    });

    it("serves me with a refreshed access token, with the original sign-in's authTime", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      clock.advance(2_000);
      const next = refreshed(await refresh(gw, client, tokens.refreshToken));
      const me = await gw.gql(ME, {}, next.accessToken);
      expect(me.status).toBe(200);
      expect(me.body.data?.["me"]).toMatchObject({
        sub: user.sub,
        username: user.username,
        authTime: claimsOf(tokens.accessToken)["auth_time"],
      });
    });
  });

  describe("refresh-token rotation", () => {
    let rotating: Client;
    beforeAll(async () => {
      rotating = await createClient(gw, {
        rotateRefreshTokens: true,
        refreshTokenReuseGraceSeconds: 60,
      });
    });

    it("returns a new refresh token on each refresh, and the new one refreshes in turn", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, rotating, user);
      const first = refreshed(await refresh(gw, rotating, tokens.refreshToken));
      expect(typeof first.refreshToken).toBe("string");
      expect(first.refreshToken).not.toBe(tokens.refreshToken);
      const second = refreshed(await refresh(gw, rotating, first.refreshToken!));
      expect(typeof second.refreshToken).toBe("string");
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(claimsOf(second.accessToken)["origin_jti"]).toBe(
        claimsOf(tokens.accessToken)["origin_jti"],
      );
      await expectServed(gw, second.accessToken, user.sub);
    });

    it("still refreshes with the replaced refresh token within the grace period, without a new refresh token", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, rotating, user);
      const rotated = refreshed(await refresh(gw, rotating, tokens.refreshToken));
      clock.advance(30_000);
      const retried = refreshed(await refresh(gw, rotating, tokens.refreshToken));
      expect(retried.refreshToken).toBeNull();
      await expectServed(gw, retried.accessToken, user.sub);
      // The retry did not disturb the current token.
      const next = refreshed(await refresh(gw, rotating, rotated.refreshToken!));
      expect(typeof next.refreshToken).toBe("string");
    });

    it("revokes the whole session when a replaced refresh token is presented after the grace period", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, rotating, user);
      const rotated = refreshed(await refresh(gw, rotating, tokens.refreshToken));
      await expectServed(gw, rotated.accessToken, user.sub);
      clock.advance(61_000);

      expectCode(await refresh(gw, rotating, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
      expectCode(await refresh(gw, rotating, rotated.refreshToken!), "REFRESH_TOKEN_REVOKED");
      await expectRejected(gw, tokens.accessToken);
      await expectRejected(gw, rotated.accessToken);
    });
  });

  describe("revoke", () => {
    it("rejects the revoked session's access token on the next request while another session of the user still works", async () => {
      const user = await createUser(gw);
      const revoked = await signInAs(gw, client, user);
      const other = await signInAs(gw, client, user);
      await expectServed(gw, revoked.accessToken, user.sub);

      const res = await revoke(gw, client, revoked.refreshToken);
      expect(res.body.data?.["revoke"]).toBe(true);

      await expectRejected(gw, revoked.accessToken);
      await expectServed(gw, other.accessToken, user.sub);
      expect(refreshed(await refresh(gw, client, other.refreshToken)).accessToken).toEqual(
        expect.any(String),
      );
    });

    it("refuses a refresh after revoke with REFRESH_TOKEN_REVOKED", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      expect((await revoke(gw, client, tokens.refreshToken)).body.data?.["revoke"]).toBe(true);
      expectCode(await refresh(gw, client, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
    });

    it("returns true for an already revoked, an unknown or a garbage token (RFC 7009)", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      await revoke(gw, client, tokens.refreshToken);
      const nowSeconds = Math.floor(clock.now() / 1000);
      const unknownSession = await sealRefreshToken(gw.pool.deps.secrets.refreshTokenKey, {
        sessionId: randomUUID(),
        clientId: client.clientId,
        nowSeconds,
        expiresAtSeconds: nowSeconds + 3600,
      });
      const otherPool = await sealRefreshToken(new Uint8Array(randomBytes(32)), {
        sessionId: randomUUID(),
        clientId: client.clientId,
        nowSeconds,
        expiresAtSeconds: nowSeconds + 3600,
      });
      for (const token of [
        tokens.refreshToken,
        unknownSession,
        otherPool,
        "garbage",
        "a.b.c.d.e",
        tokens.accessToken,
      ]) {
        const res = await revoke(gw, client, token);
        expect({ revoke: res.body.data?.["revoke"], code: codeOf(res) }).toEqual({
          revoke: true,
          code: undefined,
        });
      }
    });

    it("refuses to revoke another client's refresh token with NOT_AUTHORIZED and leaves the session alive", async () => {
      const other = await createClient(gw);
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      const res = await revoke(gw, other, tokens.refreshToken);
      expectDenied(res, "revoke", "NOT_AUTHORIZED");
      await expectServed(gw, tokens.accessToken, user.sub);
      expect(refreshed(await refresh(gw, client, tokens.refreshToken)).accessToken).toEqual(
        expect.any(String),
      );
    });

    it("refuses a refresh token of one client presented with another client's id as INVALID_REFRESH_TOKEN", async () => {
      const other = await createClient(gw);
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      expectCode(await refresh(gw, other, tokens.refreshToken), "INVALID_REFRESH_TOKEN");
    });

    it("refuses a refresh token past its lifetime with REFRESH_TOKEN_EXPIRED", async () => {
      const shortLived = await createClient(gw, { refreshTokenValiditySeconds: 3600 });
      const user = await createUser(gw);
      const tokens = await signInAs(gw, shortLived, user);
      clock.advance(3_599_000);
      expect(refreshed(await refresh(gw, shortLived, tokens.refreshToken)).accessToken).toEqual(
        expect.any(String),
      );
      clock.advance(2_000);
      expectCode(await refresh(gw, shortLived, tokens.refreshToken), "REFRESH_TOKEN_EXPIRED");
    });

    it("refuses a tampered, foreign or garbage refresh token with INVALID_REFRESH_TOKEN", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      const nowSeconds = Math.floor(clock.now() / 1000);
      const foreign = await sealRefreshToken(new Uint8Array(randomBytes(32)), {
        sessionId: claimsOf(tokens.accessToken)["origin_jti"],
        clientId: client.clientId,
        nowSeconds,
        expiresAtSeconds: nowSeconds + 3600,
      });
      for (const token of [
        tamper(tokens.refreshToken, 3),
        tamper(tokens.refreshToken, 4),
        foreign,
        "garbage",
        "a.b.c.d.e",
        "",
      ]) {
        expectCode(await refresh(gw, client, token), "INVALID_REFRESH_TOKEN");
      }
      // The genuine token is unaffected.
      expect(refreshed(await refresh(gw, client, tokens.refreshToken)).accessToken).toEqual(
        expect.any(String),
      );
    });

    it("refuses an access or ID token presented as a refresh token with INVALID_REFRESH_TOKEN", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      expectCode(await refresh(gw, client, tokens.accessToken), "INVALID_REFRESH_TOKEN");
      expectCode(await refresh(gw, client, tokens.idToken), "INVALID_REFRESH_TOKEN");
    });
  });

  describe("globalSignOut", () => {
    it("rejects every session of the caller, leaves other users alone, and a sign-in in the same second starts a valid session", async () => {
      const other = await createClient(gw);
      const user = await createUser(gw);
      const bystander = await createUser(gw);
      const first = await signInAs(gw, client, user);
      const second = await signInAs(gw, other, user);
      const theirs = await signInAs(gw, client, bystander);
      await expectServed(gw, second.accessToken, user.sub);

      const res = await gw.gql(GLOBAL_SIGN_OUT, {}, first.accessToken);
      expect(res.body.data?.["globalSignOut"]).toBe(true);

      await expectRejected(gw, first.accessToken);
      await expectRejected(gw, second.accessToken);
      expectCode(await refresh(gw, client, first.refreshToken), "REFRESH_TOKEN_REVOKED");
      expectCode(await refresh(gw, other, second.refreshToken), "REFRESH_TOKEN_REVOKED");
      await expectServed(gw, theirs.accessToken, bystander.sub);
      expect(refreshed(await refresh(gw, client, theirs.refreshToken)).accessToken).toEqual(
        expect.any(String),
      );

      const fresh = await signInAs(gw, client, user);
      expect(claimsOf(fresh.accessToken)["iat"]).toBe(claimsOf(first.accessToken)["iat"]);
      await expectServed(gw, fresh.accessToken, user.sub);
      const next = refreshed(await refresh(gw, client, fresh.refreshToken));
      await expectServed(gw, next.accessToken, user.sub);
    });

    it("is UNAUTHENTICATED without an access token", async () => {
      expectDenied(await gw.gql(GLOBAL_SIGN_OUT), "globalSignOut", "UNAUTHENTICATED");
    });
  });

  describe("admin mutations", () => {
    let adminToken: string;
    let plainToken: string;

    beforeAll(async () => {
      const admin = await createUser(gw, { groups: ["admins"] });
      adminToken = (await signInAs(gw, client, admin)).accessToken;
      const plain = await createUser(gw);
      plainToken = (await signInAs(gw, client, plain)).accessToken;
    });

    it("grants poolgate/admin to a member of the admins group and not to anyone else", () => {
      expect(String(claimsOf(adminToken)["scope"]).split(" ")).toContain("poolgate/admin");
      expect(String(claimsOf(plainToken)["scope"]).split(" ")).not.toContain("poolgate/admin");
    });

    it("lets an admin create a user who can then sign in", async () => {
      const username = `created-${randomBytes(4).toString("hex")}`;
      const res = await gw.gql(
        ADMIN_CREATE_USER,
        {
          input: {
            username,
            password: PASSWORD,
            attributes: [{ name: "email", value: `${username}@example.com` }],
            groups: ["staff"],
          },
        },
        adminToken,
      );
      expect(codeOf(res)).toBeUndefined();
      expect(res.body.data?.["adminCreateUser"]).toMatchObject({
        username,
        email: `${username}@example.com`,
        groups: ["staff"],
        enabled: true,
        confirmed: true,
      });
      const tokens = await signInAs(gw, client, { username, password: PASSWORD });
      expect(claimsOf(tokens.accessToken)["cognito:groups"]).toEqual(["staff"]);
    });

    it("lets an admin add a user to a group, seen in the user's next tokens", async () => {
      const user = await createUser(gw);
      const res = await gw.gql(
        ADMIN_ADD_USER_TO_GROUP,
        { username: user.username, group: "editors" },
        adminToken,
      );
      expect(res.body.data?.["adminAddUserToGroup"]).toBe(true);
      const tokens = await signInAs(gw, client, user);
      expect(claimsOf(tokens.accessToken)["cognito:groups"]).toEqual(["editors"]);
      const me = await gw.gql(ME, {}, tokens.accessToken);
      expect(me.body.data?.["me"]?.groups).toEqual(["editors"]);
    });

    it("lets an admin sign a user out everywhere: their tokens and refreshes are rejected at once", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      await expectServed(gw, tokens.accessToken, user.sub);
      const res = await gw.gql(ADMIN_USER_GLOBAL_SIGN_OUT, { username: user.username }, adminToken);
      expect(res.body.data?.["adminUserGlobalSignOut"]).toBe(true);
      await expectRejected(gw, tokens.accessToken);
      expectCode(await refresh(gw, client, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
      await expectServed(gw, (await signInAs(gw, client, user)).accessToken, user.sub);
    });

    it("disabling a user rejects their access tokens at once, their refreshes and their sign-in", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      await expectServed(gw, tokens.accessToken, user.sub);
      const res = await gw.gql(ADMIN_DISABLE_USER, { username: user.username }, adminToken);
      expect(res.body.data?.["adminDisableUser"]).toBe(true);

      await expectRejected(gw, tokens.accessToken);
      expectCode(await refresh(gw, client, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
      expectCode(await signIn(gw, client, user), "NOT_AUTHORIZED");
    });

    it("adminEnableUser lets a disabled user sign in again, while the sessions cut off by disabling stay revoked", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      expect(
        (await gw.gql(ADMIN_DISABLE_USER, { username: user.username }, adminToken)).body.data?.[
          "adminDisableUser"
        ],
      ).toBe(true);
      expectCode(await signIn(gw, client, user), "NOT_AUTHORIZED");
      const res = await gw.gql(ADMIN_ENABLE_USER, { username: user.username }, adminToken);
      expect(res.body.data?.["adminEnableUser"]).toBe(true);

      const fresh = await signInAs(gw, client, user);
      await expectServed(gw, fresh.accessToken, user.sub);
      await expectRejected(gw, tokens.accessToken);
      expectCode(await refresh(gw, client, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
    });

    it("adminDeleteUser rejects the deleted user's tokens, refreshes and sign-in", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      await expectServed(gw, tokens.accessToken, user.sub);
      const res = await gw.gql(ADMIN_DELETE_USER, { username: user.username }, adminToken);
      expect(res.body.data?.["adminDeleteUser"]).toBe(true);

      await expectRejected(gw, tokens.accessToken);
      expectCode(await refresh(gw, client, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
      expectCode(await signIn(gw, client, user), "NOT_AUTHORIZED");
    });

    it("denies admin mutations to a caller without poolgate/admin with FORBIDDEN, and none of them happens", async () => {
      const target = await createUser(gw);
      const targetTokens = await signInAs(gw, client, target);
      const username = `denied-${randomBytes(4).toString("hex")}`;

      expectDenied(
        await gw.gql(ADMIN_CREATE_USER, { input: { username, password: PASSWORD } }, plainToken),
        "adminCreateUser",
        "FORBIDDEN",
      );
      expectDenied(
        await gw.gql(ADMIN_DISABLE_USER, { username: target.username }, plainToken),
        "adminDisableUser",
        "FORBIDDEN",
      );
      expectDenied(
        await gw.gql(ADMIN_USER_GLOBAL_SIGN_OUT, { username: target.username }, plainToken),
        "adminUserGlobalSignOut",
        "FORBIDDEN",
      );
      expectDenied(
        await gw.gql(
          ADMIN_ADD_USER_TO_GROUP,
          { username: target.username, group: "admins" },
          plainToken,
        ),
        "adminAddUserToGroup",
        "FORBIDDEN",
      );
      expectDenied(
        await gw.gql(ADMIN_DELETE_USER, { username: target.username }, plainToken),
        "adminDeleteUser",
        "FORBIDDEN",
      );

      expectCode(await signIn(gw, client, { username, password: PASSWORD }), "NOT_AUTHORIZED");
      await expectServed(gw, targetTokens.accessToken, target.sub);
      expect(refreshed(await refresh(gw, client, targetTokens.refreshToken)).accessToken).toEqual(
        expect.any(String),
      );
      const me = await gw.gql(ME, {}, targetTokens.accessToken);
      expect(me.body.data?.["me"]?.groups).toEqual([]);
    });

    it("refuses an admin mutation to an anonymous caller with UNAUTHENTICATED", async () => {
      const target = await createUser(gw);
      expectDenied(
        await gw.gql(ADMIN_DISABLE_USER, { username: target.username }),
        "adminDisableUser",
        "UNAUTHENTICATED",
      );
      expect(codeOf(await signIn(gw, client, target))).toBeUndefined();
    });
  });

  describe("changePassword", () => {
    const NEW_PASSWORD = "Battery-st4ple!";

    it("needs an access token", async () => {
      const res = await gw.gql(CHANGE_PASSWORD, {
        input: { previousPassword: PASSWORD, proposedPassword: NEW_PASSWORD },
      });
      expectDenied(res, "changePassword", "UNAUTHENTICATED");
    });

    it("refuses a wrong previous password with NOT_AUTHORIZED and keeps the old password", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      const res = await gw.gql(
        CHANGE_PASSWORD,
        { input: { previousPassword: "Wrong-pa55word!", proposedPassword: NEW_PASSWORD } },
        tokens.accessToken,
      );
      expectDenied(res, "changePassword", "NOT_AUTHORIZED");
      expect(codeOf(await signIn(gw, client, user))).toBeUndefined();
      expectCode(
        await signIn(gw, client, { username: user.username, password: NEW_PASSWORD }),
        "NOT_AUTHORIZED",
      );
    });

    it("refuses a proposed password that breaks the policy with INVALID_PASSWORD", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      const res = await gw.gql(
        CHANGE_PASSWORD,
        { input: { previousPassword: user.password, proposedPassword: "short" } },
        tokens.accessToken,
      );
      expectDenied(res, "changePassword", "INVALID_PASSWORD");
      expect(codeOf(await signIn(gw, client, user))).toBeUndefined();
    });

    it("changes the password: sign-in works with the new one and not with the old", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user);
      const res = await gw.gql(
        CHANGE_PASSWORD,
        { input: { previousPassword: user.password, proposedPassword: NEW_PASSWORD } },
        tokens.accessToken,
      );
      expect({ changed: res.body.data?.["changePassword"], code: codeOf(res) }).toEqual({
        changed: true,
        code: undefined,
      });
      const fresh = await signInAs(gw, client, { username: user.username, password: NEW_PASSWORD });
      await expectServed(gw, fresh.accessToken, user.sub);
      expectCode(await signIn(gw, client, user), "NOT_AUTHORIZED");
    });
  });
});

describe("restart", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("keeps live tokens valid and revoked sessions revoked across a restart", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw);
    const live = await signInAs(gw, client, user);
    const revoked = await signInAs(gw, client, user);
    expect((await revoke(gw, client, revoked.refreshToken)).body.data?.["revoke"]).toBe(true);

    await gw.stop();
    gw = await startGateway({ reuse: { dir: gw.dir, env: gw.env } });

    await expectServed(gw, live.accessToken, user.sub);
    const next = refreshed(await refresh(gw, client, live.refreshToken));
    expect(claimsOf(next.accessToken)["origin_jti"]).toBe(claimsOf(live.accessToken)["origin_jti"]);
    await expectServed(gw, next.accessToken, user.sub);

    await expectRejected(gw, revoked.accessToken);
    expectCode(await refresh(gw, client, revoked.refreshToken), "REFRESH_TOKEN_REVOKED");
  });
});

describe("signing-key rotation", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("keeps tokens signed before a rotation valid, signs new tokens with the new kid, and publishes both keys", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw);
    const before = await signInAs(gw, client, user);
    const oldKid = headerOf(before.accessToken)["kid"];

    const newKid = await gw.pool.keys.rotate(Date.now());
    expect(newKid).not.toBe(oldKid);

    await expectServed(gw, before.accessToken, user.sub);
    const after = await signInAs(gw, client, user);
    expect(headerOf(after.accessToken)["kid"]).toBe(newKid);
    expect(headerOf(after.idToken)["kid"]).toBe(newKid);
    const refreshedAfter = refreshed(await refresh(gw, client, before.refreshToken));
    expect(headerOf(refreshedAfter.accessToken)["kid"]).toBe(newKid);

    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());

    const keySet = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
    const access = await jwtVerify(after.accessToken, keySet, {
      issuer: gw.config.issuer,
      algorithms: ["RS256"],
    });
    expect(access.protectedHeader.kid).toBe(newKid);
    expect(access.payload).toMatchObject({
      sub: user.sub,
      token_use: "access",
      client_id: client.clientId,
    });
    const id = await jwtVerify(after.idToken, keySet, {
      issuer: gw.config.issuer,
      audience: client.clientId,
      algorithms: ["RS256"],
    });
    expect(id.payload).toMatchObject({
      sub: user.sub,
      token_use: "id",
      "cognito:username": user.username,
    });
    const old = await jwtVerify(before.accessToken, keySet, {
      issuer: gw.config.issuer,
      algorithms: ["RS256"],
    });
    expect(old.protectedHeader.kid).toBe(oldKid);
  });
});

describe("changes made by another process on the same store", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, "bin", "poolgate.js"), ...args],
        { env: gw.env, cwd: ROOT },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it("a user disabled through the CLI is rejected by the running gateway within a bounded number of polls", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    await expectServed(gw, tokens.accessToken, user.sub);

    const result = await cli(["users", "disable", user.username]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });

    // 40 polls, 50 ms apart: the contract is "within 1 s"; the sync interval here is 50 ms.
    let rejected = false;
    for (let attempt = 0; attempt < 40 && !rejected; attempt++) {
      const res = await gw.gql(ME, {}, tokens.accessToken);
      if (res.status === 401 && codeOf(res) === "UNAUTHENTICATED") rejected = true;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(rejected).toBe(true);

    expectCode(await refresh(gw, client, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
    expectCode(await signIn(gw, client, user), "NOT_AUTHORIZED");
  });

  it("a signing key rotated through the CLI signs the running gateway's new tokens within a bounded number of polls", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw);
    const before = await signInAs(gw, client, user);

    const result = await cli(["keys", "rotate", "--json"]);
    expect(result.code).toBe(0);
    const { kid } = JSON.parse(result.stdout) as { kid: string };
    expect(kid).not.toBe(headerOf(before.accessToken)["kid"]);

    let adopted = false;
    for (let attempt = 0; attempt < 40 && !adopted; attempt++) {
      const tokens = await signInAs(gw, client, user);
      if (headerOf(tokens.accessToken)["kid"] === kid) {
        adopted = true;
        await expectServed(gw, tokens.accessToken, user.sub);
      } else await new Promise((r) => setTimeout(r, 50));
    }
    expect(adopted).toBe(true);
    await expectServed(gw, before.accessToken, user.sub);
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([kid, headerOf(before.accessToken)["kid"]]),
    );
  });
});
