/** Opens the store named by POOLGATE_DATABASE_URL and applies its migrations. */
import { PoolgateError } from "../errors";
import { openSqliteStore } from "./sqlite";
import type { Store } from "./store";

export async function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    const store = openSqliteStore({ path: databaseUrl.slice("sqlite:".length) });
    await store.migrate();
    return store;
  }
  throw new PoolgateError(
    "BAD_USER_INPUT",
    "Invalid configuration: POOLGATE_DATABASE_URL postgres:// is not supported by this build yet",
  );
}
