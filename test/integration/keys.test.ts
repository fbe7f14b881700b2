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
import { createVerifier } from "../../src/index";

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

describe("changing POOLGATE_SIGNING_ALGORITHM from RS256 to ES256 (issue 19)", () => {
  const clock = frozenClock();
  let gw: TestGateway;
  afterAll(() => gw.close());

  async function jwks(): Promise<{ kid: string; kty: string; alg: string }[]> {
    const res = await fetch(`${gw.url}/.well-known/jwks.json`);
    return ((await res.json()) as { keys: { kid: string; kty: string; alg: string }[] }).keys;
  }
  async function discoveredAlgorithms(): Promise<unknown> {
    const res = await fetch(`${gw.url}/.well-known/openid-configuration`);
    return ((await res.json()) as Record<string, unknown>)["id_token_signing_alg_values_supported"];
  }

  it("a restart with ES256 rotates as keys rotate does: published first, then signing; old RS256 tokens keep working", async () => {
    gw = await startGateway({ clock, env: { POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "60" } });
    const client = await createClient(gw);
    const user = await createUser(gw);
    const before = await signInAs(gw, client, user);
    expect(headerOf(before.accessToken)["alg"]).toBe("RS256");
    const rsaKid = headerOf(before.accessToken)["kid"] as string;
    await gw.stop();

    const env = { ...gw.env, POOLGATE_SIGNING_ALGORITHM: "ES256" };
    gw = await startGateway({ clock, reuse: { dir: gw.dir, env } });
    const keys = await jwks();
    expect(keys.map((k) => [k.kty, k.alg]).sort()).toEqual([
      ["EC", "ES256"],
      ["RSA", "RS256"],
    ]);
    expect(await discoveredAlgorithms()).toEqual(["RS256", "ES256"]);
    const ecKid = keys.find((k) => k.alg === "ES256")!.kid;

    // Published, not yet signing: the RSA key signs until the activation delay has passed.
    const during = await signInAs(gw, client, user);
    expect(headerOf(during.accessToken)).toMatchObject({ alg: "RS256", kid: rsaKid });

    clock.advance(60_000);
    const after = await signInAs(gw, client, user);
    expect(headerOf(after.accessToken)).toMatchObject({ alg: "ES256", kid: ecKid });
    expect(headerOf(after.idToken)).toMatchObject({ alg: "ES256", kid: ecKid });

    // The gateway and a subgraph (the library over the JWKS) accept the tokens of both keys.
    const subgraph = createVerifier({
      issuer: gw.config.issuer,
      jwksUri: `${gw.url}/.well-known/jwks.json`,
      clientIds: null,
    });
    for (const tokens of [before, during, after]) {
      const res = await gw.gql(ME, {}, tokens.accessToken);
      expect(res.body.data?.["me"]?.sub).toBe(user.sub);
      await expect(subgraph.verify(tokens.accessToken)).resolves.toMatchObject({ sub: user.sub });
    }
    const stored = await gw.pool.store.listKeys();
    expect(stored.map((k) => [k.alg, k.status]).sort()).toEqual([
      ["ES256", "active"],
      ["RS256", "retired"],
    ]);
    const retired = stored.find((k) => k.alg === "RS256")!;
    expect(retired.expiresAtMs).toBe(
      stored.find((k) => k.alg === "ES256")!.createdAtMs + gw.config.keyRotationGraceSeconds * 1000,
    );
  });

  it("a further restart with ES256 does not rotate again; once the RS256 tokens have expired the JWKS and discovery hold ES256 only", async () => {
    await gw.stop();
    gw = await startGateway({ clock, reuse: { dir: gw.dir, env: gw.env } });
    expect(await gw.pool.store.listKeys()).toHaveLength(2);

    clock.advance(gw.config.keyRotationGraceSeconds * 1000);
    expect((await jwks()).map((k) => k.alg)).toEqual(["ES256"]);
    expect(await discoveredAlgorithms()).toEqual(["ES256"]);
  });
});
