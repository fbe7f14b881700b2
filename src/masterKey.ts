/**
 * The master key: from POOLGATE_MASTER_KEY, or — in development only — generated once into
 * the data folder with mode 0600 so that `npm start` works on a fresh machine and a restart
 * keeps every token valid.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError, type Config } from "./config";
import { PoolgateError } from "./errors";

/** The folder of the SQLite file, or ./data for other stores. */
export function dataDirectory(databaseUrl: string): string {
  return databaseUrl.startsWith("sqlite:") ? dirname(databaseUrl.slice("sqlite:".length)) : "data";
}

export function resolveMasterKey(
  config: Pick<Config, "masterKey" | "databaseUrl" | "environment">,
): {
  key: Buffer;
  generatedAt: string | undefined;
} {
  if (config.masterKey) return { key: config.masterKey, generatedAt: undefined };
  if (config.environment !== "development") {
    throw new ConfigError("POOLGATE_MASTER_KEY", "is required in production");
  }
  const dir = dataDirectory(config.databaseUrl);
  const file = join(dir, "master.key");
  try {
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32)
      throw new PoolgateError("BAD_USER_INPUT", `${file} does not hold 32 bytes of base64`);
    return { key, generatedAt: undefined };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return { key, generatedAt: file };
}
