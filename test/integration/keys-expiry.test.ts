/**
 * A retired signing key expires by time (issue 12 #6): once `now >= expiresAt`, a token it
 * signed is refused and the key leaves the JWKS — on an instance that did not do the rotation
 * and hears of no further feed event, and in the library's view of the JWKS (subgraphs).
 *
 * Two gateways share one SQLite file and one frozen clock: A rotates, B only learns of the
 * rotation through the change feed, once. The grace is the shortest allowed (300 s); the
 * access tokens live an hour, so it is the key's expiry, not the token's, that refuses them.
 */
import { createVerifier, PoolgateError, type Verifier } from "../../src/index";
import {
  createClient,
  createUser,
  frozenClock,
  headerOf,
  ME,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";

const GRACE_SECONDS = 300;

async function jwksOf(gw: TestGateway): Promise<{ kids: string[]; maxAgeSeconds: number }> {
  const res = await fetch(`${gw.url}/.well-known/jwks.json`);
  const body = (await res.json()) as { keys: { kid: string }[] };
  const maxAge = /max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1];
  return { kids: body.keys.map((k) => k.kid), maxAgeSeconds: Number(maxAge) };
}

/** Polls (real time, bounded by count) until `check` holds. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("condition not reached within 200 polls");
}

async function meCode(gw: TestGateway, token: string): Promise<string> {
  const res = await gw.gql(ME, {}, token);
  return res.body.errors?.[0]?.extensions?.code ?? "ok";
}

describe("retired keys expire by time on every instance", () => {
  const clock = frozenClock();
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    a = await startGateway({
      clock,
      env: { POOLGATE_KEY_ROTATION_GRACE_SECONDS: String(GRACE_SECONDS) },
    });
    b = await startGateway({ clock, reuse: { dir: a.dir, env: a.env } });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  test("attack: a token signed by a retired key is still accepted, and the key still published, after its expiresAt on an instance that did not rotate", async () => {
    const client = await createClient(a);
    const user = await createUser(a);
    const old = await signInAs(a, client, user);
    const oldKid = headerOf(old.accessToken)["kid"] as string;
    // B verifies (and caches) the token while its key is current.
    expect(await meCode(b, old.accessToken)).toBe("ok");

    // A rotation in the very millisecond of the first key would order the two by kid only.
    clock.advance(1000);
    const newKid = await a.pool.keys.rotate(clock.now());
    await until(async () => (await jwksOf(b)).kids.includes(newKid));
    const feedAfterRotation = await b.pool.store.latestChangeSeq();

    // Within the grace: still trusted and published everywhere, cacheable up to the expiry.
    expect(await meCode(b, old.accessToken)).toBe("ok");
    const during = await jwksOf(b);
    expect(during.kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect(during.maxAgeSeconds).toBeLessThanOrEqual(GRACE_SECONDS);

    clock.advance(GRACE_SECONDS * 1000); // now == expiresAt: the key is past its use
    for (const gw of [b, a]) {
      expect(await meCode(gw, old.accessToken)).toBe("UNAUTHENTICATED");
      expect((await jwksOf(gw)).kids).toEqual([newKid]);
    }
    // The new key keeps working, and nothing was announced: time alone did it.
    const fresh = await signInAs(b, client, user);
    expect(headerOf(fresh.accessToken)["kid"]).toBe(newKid);
    expect(await meCode(b, fresh.accessToken)).toBe("ok");
    expect(await b.pool.store.latestChangeSeq()).toBe(feedAfterRotation);
  });
});

describe("the library's JWKS view (createVerifier) follows the gateway's key expiry", () => {
  const clock = frozenClock();
  let gw: TestGateway;
  let verifier: Verifier;

  beforeAll(async () => {
    // A grace longer than the JWKS's 300 s cap, so the cap alone would not time the refetch.
    gw = await startGateway({ clock, env: { POOLGATE_KEY_ROTATION_GRACE_SECONDS: "900" } });
    verifier = createVerifier({
      issuer: gw.config.issuer,
      jwksUri: `${gw.url}/.well-known/jwks.json`,
      clientIds: null,
      nowMs: clock.now,
    });
  });
  afterAll(() => gw?.close());

  async function outcome(token: string): Promise<string> {
    try {
      await verifier.verify(token);
      return "ok";
    } catch (err) {
      if (err instanceof PoolgateError) return err.code;
      throw err;
    }
  }

  test("attack: a subgraph keeps trusting a retired key from its cached JWKS after the gateway expired it", async () => {
    const client = await createClient(gw);
    const user = await createUser(gw);
    const old = (await signInAs(gw, client, user)).accessToken;
    expect(await outcome(old)).toBe("ok");
    expect(verifier.stats().jwks.requests).toBe(1);

    clock.advance(1000); // not in the first key's millisecond (see above)
    await gw.pool.keys.rotate(clock.now()); // the old key expires 900 s from now
    clock.advance(800_000);
    // The set is stale (300 s): refetched, the old key still listed, now cacheable 100 s only.
    expect(await outcome(old)).toBe("ok");
    expect(verifier.stats().jwks.requests).toBe(2);
    expect((await jwksOf(gw)).maxAgeSeconds).toBe(100);

    clock.advance(100_000); // the gateway's expiresAt: the library must not wait its own 600 s
    expect(await outcome(old)).toBe("UNAUTHENTICATED");
    expect(verifier.stats().jwks.requests).toBe(3);
    expect(verifier.stats().jwks.keys).toBe(1);
    expect(await outcome((await signInAs(gw, client, user)).accessToken)).toBe("ok");
  });
});
