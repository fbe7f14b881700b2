/**
 * Counts every GraphQL operation by name, type and outcome through the context's metrics
 * (one of the gateway's plugins, src/graphql/apollo.ts; the prepared path runs the same
 * hooks). The outcome is `success`, or the code of the first error as the client sees it
 * (after formatError), so the counts match what callers were told.
 */
import type { GraphQLFormattedError } from "graphql";
import { gatewayPlugin } from "./prepared";

/** `success`, or the code of the first error as the client sees it. */
export function outcomeOf(errors: readonly GraphQLFormattedError[] | undefined): string {
  if (errors === undefined || errors.length === 0) return "success";
  const code = errors[0]?.extensions?.["code"];
  return typeof code === "string" ? code : "INTERNAL_SERVER_ERROR";
}

export const operationMetrics = gatewayPlugin("operation-metrics", () => {
  let name: string | undefined;
  let type: string | undefined;
  let resolved = false;
  return {
    didResolveOperation({ operationName, operation }) {
      resolved = true;
      name = operationName ?? undefined;
      type = operation?.operation;
    },
    willSendResponse({ response, contextValue }) {
      const errors =
        response.body.kind === "single"
          ? response.body.singleResult.errors
          : response.body.initialResult.errors;
      // Parse and validation failures never resolve an operation: they count as __invalid.
      contextValue.metrics.operation(
        resolved ? (name ?? "") : "__invalid",
        type,
        outcomeOf(errors),
      );
    },
  };
});
