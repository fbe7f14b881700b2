import pg from "pg";

export interface PostgresStoreOptions {
  connectionString: string;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** Each statement's statement_timeout, and (plus a margin) the wait for its answer. @default 5000 */
  queryTimeoutMs?: number;
  /** Opening a connection, or waiting for a free one in the pool. @default 5000 */
  connectTimeoutMs?: number;
}

/** Pool size when the caller gives none (pg's own default). */
export const DEFAULT_POOL_SIZE = 10;
/** How long a checkout may wait for a connection before the call fails as unavailable. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** How long one statement may run (server side) or go unanswered (client side). */
const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
/**
 * The client-side wait is a little longer than the server's statement_timeout: when the server
 * is reachable its cancel (SQLSTATE 57014) arrives first and the connection stays usable; only a
 * silent peer (a black hole, a half-open connection) is left to the client-side timer.
 */
const CLIENT_WAIT_MARGIN_MS = 1_000;
/**
 * TCP keepalive on every connection: an idle pooled connection whose peer vanished (a NAT or
 * load balancer that dropped the flow, a failed-over server) is found dead by the kernel and
 * discarded before a request checks it out.
 */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

const INT8_OID = 20;

/**
 * Type parsers for this store's connections only. pg returns int8 as a string by default
 * (it may exceed 2^53); every BIGINT here is a millisecond time or a seq, far below that, so
 * they become numbers — and one that is not safe fails loudly rather than rounding. The global
 * `pg.types` stays untouched, so other pg users in the same process keep pg's defaults.
 */
const poolTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8_OID && (format ?? "text") === "text") return parseSafeInt8;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

function parseSafeInt8(text: string): number {
  const value = Number(text);
  // A RangeError, which translatePgError passes through: it is a bug, not an outage.
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 ${text} is not a safe integer`);
  return value;
}

/**
 * The settings of every connection PostgresStore opens, pooled or LISTEN: its bounds, its
 * keepalive and its type parsers.
 */
export function connectionConfig(options: PostgresStoreOptions) {
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  return {
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // Server side: no statement runs, and no transaction sits idle holding its locks (the
    // feed's advisory lock above all), longer than this — even when this client has gone.
    statement_timeout: queryTimeoutMs,
    idle_in_transaction_session_timeout: queryTimeoutMs,
    // Client side: a statement whose answer never comes fails instead of wedging its caller.
    query_timeout: queryTimeoutMs + CLIENT_WAIT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
    types: poolTypes,
  } satisfies pg.ClientConfig;
}
