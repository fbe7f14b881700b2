/**
 * Key rotation publishes before it signs (POOLGATE_KEY_ACTIVATION_DELAY_SECONDS): a remote
 * verifier that refetches the JWKS on an unknown kid at a bounded rate must never see a token
 * signed by a key it could not have fetched yet.
 */
import {
  claimsOf,
  createClient,
  createUser,
  frozenClock,
  headerOf,
  ME,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

describe("key rotation with an activation delay", () => {
  let gw: TestGateway;
  const clock = frozenClock();
  beforeAll(async () => {
    gw = await startGateway({ clock, env: { POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "60" } });
  });
  afterAll(() => gw.close());

  async function jwksKids(): Promise<string[]> {
    const res = await fetch(`${gw.url}/.well-known/jwks.json`);
    return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  }

  it("publishes the new key at once, signs with the old one until the delay has passed, then with the new", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw);
    const before = await signInAs(gw, client, user);
    const oldKid = headerOf(before.accessToken)["kid"] as string;

    const newKid = await gw.pool.keys.rotate(clock.now());
    expect(newKid).not.toBe(oldKid);
    expect(await jwksKids()).toEqual(expect.arrayContaining([oldKid, newKid]));

    const during = await signInAs(gw, client, user);
    expect(headerOf(during.accessToken)["kid"]).toBe(oldKid);
    expect(headerOf(during.idToken)["kid"]).toBe(oldKid);

    clock.advance(60_000);
    const after = await signInAs(gw, client, user);
    expect(headerOf(after.accessToken)["kid"]).toBe(newKid);
    expect(claimsOf(after.accessToken)["iss"]).toBe(gw.config.issuer);

    // Every token of every phase still verifies.
    for (const tokens of [before, during, after]) {
      const res = await gw.gql(ME, {}, tokens.accessToken);
      expect(res.body.data?.["me"]?.sub).toBe(user.sub);
    }
    expect(await jwksKids()).toEqual(expect.arrayContaining([oldKid, newKid]));
  });

  it("keeps the retired key published until its tokens can no longer be alive", async () => {
    const keys = await gw.pool.store.listKeys();
    const retired = keys.filter((k) => k.status === "retired");
    expect(retired.length).toBeGreaterThan(0);
    const newest = Math.max(...keys.map((k) => k.createdAtMs));
    for (const key of retired) {
      // Retired at rotation, expiring a full token lifetime after the new key took over.
      expect(key.expiresAtMs).toBe(newest + gw.config.keyRotationGraceSeconds * 1000);
    }
  });
});
