import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * Throw-away PostgreSQL databases for tests: the real server (CONVENTIONS §9), one fresh
 * database per use, dropped afterwards. The server is required: when it cannot be reached the
 * test fails with instructions, it is never skipped.
 */

/** Admin connection (any database the user may connect to); POOLGATE_TEST_PG_URL overrides it. */
export const TEST_PG_ADMIN_URL =
  process.env["POOLGATE_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** Every test database starts with this, so a leftover is easy to find and remove. */
export const TEST_DATABASE_PREFIX = "poolgate_test_";

export interface TestDatabase {
  /** Connection URL of the new, empty database. */
  url: string;
  name: string;
  /** Drops the database, closing any connection still open on it. Idempotent. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(8).toString("hex")}`;
  // UTF8 from template0, whatever the server's defaults: the contract stores emoji.
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`),
  );
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop() {
      dropped ??= withAdmin(async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}

/** Runs `use` on a short-lived connection to the admin database. */
export async function withAdmin<T>(use: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({
    connectionString: TEST_PG_ADMIN_URL,
    connectionTimeoutMillis: 5_000,
  });
  // A connection dropped while idle must not crash the test process; the next query fails.
  admin.on("error", () => {});
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${redacted(TEST_PG_ADMIN_URL)} ` +
        `(${describeError(err)}). The PostgreSQL store tests need a real server: start it with ` +
        "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, " +
        "or point POOLGATE_TEST_PG_URL at one (trust or password in the URL).",
      { cause: err },
    );
  }
  try {
    return await use(admin);
  } finally {
    await admin.end().catch(() => {});
  }
}

function describeError(err: unknown): string {
  if (typeof err === "object" && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (typeof code === "string") return code;
    if (typeof message === "string" && message !== "") return message;
  }
  return String(err);
}

/** The URL without its password, for error messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable POOLGATE_TEST_PG_URL)";
  }
}
