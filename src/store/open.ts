/** Opens the store named by POOLGATE_DATABASE_URL and applies its migrations. */
import { PoolgateError } from "../errors";
import { openPostgresStore } from "./postgres";
import { openSqliteStore } from "./sqlite";
import type { Store } from "./store";

/** PostgreSQL's bounds (POOLGATE_DATABASE_QUERY_TIMEOUT_MS, …_CONNECT_TIMEOUT_MS); SQLite has none to set. */
export interface StoreTimeouts {
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function storeTimeouts(config: {
  databaseQueryTimeoutMs: number;
  databaseConnectTimeoutMs: number;
}): StoreTimeouts {
  return {
    queryTimeoutMs: config.databaseQueryTimeoutMs,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
  };
}

export async function openStore(databaseUrl: string, timeouts: StoreTimeouts = {}): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    const store = openSqliteStore({ path: databaseUrl.slice("sqlite:".length) });
    await store.migrate();
    return store;
  }
  if (databaseUrl.startsWith("postgres://") || databaseUrl.startsWith("postgresql://")) {
    const store = await openPostgresStore({ connectionString: databaseUrl, ...timeouts });
    try {
      await store.migrate();
    } catch (err) {
      // Do not leave a pool (and its connections) behind a start-up that failed.
      await store.close();
      throw err;
    }
    return store;
  }
  throw new PoolgateError(
    "BAD_USER_INPUT",
    'Invalid configuration: POOLGATE_DATABASE_URL must start with "sqlite:" or "postgres://"',
  );
}
