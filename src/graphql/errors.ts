/**
 * The one place where errors become GraphQL errors: a PoolgateError keeps its code and safe
 * message (a store outage is one: SERVICE_UNAVAILABLE); GraphQL's own request errors (parse,
 * validation, variables) pass through; anything else is masked as INTERNAL_SERVER_ERROR and
 * logged with its detail (never sent).
 */
import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";
import { isPoolgateError } from "../errors";

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

export function createFormatError(logger: Logger, exposeDetails: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    // Validation rules report a PoolgateError as the cause of Apollo's ValidationError.
    const original =
      unwrapped instanceof GraphQLError && isPoolgateError(unwrapped.originalError)
        ? unwrapped.originalError
        : unwrapped;
    const where = { path: formatted.path, locations: formatted.locations };
    if (isPoolgateError(original)) {
      if (original.code === "SERVICE_UNAVAILABLE")
        logger.error({ detail: original.logDetail }, "store unavailable");
      else if (original.logDetail)
        logger.info(
          { code: original.code, detail: original.logDetail, path: formatted.path },
          "request error",
        );
      return { message: original.message, ...where, extensions: { code: original.code } };
    }
    const code = formatted.extensions?.["code"];
    // Apollo fills a missing code with INTERNAL_SERVER_ERROR before formatError sees it.
    const uncoded = code === undefined || code === "INTERNAL_SERVER_ERROR";
    if (uncoded && original instanceof GraphQLError && !original.originalError && !original.path) {
      // Raised by graphql-js or Apollo about the request itself (e.g. a subscription on a
      // schema without one, a malformed persisted-query extension): the client's mistake.
      return { message: formatted.message, ...where, extensions: { code: "BAD_REQUEST" } };
    }
    if (typeof code === "string" && REQUEST_ERROR_CODES.has(code)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const detail =
      original instanceof Error
        ? { type: original.name, message: original.message, stack: original.stack }
        : { type: typeof original };
    logger.error({ err: detail, path: formatted.path }, "unexpected error");
    return {
      message:
        exposeDetails && original instanceof Error ? original.message : "Internal server error",
      ...where,
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    };
  };
}
