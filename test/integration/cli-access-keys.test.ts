/**
 * `poolgate access-keys create | list | delete` through real processes (bin/poolgate.js →
 * dist/, so `npm run build` must have run), and a `serve` process that accepts Cognito admin
 * calls signed with what the CLI printed (the real AWS SDK, SigV4) and refuses them from the
 * next request on once the key is deleted. The secret is printed once and is nowhere else: not
 * in `list`, not in the database file, not in the gateway's log.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  CHEAP_HASHING,
  cliJson,
  processEnv,
  runCli,
  startGatewayProcess,
  stopAllGatewayProcesses,
  type GatewayProcess,
} from "../support/processes";

const KEY_ID = /^PGAK[A-Z2-7]{16}$/;
const SECRET = /^[A-Za-z0-9_-]{40}$/;

describe("poolgate access-keys", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let gateway: GatewayProcess;
  let key: { accessKeyId: string; secretAccessKey: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "poolgate-access-keys-"));
    env = processEnv({
      ...CHEAP_HASHING,
      POOLGATE_DATABASE_URL: `sqlite:${join(dir, "p.db")}`,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
      POOLGATE_LOG_LEVEL: "silent",
      POOLGATE_SYNC_INTERVAL_MS: "50",
    });
    await cliJson(
      ["users", "create", "--username", "cli-alice", "--password", "Correct-h0rse!"],
      env,
    );
  });
  afterAll(async () => {
    await stopAllGatewayProcesses();
    rmSync(dir, { recursive: true, force: true });
  });

  const sdk = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new CognitoIdentityProviderClient({
      region: "local",
      endpoint: gateway.baseUrl,
      credentials,
      maxAttempts: 1,
    });

  it("happy flow: create --json prints exactly the id and the secret", async () => {
    const run = await runCli(["access-keys", "create", "--description", "deploys", "--json"], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["accessKeyId", "secretAccessKey"]);
    expect(out["accessKeyId"]).toMatch(KEY_ID);
    expect(out["secretAccessKey"]).toMatch(SECRET);
    key = out as typeof key;
  });

  it("create without --json says the secret is shown once; every key is new", async () => {
    const run = await runCli(["access-keys", "create"], env);
    expect(run.code).toBe(0);
    const id = /accessKeyId: (\S+)/.exec(run.stdout)?.[1];
    const secret = /secretAccessKey: (\S+)/.exec(run.stdout)?.[1];
    expect(id).toMatch(KEY_ID);
    expect(secret).toMatch(SECRET);
    expect(id).not.toBe(key.accessKeyId);
    expect(secret).not.toBe(key.secretAccessKey);
    expect(run.stdout).toContain("shown once");
  });

  it("list shows the keys and their descriptions, never a secret", async () => {
    const run = await runCli(["access-keys", "list", "--json"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(key.secretAccessKey);
    const list = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    expect(list[0]).toEqual({
      accessKeyId: key.accessKeyId,
      description: "deploys",
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastUsedAt: null,
    });
    const human = await runCli(["access-keys", "list"], env);
    expect(human.stdout).toContain(`${key.accessKeyId}  created `);
    expect(human.stdout).toContain("last used never  deploys");
  });

  it("a gateway accepts admin calls signed with the printed key (the AWS SDK, SigV4), and list shows the use", async () => {
    gateway = await startGatewayProcess("serve", env);
    const admin = sdk(key);
    const users = await admin.send(new ListUsersCommand({ UserPoolId: "local_poolgate" }));
    expect(users.Users?.map((u) => u.Username)).toEqual(["cli-alice"]);
    admin.destroy();
    const list = await cliJson<{ accessKeyId: string; lastUsedAt: string | null }[]>(
      ["access-keys", "list"],
      env,
    );
    expect(list.find((k) => k.accessKeyId === key.accessKeyId)?.lastUsedAt).toEqual(
      expect.any(String),
    );
  });

  it("delete: the running gateway refuses the key from the next request on (UnrecognizedClientException); deleting it again exits 1", async () => {
    const admin = sdk(key);
    const getAlice = () =>
      admin.send(new AdminGetUserCommand({ UserPoolId: "local_poolgate", Username: "cli-alice" }));
    expect((await getAlice()).Username).toBe("cli-alice");
    const deleted = await runCli(["access-keys", "delete", key.accessKeyId, "--json"], env);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ accessKeyId: key.accessKeyId, deleted: true });
    await expect(getAlice()).rejects.toMatchObject({ name: "UnrecognizedClientException" });
    admin.destroy();
    const again = await runCli(["access-keys", "delete", key.accessKeyId], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("no such access key");
  });

  it("error flow: a description with a control character exits 1 with BAD_USER_INPUT; delete without an id exits 1", async () => {
    const run = await runCli(["access-keys", "create", "--description", "a\u0007b", "--json"], env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "BAD_USER_INPUT" } });
    expect((await runCli(["access-keys", "delete"], env)).code).toBe(1);
  });

  it("the secret is in neither the database file nor the gateway's log", async () => {
    await gateway.stop();
    const file = join(dir, "p.db");
    const bytes =
      readFileSync(file).toString("latin1") +
      (existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).toString("latin1") : "");
    expect(bytes).toContain(key.accessKeyId);
    expect(bytes).not.toContain(key.secretAccessKey);
    expect(gateway.logs()).not.toContain(key.secretAccessKey);
  });
});
