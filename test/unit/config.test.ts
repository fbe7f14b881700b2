import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig, SETTINGS } from "../../src/config";
import { isPoolgateError } from "../../src/errors";

const MASTER_KEY = randomBytes(32).toString("base64");
/** Production refuses a mail-sending feature without SMTP; account recovery is one by default. */
const NO_MAIL = { POOLGATE_ACCOUNT_RECOVERY: "admin_only" };

/** loadConfig must throw one ConfigError (a PoolgateError) whose message names the offending variable. */
function expectInvalid(env: Record<string, string>, variable: string): void {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeDefined();
  expect(isPoolgateError(thrown)).toBe(true);
  if (!isPoolgateError(thrown)) return;
  expect(thrown.code).toBe("BAD_USER_INPUT");
  expect(thrown.message).toContain(variable);
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as ConfigError).setting).toBe(variable);
}

describe("loadConfig", () => {
  it("happy flow: the default issuer follows the port, so discovery points where the gateway listens", () => {
    expect(loadConfig({ POOLGATE_PORT: "5050" }).issuer).toBe("http://localhost:5050");
    expect(loadConfig({ POOLGATE_PORT: "0" }).issuer).toBe("http://localhost:4000");
    expect(
      loadConfig({ POOLGATE_PORT: "5050", POOLGATE_ISSUER: "https://auth.example.test/" }).issuer,
    ).toBe("https://auth.example.test");
  });

  it("happy flow: POOLGATE_SIGNING_ALGORITHM is RS256 by default, and ES256 or EdDSA when set", () => {
    expect(loadConfig({}).signingAlgorithm).toBe("RS256");
    expect(loadConfig({ POOLGATE_SIGNING_ALGORITHM: "ES256" }).signingAlgorithm).toBe("ES256");
    expect(loadConfig({ POOLGATE_SIGNING_ALGORITHM: " EdDSA " }).signingAlgorithm).toBe("EdDSA");
  });

  it("happy flow: an empty environment gives the documented development defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      environment: "development",
      host: "127.0.0.1",
      port: 4000,
      issuer: "http://localhost:4000",
      databaseUrl: "sqlite:./data/poolgate.db",
      masterKey: undefined,
      logLevel: "info",
      clockSkewSeconds: 0,
      adminGroup: "admins",
      selfSignUp: false,
      passwordMinLength: 8,
      passwordHashMemoryKib: 19456,
      passwordHashIterations: 2,
      refreshTokenReuseGraceSeconds: 60,
      authorizationMode: "filter",
      introspection: true,
      maxBodyBytes: 65536,
      maxQueryDepth: 12,
      maxAliases: 20,
      maxQueryTokens: 1000,
      maxTokenBytes: 8192,
      tokenCacheSize: 10000,
      syncIntervalMs: 250,
      keyRotationGraceSeconds: 86400,
      dangerouslyExposeErrorDetails: false,
    });
    expect([...config.passwordRequire].sort()).toEqual([
      "lowercase",
      "numbers",
      "symbols",
      "uppercase",
    ]);
  });

  it("returns a frozen config", () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("happy flow: reads valid values", () => {
    const config = loadConfig({
      POOLGATE_PORT: "0",
      POOLGATE_ISSUER: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123/",
      POOLGATE_DATABASE_URL: "sqlite:/tmp/x.db",
      POOLGATE_MASTER_KEY: MASTER_KEY,
      POOLGATE_PASSWORD_REQUIRE: "",
      POOLGATE_SELF_SIGN_UP: "yes",
    });
    expect(config.port).toBe(0);
    // A trailing slash is dropped so that `${issuer}/.well-known/...` is well-formed.
    expect(config.issuer).toBe("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123");
    expect(config.databaseUrl).toBe("sqlite:/tmp/x.db");
    expect(config.masterKey?.equals(Buffer.from(MASTER_KEY, "base64"))).toBe(true);
    expect(config.passwordRequire.size).toBe(0);
    expect(config.selfSignUp).toBe(true);
  });

  it("accepts a postgres:// database URL at the configuration level", () => {
    expect(
      loadConfig({ POOLGATE_DATABASE_URL: "postgres://u:p@db:5432/poolgate" }).databaseUrl,
    ).toBe("postgres://u:p@db:5432/poolgate");
  });

  describe("production", () => {
    it("happy flow: production with a master key turns introspection off", () => {
      const config = loadConfig({
        POOLGATE_ENV: "production",
        POOLGATE_MASTER_KEY: MASTER_KEY,
        ...NO_MAIL,
      });
      expect(config.environment).toBe("production");
      expect(config.introspection).toBe(false);
      expect(config.dangerouslyExposeErrorDetails).toBe(false);
    });

    it("NODE_ENV=production selects production when POOLGATE_ENV is unset", () => {
      const config = loadConfig({
        NODE_ENV: "production",
        POOLGATE_MASTER_KEY: MASTER_KEY,
        ...NO_MAIL,
      });
      expect(config.environment).toBe("production");
      expect(config.introspection).toBe(false);
    });

    // An empty variable means "unset" for every other setting; here that must not fail
    // open into development (no master key required, introspection on).
    it("an empty POOLGATE_ENV counts as unset, so NODE_ENV=production still selects production", () => {
      expectInvalid({ POOLGATE_ENV: "", NODE_ENV: "production" }, "POOLGATE_MASTER_KEY");
      const config = loadConfig({
        POOLGATE_ENV: "",
        NODE_ENV: "production",
        POOLGATE_MASTER_KEY: MASTER_KEY,
        ...NO_MAIL,
      });
      expect(config.environment).toBe("production");
      expect(config.introspection).toBe(false);
    });

    it("POOLGATE_ENV wins over NODE_ENV", () => {
      expect(loadConfig({ NODE_ENV: "production", POOLGATE_ENV: "development" }).environment).toBe(
        "development",
      );
    });

    it("introspection can still be turned on explicitly", () => {
      const config = loadConfig({
        POOLGATE_ENV: "production",
        POOLGATE_MASTER_KEY: MASTER_KEY,
        POOLGATE_INTROSPECTION: "true",
        ...NO_MAIL,
      });
      expect(config.introspection).toBe(true);
    });
  });

  describe("error flow: every invalid value names its variable", () => {
    const cases: [string, Record<string, string>, string][] = [
      ["a port that is not a number", { POOLGATE_PORT: "abc" }, "POOLGATE_PORT"],
      ["a port above 65535", { POOLGATE_PORT: "70000" }, "POOLGATE_PORT"],
      ["a negative port", { POOLGATE_PORT: "-1" }, "POOLGATE_PORT"],
      ["a fractional port", { POOLGATE_PORT: "40.5" }, "POOLGATE_PORT"],
      ["an issuer that is not a URL", { POOLGATE_ISSUER: "not a url" }, "POOLGATE_ISSUER"],
      [
        "an issuer that is not http(s)",
        { POOLGATE_ISSUER: "ftp://example.com" },
        "POOLGATE_ISSUER",
      ],
      [
        "an issuer with a query",
        { POOLGATE_ISSUER: "https://example.com/?a=1" },
        "POOLGATE_ISSUER",
      ],
      ["a MySQL database URL", { POOLGATE_DATABASE_URL: "mysql://x" }, "POOLGATE_DATABASE_URL"],
      ["a bare sqlite: URL", { POOLGATE_DATABASE_URL: "sqlite:" }, "POOLGATE_DATABASE_URL"],
      [
        "a 16-byte master key",
        { POOLGATE_MASTER_KEY: randomBytes(16).toString("base64") },
        "POOLGATE_MASTER_KEY",
      ],
      [
        "a 64-byte master key",
        { POOLGATE_MASTER_KEY: randomBytes(64).toString("base64") },
        "POOLGATE_MASTER_KEY",
      ],
      ["an unknown environment", { POOLGATE_ENV: "staging" }, "POOLGATE_ENV"],
      ["production without a master key", { POOLGATE_ENV: "production" }, "POOLGATE_MASTER_KEY"],
      [
        "NODE_ENV=production without a master key",
        { NODE_ENV: "production" },
        "POOLGATE_MASTER_KEY",
      ],
      ["an unknown log level", { POOLGATE_LOG_LEVEL: "loud" }, "POOLGATE_LOG_LEVEL"],
      [
        "HS256 as signing algorithm",
        { POOLGATE_SIGNING_ALGORITHM: "HS256" },
        "POOLGATE_SIGNING_ALGORITHM",
      ],
      [
        "none as signing algorithm",
        { POOLGATE_SIGNING_ALGORITHM: "none" },
        "POOLGATE_SIGNING_ALGORITHM",
      ],
      [
        "ES384 as signing algorithm",
        { POOLGATE_SIGNING_ALGORITHM: "ES384" },
        "POOLGATE_SIGNING_ALGORITHM",
      ],
      ["a lower-case es256", { POOLGATE_SIGNING_ALGORITHM: "es256" }, "POOLGATE_SIGNING_ALGORITHM"],
      ["a boolean that is not one", { POOLGATE_SELF_SIGN_UP: "maybe" }, "POOLGATE_SELF_SIGN_UP"],
      [
        "an unknown password rule",
        { POOLGATE_PASSWORD_REQUIRE: "emoji" },
        "POOLGATE_PASSWORD_REQUIRE",
      ],
      [
        "an unknown authorization mode",
        { POOLGATE_AUTHORIZATION_MODE: "allow" },
        "POOLGATE_AUTHORIZATION_MODE",
      ],
      [
        "a clock skew above 300 s",
        { POOLGATE_CLOCK_SKEW_SECONDS: "301" },
        "POOLGATE_CLOCK_SKEW_SECONDS",
      ],
      [
        "a password hash memory below 64 KiB",
        { POOLGATE_PASSWORD_HASH_MEMORY_KIB: "8" },
        "POOLGATE_PASSWORD_HASH_MEMORY_KIB",
      ],
      [
        "a sync interval above 1 s",
        { POOLGATE_SYNC_INTERVAL_MS: "5000" },
        "POOLGATE_SYNC_INTERVAL_MS",
      ],
      [
        "exposed error details in production",
        {
          POOLGATE_ENV: "production",
          POOLGATE_MASTER_KEY: MASTER_KEY,
          POOLGATE_DANGEROUSLY_EXPOSE_ERROR_DETAILS: "true",
        },
        "POOLGATE_DANGEROUSLY_EXPOSE_ERROR_DETAILS",
      ],
    ];
    it.each(cases)("rejects %s", (_what, env, variable) => {
      expectInvalid(env, variable);
    });

    it("rejects production without a master key even when NODE_ENV says development", () => {
      expectInvalid({ POOLGATE_ENV: "production", NODE_ENV: "development" }, "POOLGATE_MASTER_KEY");
    });
  });
});

describe("README configuration table", () => {
  /** Rows of the markdown table under "## Configuration": [variable, default, meaning]. */
  function readmeRows(): [string, string, string][] {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const start = readme.search(/^## Configuration\s*$/m);
    expect(start).toBeGreaterThanOrEqual(0);
    const rest = readme.slice(start);
    const nextHeading = rest.slice(1).search(/^## /m);
    const section = nextHeading < 0 ? rest : rest.slice(0, nextHeading + 1);
    const lines = section.split("\n").filter((l) => l.trim().startsWith("|"));
    const header = lines[0]
      ?.split("|")
      .map((c) => c.trim())
      .filter(Boolean);
    expect(header).toEqual(["Variable", "Default", "Meaning"]);
    expect(lines[1]).toMatch(/^\|\s*-+\s*\|\s*-+\s*\|\s*-+\s*\|\s*$/);
    return lines.slice(2).map((line) => {
      const cells = line
        .trim()
        .replace(/^\|/, "")
        .replace(/\|$/, "")
        .split("|")
        .map((c) => c.trim());
      expect(cells).toHaveLength(3);
      return [cells[0]!.replace(/^`|`$/g, ""), cells[1]!, cells[2]!];
    });
  }

  it("lists exactly the SETTINGS variables, in order", () => {
    expect(readmeRows().map(([name]) => name)).toEqual(SETTINGS.map((s) => s.env));
  });

  it("shows each setting's default and meaning verbatim", () => {
    const rows = readmeRows();
    expect(rows.map(([, shown]) => shown)).toEqual(SETTINGS.map((s) => s.shown));
    expect(rows.map(([, , meaning]) => meaning)).toEqual(SETTINGS.map((s) => s.meaning));
  });
});
