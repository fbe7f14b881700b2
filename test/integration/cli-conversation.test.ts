/**
 * The CLI's part of issue 14 through real processes (bin/poolgate.js → dist/): users created
 * with a temporary password or an invitation sent by real SMTP, `users reset-mfa`, and a
 * client's challenge-session validity. What the commands wrote is read back from the same
 * SQLite file by a gateway started on it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createUser, signInAs, startGateway, type TestGateway } from "../harness";
import { enrollTotp, initiate, outcomeOf } from "../support/flows";
import { cliJson, processEnv, runCli } from "../support/processes";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp";

let dir: string;
let env: Record<string, string>;
let smtp: TestSmtpServer;

/** The CLI as an operator runs it, on this suite's SQLite file and SMTP server. */
const poolgate = (args: string[]) => runCli(args, processEnv(env));
const poolgateJson = <T = any>(args: string[]) => cliJson<T>(args, processEnv(env));

/** A gateway on the CLI's file (the same master key): sees what the commands wrote. */
async function gatewayOnTheFile(extra: Record<string, string> = {}): Promise<TestGateway> {
  return startGateway({ reuse: { dir, env: { ...env, ...extra } }, smtp: false });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-cli-conversation-"));
  smtp = await startSmtpServer();
  env = {
    POOLGATE_PORT: "0",
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    POOLGATE_LOG_LEVEL: "silent",
    POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
    POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
    POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "0",
    POOLGATE_SYNC_INTERVAL_MS: "50",
    POOLGATE_SMTP_URL: smtp.url,
  };
});

afterAll(async () => {
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("poolgate users create", () => {
  it("happy flow: --temporary-password makes a FORCE_CHANGE_PASSWORD user whose password opens only NEW_PASSWORD_REQUIRED", async () => {
    const created = await poolgateJson([
      "users",
      "create",
      "--username",
      "temp-user",
      "--temporary-password",
      "Temp-pa55word!",
      "--email",
      "temp@example.com",
      "--suppress-invitation",
    ]);
    expect(created).toMatchObject({ username: "temp-user", status: "FORCE_CHANGE_PASSWORD" });
    expect(smtp.messages.filter((m) => m.to.includes("temp@example.com"))).toEqual([]);
    const gw = await gatewayOnTheFile();
    try {
      const client = await createClient(gw);
      const step = await initiate(gw, client, {
        username: "temp-user",
        password: "Temp-pa55word!",
      });
      expect(outcomeOf(step)).toBe("NEW_PASSWORD_REQUIRED");
    } finally {
      await gw.stop();
    }
  });

  it("happy flow: without a password, a generated temporary password goes out in an invitation by SMTP", async () => {
    const created = await poolgateJson([
      "users",
      "create",
      "--username",
      "invited-by-cli",
      "--email",
      "invited@example.com",
    ]);
    expect(created.status).toBe("FORCE_CHANGE_PASSWORD");
    const mail = await smtp.waitFor((m) => m.to.includes("invited@example.com"));
    expect(mail.text).toMatch(
      /^Your username is invited-by-cli and temporary password is \S{16,}\.$/,
    );
  });

  it("error flow: an invitation needs an email (exit 1, BAD_USER_INPUT, nothing created)", async () => {
    const run = await poolgate(["users", "create", "--username", "no-address", "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "BAD_USER_INPUT" } });
    const gw = await gatewayOnTheFile();
    try {
      expect(await gw.pool.users.find("no-address")).toBeUndefined();
    } finally {
      await gw.stop();
    }
  });

  it("--password still makes a CONFIRMED user at once", async () => {
    const created = await poolgateJson([
      "users",
      "create",
      "--username",
      "permanent",
      "--password",
      "Correct-h0rse!",
    ]);
    expect(created.status).toBe("CONFIRMED");
  });
});

describe("poolgate users reset-mfa", () => {
  it("happy flow: a user who lost their authenticator signs in with the password alone again", async () => {
    const gw = await gatewayOnTheFile({ POOLGATE_MFA: "OPTIONAL" });
    let username: string;
    try {
      const client = await createClient(gw);
      const user = await createUser(gw);
      username = user.username;
      await enrollTotp(gw, (await signInAs(gw, client, user)).accessToken);
      expect(outcomeOf(await initiate(gw, client, user))).toBe("SOFTWARE_TOKEN_MFA");
      const reset = await poolgateJson(["users", "reset-mfa", user.username]);
      expect(reset).toEqual({ username: user.username, action: "reset-mfa" });
      expect(outcomeOf(await initiate(gw, client, user))).toBe("TOKENS");
    } finally {
      await gw.stop();
    }
    const unknown = await poolgate(["users", "reset-mfa", `${username}-nobody`, "--json"]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: "USER_NOT_FOUND" } });
  });
});

describe("poolgate clients create --auth-session-validity", () => {
  it("sets how long the client's challenge sessions live, within Cognito's 3–15 minutes", async () => {
    const { clientId } = await poolgateJson<{ clientId: string }>([
      "clients",
      "create",
      "--name",
      "patient",
      "--auth-session-validity",
      "12",
    ]);
    const gw = await gatewayOnTheFile();
    try {
      expect((await gw.pool.clients.get(clientId))?.authSessionValidityMinutes).toBe(12);
    } finally {
      await gw.stop();
    }
    for (const bad of ["2", "16", "ten"]) {
      const run = await poolgate([
        "clients",
        "create",
        "--name",
        "bad",
        "--auth-session-validity",
        bad,
        "--json",
      ]);
      expect({ bad, code: run.code }).toEqual({ bad, code: 1 });
      expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "BAD_USER_INPUT" } });
    }
  });
});
