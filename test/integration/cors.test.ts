/**
 * CORS (POOLGATE_CORS_ORIGINS): nothing allowed by default; listed origins get their own
 * origin back with credentials; `*` (development only) never with credentials; preflights
 * answered for /graphql, /oauth2/* and /.well-known/*; Vary: Origin on every answer there.
 */
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../src/config";
import { isPoolgateError } from "../../src/errors";
import { startGateway, type TestGateway } from "../harness";

const APP = "https://app.example.com";
const EVIL = "https://evil.example";

function preflight(
  gw: TestGateway,
  path: string,
  origin: string,
  headers = "content-type, authorization",
): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": headers,
    },
  });
}

function post(gw: TestGateway, origin: string): Promise<Response> {
  return fetch(`${gw.url}/graphql`, {
    method: "POST",
    headers: { origin, "content-type": "application/json" },
    body: JSON.stringify({ query: "{ __typename }" }),
  });
}

const varyOf = (res: Response) =>
  (res.headers.get("vary") ?? "")
    .split(",")
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);

function expectNoCors(res: Response): void {
  expect(res.headers.get("access-control-allow-origin")).toBeNull();
  expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  expect(varyOf(res)).toContain("origin");
}

function expectInvalid(env: Record<string, string>): void {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    thrown = err;
  }
  expect(isPoolgateError(thrown) && thrown.code).toBe("BAD_USER_INPUT");
  expect((thrown as Error).message).toContain("POOLGATE_CORS_ORIGINS");
}

describe("CORS by default (no origins listed)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it("refuses every preflight: 403 and no CORS headers", async () => {
    const res = await preflight(gw, "/graphql", APP);
    expect(res.status).toBe(403);
    expectNoCors(res);
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("answers a cross-origin request without CORS headers, so the browser hides it", async () => {
    const res = await post(gw, APP);
    expect(res.status).toBe(200);
    expectNoCors(res);
  });

  it("answers a plain OPTIONS (no preflight) with Allow", async () => {
    const res = await fetch(`${gw.url}/graphql`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
  });
});

describe("CORS with an allow-list", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: { POOLGATE_CORS_ORIGINS: `${APP}, http://localhost:5173` },
    });
  });
  afterAll(() => gw.close());

  it("happy flow: a preflight from a listed origin is allowed with credentials, methods, headers and max-age", async () => {
    const res = await preflight(
      gw,
      "/graphql",
      APP,
      "content-type, authorization, apollo-require-preflight",
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST");
    const allowed = res.headers.get("access-control-allow-headers")!.split(", ");
    expect(allowed).toEqual(
      expect.arrayContaining(["content-type", "authorization", "apollo-require-preflight"]),
    );
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(varyOf(res)).toEqual(expect.arrayContaining(["origin"]));
  });

  it("happy flow: the actual request from a listed origin carries its origin, credentials and Vary: Origin", async () => {
    const res = await post(gw, "http://localhost:5173");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-request-id");
    expect(varyOf(res)).toContain("origin");
  });

  it("never reflects an unlisted origin, nor a near miss of a listed one", async () => {
    for (const origin of [
      EVIL,
      "null",
      "https://app.example.com.evil.example",
      "http://app.example.com",
      "https://app.example.com:8443",
    ]) {
      const pre = await preflight(gw, "/graphql", origin);
      expect({ origin, status: pre.status }).toEqual({ origin, status: 403 });
      expectNoCors(pre);
      expectNoCors(await post(gw, origin));
    }
  });

  it("covers /oauth2/* and /.well-known/*, not other routes", async () => {
    const token = await preflight(gw, "/oauth2/token", APP);
    expect(token.status).toBe(204);
    expect(token.headers.get("access-control-allow-origin")).toBe(APP);
    const jwks = await fetch(`${gw.url}/.well-known/jwks.json`, { headers: { origin: APP } });
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get("access-control-allow-origin")).toBe(APP);
    const health = await fetch(`${gw.url}/healthz`, { headers: { origin: APP } });
    expect(health.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS with * (development only)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { POOLGATE_CORS_ORIGINS: "*" } });
  });
  afterAll(() => gw.close());

  it("allows any origin, never with credentials", async () => {
    const pre = await preflight(gw, "/graphql", EVIL);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
    const res = await post(gw, EVIL);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });
});

describe("POOLGATE_CORS_ORIGINS validation", () => {
  const production = {
    POOLGATE_ENV: "production",
    // Production refuses to start a mail-sending feature without SMTP; recovery sends mail.
    POOLGATE_ACCOUNT_RECOVERY: "admin_only",
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
  };

  it("happy flow: reads a comma-separated list of exact origins", () => {
    expect(
      loadConfig({ POOLGATE_CORS_ORIGINS: " https://a.example ,http://localhost:3000,," })
        .corsOrigins,
    ).toEqual(["https://a.example", "http://localhost:3000"]);
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ ...production, POOLGATE_CORS_ORIGINS: APP }).corsOrigins).toEqual([APP]);
  });

  it("refuses * in production, and * mixed with origins", () => {
    expectInvalid({ ...production, POOLGATE_CORS_ORIGINS: "*" });
    expectInvalid({ POOLGATE_CORS_ORIGINS: `*,${APP}` });
  });

  it("refuses anything that is not exactly an origin", () => {
    for (const bad of [
      "https://a.example/",
      "https://a.example/path",
      "a.example",
      "ftp://a.example",
      "https://A.example",
      "https://a.example?x=1",
    ]) {
      expectInvalid({ POOLGATE_CORS_ORIGINS: bad });
    }
  });
});
