/**
 * poolgate as a Federation 2 subgraph (issue 6, part 1): the schema links federation v2.5,
 * `User @key(fields: "sub")` resolves through `_entities` in one batched store read, and the
 * auth directives plus the entity visibility rule guard what `_entities` can reach.
 */
import { loadTypeDefs } from "../../src/graphql/apollo";
import { createClient, createUser, signInAs, type GqlResult } from "../harness";
import { startRecordingGateway } from "./support";

let gw: Awaited<ReturnType<typeof startRecordingGateway>>;
let client: { clientId: string; clientSecret: string | undefined };
let alice: { sub: string; username: string; password: string };
let bob: { sub: string; username: string; password: string };
let aliceToken: string;
let adminToken: string;
const others: { sub: string; username: string }[] = [];

/**
 * Store reads made while `work` runs: the subs of each getUsersBySubs / getGroupsForUsers call.
 * (Recorded under the gateway: patching `gw.pool.store` afterwards would miss calls, because the
 * gateway wraps its store for metrics.)
 */
async function countingStoreReads<T>(
  work: () => Promise<T>,
): Promise<{ result: T; users: string[][]; groups: string[][] }> {
  gw.storeCalls.record();
  try {
    const result = await work();
    const subsOf = (method: string) =>
      gw.storeCalls.of(method).map((args) => [...(args[0] as string[])]);
    return { result, users: subsOf("getUsersBySubs"), groups: subsOf("getGroupsForUsers") };
  } finally {
    gw.storeCalls.stop();
  }
}

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on User { sub username email groups }
  }
}`;

const userRef = (sub: unknown) => ({ __typename: "User", sub });

function errorsOf(res: GqlResult): { code: string | undefined; path: string }[] {
  return (res.body.errors ?? []).map((e) => ({
    code: e.extensions?.code,
    path: (e.path ?? []).join("."),
  }));
}

beforeAll(async () => {
  gw = await startRecordingGateway();
  client = await createClient(gw);
  alice = await createUser(gw, { attributes: { email: "alice@example.com" } });
  bob = await createUser(gw, { attributes: { email: "bob@example.com" }, groups: ["staff"] });
  const admin = await createUser(gw, { groups: ["admins"] });
  for (let i = 0; i < 4; i++) others.push(await createUser(gw, { groups: [`g${i}`] }));
  aliceToken = (await signInAs(gw, client, alice)).accessToken;
  adminToken = (await signInAs(gw, client, admin)).accessToken;
});

afterAll(async () => {
  await gw?.close();
});

describe("poolgate as a Federation 2 subgraph", () => {
  it("serves its SDL through _service: the federation v2.5 link and User's key", async () => {
    const res = await gw.gql("{ _service { sdl } }");
    expect(res.status).toBe(200);
    const sdl = String(res.body.data?.["_service"]?.["sdl"]);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.5"');
    expect(sdl).toMatch(/type User\s+@key\(fields: "sub"\)\s+@authenticated\s/);
    expect(sdl).toMatch(/me: User @authenticated/);
    // Federation's own definitions, not ours: schema.graphql declares no directive itself.
    expect(loadTypeDefs()).not.toMatch(/^\s*directive @/m);
  });

  it("sends no inline trace (ftv1) to whoever asks for one: no internals in responses", async () => {
    const res = await gw.gql("{ _service { sdl } }", {}, undefined, {
      "apollo-federation-include-trace": "ftv1",
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["data"]);
  });

  it("happy flow: N User references are one store read, in order, with nulls for unknown subs", async () => {
    const subs = [alice.sub, bob.sub, ...others.map((o) => o.sub)];
    const representations = [
      ...subs.map(userRef),
      userRef(bob.sub), // a duplicate is loaded once
      userRef("00000000-0000-0000-0000-000000000000"),
    ];
    const {
      result: res,
      users,
      groups,
    } = await countingStoreReads(() => gw.gql(ENTITIES, { representations }, adminToken));
    expect(res.body.errors).toBeUndefined();
    const entities = res.body.data?.["_entities"] as Array<Record<string, unknown> | null>;
    expect(entities.map((e) => e?.["sub"] ?? null)).toEqual([...subs, bob.sub, null]);
    expect(entities[0]).toEqual({
      __typename: "User",
      sub: alice.sub,
      username: alice.username,
      email: "alice@example.com",
      groups: [],
    });
    expect(entities[1]?.["groups"]).toEqual(["staff"]);
    // One read of users (every distinct sub at once) and one of groups (the users found).
    expect(users).toHaveLength(1);
    expect(new Set(users[0])).toEqual(new Set([...subs, "00000000-0000-0000-0000-000000000000"]));
    expect(users[0]).toHaveLength(subs.length + 1);
    expect(groups).toHaveLength(1);
    expect(new Set(groups[0])).toEqual(new Set(subs));
  });

  it("a signed-in caller resolves their own User entity, and another user's is FORBIDDEN before any read", async () => {
    const { result: res, users } = await countingStoreReads(() =>
      gw.gql(ENTITIES, { representations: [userRef(alice.sub), userRef(bob.sub)] }, aliceToken),
    );
    const entities = res.body.data?.["_entities"] as Array<Record<string, unknown> | null>;
    expect(entities[0]?.["email"]).toBe("alice@example.com");
    expect(entities[1]).toBeNull();
    expect(errorsOf(res)).toEqual([{ code: "FORBIDDEN", path: "_entities.1" }]);
    // Bob's record is never read (alice's may come from the directory's in-memory copy).
    expect(users.flat()).not.toContain(bob.sub);
    expect(JSON.stringify(res.body)).not.toContain("bob@example.com");
  });

  it("error flow: an anonymous caller gets no User through _entities, and nothing is read", async () => {
    const {
      result: res,
      users,
      groups,
    } = await countingStoreReads(() =>
      gw.gql(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }`, {
        r: [userRef(alice.sub), userRef("no-such-user")],
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body.data?.["_entities"]).toEqual([null, null]);
    expect(errorsOf(res)).toEqual([
      { code: "UNAUTHENTICATED", path: "_entities.0" },
      { code: "UNAUTHENTICATED", path: "_entities.1" },
    ]);
    expect(users).toEqual([]);
    expect(groups).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain("alice@example.com");
  });

  it("error flow: an anonymous caller cannot even learn whether a sub exists (__typename only)", async () => {
    const { result: res, users } = await countingStoreReads(() =>
      gw.gql(`query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }`, {
        r: [userRef(alice.sub), userRef("00000000-0000-0000-0000-000000000000")],
      }),
    );
    expect(res.body.data?.["_entities"]).toEqual([null, null]);
    expect(errorsOf(res).map((e) => e.code)).toEqual(["UNAUTHENTICATED", "UNAUTHENTICATED"]);
    expect(users).toEqual([]);
  });

  it("keeps me as it was: the caller's own user, UNAUTHENTICATED when anonymous", async () => {
    const mine = await gw.gql("{ me { sub email } }", {}, aliceToken);
    expect(mine.body).toEqual({ data: { me: { sub: alice.sub, email: "alice@example.com" } } });
    const anonymous = await gw.gql("{ me { sub } }");
    expect(anonymous.body.data).toEqual({ me: null });
    expect(errorsOf(anonymous)).toEqual([{ code: "UNAUTHENTICATED", path: "me" }]);
  });

  it.each([
    ["an unknown __typename", [{ __typename: "Order", id: "1" }]],
    ["no __typename", [{ sub: "x" }]],
    ["a scalar", ["User"]],
    ["a User without sub", [{ __typename: "User" }]],
    ["a sub that is not a string", [{ __typename: "User", sub: 42 }]],
    ["a sub with a NUL", [{ __typename: "User", sub: "a\u0000b" }]],
  ])(
    "error flow: a representation with %s is BAD_USER_INPUT, not an internal error",
    async (_what, r) => {
      const res = await gw.gql(ENTITIES, { representations: r }, adminToken);
      expect(res.status).toBeLessThan(500);
      const codes = (res.body.errors ?? []).map((e) => e.extensions?.code);
      expect(codes.length).toBeGreaterThan(0);
      expect(codes.every((c) => c === "BAD_USER_INPUT")).toBe(true);
    },
  );
});
