/**
 * Refresh re-evaluates group-restricted scopes and `cognito:groups` from the user's current
 * groups (DESIGN §2, §3; issue 12 #2), through both doors: the GraphQL `refresh` mutation and
 * POST /oauth2/token grant_type=refresh_token. Real HTTP, real SQLite file.
 */
import {
  claimsOf,
  codeOf,
  createClient,
  createUser,
  expectCode,
  REFRESH,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

const REMOVE_FROM_GROUP = `mutation Remove($username: String!, $group: String!) {
  adminRemoveUserFromGroup(username: $username, group: $group)
}`;
const ADD_TO_GROUP = `mutation Add($username: String!, $group: String!) {
  adminAddUserToGroup(username: $username, group: $group)
}`;
const ADMIN_DISABLE_USER = `mutation Disable($username: String!) { adminDisableUser(username: $username) }`;

type Client = { clientId: string; clientSecret: string | undefined };
type Door = (gw: TestGateway, client: Client, refreshToken: string) => Promise<string>;

/** The GraphQL `refresh` mutation; returns the new access token. */
const graphqlRefresh: Door = async (gw, client, refreshToken) => {
  const res = await gw.gql(REFRESH, { input: { clientId: client.clientId, refreshToken } });
  const token = res.body.data?.["refresh"]?.accessToken;
  if (typeof token !== "string") throw new Error(`refresh failed: ${JSON.stringify(res.body)}`);
  return token;
};

/** POST /oauth2/token grant_type=refresh_token (a public client); returns the new access token. */
const oauth2Refresh: Door = async (gw, client, refreshToken) => {
  const res = await fetch(`${gw.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: client.clientId,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: unknown };
  if (res.status !== 200 || typeof body.access_token !== "string")
    throw new Error(`refresh failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
};

function scopesOf(accessToken: string): string[] {
  return String(claimsOf(accessToken)["scope"]).split(" ");
}

describe("refresh after a change of groups", () => {
  let gw: TestGateway;
  let client: Client;
  let operatorToken: string;

  beforeAll(async () => {
    gw = await startGateway();
    client = await createClient(gw);
    const operator = await createUser(gw, { groups: ["admins"] });
    operatorToken = (await signInAs(gw, client, operator)).accessToken;
  });
  afterAll(() => gw.close());

  describe.each([
    ["the GraphQL refresh mutation", graphqlRefresh],
    ["POST /oauth2/token grant_type=refresh_token", oauth2Refresh],
  ])("through %s", (_door, refreshThrough) => {
    it("attack: a user removed from the admins group cannot keep minting poolgate/admin tokens by refreshing", async () => {
      const user = await createUser(gw, { groups: ["admins", "staff"] });
      const tokens = await signInAs(gw, client, user);
      expect(scopesOf(tokens.accessToken)).toContain("poolgate/admin");
      expect(await graphqlRefresh(gw, client, tokens.refreshToken)).toBeTruthy();

      const removed = await gw.gql(
        REMOVE_FROM_GROUP,
        { username: user.username, group: "admins" },
        operatorToken,
      );
      expect(removed.body.data?.["adminRemoveUserFromGroup"]).toBe(true);

      // The very next refresh, on the same instance, sees the removal.
      const after = await refreshThrough(gw, client, tokens.refreshToken);
      expect(scopesOf(after)).not.toContain("poolgate/admin");
      expect(scopesOf(after)).toEqual(
        expect.arrayContaining(["aws.cognito.signin.user.admin", "openid", "email", "profile"]),
      );
      expect(claimsOf(after)["cognito:groups"]).toEqual(["staff"]);
      expectCode(await gw.gql(ADMIN_DISABLE_USER, { username: user.username }, after), "FORBIDDEN");
      expect((await gw.pool.users.require(user.username)).enabled).toBe(true);
    });

    it("drops cognito:groups entirely once the user is in no group, and the refresh still succeeds", async () => {
      const user = await createUser(gw, { groups: ["admins"] });
      const tokens = await signInAs(gw, client, user);
      await gw.pool.users.removeFromGroup(user.username, "admins");
      const after = await refreshThrough(gw, client, tokens.refreshToken);
      expect(scopesOf(after)).not.toContain("poolgate/admin");
      expect(claimsOf(after)).not.toHaveProperty("cognito:groups");
      expect(claimsOf(after)["origin_jti"]).toBe(claimsOf(tokens.accessToken)["origin_jti"]);
    });

    it("gives poolgate/admin back after the user rejoins the group: the sign-in's scopes stay the upper bound", async () => {
      const user = await createUser(gw, { groups: ["admins"] });
      const tokens = await signInAs(gw, client, user);
      await gw.pool.users.removeFromGroup(user.username, "admins");
      expect(scopesOf(await refreshThrough(gw, client, tokens.refreshToken))).not.toContain(
        "poolgate/admin",
      );
      const added = await gw.gql(
        ADD_TO_GROUP,
        { username: user.username, group: "admins" },
        operatorToken,
      );
      expect(codeOf(added)).toBeUndefined();
      expect(scopesOf(await refreshThrough(gw, client, tokens.refreshToken))).toContain(
        "poolgate/admin",
      );
    });

    it("never adds poolgate/admin to a session that did not get it at sign-in", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, client, user, ["openid"]);
      await gw.pool.users.addToGroup(user.username, "admins");
      const after = await refreshThrough(gw, client, tokens.refreshToken);
      expect(scopesOf(after).sort()).toEqual(["aws.cognito.signin.user.admin", "openid"]);
      expect(claimsOf(after)["cognito:groups"]).toEqual(["admins"]);
    });
  });
});

describe("refresh after a change of the client's allowed scopes", () => {
  let gw: TestGateway;
  afterEach(() => gw.close());

  it("attack: a scope taken off the client keeps being minted by refreshing an old session", async () => {
    gw = await startGateway();
    const client = await createClient(gw, { allowedScopes: ["openid", "email", "profile"] });
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    expect(scopesOf(tokens.accessToken)).toEqual(expect.arrayContaining(["email", "profile"]));
    // No admin API edits a client yet; the store's own update, as the CLI of a later issue will.
    await gw.pool.store.updateClient(client.clientId, { allowedScopes: ["openid", "profile"] });
    gw.pool.clients.invalidate(client.clientId);
    for (const refresh of [graphqlRefresh, oauth2Refresh]) {
      const scopes = scopesOf(await refresh(gw, client, tokens.refreshToken));
      expect(scopes).not.toContain("email");
      expect(scopes).toEqual(
        expect.arrayContaining(["openid", "profile", "aws.cognito.signin.user.admin"]),
      );
    }
  });
});
