/** The Apollo Server of the gateway: schema, directives, hardening, error masking, its plugin list. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApolloServer } from "@apollo/server";
import type { GraphQLSchema } from "graphql";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDisableSuggestions } from "@apollo/server/plugin/disableSuggestions";
import type { Logger } from "pino";
import type { Config } from "../config";
import { subgraphSchema } from "./subgraphSchema";
import type { GatewayContext } from "./context";
import { createDirectiveEnforcer, type DirectiveEnforcer } from "../subgraph/directives";
import { createFormatError, logGraphQLError } from "./errors";
import {
  aliasLimitRule,
  depthLimitRule,
  knownOperationTypesRule,
  singleCredentialFieldRule,
} from "./hardening";
import { operationMetrics } from "./operationMetrics";
import {
  gatewayPlugin,
  inertOnPreparedPath,
  PreparedOperations,
  type GatewayPlugin,
  type GatewayRequestListener,
} from "./prepared";
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
const unavailableStatus: GatewayRequestListener = {
  willSendResponse({ response }) {
    if (response.body.kind !== "single") return;
    const { data, errors } = response.body.singleResult;
    if (
      (data === null || data === undefined) &&
      errors?.some((e) => e.extensions?.["code"] === "SERVICE_UNAVAILABLE")
    )
      response.http.status = 503;
  },
};
// Both keep no state between hooks, so every request shares one listener.
const serviceUnavailable = gatewayPlugin("service-unavailable-status", () => unavailableStatus);

/** Errors are logged with the request's logger, so each line carries its requestId. */
const errorLogger: GatewayRequestListener = {
  didEncounterErrors({ errors, contextValue }) {
    for (const error of errors) logGraphQLError(contextValue.logger, error, error.path);
  },
};
const errorLog = gatewayPlugin("error-log", () => errorLogger);

/**
 * The gateway's Apollo plugins, in Apollo's order: the one list Apollo Server is given and
 * the prepared path runs (src/graphql/prepared.ts). A plugin added to Apollo any other way
 * switches the prepared path off.
 */
export function gatewayPlugins(
  config: Readonly<Config>,
  enforcer: DirectiveEnforcer,
  prepared: PreparedOperations,
): GatewayPlugin[] {
  return [
    // Before the directives: it records the document Apollo validated, not a filtered copy.
    prepared.recorder,
    // Its hooks change an answer only when a selection is denied, and the prepared path takes
    // only requests whose every selection the caller may see (the same plan cache).
    inertOnPreparedPath("directives", enforcer.plugin, (request, context) =>
      enforcer.allowsAll(
        request.prepared.schema,
        request.prepared.document,
        request.operationName ?? null,
        context.principal,
      ),
    ),
    errorLog,
    serviceUnavailable,
    operationMetrics,
    // A subgraph schema turns on inline tracing (ftv1): per-field timings to any caller who
    // sends `apollo-federation-include-trace`. No internals in responses (DESIGN §8).
    // This and the next two only tell Apollo not to install a built-in plugin: no hooks.
    inertOnPreparedPath("inline-trace-disabled", ApolloServerPluginInlineTraceDisabled()),
    // Every response is `Cache-Control: no-store`; computing cache hints would add a hook
    // to every resolved field for nothing.
    inertOnPreparedPath("cache-control-disabled", ApolloServerPluginCacheControlDisabled()),
    ...(config.environment === "production"
      ? [inertOnPreparedPath("landing-page-disabled", ApolloServerPluginLandingPageDisabled())]
      : []),
    // What Apollo installs itself for hideSchemaDetailsFromClientErrors, named here so the
    // list is complete. It edits validation errors only, and nothing is prepared before it
    // passed validation.
    ...(config.introspection
      ? []
      : [inertOnPreparedPath("disable-suggestions", ApolloServerPluginDisableSuggestions())]),
  ];
}

/** The gateway's Apollo Server, and the prepared-operation path that runs its plugins. */
export interface GatewayApollo {
  apollo: ApolloServer<GatewayContext>;
  prepared: PreparedOperations;
  /** The list Apollo was given (gatewayPlugins). */
  plugins: readonly GatewayPlugin[];
  /**
   * Starts Apollo Server, then arms the prepared path if Apollo runs exactly `plugins`; if
   * not (and the path is on), says so in the log.
   */
  start(): Promise<void>;
}

/** The plugins a started Apollo Server runs, or undefined when they cannot be read. */
function installedPlugins(apollo: ApolloServer<GatewayContext>): readonly unknown[] | undefined {
  // Apollo Server 5 keeps them in its (TypeScript-private) `internals`; if that ever changes
  // shape the path stays off rather than guess.
  const internals = (apollo as unknown as { internals?: { plugins?: unknown } }).internals;
  return Array.isArray(internals?.plugins) ? internals.plugins : undefined;
}

export function createApollo(
  config: Readonly<Config>,
  logger: Logger,
  /** The served schema; tests give one of their own. */
  schema: GraphQLSchema = buildGatewaySchema(),
): GatewayApollo {
  const enforcer = createDirectiveEnforcer({ mode: config.authorizationMode });
  const formatError = createFormatError(logger, config.dangerouslyExposeErrorDetails);
  const prepared = new PreparedOperations({
    maxDocuments: config.preparedOperations ? 1000 : 0,
    formatError,
  });
  const plugins = gatewayPlugins(config, enforcer, prepared);
  const apollo = new ApolloServer<GatewayContext>({
    schema,
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
    // A copy: Apollo adds its defaults to the array it is given.
    plugins: plugins.map((p) => p.apollo),
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
  });
  return {
    apollo,
    prepared,
    plugins,
    async start() {
      await apollo.start();
      const { armed, foreign } = prepared.arm(plugins, installedPlugins(apollo));
      if (!armed && config.preparedOperations)
        logger.warn(
          { foreignPlugins: foreign },
          "prepared operations off: Apollo Server runs plugins outside the gateway's list",
        );
    },
  };
}
