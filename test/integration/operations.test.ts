/**
 * What operators rely on (docs/operations.md): GET /metrics in Prometheus format with the
 * gateway's own registry, protected by POOLGATE_METRICS_TOKEN when set; /readyz distinct
 * from /healthz; request ids in the logs; and a graceful stop — SIGTERM drains the requests
 * in flight, then closes the store, and the process exits 0.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { request as httpRequest, type ClientRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { isPoolgateError } from "../../src/errors";
import { createLogger } from "../../src/log";
import { createGateway } from "../../src/server";
import {
  createClient,
  createUser,
  frozenClock,
  ME,
  REFRESH,
  REVOKE,
  SIGN_IN,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import {
  CHEAP_HASHING,
  processEnv,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from "../support/processes";

/** The value of one sample in Prometheus text, or undefined (labels in any order). */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
      have.set(l[1]!, l[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(gw: TestGateway, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${gw.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/** POST /graphql with its body held open: the request is in flight until `finish()`. */
function heldRequest(
  baseUrl: string,
  body: string,
  headers: Record<string, string> = {},
): { finish(): void; response: Promise<{ status: number; body: string }>; req: ClientRequest } {
  const url = new URL("/graphql", baseUrl);
  let req!: ClientRequest;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = httpRequest(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  req.flushHeaders();
  return { req, response, finish: () => req.end(body.slice(half)) };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

describe("GET /metrics", () => {
  let gw: TestGateway;
  let text: string;
  let client: { clientId: string; clientSecret: string | undefined };
  beforeAll(async () => {
    // A frozen clock: the 1 s lockout after the 5th failure must still hold at the 6th attempt.
    gw = await startGateway({
      clock: frozenClock(),
      env: { POOLGATE_METRICS_OPERATION_NAMES: "SignIn,Refresh,Revoke" },
    });
    client = await createClient(gw);
    const alice = await createUser(gw);
    const tokens = await signInAs(gw, client, alice);
    // A wrong password, then a lockout: 5 failures, the 6th attempt is refused.
    const mallory = await createUser(gw);
    for (let i = 0; i < 6; i++) {
      await gw.gql(SIGN_IN, {
        input: { clientId: client.clientId, username: mallory.username, password: "Wrong-1!" },
      });
    }
    await gw.gql(REFRESH, {
      input: { clientId: client.clientId, refreshToken: tokens.refreshToken },
    });
    await gw.gql(REFRESH, { input: { clientId: client.clientId, refreshToken: "junk" } });
    await gw.gql(ME, {}, tokens.accessToken);
    await gw.gql(ME, {}, tokens.accessToken);
    await gw.gql("{ __typename }");
    await gw.gql("{ nope }");
    await gw.gql(REVOKE, { input: { clientId: client.clientId, token: tokens.refreshToken } });
    const form = new URLSearchParams({
      grant_type: "refresh_token",
      client_id: client.clientId,
      refresh_token: tokens.refreshToken,
    });
    await fetch(`${gw.url}/oauth2/token`, { method: "POST", body: form });
    await fetch(`${gw.url}/nowhere`);
    text = await scrape(gw);
  });
  afterAll(() => gw.close());

  it("counts sign-ins: successes, failures and lockouts", () => {
    expect(sample(text, "poolgate_sign_ins_total", { outcome: "success" })).toBe(1);
    expect(sample(text, "poolgate_sign_ins_total", { outcome: "failure" })).toBe(5);
    expect(sample(text, "poolgate_sign_ins_total", { outcome: "locked_out" })).toBe(1);
  });

  it("counts refreshes by outcome and entry point, and revocations", () => {
    expect(sample(text, "poolgate_refreshes_total", { outcome: "success", via: "graphql" })).toBe(
      1,
    );
    expect(sample(text, "poolgate_refreshes_total", { outcome: "invalid", via: "graphql" })).toBe(
      1,
    );
    // The refresh_token grant after the revoke.
    expect(sample(text, "poolgate_refreshes_total", { outcome: "revoked", via: "oauth2" })).toBe(1);
    expect(sample(text, "poolgate_revocations_total", { kind: "token", via: "graphql" })).toBe(1);
  });

  it("counts GraphQL operations by name, type and outcome (success or the error code)", () => {
    const op = (operation: string, type: string, outcome: string) =>
      sample(text, "poolgate_graphql_operations_total", { operation, type, outcome });
    expect(op("SignIn", "mutation", "success")).toBe(1);
    expect(op("SignIn", "mutation", "NOT_AUTHORIZED")).toBe(5);
    expect(op("SignIn", "mutation", "TOO_MANY_FAILED_ATTEMPTS")).toBe(1);
    expect(op("Refresh", "mutation", "INVALID_REFRESH_TOKEN")).toBe(1);
    expect(op("Revoke", "mutation", "success")).toBe(1);
    expect(op("__anonymous", "query", "success")).toBe(3); // two `me`, one __typename
    expect(op("__invalid", "none", "GRAPHQL_VALIDATION_FAILED")).toBe(1);
  });

  it("counts HTTP requests by route, method and status, with durations", () => {
    expect(
      sample(text, "poolgate_http_requests_total", {
        route: "/graphql",
        method: "POST",
        status: "200",
      }),
    ).toBe(13);
    // `{ nope }` fails validation: HTTP 400.
    expect(
      sample(text, "poolgate_http_requests_total", {
        route: "/graphql",
        method: "POST",
        status: "400",
      }),
    ).toBe(1);
    expect(
      sample(text, "poolgate_http_requests_total", {
        route: "/oauth2/token",
        method: "POST",
        status: "400",
      }),
    ).toBe(1);
    expect(
      sample(text, "poolgate_http_requests_total", {
        route: "other",
        method: "GET",
        status: "404",
      }),
    ).toBe(1);
    expect(
      sample(text, "poolgate_http_request_duration_seconds_count", { route: "/graphql" }),
    ).toBeGreaterThanOrEqual(14);
    // The scrape itself is the one request in flight.
    expect(sample(text, "poolgate_http_requests_in_flight")).toBe(1);
  });

  it("reports the verified-token cache: hits, misses and the hit ratio", () => {
    const hits = sample(text, "poolgate_token_cache_hits_total")!;
    const misses = sample(text, "poolgate_token_cache_misses_total")!;
    expect(hits).toBeGreaterThanOrEqual(1); // the second `me`
    expect(misses).toBeGreaterThanOrEqual(1);
    expect(sample(text, "poolgate_token_cache_hit_ratio")).toBeCloseTo(hits / (hits + misses));
    expect(sample(text, "poolgate_token_cache_entries")).toBeGreaterThanOrEqual(1);
  });

  it("times every store call by method (store latency)", () => {
    const count = (operation: string) =>
      sample(text, "poolgate_store_operation_duration_seconds_count", {
        operation,
        outcome: "ok",
      });
    // 7 attempts; the one refused by the lockout never reads the user.
    expect(count("getUserByUsername")).toBeGreaterThanOrEqual(6);
    expect(count("updateLockout")).toBeGreaterThanOrEqual(7);
    expect(count("createSession")).toBe(1);
    expect(count("revokeSession")).toBe(1);
    expect(
      sample(text, "poolgate_store_operation_duration_seconds_bucket", {
        operation: "createSession",
        le: "+Inf",
      }),
    ).toBe(1);
  });

  it("includes the process metrics and the version", () => {
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(sample(text, "poolgate_info", { version: "0.1.0" })).toBe(1);
  });

  it("attack: made-up operation names from an anonymous caller take the metrics label slots", async () => {
    const other = await startGateway({ env: { POOLGATE_METRICS_OPERATION_NAMES: "Me, SignIn" } });
    try {
      for (let i = 0; i < 150; i++) await other.gql(`query Junk${i} { __typename }`);
      await other.gql(`query Me { __typename }`);
      await other.gql(`query SignIn { __typename }`);
      await other.gql(`{ __typename }`);
      const scraped = await scrape(other);
      const names = new Set(
        [...scraped.matchAll(/poolgate_graphql_operations_total\{[^}]*operation="([^"]+)"/g)].map(
          (m) => m[1],
        ),
      );
      // Only the operator's names, and the fixed ones: the scrape cannot grow, nor lose a name.
      expect([...names].sort()).toEqual(["Me", "SignIn", "__anonymous", "__other"]);
      const count = (operation: string) =>
        sample(scraped, "poolgate_graphql_operations_total", {
          operation,
          type: "query",
          outcome: "success",
        });
      expect(count("__other")).toBe(150);
      expect(count("Me")).toBe(1);
      expect(count("SignIn")).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("keeps each gateway's counts in its own registry", async () => {
    const other = await startGateway();
    try {
      const scraped = await scrape(other);
      expect(sample(scraped, "poolgate_sign_ins_total", { outcome: "success" })).toBeUndefined();
      expect(other.gateway.metrics.registry).not.toBe(gw.gateway.metrics.registry);
    } finally {
      await other.close();
    }
  });
});

describe("POOLGATE_METRICS_TOKEN", () => {
  const TOKEN = "s3cret-metrics-token-0123456789";
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => gw.close());

  it("happy flow: the right bearer token gets the metrics", async () => {
    const text = await scrape(gw, { authorization: `Bearer ${TOKEN}` });
    expect(text).toContain("poolgate_http_requests_total");
  });

  it("error flow: no token, a wrong one, a prefix of it, or two headers get 401", async () => {
    for (const authorization of [
      undefined,
      "Bearer wrong",
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const res = await fetch(`${gw.url}/metrics`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(await res.text()).not.toContain("poolgate_");
    }
    const twice = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(new URL("/metrics", gw.url), {
        headers: [
          ["host", new URL(gw.url).host],
          ["authorization", `Bearer ${TOKEN}`],
          ["authorization", "Bearer other"],
        ].flat(),
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(twice).toBe(401);
  });

  it("warns at start when /metrics is open on a non-loopback interface", async () => {
    const lines: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), "poolgate-warn-"));
    const env = {
      ...CHEAP_HASHING,
      POOLGATE_HOST: "0.0.0.0",
      POOLGATE_PORT: "0",
      POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    };
    const open = await createGateway({
      config: loadConfig(env),
      logger: createLogger({ logLevel: "warn" }, { write: (l: string) => void lines.push(l) }),
    });
    const guarded = await createGateway({
      config: loadConfig({ ...env, POOLGATE_METRICS_TOKEN: TOKEN }),
      logger: createLogger({ logLevel: "warn" }, { write: (l: string) => void lines.push(l) }),
    });
    await open.stop();
    await guarded.stop();
    rmSync(dir, { recursive: true, force: true });
    const warnings = lines.filter((l) => l.includes("POOLGATE_METRICS_TOKEN"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, host: "0.0.0.0" });
  });

  it("is validated: shorter than 16 characters is refused", () => {
    let thrown: unknown;
    try {
      loadConfig({ POOLGATE_METRICS_TOKEN: "short" });
    } catch (err) {
      thrown = err;
    }
    expect(isPoolgateError(thrown) && thrown.code).toBe("BAD_USER_INPUT");
    expect((thrown as Error).message).toContain("POOLGATE_METRICS_TOKEN");
  });
});

describe("health, readiness and request ids", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("/healthz is liveness, /readyz readiness: two routes with their own answers", async () => {
    const health = await fetch(`${gw.url}/healthz`);
    const ready = await fetch(`${gw.url}/readyz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok" }]);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready" }]);
  });

  it("echoes a well-formed x-request-id and makes one up otherwise", async () => {
    const mine = await fetch(`${gw.url}/healthz`, { headers: { "x-request-id": "abc-123" } });
    expect(mine.headers.get("x-request-id")).toBe("abc-123");
    const bad = await fetch(`${gw.url}/healthz`, { headers: { "x-request-id": "no spaces" } });
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("graceful stop in process", () => {
  it("stop() waits for a request in flight, which completes with 200, then closes the store", async () => {
    const gw = await startGateway();
    try {
      const held = heldRequest(gw.url, JSON.stringify({ query: "{ __typename }" }));
      await until("the request is in flight", async () => {
        const text = await (await fetch(`${gw.url}/metrics`)).text();
        return sample(text, "poolgate_http_requests_in_flight") === 2;
      });
      let stopped = false;
      const stopping = gw.stop().then(() => (stopped = true));
      await new Promise((r) => setTimeout(r, 100));
      expect(stopped).toBe(false);
      // New connections are refused while the old request drains.
      await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
      held.finish();
      const res = await held.response;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ data: { __typename: "Query" } });
      await stopping;
      // The store is closed: the pool can no longer read it.
      await expect(gw.pool.ready()).resolves.toBe(false);
    } finally {
      await gw.close();
    }
  });
});

describe("poolgate serve on SIGTERM", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await stopAllGatewayProcesses();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("drains a sign-in in flight (it completes with 200), closes the store and exits 0; its log lines carry the request id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poolgate-sigterm-"));
    dirs.push(dir);
    const env = processEnv({
      ...CHEAP_HASHING,
      POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    });
    const gw = await startGatewayProcess("sigterm", env);
    // `serve` creates the development client on an empty store and logs its id.
    const clientId = String(
      gw.logLines().find((l) => l["msg"] === "development: created a public app client")?.[
        "clientId"
      ],
    );
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          join(__dirname, "..", "..", "bin", "poolgate.js"),
          "users",
          "create",
          "--username",
          "carol",
          "--password",
          "Drain-passw0rd!",
        ],
        { env },
        (err) => (err ? reject(err) : resolve()),
      ),
    );

    const body = JSON.stringify({
      query: SIGN_IN,
      variables: { input: { clientId, username: "carol", password: "Drain-passw0rd!" } },
    });
    const held = heldRequest(gw.baseUrl, body, { "x-request-id": "drain-test-1" });
    await until("the sign-in is in flight", async () => {
      const res = await gw.get("/metrics");
      return sample(res.text, "poolgate_http_requests_in_flight") === 2;
    });
    const exit = gw.stop(15_000);
    await until("the gateway is draining", async () =>
      gw.logs().includes('"msg":"draining and shutting down"'),
    );
    expect(gw.alive()).toBe(true);
    held.finish();
    const res = await held.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).data.signIn.accessToken).toEqual(expect.any(String));
    await expect(exit).resolves.toEqual({ code: 0, signal: null });

    const lines = gw.logLines();
    expect(lines.find((l) => l["msg"] === "signed in")).toMatchObject({
      requestId: "drain-test-1",
      event: "sign_in",
    });
    const stopped = lines.find((l) => l["msg"] === "gateway stopped: store closed");
    expect(stopped).toMatchObject({ drainedRequests: 1 });
    // The sign-in was answered before the store closed.
    const order = (msg: string) => lines.findIndex((l) => l["msg"] === msg);
    expect(order("signed in")).toBeLessThan(order("gateway stopped: store closed"));
    expect(gw.logs()).not.toContain("Drain-passw0rd!");
  });
});
