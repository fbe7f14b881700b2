/**
 * What leaves identity/ for a front door is a view (src/identity/views.ts), never a store row:
 * a resolver, handler or CLI printout that serialises what it was handed cannot put a password,
 * confirmation-code or client-secret hash on the wire. The checks look at the very objects the
 * front doors get, at run time (a type says nothing about the fields an object carries).
 */
import { createClient, ME, PASSWORD, signInAs, startGateway, type TestGateway } from "../harness";

/** Every field name, nested ones included, that looks like a hash or a secret. */
function hashFields(value: unknown, path = ""): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(/hash|secret|code/i.test(k) ? [`${path}${k}`] : []),
    ...hashFields(v, `${path}${k}.`),
  ]);
}

describe("views handed to the front doors", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_SELF_SIGN_UP: "true" } });
  });
  afterAll(() => gw.close());

  const admin = () => gw.pool.admin({ scopes: new Set(["poolgate/admin"]) });

  test("attack: a resolver cannot leak the password hash: the user view has no hash field", async () => {
    const created = await admin().createUser({
      username: "view-alice",
      password: PASSWORD,
      attributes: { email: "alice@example.com" },
      groups: [],
    });
    const stored = await gw.pool.store.getUserByUsername("view-alice");
    expect(stored?.passwordHash).toEqual(expect.any(String));
    const client = await createClient(gw);
    const { accessToken } = await signInAs(gw, client, {
      username: "view-alice",
      password: PASSWORD,
    });
    // `me` loads through the directory; its cached copy is what the resolver gets.
    expect((await gw.gql(ME, {}, accessToken)).body.data?.["me"]?.["sub"]).toBe(created.sub);
    const [forMe] = await gw.pool.directory.usersBySubs([created.sub]);
    const forAdminGetUser = await admin().getUser("view-alice");
    const found = await gw.pool.users.find("view-alice");
    const disabled = await gw.pool.users.setEnabled("view-alice", false);
    for (const view of [created, forMe, forAdminGetUser, found, disabled]) {
      expect(view?.sub).toBe(created.sub);
      expect(hashFields(view)).toEqual([]);
      expect(JSON.stringify(view)).not.toContain(stored!.passwordHash);
    }
  });

  test("attack: sign-up's answer cannot leak the confirmation-code hash of the new user", async () => {
    const { user } = await gw.pool.users.signUp({
      username: "view-bob",
      password: PASSWORD,
      attributes: { email: "bob@example.com" },
    });
    const stored = await gw.pool.store.getUserByUsername("view-bob");
    expect(stored?.confirmationCodeHash).toEqual(expect.any(String));
    expect(hashFields(user)).toEqual([]);
    expect(JSON.stringify(user)).not.toContain(stored!.confirmationCodeHash!);
    expect(JSON.stringify(user)).not.toContain(stored!.passwordHash);
  });

  test("attack: an /oauth2 handler or the CLI cannot leak a client secret hash: the client view has none", async () => {
    const { client: created, clientSecret } = await gw.pool.clients.create(
      { name: "view-confidential", generateSecret: true, allowedScopes: ["openid"] },
      Date.now(),
    );
    const stored = await gw.pool.store.getClient(created.clientId);
    expect(stored?.secretHash).toEqual(expect.any(String));
    const authenticated = await gw.pool.clients.authenticate(created.clientId, clientSecret);
    const fromCache = await gw.pool.clients.authenticate(created.clientId, clientSecret);
    const got = await gw.pool.clients.get(created.clientId);
    const listed = (await gw.pool.clients.list()).find((c) => c.clientId === created.clientId);
    for (const view of [created, authenticated, fromCache, got, listed]) {
      expect(view).toMatchObject({ clientId: created.clientId, confidential: true });
      expect(hashFields(view)).toEqual([]);
      expect(JSON.stringify(view)).not.toContain(stored!.secretHash!);
    }
  });
});
