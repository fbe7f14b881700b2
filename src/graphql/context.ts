/**
 * The gateway's context builder (DESIGN §5): the principal from the bearer token (full
 * check, including revocation), plus per-request loaders and a request-scoped logger.
 */
import type { Logger } from "pino";
import type { UserPool } from "../identity/pool";
import { authenticateBearer } from "./bearer";
import { createLoaders, type Loaders } from "./loaders";
import type { AuthContext } from "./principal";

export interface GatewayContext extends AuthContext {
  pool: UserPool;
  loaders: Loaders;
  requestId: string;
  logger: Logger;
}

export async function buildContext(
  pool: UserPool,
  authorization: string | readonly string[] | undefined,
  requestId: string,
  logger: Logger,
): Promise<GatewayContext> {
  const principal = await authenticateBearer(
    authorization,
    (token) => pool.authenticate(token),
    (reason) => logger.info({ reason }, "request rejected: bad bearer token"),
  );
  return { principal, pool, loaders: createLoaders(pool), requestId, logger };
}
