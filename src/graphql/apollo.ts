/** The Apollo Server of the gateway: schema, directives, hardening, error masking. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import type { GraphQLFormattedError, GraphQLSchema } from "graphql";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import type { Logger } from "pino";
import type { Config } from "../config";
import { subgraphSchema } from "./subgraphSchema";
import type { GatewayContext } from "./context";
import { createDirectiveEnforcer } from "../subgraph/directives";
import { createFormatError, logGraphQLError } from "./errors";
import {
  aliasLimitRule,
  depthLimitRule,
  knownOperationTypesRule,
  singleCredentialFieldRule,
} from "./hardening";
import { PreparedOperations } from "./prepared";
import { resolvers } from "./resolvers";

/** schema.graphql sits at the package root, two levels above both src/graphql and dist/graphql. */
export const SCHEMA_PATH = join(__dirname, "..", "..", "schema.graphql");

export function loadTypeDefs(): string {
  return readFileSync(SCHEMA_PATH, "utf8");
}

/** The served schema: schema.graphql as a Federation 2 subgraph (docs/federation.md). */
export function buildGatewaySchema(): GraphQLSchema {
  return subgraphSchema(loadTypeDefs(), resolvers);
}

/** A request that failed only because the store is down answers 503, so load balancers see it. */
function serviceUnavailableStatus(result: {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}): number | undefined {
  const { data, errors } = result;
  return (data === null || data === undefined) &&
    errors?.some((e) => e.extensions?.["code"] === "SERVICE_UNAVAILABLE")
    ? 503
    : undefined;
}

const serviceUnavailable: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== "single") return;
        const status = serviceUnavailableStatus(response.body.singleResult);
        if (status !== undefined) response.http.status = status;
      },
    };
  },
};

/** Errors are logged with the request's logger, so each line carries its requestId. */
const errorLog: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) logGraphQLError(contextValue.logger, error, error.path);
      },
    };
  },
};

/** The gateway's Apollo Server, and the prepared-operation path that learns from it. */
export interface GatewayApollo {
  apollo: ApolloServer<GatewayContext>;
  prepared: PreparedOperations;
}

export function createApollo(config: Readonly<Config>, logger: Logger): GatewayApollo {
  const production = config.environment === "production";
  const enforcer = createDirectiveEnforcer({ mode: config.authorizationMode });
  const formatError = createFormatError(logger, config.dangerouslyExposeErrorDetails);
  const prepared = new PreparedOperations(enforcer, {
    maxDocuments: config.preparedOperations ? 1000 : 0,
    formatError,
    statusOf: serviceUnavailableStatus,
  });
  const apollo = new ApolloServer<GatewayContext>({
    schema: buildGatewaySchema(),
    introspection: config.introspection,
    // With introspection off the schema is not public, and "Did you mean …?" in validation
    // errors would hand it out a field name at a time.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    allowBatchedHttpRequests: false,
    // No automatic persisted queries: an anonymous caller could fill a server-side cache,
    // and no poolgate client needs them.
    persistedQueries: false,
    // The gateway drains HTTP first and then stops Apollo itself (server.ts); Apollo's own
    // signal handler would stop it mid-request and re-raise SIGTERM.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: config.maxQueryTokens },
    validationRules: [
      depthLimitRule(config.maxQueryDepth),
      aliasLimitRule(config.maxAliases),
      singleCredentialFieldRule,
      knownOperationTypesRule,
    ],
    formatError,
    plugins: [
      // Before the directives: it records the document Apollo validated, not a filtered copy.
      prepared.plugin,
      enforcer.plugin,
      errorLog,
      serviceUnavailable,
      // A subgraph schema turns on inline tracing (ftv1): per-field timings to any caller who
      // sends `apollo-federation-include-trace`. No internals in responses (DESIGN §8).
      ApolloServerPluginInlineTraceDisabled(),
      // Every response is `Cache-Control: no-store`; computing cache hints would add a hook
      // to every resolved field for nothing.
      ApolloServerPluginCacheControlDisabled(),
      ...(production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
  });
  return { apollo, prepared };
}
