/**
 * The gateway's context builder (DESIGN §5): the principal from the bearer token (full
 * check, including revocation), plus per-request loaders, a request-scoped logger, the
 * refresh-token cookie of cookie mode and the counters of the auth events. server.ts fills
 * the last two from src/http/ (cookies.ts, metrics.ts); resolvers only call them.
 */
import type { Logger } from "pino";
import type { AuthEvents } from "../events";
import type { RefreshTokenCookies } from "../http/cookies";
import type { UserPool } from "../identity/pool";
import { authenticateBearer } from "../subgraph/bearer";
import { createLoaders, type Loaders } from "./loaders";
import type { AuthContext } from "../subgraph/principal";

export interface GatewayContext extends AuthContext {
  pool: UserPool;
  loaders: Loaders;
  requestId: string;
  logger: Logger;
  /** The browser's refresh-token cookie (cookie mode, docs/browser.md). */
  cookies: RefreshTokenCookies;
  metrics: AuthEvents;
}

/** For callers without an HTTP response to set cookies on (embedding, tests). */
export const NO_COOKIES: RefreshTokenCookies = {
  trusted: false,
  get: () => undefined,
  set: () => undefined,
  clear: () => undefined,
};

export const NO_METRICS: AuthEvents = {
  signIn: () => undefined,
  refresh: () => undefined,
  revocation: () => undefined,
  challengeAnswer: () => undefined,
  operation: () => undefined,
};

export async function buildContext(
  pool: UserPool,
  authorization: string | readonly string[] | undefined,
  requestId: string,
  logger: Logger,
  edges: { cookies?: RefreshTokenCookies; metrics?: AuthEvents } = {},
): Promise<GatewayContext> {
  const principal = await authenticateBearer(
    authorization,
    (token) => pool.authenticate(token),
    (reason) => logger.info({ reason }, "request rejected: bad bearer token"),
  );
  return {
    principal,
    pool,
    loaders: createLoaders(pool),
    requestId,
    logger,
    cookies: edges.cookies ?? NO_COOKIES,
    metrics: edges.metrics ?? NO_METRICS,
  };
}
