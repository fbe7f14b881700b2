import {
  createClient,
  createUser,
  expectCode,
  ME,
  REFRESH,
  REVOKE,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

describe("happy flow: sign in, me, refresh, revoke over real HTTP", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("serves me with the access token, refreshes, and rejects the revoked session's token on the next request", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw, {
      attributes: { email: "a@example.com", email_verified: "true" },
      groups: ["staff"],
    });
    const tokens = await signInAs(gw, client, user);
    expect(tokens.tokenType).toBe("Bearer");
    expect(tokens.expiresIn).toBe(3600);

    const me = await gw.gql(ME, {}, tokens.accessToken);
    expect(me.body.data?.["me"]).toMatchObject({
      sub: user.sub,
      username: user.username,
      email: "a@example.com",
      groups: ["staff"],
    });

    const refreshed = await gw.gql(REFRESH, {
      input: { clientId: client.clientId, refreshToken: tokens.refreshToken },
    });
    expect(refreshed.body.data?.["refresh"]).toMatchObject({
      tokenType: "Bearer",
      refreshToken: null,
    });

    const revoked = await gw.gql(REVOKE, {
      input: { clientId: client.clientId, token: tokens.refreshToken },
    });
    expect(revoked.body.data?.["revoke"]).toBe(true);

    const after = await gw.gql(ME, {}, tokens.accessToken);
    expect(after.status).toBe(401);
    expectCode(after, "UNAUTHENTICATED");
    const afterRefreshed = await gw.gql(ME, {}, refreshed.body.data?.["refresh"].accessToken);
    expect(afterRefreshed.status).toBe(401);
  });
});
