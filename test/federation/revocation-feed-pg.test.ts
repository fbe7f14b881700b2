/**
 * The revocation feed across processes and instances (issue 18): two gateway instances on
 * one PostgreSQL database — a revocation made on A reaches a verifier following B's feed —
 * and a gateway running as its own process (`poolgate serve`, so `npm run build` must have
 * run) with the verifier in this one. PostgreSQL is required, as elsewhere.
 */
import { randomBytes } from "node:crypto";
import {
  createClient,
  createUser,
  REVOKE,
  signInAs,
  startGateway,
  type TestGateway,
} from "../harness";
import { createTestDatabase, type TestDatabase } from "../store/pg";
import {
  CHEAP_HASHING,
  cliJson,
  processEnv,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from "../support/processes";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  closeVerifiers,
  createFeedClient,
  expectRejected,
  expectSynced,
  feedVerifier,
  outcome,
} from "./feedSupport";

let db: TestDatabase | undefined;
const gateways: TestGateway[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await closeVerifiers();
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await stopAllGatewayProcesses();
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("two gateway instances on PostgreSQL", () => {
  it("a revocation, a global sign-out and a disable made on A reach a verifier following B", async () => {
    db = await createTestDatabase();
    const a = await startGateway({
      env: { POOLGATE_DATABASE_URL: db.url, POOLGATE_SYNC_INTERVAL_MS: "250" },
      revocationStreams: { heartbeatMs: 200 },
    });
    gateways.push(a);
    const b = await startGateway({
      reuse: { dir: a.dir, env: a.env },
      revocationStreams: { heartbeatMs: 200 },
    });
    gateways.push(b);
    const app = await createClient(a);
    const feedClient = await createFeedClient(a);
    // Tokens from A, the feed from B.
    const verifier = feedVerifier(a, feedClient, { feedBase: b.url });
    const one = await createUser(a);
    const two = await createUser(a);
    const revoked = await signInAs(a, app, one);
    const signedOut = await signInAs(a, app, two);
    const disabled = await signInAs(a, app, await createUser(a));
    await expectSynced(verifier);
    expect(await outcome(verifier, revoked.accessToken)).toBe("ok");

    await a.gql(REVOKE, { input: { clientId: app.clientId, token: revoked.refreshToken } });
    await expectRejected(verifier, revoked.accessToken, "revoked on A, rejected via B");
    await a.gql(`mutation { globalSignOut }`, {}, signedOut.accessToken);
    await expectRejected(verifier, signedOut.accessToken, "signed out on A, rejected via B");
    const { username } = JSON.parse(
      Buffer.from(disabled.accessToken.split(".")[1]!, "base64url").toString(),
    );
    await a.pool.users.setEnabled(username, false);
    await expectRejected(verifier, disabled.accessToken, "disabled on A, rejected via B");
  });
});

describe("a gateway process and a subgraph's verifier", () => {
  it("the verifier in this process rejects what `poolgate serve` revoked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poolgate-feed-proc-"));
    dirs.push(dir);
    const env = processEnv({
      ...CHEAP_HASHING,
      POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
      POOLGATE_SYNC_INTERVAL_MS: "100",
    });
    const app = await cliJson<{ clientId: string }>(
      ["clients", "create", "--name", "web", "--scopes", "openid"],
      env,
    );
    const feed = await cliJson<{ clientId: string; clientSecret: string }>(
      [
        "clients",
        "create",
        "--name",
        "subgraph-feed",
        "--secret",
        "--scopes",
        "poolgate/revocations",
      ],
      env,
    );
    const gateway = await startGatewayProcess("feed-gateway", env);
    const password = "Correct-h0rse!";
    const username = `u${randomBytes(4).toString("hex")}`;
    await cliJson(["users", "create", "--username", username, "--password", password], env);
    const signIn = async () => {
      const res = await gateway.gql(
        `mutation S($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken } }`,
        { input: { clientId: app.clientId, username, password } },
      );
      return res.body.data!["signIn"] as { accessToken: string; refreshToken: string };
    };
    const tokens = await signIn();
    const { iss } = JSON.parse(
      Buffer.from(tokens.accessToken.split(".")[1]!, "base64url").toString(),
    );
    const verifier = feedVerifier({ url: gateway.baseUrl, config: { issuer: iss } }, feed);
    expect(await outcome(verifier, tokens.accessToken)).toBe("ok");
    await gateway.gql(REVOKE, { input: { clientId: app.clientId, token: tokens.refreshToken } });
    await expectRejected(verifier, tokens.accessToken, "revoked in the gateway process");
    const other = await signIn();
    expect(await outcome(verifier, other.accessToken)).toBe("ok");
    await cliJson(["users", "disable", username], env);
    await expectRejected(verifier, other.accessToken, "disabled by the CLI, a third process");
  });
});
