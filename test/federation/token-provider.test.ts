/**
 * createTokenProvider (issue 18 #3) against real HTTP servers on port 0: a stand-in token
 * endpoint that counts requests and fails on purpose, and the real gateway. Time is injected
 * where the rule is about time (renewal at 75 %).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTokenProvider, PoolgateError } from "../../src/index";
import { SseParser, type SseEvent } from "../../src/subgraph/sse";
import { startGateway, type TestGateway } from "../harness";
import { createFeedClient, settlesWithin } from "./feedSupport";

interface Endpoint {
  url: string;
  requests: number;
  /** What the next requests get: a status (a failure), or a token with this lifetime. */
  plan: (number | "token")[];
  expiresIn: number;
  delayMs: number;
  close(): Promise<void>;
}

async function tokenEndpoint(): Promise<Endpoint> {
  const endpoint: Endpoint = {
    url: "",
    requests: 0,
    plan: [],
    expiresIn: 3600,
    delayMs: 0,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    endpoint.requests++;
    const n = endpoint.requests;
    req.resume();
    req.on("end", () => {
      setTimeout(() => {
        const step = endpoint.plan.shift() ?? "token";
        if (step !== "token") {
          res.writeHead(step, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: step === 400 ? "invalid_scope" : "server_error" }));
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            access_token: `token-${n}`,
            token_type: "Bearer",
            expires_in: endpoint.expiresIn,
          }),
        );
      }, endpoint.delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
  return endpoint;
}

const endpoints: Endpoint[] = [];
async function endpoint(): Promise<Endpoint> {
  const e = await tokenEndpoint();
  endpoints.push(e);
  return e;
}

afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

const CLIENT = { clientId: "svc", clientSecret: "s3cret" };

describe("createTokenProvider", () => {
  it("happy flow: 100 concurrent callers share one token request", async () => {
    const e = await endpoint();
    e.delayMs = 50;
    const provider = createTokenProvider({ tokenEndpoint: e.url, ...CLIENT });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => provider.getToken()));
    expect(new Set(tokens)).toEqual(new Set(["token-1"]));
    expect(e.requests).toBe(1);
    await provider.getToken();
    expect(e.requests).toBe(1);
  });

  it("renews at 75 % of the lifetime, handing out the still-valid token meanwhile", async () => {
    const e = await endpoint();
    e.expiresIn = 100;
    let t = 1_000_000;
    const provider = createTokenProvider({ tokenEndpoint: e.url, ...CLIENT, nowMs: () => t });
    expect(await provider.getToken()).toBe("token-1");
    t += 74_000;
    expect(await provider.getToken()).toBe("token-1");
    expect(e.requests).toBe(1);
    t += 2_000; // 76 %
    expect(await provider.getToken()).toBe("token-1");
    for (let i = 0; i < 100 && e.requests < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(e.requests).toBe(2);
    for (let i = 0; i < 100; i++) {
      if ((await provider.getToken()) === "token-2") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await provider.getToken()).toBe("token-2");
    expect(e.requests).toBe(2);
  });

  it("asks again after expiry when the background renewal could not run", async () => {
    const e = await endpoint();
    e.expiresIn = 10;
    let t = 0;
    const provider = createTokenProvider({ tokenEndpoint: e.url, ...CLIENT, nowMs: () => t });
    await provider.getToken();
    t += 11_000;
    expect(await provider.getToken()).toBe("token-2");
  });

  it("error flow: retries a failing endpoint with backoff, then succeeds", async () => {
    const e = await endpoint();
    e.plan = [500, 503, 429];
    const provider = createTokenProvider({
      tokenEndpoint: e.url,
      ...CLIENT,
      initialBackoffMs: 20,
      maxAttempts: 5,
    });
    const started = Date.now();
    expect(await provider.getToken()).toBe("token-4");
    expect(e.requests).toBe(4);
    expect(provider.stats()).toEqual({ requests: 4, failures: 3 });
    // Three waits of at least half of 20, 40 and 80 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it("error flow: gives up after maxAttempts with SERVICE_UNAVAILABLE naming the endpoint and the last failure", async () => {
    const e = await endpoint();
    e.plan = [500, 500, 500];
    const provider = createTokenProvider({
      tokenEndpoint: e.url,
      ...CLIENT,
      initialBackoffMs: 5,
      maxAttempts: 3,
    });
    const err = await provider.getToken().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PoolgateError);
    expect((err as PoolgateError).code).toBe("SERVICE_UNAVAILABLE");
    expect((err as PoolgateError).message).toContain("after 3 attempts (last: HTTP 500)");
    expect((err as PoolgateError).message).not.toContain(CLIENT.clientSecret);
    expect(e.requests).toBe(3);
  });

  it("error flow: a refusal (4xx) is not retried: UNAUTHORIZED_CLIENT", async () => {
    const e = await endpoint();
    e.plan = [400];
    const provider = createTokenProvider({ tokenEndpoint: e.url, ...CLIENT });
    const err = await provider.getToken().catch((x: unknown) => x);
    expect((err as PoolgateError).code).toBe("UNAUTHORIZED_CLIENT");
    expect((err as PoolgateError).message).toContain("invalid_scope");
    expect(e.requests).toBe(1);
  });

  it("error flow: an unreachable endpoint fails after the bound", async () => {
    const e = await endpoint();
    const url = e.url;
    await e.close();
    endpoints.splice(endpoints.indexOf(e), 1);
    const provider = createTokenProvider({
      tokenEndpoint: url,
      ...CLIENT,
      initialBackoffMs: 5,
      maxAttempts: 2,
    });
    await expect(provider.getToken()).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });

  it("error flow: close() ends a getToken waiting out its retry backoff against an endpoint refusing connections", async () => {
    const e = await endpoint();
    const url = e.url;
    await e.close();
    endpoints.splice(endpoints.indexOf(e), 1);
    const provider = createTokenProvider({
      tokenEndpoint: url,
      ...CLIENT,
      initialBackoffMs: 60_000,
      maxBackoffMs: 60_000,
    });
    const token = provider.getToken().catch((x: unknown) => x);
    await new Promise((r) => setTimeout(r, 200));
    expect(provider.stats().failures).toBeGreaterThanOrEqual(1);
    provider.close();
    expect(await settlesWithin(token, 10_000)).toBe("settled");
    expect(await token).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    await expect(provider.getToken()).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });

  it("rejects bad options at creation", () => {
    expect(() => createTokenProvider({ tokenEndpoint: "ftp://x", ...CLIENT })).toThrow(
      /tokenEndpoint/,
    );
    expect(() =>
      createTokenProvider({ tokenEndpoint: "http://x", clientId: "a", clientSecret: "" }),
    ).toThrow(/clientSecret/);
  });

  describe("against the gateway", () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway();
    });
    afterAll(async () => {
      await gw?.close();
    });

    it("happy flow: gets a client-credentials token with the asked scope from /oauth2/token", async () => {
      const client = await createFeedClient(gw);
      const provider = createTokenProvider({
        tokenEndpoint: `${gw.url}/oauth2/token`,
        ...client,
        scopes: ["poolgate/revocations"],
      });
      const token = await provider.getToken();
      const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
      expect(claims).toMatchObject({ sub: client.clientId, scope: "poolgate/revocations" });
    });
  });
});

describe("SseParser", () => {
  function parse(chunks: string[]): { events: SseEvent[]; comments: string[] } {
    const events: SseEvent[] = [];
    const comments: string[] = [];
    const parser = new SseParser(
      (e) => events.push(e),
      (c) => comments.push(c),
    );
    for (const c of chunks) parser.push(c);
    return { events, comments };
  }

  it("parses events split anywhere, with LF, CRLF and CR line ends", () => {
    const text =
      "event: reset\r\ndata: {}\r\n\r\nid: 7\ndata: a\ndata: b\n\n: hb\r\rdata:x\r\n\r\n";
    for (let cut = 0; cut < text.length; cut++) {
      const { events, comments } = parse([text.slice(0, cut), text.slice(cut)]);
      expect(events).toEqual([
        { event: "reset", data: "{}", lastEventId: "" },
        { event: "message", data: "a\nb", lastEventId: "7" },
        { event: "message", data: "x", lastEventId: "7" },
      ]);
      expect(comments).toEqual(["hb"]);
    }
  });

  it("skips a BOM, events without data, unknown fields and ids holding NUL", () => {
    const { events } = parse(["\ufeffevent: x\n\nfoo: bar\nid: 1\0\ndata: y\n\n"]);
    expect(events).toEqual([{ event: "message", data: "y", lastEventId: "" }]);
  });
});
