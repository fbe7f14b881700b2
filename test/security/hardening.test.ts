/**
 * Request hardening (DESIGN §8) over real HTTP: one credential-checking field per operation,
 * no HTTP batching, depth / alias / token limits, the body limit, CSRF prevention,
 * production-only restrictions (introspection, landing page) and error masking — no stack
 * trace, file path or SQL in any response, in production or in development.
 *
 * Already covered elsewhere (not repeated here): two aliased signIn fields, signIn hidden in a
 * named fragment, signIn with refresh, and HTTP batching of signIn — test/integration/signin.test.ts
 * ("hardening"); a 1 MB password over the body limit — signin.test.ts.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { buildSchema, Kind, parse, validate } from "graphql";
import { lockoutOf } from "../store/lockouts";
import { depthLimitRule } from "../../src/graphql/hardening";
import {
  codeOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  PASSWORD,
  REFRESH,
  SIGN_IN,
  signInAs,
  startGateway,
  type GqlResult,
  type TestGateway,
} from "../harness";

type Client = { clientId: string; clientSecret: string | undefined };

interface RawAnswer {
  status: number;
  contentType: string | null;
  text: string;
}

async function raw(gw: TestGateway, path: string, init: RequestInit = {}): Promise<RawAnswer> {
  const res = await fetch(`${gw.url}${path}`, init);
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    text: await res.text(),
  };
}

function postJson(
  gw: TestGateway,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return raw(gw, "/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

function codeIn(answer: RawAnswer): string | undefined {
  const body = JSON.parse(answer.text) as { errors?: { extensions?: { code?: string } }[] };
  return body.errors?.[0]?.extensions?.code;
}

function expect4xx(status: number): void {
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
}

/** Nothing of the implementation leaks: no stack, no file path, no SQL or driver text. */
function expectNoInternals(text: string): void {
  for (const leak of [
    "stacktrace",
    "/work/",
    "src/",
    ".ts:",
    '.ts"',
    ".js:",
    "node_modules",
    "SQLITE",
    "Sqlite",
    "no such table",
    "SELECT",
    "INSERT",
    "UPDATE ",
    "    at ",
  ]) {
    expect({ leak, found: text.includes(leak) }).toEqual({ leak, found: false });
  }
}

/** Runs `work` and returns its result with the password-hash verifications it cost. */
async function countingVerifications<T>(
  gw: TestGateway,
  work: () => Promise<T>,
): Promise<{ result: T; verifications: number }> {
  const before = gw.pool.hasher.verifications;
  const result = await work();
  return { result, verifications: gw.pool.hasher.verifications - before };
}

/** The operation was refused before execution: a 4xx, no data, BAD_USER_INPUT, no hash work. */
function expectRefusedBeforeExecution(outcome: { result: GqlResult; verifications: number }): void {
  expect4xx(outcome.result.status);
  expect(outcome.result.body.data ?? null).toBeNull();
  expectCode(outcome.result, "BAD_USER_INPUT");
  expect(outcome.verifications).toBe(0);
}

describe("one credential-checking field per operation", () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_SELF_SIGN_UP: "true" } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("stops refresh-token guessing by alias batching: two refresh fields are rejected before any resolver runs", async () => {
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    const query = `mutation Two($a: RefreshInput!, $b: RefreshInput!) {
      a: refresh(input: $a) { accessToken }
      b: refresh(input: $b) { accessToken }
    }`;
    const input = { clientId: client.clientId, refreshToken: tokens.refreshToken };
    const outcome = await countingVerifications(gw, () =>
      gw.gql(query, { a: input, b: { ...input, refreshToken: "guess" } }),
    );
    expectRefusedBeforeExecution(outcome);
    expect(JSON.stringify(outcome.result.body)).not.toContain('accessToken":"');
  });

  it("stops revoke batching: two revoke fields are rejected and the session stays alive", async () => {
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    const query = `mutation Two($a: RevokeInput!, $b: RevokeInput!) { a: revoke(input: $a) b: revoke(input: $b) }`;
    const input = { clientId: client.clientId, token: tokens.refreshToken };
    expectRefusedBeforeExecution(
      await countingVerifications(gw, () => gw.gql(query, { a: input, b: input })),
    );
    const me = await gw.gql(`{ me { sub } }`, {}, tokens.accessToken);
    expect(me.body.data?.["me"]?.sub).toBe(user.sub);
  });

  it("stops sign-up batching: two signUp fields are rejected and neither user is created", async () => {
    const [a, b] = [
      `batch-a-${randomBytes(4).toString("hex")}`,
      `batch-b-${randomBytes(4).toString("hex")}`,
    ];
    const query = `mutation Two($a: SignUpInput!, $b: SignUpInput!) {
      a: signUp(input: $a) { userSub }
      b: signUp(input: $b) { userSub }
    }`;
    const input = (username: string) => ({
      clientId: client.clientId,
      username,
      password: PASSWORD,
    });
    const outcome = await countingVerifications(gw, () =>
      gw.gql(query, { a: input(a), b: input(b) }),
    );
    expectRefusedBeforeExecution(outcome);
    expect(await gw.pool.store.getUserByUsername(a)).toBeUndefined();
    expect(await gw.pool.store.getUserByUsername(b)).toBeUndefined();
    expect(gw.sentCodes.filter((m) => m.username === a || m.username === b)).toEqual([]);
  });

  it("stops confirmation-code guessing by alias batching: two confirmSignUp fields are rejected before any attempt is counted", async () => {
    const username = `confirm-${randomBytes(4).toString("hex")}`;
    const signUp = await gw.gql(
      `mutation S($input: SignUpInput!) { signUp(input: $input) { userSub } }`,
      {
        input: {
          clientId: client.clientId,
          username,
          password: PASSWORD,
          // A code reaches a user only by mail.
          attributes: [{ name: "email", value: `${username}@example.com` }],
        },
      },
    );
    expect(codeOf(signUp)).toBeUndefined();
    const code = gw.sentCodes.filter((m) => m.username === username).at(-1)?.code;
    expect(code).toMatch(/^\d{6}$/);
    const guesses = ["000000", "111111", code!].map(
      (c, i) =>
        `c${i}: confirmSignUp(input: { clientId: "${client.clientId}", username: "${username}", code: "${c}" })`,
    );
    const res = await gw.gql(`mutation { ${guesses.join("\n")} }`);
    expect4xx(res.status);
    expect(res.body.data ?? null).toBeNull();
    expectCode(res, "BAD_USER_INPUT");
    expect((await gw.pool.store.getUserByUsername(username))?.confirmed).toBe(false);
    expect(await lockoutOf(gw.pool.store, `confirm:${username}`)).toBeUndefined();
  });

  it("stops password guessing through changePassword aliases: rejected before any hash verification, the password unchanged", async () => {
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    const query = `mutation Two($a: ChangePasswordInput!, $b: ChangePasswordInput!) {
      a: changePassword(input: $a)
      b: changePassword(input: $b)
    }`;
    const outcome = await countingVerifications(gw, () =>
      gw.gql(
        query,
        {
          a: { previousPassword: "Guess-1-h0rse!", proposedPassword: "New-h0rse-Pass!" },
          b: { previousPassword: user.password, proposedPassword: "New-h0rse-Pass!" },
        },
        tokens.accessToken,
      ),
    );
    expectRefusedBeforeExecution(outcome);
    await signInAs(gw, client, user);
  });

  it("stops mixed credential checks: signIn with changePassword, and signUp with confirmSignUp, are rejected", async () => {
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    const mixedPassword = `mutation M($s: SignInInput!, $c: ChangePasswordInput!) {
      signIn(input: $s) { accessToken }
      changePassword(input: $c)
    }`;
    expectRefusedBeforeExecution(
      await countingVerifications(gw, () =>
        gw.gql(
          mixedPassword,
          {
            s: { clientId: client.clientId, username: user.username, password: "Guess-1-h0rse!" },
            c: { previousPassword: "Guess-2-h0rse!", proposedPassword: "New-h0rse-Pass!" },
          },
          tokens.accessToken,
        ),
      ),
    );
    const username = `mixed-${randomBytes(4).toString("hex")}`;
    const mixedSignUp = `mutation M($s: SignUpInput!, $c: ConfirmSignUpInput!) {
      signUp(input: $s) { userSub }
      confirmSignUp(input: $c)
    }`;
    expectRefusedBeforeExecution(
      await countingVerifications(gw, () =>
        gw.gql(mixedSignUp, {
          s: { clientId: client.clientId, username, password: PASSWORD },
          c: { clientId: client.clientId, username, code: "000000" },
        }),
      ),
    );
    expect(await gw.pool.store.getUserByUsername(username)).toBeUndefined();
  });

  it("stops alias batching hidden in inline fragments on Mutation", async () => {
    const user = await createUser(gw);
    const query = `mutation Two($a: SignInInput!, $b: SignInInput!) {
      ... on Mutation { a: signIn(input: $a) { accessToken } }
      ... on Mutation { b: signIn(input: $b) { accessToken } }
    }`;
    const input = (password: string) => ({
      clientId: client.clientId,
      username: user.username,
      password,
    });
    expectRefusedBeforeExecution(
      await countingVerifications(gw, () =>
        gw.gql(query, { a: input("Guess-1-h0rse!"), b: input(user.password) }),
      ),
    );
  });

  it("happy flow: one credential field next to non-credential fields still runs", async () => {
    const user = await createUser(gw);
    const res = await gw.gql(
      `mutation S($input: SignInInput!) { signIn(input: $input) { tokenType } __typename }`,
      {
        input: { clientId: client.clientId, username: user.username, password: user.password },
      },
    );
    expect(res.body.data).toEqual({ signIn: { tokenType: "Bearer" }, __typename: "Mutation" });
  });
});

describe("credential guessing outside signIn", () => {
  // A frozen clock: the one-second lock after the fifth failure cannot lapse mid-test.
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({ clock: frozenClock(), env: { POOLGATE_SELF_SIGN_UP: "true" } });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("stops confirmation-code brute force: after five wrong codes even the right code is refused with TOO_MANY_FAILED_ATTEMPTS", async () => {
    const username = `brute-${randomBytes(4).toString("hex")}`;
    const signUp = await gw.gql(
      `mutation S($input: SignUpInput!) { signUp(input: $input) { userSub } }`,
      {
        input: {
          clientId: client.clientId,
          username,
          password: PASSWORD,
          // A code reaches a user only by mail.
          attributes: [{ name: "email", value: `${username}@example.com` }],
        },
      },
    );
    expect(codeOf(signUp)).toBeUndefined();
    const code = gw.sentCodes.filter((m) => m.username === username).at(-1)!.code;
    const confirm = (c: string) =>
      gw.gql(`mutation C($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) }`, {
        input: { clientId: client.clientId, username, code: c },
      });
    for (let i = 1; i <= 5; i++) {
      expectCode(
        await confirm(String((Number(code) + i) % 1_000_000).padStart(6, "0")),
        "CODE_MISMATCH",
      );
    }
    expectCode(await confirm(code), "TOO_MANY_FAILED_ATTEMPTS");
    expect((await gw.pool.store.getUserByUsername(username))?.confirmed).toBe(false);
  });

  it("stops password guessing through changePassword: it shares the sign-in lockout and costs no hashing while locked", async () => {
    const user = await createUser(gw);
    const tokens = await signInAs(gw, client, user);
    const change = (previousPassword: string) =>
      gw.gql(
        `mutation C($input: ChangePasswordInput!) { changePassword(input: $input) }`,
        { input: { previousPassword, proposedPassword: "New-h0rse-Pass!" } },
        tokens.accessToken,
      );
    for (let i = 0; i < 5; i++) expectCode(await change(`Guess-${i}-h0rse!`), "NOT_AUTHORIZED");
    const locked = await countingVerifications(gw, async () => ({
      change: await change(user.password),
      signIn: await gw.gql(SIGN_IN, {
        input: { clientId: client.clientId, username: user.username, password: user.password },
      }),
    }));
    expectCode(locked.result.change, "TOO_MANY_FAILED_ATTEMPTS");
    expectCode(locked.result.signIn, "TOO_MANY_FAILED_ATTEMPTS");
    expect(locked.verifications).toBe(0);
  });
});

describe("query cost limits", () => {
  let gw: TestGateway;
  let shallow: TestGateway;
  let token: string;

  beforeAll(async () => {
    gw = await startGateway();
    shallow = await startGateway({ env: { POOLGATE_MAX_QUERY_DEPTH: "2" } });
    const client = await createClient(shallow);
    token = (await signInAs(shallow, client, await createUser(shallow))).accessToken;
  });
  afterAll(async () => {
    await gw.close();
    await shallow.close();
  });

  it("stops HTTP batching of any operation: a JSON array body gets a 4xx", async () => {
    const answer = await postJson(
      gw,
      JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]),
    );
    expect4xx(answer.status);
    expect(codeIn(answer)).toBe("BAD_REQUEST");
    expect(answer.text).not.toContain('"__typename":"Query"');
  });

  it("stops queries deeper than POOLGATE_MAX_QUERY_DEPTH with BAD_USER_INPUT and a 4xx, through fragments too", async () => {
    const ok = await shallow.gql(`{ me { sub } }`, {}, token);
    expect(codeOf(ok)).toBeUndefined();
    for (const query of [
      `{ me { attributes { name } } }`,
      `{ ...Q } fragment Q on Query { me { ...U } } fragment U on User { attributes { name } }`,
      `{ ... on Query { me { ... on User { attributes { ... on Attribute { name } } } } } }`,
    ]) {
      const res = await shallow.gql(query, {}, token);
      expect4xx(res.status);
      expect(res.body.data ?? null).toBeNull();
      expectCode(res, "BAD_USER_INPUT");
    }
  });

  it("stops deeply nested introspection under the default depth limit (12)", async () => {
    const nest = (levels: number) =>
      `{ __schema { types { fields { type { ${"ofType { ".repeat(levels)}name${" }".repeat(levels)} } } } } }`;
    // __schema, types, fields, type, then `levels` ofType, then name: depth 5 + levels.
    expect(codeOf(await gw.gql(nest(7)))).toBeUndefined();
    const res = await gw.gql(nest(8));
    expect4xx(res.status);
    expectCode(res, "BAD_USER_INPUT");
  });

  /** `{ ...F0 }` where each fragment spreads the next one twice: 2^n paths, n + 1 fragments. */
  const fanOut = (n: number, leaf = "__typename") =>
    `{ ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(" ")} fragment F${n} on Query { ${leaf} }`;

  it("stops fragment fan-out denial of service: the depth rule reads each fragment a bounded number of times", () => {
    // Each fragment spreads the next twice: without memoising a fragment's depth, the rule walks
    // 2^n paths. 1000 lexical tokens allow ~110 such fragments: one request would hang the gateway.
    const n = 16;
    const document = parse(fanOut(n, "a"));
    let reads = 0;
    for (const def of document.definitions) {
      if (def.kind !== Kind.FRAGMENT_DEFINITION) continue;
      const selections = def.selectionSet.selections;
      Object.defineProperty(def.selectionSet, "selections", {
        get: () => {
          reads++;
          return selections;
        },
      });
    }
    const errors = validate(buildSchema("type Query { a: String }"), document, [
      depthLimitRule(12),
    ]);
    expect(errors).toEqual([]);
    expect(reads).toBeLessThanOrEqual(10 * (n + 1));
  });

  it("stops fragment fan-out denial of service over HTTP: a 221-token document (under a quarter of the token limit) is answered at once", async () => {
    // With the exponential walk this takes seconds of blocked event loop (doubling per fragment).
    const query = fanOut(21);
    const started = Date.now();
    const res = await gw.gql(query);
    const elapsedMs = Date.now() - started;
    expect(res.body.data).toEqual({ __typename: "Query" });
    expect(elapsedMs).toBeLessThan(2000);
  });

  it("stops more aliases than POOLGATE_MAX_ALIASES (20) with BAD_USER_INPUT", async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    expect(codeOf(await gw.gql(aliases(20)))).toBeUndefined();
    const res = await gw.gql(aliases(21));
    expect4xx(res.status);
    expect(res.body.data ?? null).toBeNull();
    expectCode(res, "BAD_USER_INPUT");
  });

  it("stops parser denial of service: more lexical tokens than POOLGATE_MAX_QUERY_TOKENS (1000) get a 4xx parse error", async () => {
    const query = `{ ${"__typename ".repeat(1000)}}`;
    expect(Buffer.byteLength(JSON.stringify({ query }))).toBeLessThan(gw.config.maxBodyBytes);
    const res = await gw.gql(query);
    expect4xx(res.status);
    expect(["GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT"]).toContain(codeOf(res));
    expect(res.body.data ?? null).toBeNull();
  });
});

/** Sends raw HTTP/1.1 bytes; resolves with the status line's code, or "no response" after `timeoutMs`. */
function rawExchange(url: string, text: string, timeoutMs = 2000): Promise<number | "no response"> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let received = "";
    const socket = connect(Number(port), hostname, () => socket.write(text));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("no response");
    }, timeoutMs);
    const settle = () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve(match ? Number(match[1]) : "no response");
    };
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n\r\n")) {
        socket.destroy();
        settle();
      }
    });
    socket.on("close", settle);
    socket.on("error", () => undefined);
  });
}

describe("malformed requests", () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("stops a body over POOLGATE_MAX_BODY_BYTES with 413 and a GraphQL-shaped error", async () => {
    const body = JSON.stringify({
      query: "{ __typename }",
      variables: { pad: "x".repeat(gw.config.maxBodyBytes) },
    });
    const answer = await postJson(gw, body);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: "BAD_REQUEST" } }],
    });
    expectNoInternals(answer.text);
  });

  it("stops a chunked body (no content-length) once it passes POOLGATE_MAX_BODY_BYTES, with 413", async () => {
    const outcome = await new Promise<{ status: number; text: string } | { error: string }>(
      (resolve) => {
        const req = request(
          `${gw.url}/graphql`,
          { method: "POST", headers: { "content-type": "application/json" } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                text: Buffer.concat(chunks).toString("utf8"),
              }),
            );
          },
        );
        req.on("error", (err) =>
          resolve({ error: (err as NodeJS.ErrnoException).code ?? String(err) }),
        );
        const chunk = "x".repeat(16 * 1024);
        req.write(`{"query":"{ __typename }","variables":{"pad":"`);
        let sent = 0;
        const pump = () => {
          while (sent < gw.config.maxBodyBytes * 4) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          req.end(`"}}`);
        };
        pump();
      },
    );
    if ("status" in outcome) {
      expect(outcome.status).toBe(413);
      expect(JSON.parse(outcome.text).errors[0].extensions.code).toBe("BAD_REQUEST");
    } else {
      // The gateway may close the connection while the client is still sending: never a 5xx.
      expect(["ECONNRESET", "EPIPE"]).toContain(outcome.error);
    }
    expect((await postJson(gw, JSON.stringify({ query: "{ __typename }" }))).status).toBe(200);
  });

  it("stops a body that is not JSON with 400 and a GraphQL-shaped error", async () => {
    for (const body of ["{not json", "", "\u0000\u0001", '{"query": "{ __typename }"']) {
      const answer = await postJson(gw, body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect(codeIn(answer)).toBe("BAD_REQUEST");
      expectNoInternals(answer.text);
    }
  });
});

describe("CSRF prevention", () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  const GET_QUERY = `/graphql?query=${encodeURIComponent("{ __typename }")}`;

  it("stops a simple cross-site GET (no preflight header, no content-type) with 400", async () => {
    const answer = await raw(gw, GET_QUERY);
    expect(answer.status).toBe(400);
    expect(codeIn(answer)).toBe("BAD_REQUEST");
    expect(answer.text).not.toContain('"__typename"');
  });

  it("happy flow: a GET with the apollo-require-preflight header is served", async () => {
    const answer = await raw(gw, GET_QUERY, { headers: { "apollo-require-preflight": "true" } });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ data: { __typename: "Query" } });
  });

  it("stops simple cross-site POSTs (text/plain, form-urlencoded, multipart) with 400", async () => {
    const body = JSON.stringify({ query: "{ __typename }" });
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const answer = await raw(gw, "/graphql", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      expect({ type, status: answer.status, code: codeIn(answer) }).toEqual({
        type,
        status: 400,
        code: "BAD_REQUEST",
      });
      expect(answer.text).not.toContain('"__typename"');
    }
  });

  it("stops a mutation sent over GET, even with the preflight header", async () => {
    const answer = await raw(
      gw,
      `/graphql?query=${encodeURIComponent("mutation { globalSignOut }")}`,
      {
        headers: { "apollo-require-preflight": "true" },
      },
    );
    expect4xx(answer.status);
    expect(codeIn(answer)).toBe("BAD_REQUEST");
  });
});

describe("production mode", () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_ENV: "production" } });
    expect(gw.config.environment).toBe("production");
  });
  afterAll(() => gw.close());

  it("stops schema introspection", async () => {
    for (const query of [
      `{ __schema { types { name } } }`,
      `{ __type(name: "User") { fields { name } } }`,
    ]) {
      const res = await gw.gql(query);
      expect4xx(res.status);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors?.length).toBeGreaterThan(0);
      expectNoInternals(JSON.stringify(res.body));
    }
    expect((await gw.gql(`{ __typename }`)).body.data).toEqual({ __typename: "Query" });
  });

  it('attack: validation errors map a schema with introspection off ("Did you mean …" suggestions)', async () => {
    for (const query of [
      "{ adminGetUse }", // a field name one letter short
      "{ me { emai } }",
      'mutation { signIn(input: { clientId: "x", usernam: "a", password: "b" }) { expiresIn } }',
    ]) {
      const res = await gw.gql(query);
      expect4xx(res.status);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/did you mean/i);
      expect(text).not.toMatch(/adminGetUser|"email"|\\"username\\"/);
    }
  });

  it("control: a development gateway (introspection on) still suggests field names", async () => {
    const dev = await startGateway();
    try {
      const res = await dev.gql("{ adminGetUse }");
      expect(JSON.stringify(res.body)).toMatch(/Did you mean .*adminGetUser/);
    } finally {
      await dev.close();
    }
  });

  it("serves no landing page: GET / is 404 and GET /graphql for a browser gets no HTML", async () => {
    const root = await raw(gw, "/", { headers: { accept: "text/html" } });
    expect(root.status).toBe(404);
    expect(root.text.toLowerCase()).not.toContain("<html");
    const graphql = await raw(gw, "/graphql", { headers: { accept: "text/html" } });
    expect(graphql.contentType ?? "").not.toContain("text/html");
    expect(graphql.text.toLowerCase()).not.toContain("<html");
  });

  it("control: a development gateway does serve the landing page to a browser", async () => {
    const dev = await startGateway();
    try {
      const page = await raw(dev, "/graphql", { headers: { accept: "text/html" } });
      expect(page.status).toBe(200);
      expect(page.contentType ?? "").toContain("text/html");
    } finally {
      await dev.close();
    }
  });
});

describe.each(["production", "development"] as const)("error masking in %s", (environment) => {
  let gw: TestGateway;
  let client: Client;
  let user: { sub: string; username: string; password: string };
  let token: string;

  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_ENV: environment } });
    client = await createClient(gw);
    user = await createUser(gw);
    token = (await signInAs(gw, client, user)).accessToken;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await gw.close();
  });

  const signIn = () =>
    gw.gql(SIGN_IN, {
      input: { clientId: client.clientId, username: user.username, password: user.password },
    });

  it("answers an operation type the schema lacks (subscription) as a request error, not INTERNAL_SERVER_ERROR", async () => {
    const res = await gw.gql(`subscription { me { sub } }`);
    expect(res.body.data ?? null).toBeNull();
    expect(codeOf(res)).not.toBe("INTERNAL_SERVER_ERROR");
    expect([
      "GRAPHQL_VALIDATION_FAILED",
      "BAD_USER_INPUT",
      "BAD_REQUEST",
      "OPERATION_RESOLUTION_FAILURE",
    ]).toContain(codeOf(res));
    expect4xx(res.status);
    expectNoInternals(JSON.stringify(res.body));
  });

  it("request errors (parse, validation, variables) carry no stack trace", async () => {
    for (const [query, variables] of [
      [`{ me {`, undefined],
      [`{ nope }`, undefined],
      // A variables error: clientId is required (refreshToken may be omitted: cookie mode).
      [REFRESH, { input: { refreshToken: "x" } }],
    ] as const) {
      const res = await gw.gql(query, variables as Record<string, unknown> | undefined);
      expect4xx(res.status);
      expect(res.body.errors?.length).toBeGreaterThan(0);
      for (const e of res.body.errors ?? [])
        expect(e.extensions ?? {}).not.toHaveProperty("stacktrace");
      expectNoInternals(JSON.stringify(res.body));
    }
  });

  it("masks an unexpected store error (a table gone underneath) as INTERNAL_SERVER_ERROR with no SQL, path or stack", async () => {
    const file = gw.config.databaseUrl.slice("sqlite:".length);
    const db = new Database(file);
    try {
      db.exec("ALTER TABLE lockouts RENAME TO lockouts_gone");
      const res = await signIn();
      expect(res.body.data ?? null).toBeNull();
      expectCode(res, "INTERNAL_SERVER_ERROR");
      expect(res.body.errors?.[0]?.message).toBe("Internal server error");
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
      expectNoInternals(JSON.stringify(res.body));
    } finally {
      db.exec("ALTER TABLE lockouts_gone RENAME TO lockouts");
      db.close();
    }
    expect(codeOf(await signIn())).toBeUndefined();
  });

  it("masks an unexpected error in the context builder as INTERNAL_SERVER_ERROR, not as a token rejection", async () => {
    jest
      .spyOn(gw.pool, "authenticate")
      .mockRejectedValueOnce(
        new Error(`SQLITE_CORRUPT: SELECT * FROM sessions at ${join(__dirname, "x.ts")}:1:1`),
      );
    const res = await gw.gql(`{ me { sub } }`, {}, token);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expectCode(res, "INTERNAL_SERVER_ERROR");
    expect(res.body.errors?.[0]?.message).toBe("Internal server error");
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expectNoInternals(JSON.stringify(res.body));
  });

  it("masks an unexpected error outside GraphQL (the JWKS route) as a 500 INTERNAL_SERVER_ERROR", async () => {
    jest.spyOn(gw.pool.keys, "ring").mockImplementationOnce(() => {
      throw new Error(`key ring broken at ${join(__dirname, "keyring.ts")}:1:1 (SQLITE_ERROR)`);
    });
    const answer = await raw(gw, "/.well-known/jwks.json");
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.text)).toEqual({
      errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
    });
  });

  it("answers a closed store with SERVICE_UNAVAILABLE (or INTERNAL_SERVER_ERROR), never SQL, a path or a stack", async () => {
    // Last in this block: the store stays closed.
    await gw.pool.store.close();
    const res = await signIn();
    expect(res.body.data ?? null).toBeNull();
    expect(["SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR"]).toContain(codeOf(res));
    expect(Object.keys(res.body.errors?.[0]?.extensions ?? {})).toEqual(["code"]);
    expectNoInternals(JSON.stringify(res.body));
    const me = await gw.gql(`{ me { sub } }`, {}, token);
    expect(["SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR"]).toContain(codeOf(me));
    expectNoInternals(JSON.stringify(me.body));
    const ready = await raw(gw, "/readyz");
    expect(ready.status).toBe(503);
  });
});

// Federation's `_entities` does not exist yet (a later issue); docs/security.md lists its
// authorization as open.

describe("request targets", () => {
  // Last in the file, on a gateway of its own: when this fails, the gateway's unhandled
  // rejection is reported by jest against whatever runs at that moment.
  let crashGw: TestGateway;

  beforeAll(async () => {
    crashGw = await startGateway();
  });
  afterAll(() => crashGw.close());

  it("stops a one-request crash: a request target that is not a valid relative URL (//) gets a 4xx and the gateway keeps serving", async () => {
    // An exception outside handle()'s try is an unhandled rejection: under `poolgate serve`
    // (Node's default --unhandled-rejections=throw) it ends the process.
    for (const target of ["//", "//x", "///graphql"]) {
      const status = await rawExchange(
        crashGw.url,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect({
        target,
        status: typeof status === "number" && status >= 400 && status < 500,
      }).toEqual({ target, status: true });
    }
    expect((await postJson(crashGw, JSON.stringify({ query: "{ __typename }" }))).status).toBe(200);
  });
});
