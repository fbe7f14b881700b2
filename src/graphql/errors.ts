/**
 * The one place where errors become GraphQL errors: a PoolgateError keeps its code and safe
 * message (a store outage is one: SERVICE_UNAVAILABLE); GraphQL's own request errors (parse,
 * validation, variables) pass through; anything else is masked as INTERNAL_SERVER_ERROR and
 * logged with its detail (never sent).
 */
import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";
import { isPoolgateError, type PoolgateError } from "../errors";

/** Codes Apollo Server and graphql-js produce for malformed requests: safe to pass through. */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "UNAUTHENTICATED",
  "FORBIDDEN",
]);

type Classified =
  | { kind: "poolgate"; error: PoolgateError }
  | { kind: "request" }
  | { kind: "bad_request" }
  | { kind: "internal"; original: unknown };

/** What an error is, from the error graphql-js or Apollo hands over. */
function classify(error: unknown): Classified {
  const unwrapped = unwrapResolverError(error);
  // Validation rules report a PoolgateError as the cause of Apollo's ValidationError.
  const original =
    unwrapped instanceof GraphQLError && isPoolgateError(unwrapped.originalError)
      ? unwrapped.originalError
      : unwrapped;
  if (isPoolgateError(original)) return { kind: "poolgate", error: original };
  // Apollo fills a missing code with INTERNAL_SERVER_ERROR before formatError sees it.
  const code = error instanceof GraphQLError ? error.extensions["code"] : undefined;
  const uncoded = code === undefined || code === "INTERNAL_SERVER_ERROR";
  if (uncoded && original instanceof GraphQLError && !original.originalError && !original.path) {
    // Raised by graphql-js or Apollo about the request itself (e.g. a subscription on a
    // schema without one, a malformed persisted-query extension): the client's mistake.
    return { kind: "bad_request" };
  }
  if (typeof code === "string" && REQUEST_ERROR_CODES.has(code)) return { kind: "request" };
  return { kind: "internal", original };
}

/** Errors already logged, so the formatter's fallback does not log them twice. */
const logged = new WeakSet<object>();

/**
 * Logs an error of a GraphQL answer once, with the logger of its request (its requestId)
 * when the caller has one: the gateway's plugin and the prepared-operation path log with the
 * request's logger; formatError logs what neither saw (a context builder that crashed) with
 * the gateway's.
 */
export function logGraphQLError(
  logger: Logger,
  error: unknown,
  path?: ReadonlyArray<string | number>,
): void {
  if (typeof error === "object" && error !== null) {
    const cause = (error as { originalError?: unknown }).originalError;
    if (logged.has(error) || (typeof cause === "object" && cause !== null && logged.has(cause)))
      return;
    logged.add(error);
  }
  const c = classify(error);
  if (c.kind === "poolgate") {
    if (c.error.code === "SERVICE_UNAVAILABLE")
      logger.error({ detail: c.error.logDetail }, "store unavailable");
    else if (c.error.logDetail)
      logger.info({ code: c.error.code, detail: c.error.logDetail, path }, "request error");
  } else if (c.kind === "internal") {
    const { original } = c;
    const detail =
      original instanceof Error
        ? { type: original.name, message: original.message, stack: original.stack }
        : { type: typeof original };
    logger.error({ err: detail, path }, "unexpected error");
  }
}

export function createFormatError(logger: Logger, exposeDetails: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    logGraphQLError(logger, error, formatted.path);
    const where = { path: formatted.path, locations: formatted.locations };
    const c = classify(error);
    switch (c.kind) {
      case "poolgate":
        return { message: c.error.message, ...where, extensions: { code: c.error.code } };
      case "bad_request":
        return { message: formatted.message, ...where, extensions: { code: "BAD_REQUEST" } };
      case "request": {
        const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
        return { ...formatted, extensions };
      }
      case "internal":
        return {
          message:
            exposeDetails && c.original instanceof Error
              ? c.original.message
              : "Internal server error",
          ...where,
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        };
    }
  };
}
