/**
 * Stopping within POOLGATE_SHUTDOWN_DRAIN_SECONDS (docs/operations.md, "Shutdown"): after
 * server.close() Node no longer enforces headersTimeout or requestTimeout, so a client sending
 * one byte a second held Gateway.stop() — and `poolgate serve` on SIGTERM — forever. Each slow
 * client here is a real socket that writes at most its own request, one byte a second, and is
 * destroyed when its test ends. The jest timeout is the check: a stop that waited for the
 * client would still be waiting when it fires.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metricOf, startGateway, type TestGateway } from "../harness";
import {
  CHEAP_HASHING,
  eventually,
  processEnv,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from "../support/processes";

/** Long enough that a stop waiting for the slow client fails the test; the stops take ~1 s. */
const STOP_TEST_TIMEOUT_MS = 20_000;

const sockets = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();
const gateways: TestGateway[] = [];

afterEach(async () => {
  for (const t of timers) clearInterval(t);
  timers.clear();
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const gw of gateways.splice(0)) await gw.close();
});

async function gateway(drainSeconds: number): Promise<TestGateway> {
  const gw = await startGateway({
    env: { POOLGATE_SHUTDOWN_DRAIN_SECONDS: String(drainSeconds) },
  });
  gateways.push(gw);
  return gw;
}

interface SlowClient {
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  /** Bytes of the slow request written so far. */
  sent(): number;
}

/**
 * A keep-alive connection that first gets one complete answer (so the server has certainly
 * accepted it), then writes `request` one byte a second from byte `from` on (the bytes before
 * it at once). It never writes more than `request`, and stops when the connection closes.
 */
async function slowClient(url: string, request: string, from = 0): Promise<SlowClient> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  sockets.add(socket);
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  let received = "";
  await new Promise<void>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes('{"status":"ok"}')) resolve();
    });
    void closed.then(() => reject(new Error("closed before the first answer")));
    socket.write(`GET /healthz HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`);
  });
  let next = from;
  if (from > 0) socket.write(request.slice(0, from));
  const writeOne = () => {
    if (next >= request.length || socket.destroyed) return clearInterval(timer);
    socket.write(request[next++]!);
  };
  const timer = setInterval(writeOne, 1000);
  timers.add(timer);
  writeOne();
  return { closed, sent: () => next };
}

/**
 * Waits for the second slow byte: by then the server has read the first a second ago, so the
 * connection has a request under way and is not idle (an idle one is closed at once).
 */
async function underWay(slow: SlowClient, from = 0): Promise<void> {
  await eventually("two slow bytes were written", async () => slow.sent() >= from + 2, {
    timeoutMs: 10_000,
    intervalMs: 50,
  });
}

/** A request 60 bytes long or more: a minute at one byte a second. */
function slowRequest(body = ""): string {
  const head = [
    body === "" ? "GET /healthz HTTP/1.1" : "POST /graphql HTTP/1.1",
    "host: gateway",
    "x-padding: " + "p".repeat(40),
    ...(body === "" ? [] : ["content-type: application/json", `content-length: ${body.length}`]),
  ];
  return `${head.join("\r\n")}\r\n\r\n${body}`;
}

/** A GraphQL POST sent up to its last byte; `finish()` sends that byte. */
function heldRequest(url: string): {
  finish(): void;
  response: Promise<{ status: number; body: string }>;
} {
  const body = JSON.stringify({ query: "{ __typename }" });
  const req = httpRequest(new URL("/graphql", url), {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
  });
  req.write(body.slice(0, -1));
  req.flushHeaders();
  return { response, finish: () => req.end(body.slice(-1)) };
}

const inFlight = (gw: TestGateway) => metricOf(gw, "poolgate_http_requests_in_flight");

describe("drain deadline", () => {
  it(
    "attack: a client sending its request headers one byte a second cannot hold stop() past the drain deadline",
    async () => {
      const gw = await gateway(1);
      const slow = await slowClient(gw.url, slowRequest());
      await underWay(slow);
      await gw.gateway.stop();
      await slow.closed;
      // The request was cut, not completed: the client had not finished writing it.
      expect(slow.sent()).toBeLessThan(slowRequest().length);
      await expect(gw.pool.ready()).resolves.toBe(false);
    },
    STOP_TEST_TIMEOUT_MS,
  );

  it(
    "attack: a client sending its request body one byte a second cannot hold stop() past the drain deadline",
    async () => {
      const gw = await gateway(1);
      const request = slowRequest(JSON.stringify({ query: "{ __typename }", pad: "x".repeat(40) }));
      const slow = await slowClient(gw.url, request, request.indexOf("\r\n\r\n") + 4);
      await eventually("the slow request is in flight", async () => (await inFlight(gw)) === 1, {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      await gw.gateway.stop();
      await slow.closed;
      expect(slow.sent()).toBeLessThan(request.length);
      await expect(gw.pool.ready()).resolves.toBe(false);
    },
    STOP_TEST_TIMEOUT_MS,
  );

  it(
    "happy flow: a request in flight when stop() starts still completes with 200 beside a slow client",
    async () => {
      const gw = await gateway(5);
      const slow = await slowClient(gw.url, slowRequest());
      await underWay(slow);
      const held = heldRequest(gw.url);
      await eventually("the request is in flight", async () => (await inFlight(gw)) === 1, {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      const stopping = gw.gateway.stop();
      held.finish();
      const answer = await held.response;
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ data: { __typename: "Query" } });
      await stopping;
      await slow.closed;
    },
    STOP_TEST_TIMEOUT_MS,
  );

  it(
    "happy flow: an idle keep-alive connection is closed at once, so stop() does not wait for the deadline",
    async () => {
      // A deadline far beyond the test's timeout: only closing the idle connection lets it pass.
      const gw = await gateway(3600);
      const idle = await slowClient(gw.url, "");
      await gw.gateway.stop();
      await idle.closed;
    },
    STOP_TEST_TIMEOUT_MS,
  );
});

describe("poolgate serve on SIGTERM", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await stopAllGatewayProcesses();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it(
    "attack: a client sending one byte a second cannot keep the process from exiting 0 after the drain deadline",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "poolgate-drain-"));
      dirs.push(dir);
      const gw = await startGatewayProcess(
        "drain",
        processEnv({
          ...CHEAP_HASHING,
          POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
          POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
          POOLGATE_SHUTDOWN_DRAIN_SECONDS: "1",
        }),
      );
      const slow = await slowClient(gw.baseUrl, slowRequest());
      await underWay(slow);
      // SIGKILL after 10 s: a process still held by the client would not exit 0.
      await expect(gw.stop(10_000)).resolves.toEqual({ code: 0, signal: null });
      await slow.closed;
      const lines = gw.logLines();
      expect(lines.map((l) => l["msg"])).toEqual(
        expect.arrayContaining([
          "drain deadline reached: closing the connections still open",
          "gateway stopped: store closed",
        ]),
      );
    },
    STOP_TEST_TIMEOUT_MS + 10_000,
  );
});
