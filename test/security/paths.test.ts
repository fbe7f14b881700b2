/**
 * The gateway routes on the request path exactly as sent (src/http/target.ts). A URL parser
 * would read `//x/metrics` as host `x` and path `/metrics`, and resolve `..`, `%2e%2e` and `\`,
 * so a proxy rule such as "block /metrics" (docs/operations.md) was bypassable by spelling the
 * path another way. Every route is tried with every spelling, over raw sockets: fetch() and
 * http.request would normalise or refuse some of these targets before sending them.
 */
import { startGateway, type TestGateway } from "../harness";
import { sendTarget, type WireAnswer } from "../support/raw";

/** Every route the gateway serves (DESIGN §6), as GET: each answers something other than 404. */
const ROUTES = [
  "/graphql",
  "/.well-known/jwks.json",
  "/.well-known/openid-configuration",
  "/oauth2/token",
  "/oauth2/revoke",
  "/oauth2/userInfo",
  "/oauth2/introspect",
  "/login",
  "/healthz",
  "/readyz",
  "/metrics",
];

/** Spellings of `route` that a URL parser, a proxy or a file system could take for it. */
function spellings(route: string): string[] {
  const [first, ...rest] = route.slice(1).split("/");
  const tail = rest.length > 0 ? `/${rest.join("/")}` : "";
  return [
    `//x${route}`,
    `//${route.slice(1)}`,
    `///${route.slice(1)}`,
    `/x/..${route}`,
    `/x/../${route.slice(1)}`,
    `/x/%2e%2e${route}`,
    `/x/%2E%2E${route}`,
    `/x/.%2e${route}`,
    `/x/%2e.${route}`,
    `/.${route}`,
    `/%2e${route}`,
    `${route}/.`,
    `${route}/x/..`,
    `/x%2f..${route}`,
    `/x%2F..%2F${route.slice(1)}`,
    `/${first}%2f${tail.slice(1)}`,
    `/x\\..${route}`,
    `/${first}\\${tail.slice(1)}`,
    `/x%5c..${route}`,
    `/x%5C..%5C${route.slice(1)}`,
    `${route}#fragment`,
    `${route}/`,
    `${route}//`,
    route.toUpperCase(),
    `http://gateway.invalid${route}`,
  ].filter((s) => s !== route);
}

function expectNotFound(target: string, answer: WireAnswer): void {
  // One object, so a failure names the target.
  expect({ target, status: answer.status, body: answer.text }).toEqual({
    target,
    status: 404,
    body: JSON.stringify({ error: "not_found" }),
  });
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
}

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

describe("attacks on the path", () => {
  it("attack: path traversal /x/../metrics does not reach /metrics", async () => {
    expectNotFound("/x/../metrics", await sendTarget(gw.url, "/x/../metrics"));
  });

  it("attack: a double slash //x/metrics (read as a host by a URL parser) does not reach /metrics", async () => {
    expectNotFound("//x/metrics", await sendTarget(gw.url, "//x/metrics"));
  });

  it("attack: percent-encoded dot segments /x/%2e%2e/metrics do not reach /metrics", async () => {
    for (const target of ["/x/%2e%2e/metrics", "/x/%2E%2E/metrics", "/x/.%2e/metrics"])
      expectNotFound(target, await sendTarget(gw.url, target));
  });

  it("attack: backslashes /x\\..\\metrics and an encoded slash or backslash do not reach /metrics", async () => {
    for (const target of ["/x\\..\\metrics", "/x%2f..%2fmetrics", "/x%5c..%5cmetrics"])
      expectNotFound(target, await sendTarget(gw.url, target));
  });

  it("attack: a fragment /metrics#x or the absolute form http://host/metrics does not reach /metrics", async () => {
    for (const target of ["/metrics#x", "http://gateway.invalid/metrics"])
      expectNotFound(target, await sendTarget(gw.url, target));
  });

  it("attack: no other spelling of any route reaches it — every one is 404 with the stable body, never a 5xx", async () => {
    for (const route of ROUTES) {
      for (const target of spellings(route))
        expectNotFound(target, await sendTarget(gw.url, target));
    }
  });

  it("attack: a target starting with a backslash is refused by Node's HTTP parser (400) before routing", async () => {
    for (const target of ["\\metrics", "\\\\x\\metrics"]) {
      const answer = await sendTarget(gw.url, target);
      expect({ target, status: answer.status }).toEqual({ target, status: 400 });
    }
  });

  it("the same spellings of a made-up path are 404 too, and odd targets never a 5xx", async () => {
    for (const target of [
      ...spellings("/nothing"),
      "*",
      "/%",
      "/%zz",
      "/%00",
      "/..",
      "/.",
      "/%2e%2e",
      "/graphql%00",
    ])
      expectNotFound(target, await sendTarget(gw.url, target));
  });
});

describe("canonical paths still work", () => {
  it("happy flow: every route answers its exact path (none is 404)", async () => {
    for (const route of ROUTES) {
      const answer = await sendTarget(gw.url, route);
      expect({ route, notFound: answer.status === 404 }).toEqual({ route, notFound: false });
    }
  });

  it("happy flow: the query string is read as before (GraphQL GET, /login ?client_id=)", async () => {
    const query = await sendTarget(gw.url, "/graphql?query=%7B__typename%7D", {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(query.status).toBe(200);
    expect(JSON.parse(query.text)).toEqual({ data: { __typename: "Query" } });
    // A path-looking query string is just a parameter.
    const dotted = await sendTarget(gw.url, "/graphql?query=%7B__typename%7D&x=/../metrics", {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(dotted.status).toBe(200);
    const login = await sendTarget(gw.url, "/login?client_id=not%20an%20id");
    expect(login.status).toBe(400);
    expect(login.text).toContain("not an app client id");
  });

  it("happy flow: /metrics itself still serves the metrics", async () => {
    const answer = await sendTarget(gw.url, "/metrics");
    expect(answer.status).toBe(200);
    expect(answer.text).toContain("poolgate_http_requests_total");
  });
});
