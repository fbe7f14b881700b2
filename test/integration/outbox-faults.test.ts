/**
 * The change feed is a transactional outbox (DESIGN §3, issue 13 #1): a change that other
 * instances must hear of and its feed event are written in one transaction, so when the feed
 * refuses the event, the change is not applied either. The fault is injected on the real
 * PostgreSQL: a trigger, created by this test on its own database, that makes every insert
 * into `changes` raise. Then a disable, a delete and a group change through GraphQL, a client
 * disable and a key rotation through the CLI each fail with SERVICE_UNAVAILABLE (never a 5xx
 * other than the deliberate 503, never internals) and leave the database as it was. Once the
 * trigger is gone, the same operations succeed.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { GqlResult } from "../harness";
import { createTestDatabase, type TestDatabase } from "../store/pg";
import {
  CHEAP_HASHING,
  cliJson,
  processEnv,
  runCli,
  startGatewayProcess,
  stopAllGatewayProcesses,
  type GatewayProcess,
} from "../support/processes";

const PASSWORD = "Correct-h0rse!";
const SIGN_IN = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { accessToken refreshToken }
}`;
const ME = `{ me { sub username groups } }`;
const DISABLE = `mutation ($username: String!) { adminDisableUser(username: $username) }`;
const DELETE = `mutation ($username: String!) { adminDeleteUser(username: $username) }`;
const ADD_TO_GROUP = `mutation ($username: String!, $group: String!) {
  adminAddUserToGroup(username: $username, group: $group)
}`;

let db: TestDatabase | undefined;
/** A direct connection to the gateway's database: the fault and the checks of its rows. */
let sql: pg.Client | undefined;
let env: NodeJS.ProcessEnv;
let gw: GatewayProcess;
let clientId: string;
let adminToken: string;

function codeOf(res: GqlResult): string | undefined {
  return res.body.errors?.[0]?.extensions?.code;
}

async function signIn(username: string): Promise<{ accessToken: string }> {
  const res = await gw.gql(SIGN_IN, { input: { clientId, username, password: PASSWORD } });
  const tokens = res.body.data?.["signIn"] as { accessToken: string } | undefined;
  if (!tokens) throw new Error(`sign-in failed: ${JSON.stringify(res.body.errors)}`);
  return tokens;
}

/** The outage answer of the contract: SERVICE_UNAVAILABLE, 503 or a 2xx/4xx, nothing inside. */
function expectServiceUnavailable(res: GqlResult): void {
  expect(codeOf(res)).toBe("SERVICE_UNAVAILABLE");
  expect(res.status === 503 || res.status < 500).toBe(true);
  expect(JSON.stringify(res.body)).not.toMatch(
    /stack|exception|injected|trigger|postgres|pg_|SQLSTATE|changes|\.js:\d+/i,
  );
}

async function row(query: string, values: unknown[]): Promise<Record<string, unknown>[]> {
  return (await sql!.query(query, values)).rows;
}

async function newUser(prefix: string, groups: string[] = []): Promise<string> {
  const username = `${prefix}-${randomBytes(3).toString("hex")}`;
  const groupArgs = groups.flatMap((group) => ["--group", group]);
  await cliJson(
    ["users", "create", "--username", username, "--password", PASSWORD, ...groupArgs],
    env,
  );
  return username;
}

async function refuseFeedInserts(): Promise<void> {
  await sql!.query(
    "CREATE FUNCTION test_refuse_change() RETURNS trigger LANGUAGE plpgsql AS " +
      "$$ BEGIN RAISE EXCEPTION 'injected fault: the change feed refuses events'; END $$",
  );
  await sql!.query(
    "CREATE TRIGGER test_refuse_change BEFORE INSERT ON changes " +
      "FOR EACH ROW EXECUTE FUNCTION test_refuse_change()",
  );
}

async function acceptFeedInserts(): Promise<void> {
  await sql!.query("DROP TRIGGER IF EXISTS test_refuse_change ON changes");
  await sql!.query("DROP FUNCTION IF EXISTS test_refuse_change()");
}

beforeAll(async () => {
  db = await createTestDatabase();
  env = processEnv({
    POOLGATE_ENV: "production",
    // Production refuses to start a mail-sending feature without SMTP; recovery sends mail.
    POOLGATE_ACCOUNT_RECOVERY: "admin_only",
    POOLGATE_DATABASE_URL: db.url,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    ...CHEAP_HASHING,
  });
  gw = await startGatewayProcess("G", env);
  const client = await cliJson<{ clientId: string }>(
    ["clients", "create", "--name", "web", "--scopes", "openid email profile poolgate/admin"],
    env,
  );
  clientId = client.clientId;
  await cliJson(
    ["users", "create", "--username", "admin", "--password", PASSWORD, "--group", "admins"],
    env,
  );
  adminToken = (await signIn("admin")).accessToken;
  sql = new pg.Client({ connectionString: db.url });
  sql.on("error", () => {});
  await sql.connect();
}, 60_000);

afterAll(async () => {
  await stopAllGatewayProcesses();
  await sql?.end();
  await db?.drop();
}, 30_000);

describe("a change feed that refuses the event: the change is not applied either", () => {
  let disabled: string;
  let deleted: string;
  let grouped: string;
  let disabledToken: string;
  let deletedToken: string;
  let other: string;
  let keysBefore: Record<string, unknown>[];

  beforeAll(async () => {
    [disabled, deleted, grouped] = await Promise.all([
      newUser("dis"),
      newUser("del"),
      newUser("grp", ["staff"]),
    ]);
    disabledToken = (await signIn(disabled)).accessToken;
    deletedToken = (await signIn(deleted)).accessToken;
    other = (await cliJson<{ clientId: string }>(["clients", "create", "--name", "other"], env))
      .clientId;
    keysBefore = await row("SELECT kid, status, expires_at_ms FROM signing_keys ORDER BY kid", []);
    await refuseFeedInserts();
  });

  afterAll(acceptFeedInserts);

  it("a disable answers SERVICE_UNAVAILABLE; the user stays enabled and their token works", async () => {
    const res = await gw.gql(DISABLE, { username: disabled }, adminToken);
    expectServiceUnavailable(res);
    expect(await row("SELECT enabled FROM users WHERE username = $1", [disabled])).toEqual([
      { enabled: true },
    ]);
    expect((await gw.gql(ME, {}, disabledToken)).status).toBe(200);
  });

  it("a delete answers SERVICE_UNAVAILABLE; the user and their sessions stay, their token works", async () => {
    const res = await gw.gql(DELETE, { username: deleted }, adminToken);
    expectServiceUnavailable(res);
    const users = await row("SELECT sub FROM users WHERE username = $1", [deleted]);
    expect(users).toHaveLength(1);
    expect(
      await row("SELECT revoked_at_ms FROM sessions WHERE sub = $1", [users[0]!["sub"]]),
    ).toEqual([{ revoked_at_ms: null }]);
    expect((await gw.gql(ME, {}, deletedToken)).status).toBe(200);
  });

  it("a group change answers SERVICE_UNAVAILABLE; the groups stay as they were", async () => {
    const res = await gw.gql(ADD_TO_GROUP, { username: grouped, group: "admins" }, adminToken);
    expectServiceUnavailable(res);
    expect(
      await row(
        "SELECT g.group_name FROM user_groups AS g JOIN users AS u ON u.sub = g.sub " +
          "WHERE u.username = $1",
        [grouped],
      ),
    ).toEqual([{ group_name: "staff" }]);
  });

  it("a client disable by the CLI fails with a clear message; the client stays enabled", async () => {
    const run = await runCli(["clients", "disable", other], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("poolgate: Service temporarily unavailable (SERVICE_UNAVAILABLE)\n");
    expect(await row("SELECT enabled FROM clients WHERE client_id = $1", [other])).toEqual([
      { enabled: true },
    ]);
  });

  it("a key rotation by the CLI fails with a clear message; the key ring stays as it was", async () => {
    const run = await runCli(["keys", "rotate"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("poolgate: Service temporarily unavailable (SERVICE_UNAVAILABLE)\n");
    expect(
      await row("SELECT kid, status, expires_at_ms FROM signing_keys ORDER BY kid", []),
    ).toEqual(keysBefore);
  });

  it("the gateway stays up; once the feed takes events again, the same changes succeed", async () => {
    await acceptFeedInserts();
    expect((await gw.gql(DISABLE, { username: disabled }, adminToken)).body).toEqual({
      data: { adminDisableUser: true },
    });
    expect((await gw.gql(ME, {}, disabledToken)).status).toBe(401);
    expect((await gw.gql(DELETE, { username: deleted }, adminToken)).body).toEqual({
      data: { adminDeleteUser: true },
    });
    expect((await gw.gql(ME, {}, deletedToken)).status).toBe(401);
    expect(
      (await gw.gql(ADD_TO_GROUP, { username: grouped, group: "admins" }, adminToken)).body,
    ).toEqual({ data: { adminAddUserToGroup: true } });
    expect((await runCli(["clients", "disable", other], env)).code).toBe(0);
    expect((await runCli(["keys", "rotate"], env)).code).toBe(0);
  });
});
