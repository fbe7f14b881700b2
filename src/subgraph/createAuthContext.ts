/**
 * An Apollo Server context function for a subgraph: the same bearer handling and the same
 * principal as the gateway's context builder (no header → anonymous; a bad token → HTTP 401
 * UNAUTHENTICATED for the whole request), from a verified token only — never from a header a
 * caller could set, such as `x-user-id`.
 */
import { GraphQLError } from "graphql";
import { isPoolgateError } from "../errors";
import { authenticateBearer } from "./bearer";
import type { AuthContext } from "./principal";
import type { Verifier } from "./createVerifier";

export interface AuthContextOptions {
  /**
   * Called with the reason a request was refused (for the log; never sent to the caller).
   * @default no-op
   */
  onReject?: (reason: string | undefined) => void;
}

/** What the context function reads: Node's IncomingMessage (standalone, Express) fits. */
export interface AuthContextRequest {
  req: {
    headers: Record<string, string | string[] | undefined>;
    /** Node ≥ 18.3: every value of each header, so a duplicated Authorization is refused. */
    headersDistinct?: Record<string, string[] | undefined>;
  };
}

function serviceUnavailable(): GraphQLError {
  return new GraphQLError("Service unavailable", {
    extensions: {
      code: "SERVICE_UNAVAILABLE",
      http: { status: 503 },
    },
  });
}

export function createAuthContext(
  verifier: Verifier,
  options: AuthContextOptions = {},
): (args: AuthContextRequest) => Promise<AuthContext> {
  const onReject = options.onReject ?? (() => undefined);
  return async ({ req }) => {
    const header = req.headersDistinct?.["authorization"] ?? req.headers["authorization"];
    try {
      const principal = await authenticateBearer(
        header,
        (token) => verifier.verify(token),
        onReject,
      );
      return { principal };
    } catch (err) {
      if (isPoolgateError(err) && err.code === "SERVICE_UNAVAILABLE") {
        onReject(err.logDetail);
        throw serviceUnavailable();
      }
      throw err;
    }
  };
}
