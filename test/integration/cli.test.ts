/**
 * The `poolgate` command through real processes (bin/poolgate.js → dist/, so `npm run build`
 * must have run: `npm test` does it first). One SQLite file per run, a master key generated
 * here; then `serve` as a child process that must honour what the CLI wrote, and must stop
 * cleanly on SIGTERM without having logged a credential.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliJson, runCli } from "../support/processes";

const ROOT = join(__dirname, "..", "..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The inherited environment without any POOLGATE_* setting of the machine running the tests,
 * and without jest's NODE_ENV=test: libraries behave differently under it (Apollo Server,
 * for one, installs its own SIGTERM handler only outside "test"), and the CLI must be
 * checked as an operator runs it.
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("POOLGATE_") && k !== "NODE_ENV") env[k] = v;
  return env;
}

let dir: string;
let env: NodeJS.ProcessEnv;

/** Runs `poolgate ...args`; resolves with the exit code whatever it is. */
function poolgate(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/poolgate.js", ...args],
      { cwd: ROOT, env: { ...env, ...extraEnv }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs a command that must succeed and print one JSON document. */
async function poolgateJson<T = any>(args: string[]): Promise<T> {
  const run = await poolgate([...args, "--json"]);
  if (run.code !== 0)
    throw new Error(`poolgate ${args.join(" ")} exited ${run.code}: ${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  tokenType: string;
}

const PASSWORD = "Correct-h0rse!";
const WRONG_PASSWORD = "Wr0ng-battery!";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-cli-"));
  env = {
    ...baseEnv(),
    POOLGATE_DATABASE_URL: `sqlite:${join(dir, "p.db")}`,
    POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
    POOLGATE_LOG_LEVEL: "silent",
    POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
    POOLGATE_PASSWORD_HASH_ITERATIONS: "1",
    POOLGATE_KEY_ACTIVATION_DELAY_SECONDS: "0",
  };
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("poolgate CLI round trip", () => {
  let client: { clientId: string; clientSecret: string };
  let userSub: string;
  let rotatedKid: string;

  it("happy flow: clients create --secret prints the id and the secret once", async () => {
    const out = await poolgateJson([
      "clients",
      "create",
      "--name",
      "web",
      "--secret",
      "--scopes",
      "openid email",
    ]);
    expect(out.clientId).toMatch(/^[a-z0-9]{26}$/);
    expect(typeof out.clientSecret).toBe("string");
    expect(out.clientSecret.length).toBeGreaterThanOrEqual(32);
    expect(out.allowedScopes).toEqual(["openid", "email"]);
    client = { clientId: out.clientId, clientSecret: out.clientSecret };
  });

  it("clients list shows the client and never its secret", async () => {
    const run = await poolgate(["clients", "list", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(client.clientSecret);
    const list = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      clientId: client.clientId,
      name: "web",
      confidential: true,
      allowedScopes: ["openid", "email"],
    });
    expect(list[0]).not.toHaveProperty("clientSecret");
    expect(list[0]).not.toHaveProperty("secretHash");
  });

  it("happy flow: users create prints the sub", async () => {
    const out = await poolgateJson([
      "users",
      "create",
      "--username",
      "u",
      "--password",
      PASSWORD,
      "--email",
      "u@example.com",
      "--group",
      "admins",
    ]);
    expect(out.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(out).toMatchObject({ username: "u", groups: ["admins"] });
    expect(JSON.stringify(out)).not.toContain(PASSWORD);
    userSub = out.sub;
  });

  it("error flow: a duplicate username exits 1 with code USERNAME_EXISTS", async () => {
    const run = await poolgate([
      "users",
      "create",
      "--username",
      "u",
      "--password",
      PASSWORD,
      "--json",
    ]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe("USERNAME_EXISTS");
  });

  it("error flow: disabling an unknown user exits 1 with code USER_NOT_FOUND", async () => {
    const run = await poolgate(["users", "disable", "nobody", "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe("USER_NOT_FOUND");
  });

  it("users add-to-group and users disable", async () => {
    expect(await poolgateJson(["users", "add-to-group", "u", "staff"])).toEqual({
      username: "u",
      group: "staff",
    });
    await poolgateJson(["users", "create", "--username", "gone", "--password", PASSWORD]);
    expect(await poolgateJson(["users", "disable", "gone"])).toEqual({
      username: "gone",
      action: "disable",
    });
  });

  it("keys list shows one active key; keys rotate adds a second and retires the first", async () => {
    const before = await poolgateJson<{ kid: string; status: string; expiresAt: string | null }[]>([
      "keys",
      "list",
    ]);
    expect(before).toHaveLength(1);
    expect(before[0]?.status).toBe("active");
    const firstKid = before[0]!.kid;

    const rotated = await poolgateJson<{ kid: string }>(["keys", "rotate"]);
    expect(rotated.kid).not.toBe(firstKid);
    rotatedKid = rotated.kid;

    const after = await poolgateJson<{ kid: string; status: string; expiresAt: string | null }[]>([
      "keys",
      "list",
    ]);
    expect(after).toHaveLength(2);
    expect(after.filter((k) => k.status === "active").map((k) => k.kid)).toEqual([rotatedKid]);
    const retired = after.filter((k) => k.status === "retired");
    expect(retired.map((k) => k.kid)).toEqual([firstKid]);
    expect(retired[0]?.expiresAt).not.toBeNull();
  });

  it("--help prints the usage and exits 0; no command at all exits 2", async () => {
    const help = await poolgate(["--help"]);
    expect(help.stdout).toContain("Usage: poolgate");
    expect(help.code).toBe(0);
    const none = await poolgate([]);
    expect(none.stdout).toContain("Usage: poolgate");
    expect(none.code).toBe(2);
  });

  it("error flow: an unknown command exits 2", async () => {
    const run = await poolgate(["frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command");
  });

  it("error flow: invalid configuration exits non-zero naming the variable", async () => {
    const run = await poolgate(["clients", "list"], { POOLGATE_PORT: "abc" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("POOLGATE_PORT");

    const json = await poolgate(["clients", "list", "--json"], { POOLGATE_PORT: "abc" });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(JSON.parse(json.stdout).error.message).toContain("POOLGATE_PORT");
  });

  describe("serve", () => {
    let child: ChildProcess;
    let output = "";
    let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    let tokens: Tokens;

    /** Resolves with the first JSON log line that satisfies `match`. */
    function waitForLog(
      match: (line: Record<string, unknown>) => boolean,
      timeoutMs = 15_000,
    ): Promise<Record<string, unknown>> {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const raw of output.split("\n")) {
            try {
              const line = JSON.parse(raw) as Record<string, unknown>;
              if (match(line)) return finish(() => resolve(line));
            } catch {
              // not a JSON line (yet): keep reading
            }
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no matching log line; output:\n${output}`))),
          timeoutMs,
        );
        const finish = (then: () => void) => {
          clearTimeout(timer);
          child.stdout?.off("data", check);
          then();
        };
        child.stdout?.on("data", check);
        check();
      });
    }

    async function gql(
      url: string,
      query: string,
      variables: Record<string, unknown> = {},
      token?: string,
    ) {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: res.status,
        body: (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] },
      };
    }

    afterAll(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });

    it("happy flow: signs in over HTTP with the client and user the CLI created, and serves me", async () => {
      child = spawn(process.execPath, ["bin/poolgate.js", "serve"], {
        cwd: ROOT,
        env: { ...env, POOLGATE_PORT: "0", POOLGATE_LOG_LEVEL: "info" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.setEncoding("utf8");
      child.stderr?.setEncoding("utf8");
      child.stdout?.on("data", (chunk: string) => (output += chunk));
      child.stderr?.on("data", (chunk: string) => (output += chunk));
      exited = new Promise((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal })),
      );

      const listening = await waitForLog((l) => l["msg"] === "poolgate listening");
      const url = String(listening["url"]);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);

      const signIn = `mutation ($input: SignInInput!) { signIn(input: $input) { accessToken idToken refreshToken expiresIn tokenType } }`;
      const signedIn = await gql(url, signIn, {
        input: {
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          username: "u",
          password: PASSWORD,
        },
      });
      expect(signedIn.body.errors).toBeUndefined();
      tokens = signedIn.body.data.signIn as Tokens;
      expect(tokens.tokenType).toBe("Bearer");
      // Signed by the key `keys rotate` made active.
      const header = JSON.parse(
        Buffer.from(tokens.accessToken.split(".")[0]!, "base64url").toString("utf8"),
      );
      expect(header.kid).toBe(rotatedKid);

      const me = await gql(url, `{ me { sub username email groups } }`, {}, tokens.accessToken);
      expect(me.status).toBe(200);
      expect(me.body.data.me).toMatchObject({
        sub: userSub,
        username: "u",
        email: "u@example.com",
      });
      expect([...me.body.data.me.groups].sort()).toEqual(["admins", "staff"]);

      // The CLI's other writes hold too: a wrong secret, a wrong password and a disabled user are refused.
      const wrongSecret = await gql(url, signIn, {
        input: {
          clientId: client.clientId,
          clientSecret: "x" + client.clientSecret.slice(1),
          username: "u",
          password: PASSWORD,
        },
      });
      expect(wrongSecret.body.errors?.[0]?.extensions?.code).toBe("NOT_AUTHORIZED");
      const wrongPassword = await gql(url, signIn, {
        input: {
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          username: "u",
          password: WRONG_PASSWORD,
        },
      });
      expect(wrongPassword.body.errors?.[0]?.extensions?.code).toBe("NOT_AUTHORIZED");
      const disabled = await gql(url, signIn, {
        input: {
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          username: "gone",
          password: PASSWORD,
        },
      });
      expect(disabled.body.errors?.[0]?.extensions?.code).toBe("NOT_AUTHORIZED");

      const jwks = (await (await fetch(new URL("/.well-known/jwks.json", url))).json()) as {
        keys: { kid: string }[];
      };
      expect(jwks.keys.map((k) => k.kid)).toContain(rotatedKid);
      expect(jwks.keys).toHaveLength(2);

      // A revoked session's token is a 401, which the server logs (with the reason, not the token).
      const revoke = `mutation ($input: RevokeInput!) { revoke(input: $input) }`;
      const revoked = await gql(url, revoke, {
        input: {
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          token: tokens.refreshToken,
        },
      });
      expect(revoked.body.data.revoke).toBe(true);
      const after = await gql(url, `{ me { sub } }`, {}, tokens.accessToken);
      expect(after.status).toBe(401);
      expect(after.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    });

    it("drains and exits 0 on SIGTERM", async () => {
      expect(child).toBeDefined();
      child.kill("SIGTERM");
      const { code, signal } = await exited;
      // Killed by the signal (status 143) would mean the drain and store close were cut short.
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(output).toContain('"msg":"draining and shutting down"');
    });

    it("logged no password, client secret or token", () => {
      expect(tokens).toBeDefined();
      expect(output).toContain('"msg":"signed in"');
      for (const secret of [
        PASSWORD,
        WRONG_PASSWORD,
        client.clientSecret,
        tokens.accessToken,
        tokens.idToken,
        tokens.refreshToken,
      ]) {
        expect(output).not.toContain(secret);
      }
      // Not even a recognisable fragment of a JWT/JWE.
      expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
    });
  });
});

describe("poolgate clients: OAuth settings (DESIGN §13)", () => {
  let spaId: string;

  it("happy flow: clients create takes repeatable --callback-url / --logout-url and --oauth-flows", async () => {
    const out = await cliJson(
      [
        "clients",
        "create",
        "--name",
        "spa",
        "--callback-url",
        "https://app.example.com/callback",
        "--callback-url",
        "http://localhost:5173/callback",
        "--logout-url",
        "https://app.example.com/",
        "--oauth-flows",
        "code",
      ],
      env,
    );
    expect(out).toMatchObject({
      callbackUrls: ["https://app.example.com/callback", "http://localhost:5173/callback"],
      logoutUrls: ["https://app.example.com/"],
      allowedOAuthFlows: ["code"],
    });
    expect(out).not.toHaveProperty("clientSecret");
    spaId = out.clientId;
  });

  it("defaults: a client with --secret gets client_credentials, a public one no flow", async () => {
    const worker = await cliJson(["clients", "create", "--name", "worker", "--secret"], env);
    expect(worker).toMatchObject({
      callbackUrls: [],
      logoutUrls: [],
      allowedOAuthFlows: ["client_credentials"],
    });
    const plain = await cliJson(["clients", "create", "--name", "plain"], env);
    expect(plain.allowedOAuthFlows).toEqual([]);
  });

  it("clients list shows the URLs and the flows", async () => {
    const list = await cliJson<Record<string, unknown>[]>(["clients", "list"], env);
    expect(list.find((c) => c["clientId"] === spaId)).toMatchObject({
      name: "spa",
      callbackUrls: ["https://app.example.com/callback", "http://localhost:5173/callback"],
      logoutUrls: ["https://app.example.com/"],
      allowedOAuthFlows: ["code"],
    });
    const human = await runCli(["clients", "list"], env);
    expect(human.stdout).toContain(`${spaId}  spa`);
    expect(human.stdout).toContain("flows: code");
  });

  it("happy flow: clients update replaces each list given and keeps the others", async () => {
    const out = await cliJson(
      [
        "clients",
        "update",
        spaId,
        "--callback-url",
        "https://app.example.com/new",
        "--oauth-flows",
        "code,implicit",
        "--scopes",
        "openid email",
      ],
      env,
    );
    expect(out).toMatchObject({
      clientId: spaId,
      callbackUrls: ["https://app.example.com/new"],
      logoutUrls: ["https://app.example.com/"],
      allowedOAuthFlows: ["code", "implicit"],
      allowedScopes: ["openid", "email"],
    });
  });

  it('clients update --oauth-flows "" and --callback-url "" clear those lists', async () => {
    const out = await cliJson(
      ["clients", "update", spaId, "--oauth-flows", "", "--callback-url", ""],
      env,
    );
    expect(out).toMatchObject({
      callbackUrls: [],
      logoutUrls: ["https://app.example.com/"],
      allowedOAuthFlows: [],
    });
  });

  it.each([
    [
      "a javascript: callback URL (script injection through the redirect)",
      ["clients", "create", "--name", "x", "--callback-url", "javascript:alert(1)"],
    ],
    [
      "an http: callback URL to a remote host",
      ["clients", "create", "--name", "x", "--callback-url", "http://app.example.com/cb"],
    ],
    ["an unknown flow", ["clients", "create", "--name", "x", "--oauth-flows", "password"]],
    [
      "the code flow without a callback URL",
      ["clients", "create", "--name", "x", "--oauth-flows", "code"],
    ],
    [
      "client_credentials without --secret",
      ["clients", "create", "--name", "x", "--oauth-flows", "client_credentials"],
    ],
    ["clients update with nothing to change", ["clients", "update", "nosuchclient"]],
    [
      "clients update of an unknown client",
      ["clients", "update", "nosuchclient", "--logout-url", ""],
    ],
  ])("error flow: %s exits 1 with BAD_USER_INPUT", async (_what, args) => {
    const before = (await cliJson<unknown[]>(["clients", "list"], env)).length;
    const run = await runCli([...args, "--json"], env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe("BAD_USER_INPUT");
    expect(await cliJson<unknown[]>(["clients", "list"], env)).toHaveLength(before);
  });

  it("error flow: clients update without an id exits 1; the help text names the new flags", async () => {
    const run = await runCli(["clients", "update", "--json"], env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe("BAD_USER_INPUT");
    const help = await runCli(["--help"], env);
    for (const flag of ["--callback-url", "--logout-url", "--oauth-flows", "clients update ID"])
      expect(help.stdout).toContain(flag);
  });
});
