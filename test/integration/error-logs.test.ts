/**
 * Error log lines carry the requestId of the request they belong to (docs/operations.md), on
 * Apollo's path and on the prepared-operation path alike, and each error is logged once.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/log";
import { createGateway, type Gateway } from "../../src/server";
import { createClient, createUser, REFRESH, SIGN_IN, type TestGateway } from "../harness";

interface Line {
  msg: string;
  requestId?: string;
  code?: string;
  err?: { type: string };
}

let dir: string;
let gateway: Gateway;
let url: string;
const lines: Line[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-logs-"));
  const config = loadConfig({
    POOLGATE_PORT: "0",
    POOLGATE_LOG_LEVEL: "info",
    POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
    POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
    POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "0",
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
  });
  const logger = createLogger(config, {
    write: (line: string) => void lines.push(JSON.parse(line) as Line),
  });
  gateway = await createGateway({ config, logger });
  url = await gateway.listen();
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: unknown, requestId: string, token?: string): Promise<Response> {
  return fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-request-id": requestId,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

const linesOf = (requestId: string) => lines.filter((l) => l.requestId === requestId);

/** The harness's helpers want a TestGateway; these need only the pool. */
const asTest = () => ({ pool: gateway.pool }) as unknown as TestGateway;

it("a refused refresh logs one line with its requestId, on Apollo's path and on the prepared one", async () => {
  const { clientId } = await createClient(asTest());
  const body = { query: REFRESH, variables: { input: { clientId, refreshToken: "a.b.c.d.e" } } };
  for (const id of ["refresh-1", "refresh-2"]) {
    const res = await post(body, id);
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions
        .code,
    ).toBe("INVALID_REFRESH_TOKEN");
  }
  await new Promise((r) => setImmediate(r));
  for (const id of ["refresh-1", "refresh-2"]) {
    const errors = linesOf(id).filter((l) => l.msg === "request error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("INVALID_REFRESH_TOKEN");
  }
});

it("an unexpected store error logs one line with its requestId", async () => {
  const { clientId } = await createClient(asTest());
  const user = await createUser(asTest());
  const db = new Database(join(dir, "poolgate.db"));
  try {
    db.exec("ALTER TABLE lockouts RENAME TO lockouts_gone");
    const res = await post(
      {
        query: SIGN_IN,
        variables: { input: { clientId, username: user.username, password: user.password } },
      },
      "store-broken",
    );
    expect(
      ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions
        .code,
    ).toBe("INTERNAL_SERVER_ERROR");
  } finally {
    db.exec("ALTER TABLE lockouts_gone RENAME TO lockouts");
    db.close();
  }
  await new Promise((r) => setImmediate(r));
  const errors = linesOf("store-broken").filter((l) => l.msg === "unexpected error");
  expect(errors).toHaveLength(1);
  expect(lines.filter((l) => l.msg === "unexpected error" && l.requestId === undefined)).toEqual(
    [],
  );
});

it("a context builder that crashes logs one line with its requestId", async () => {
  jest.spyOn(gateway.pool, "authenticate").mockRejectedValueOnce(new Error("SQLITE_CORRUPT"));
  const res = await post({ query: "{ me { sub } }" }, "context-crash", "some.token.here");
  expect(res.status).toBeGreaterThanOrEqual(500);
  await new Promise((r) => setImmediate(r));
  const errors = lines.filter((l) => l.msg === "unexpected error");
  expect(errors.filter((l) => l.requestId === "context-crash")).toHaveLength(1);
  expect(errors.filter((l) => l.requestId === undefined)).toEqual([]);
});
