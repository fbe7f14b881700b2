/**
 * Phase 5, the Apollo Server plugin: plans each operation once (bounded LRU), then filters
 * or rejects in `didResolveOperation` and restores denied fields in `willSendResponse`.
 */
import { LRUCache } from "lru-cache";
import { GraphQLError } from "graphql";
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from "graphql";
import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import type { AuthContext } from "../principal";
import {
  coerceVariables,
  enforcementOf,
  firstReachedDenial,
  type Enforcement,
  type VariableValues,
} from "./filter";
import {
  buildPlan,
  resolutionMessage,
  resolveOperation,
  unresolvedPlan,
  type InternalPlan,
} from "./plan";
import { modelOf, type SchemaModel } from "./requirements";
import { restoreDenied } from "./restore";
import {
  HTTP_STATUS,
  MESSAGES,
  type AuthDirectivesOptions,
  type AuthorizationCaller,
} from "./types";

/**
 * Query text the cached plans stand for, in characters. A plan holds its document's nodes
 * (and, once enforced, a filtered copy), about 70 bytes of heap per character of source:
 * without this bound, a caller sending many large distinct documents could make the cache
 * hold hundreds of MiB (measured: 268 MiB after 1000 documents of ~670 tokens).
 */
const PLAN_SOURCE_CHARS = 512 * 1024;

/**
 * The caller's scopes that the schema's directives mention, sorted and joined: computed once
 * per scope set (the context builder hands out one principal, and so one set, per token).
 */
const relevantKeys = new WeakMap<ReadonlySet<string>, { model: SchemaModel; key: string }>();

function relevantScopesKey(model: SchemaModel, scopes: ReadonlySet<string>): string {
  const known = relevantKeys.get(scopes);
  if (known && known.model === model) return known.key;
  const relevant: string[] = [];
  for (const scope of scopes) if (model.mentionedScopes.has(scope)) relevant.push(scope);
  const key = relevant.sort().join(" ");
  relevantKeys.set(scopes, { model, key });
  return key;
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 1;

function documentId(document: DocumentNode): number {
  let id = documentIds.get(document);
  if (id === undefined) documentIds.set(document, (id = nextDocumentId++));
  return id;
}

const operationIds = new WeakMap<OperationDefinitionNode, number>();
let nextOperationId = 1;

function operationId(operation: OperationDefinitionNode): number {
  let id = operationIds.get(operation);
  if (id === undefined) operationIds.set(operation, (id = nextOperationId++));
  return id;
}

const NO_SCOPES: ReadonlySet<string> = new Set();

/**
 * Enforces `@authenticated` / `@requiresScopes` on every operation, from the principal the
 * context builder put in `contextValue.principal` (anonymous when null).
 */
export function authDirectives(
  options: AuthDirectivesOptions = {},
): ApolloServerPlugin<AuthContext> {
  return createDirectiveEnforcer(options).plugin;
}

/** The plugin, and the question the gateway's prepared-operation path asks of the same plans. */
export interface DirectiveEnforcer {
  readonly plugin: ApolloServerPlugin<AuthContext>;
  /**
   * True when this caller may see every selection of the operation, so it runs unchanged
   * (no field nulled, nothing rejected). Shares the plugin's plan cache.
   */
  allowsAll(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null,
    principal: AuthContext["principal"],
  ): boolean;
}

function callerOf(principal: AuthContext["principal"]): AuthorizationCaller {
  return principal
    ? { authenticated: true, scopes: principal.scopes }
    : { authenticated: false, scopes: NO_SCOPES };
}

export function createDirectiveEnforcer(options: AuthDirectivesOptions = {}): DirectiveEnforcer {
  const mode = options.mode ?? "filter";
  if (mode !== "filter" && mode !== "reject") {
    throw new TypeError(`authDirectives: mode must be "filter" or "reject", got ${String(mode)}`);
  }
  const planCacheSize = options.planCacheSize ?? 1000;
  if (!Number.isInteger(planCacheSize) || planCacheSize < 0) {
    throw new TypeError(`authDirectives: planCacheSize must be a non-negative integer`);
  }
  const plans =
    planCacheSize > 0
      ? new LRUCache<string, InternalPlan>({ max: planCacheSize, maxSize: PLAN_SOURCE_CHARS })
      : undefined;

  const planFor = (
    schema: GraphQLSchema,
    model: SchemaModel,
    document: DocumentNode,
    operationName: string | null,
    caller: AuthorizationCaller,
  ): InternalPlan => {
    // The operation is resolved before any cache is consulted, and the key names the
    // operation node itself, never the name the request gave: a name that resolves to nothing
    // (`""`, unknown, or none with several operations) gets an unresolved plan, uncached, and
    // can share no entry with a request that resolves. Also keyed by the caller's scopes that
    // some directive names: scopes no directive mentions cannot change a decision, so callers
    // differing only in those share a plan, and no others do (scopes have no spaces, so the
    // separators cannot be forged).
    const operation = resolveOperation(document, operationName);
    if (!operation) return unresolvedPlan(schema);
    const key = `${model.schemaId}|${documentId(document)}|${operationId(operation)}|${
      caller.authenticated ? `+${relevantScopesKey(model, caller.scopes)}` : "-"
    }`;
    let plan = plans?.get(key);
    if (!plan) {
      plan = buildPlan(schema, model, document, operation, caller);
      // The document and its filtered copy: twice its source.
      const size = 2 * Math.max(1, document.loc?.source.body.length ?? 1000);
      if (size <= PLAN_SOURCE_CHARS) plans?.set(key, plan, { size });
    }
    return plan;
  };

  const allowsAll: DirectiveEnforcer["allowsAll"] = (
    schema,
    document,
    operationName,
    principal,
  ) => {
    const model = modelOf(schema);
    if (!model.active) return true;
    const plan = planFor(schema, model, document, operationName, callerOf(principal));
    return plan.resolved && plan.denied.length === 0;
  };

  const plugin: ApolloServerPlugin<AuthContext> = {
    async requestDidStart(): Promise<GraphQLRequestListener<AuthContext>> {
      let enforced:
        { plan: InternalPlan; enforcement: Enforcement; variables: VariableValues } | undefined;
      return {
        async didResolveOperation(requestContext) {
          const { schema, document, request } = requestContext;
          const model = modelOf(schema);
          if (!model.active) return;
          const caller = callerOf(requestContext.contextValue.principal ?? null);
          const operationName = request.operationName ?? null;
          const plan = planFor(schema, model, document, operationName, caller);
          // Fail closed: an operation that cannot be planned, or not the one Apollo will run,
          // runs nothing. The error is the one execution would give (Apollo's
          // OperationResolutionError), so a client sees no difference.
          if (!plan.operation || plan.operation !== requestContext.operation) {
            throw new GraphQLError(resolutionMessage(document, operationName), {
              extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400 } },
            });
          }
          if (!plan.resolved) {
            throw new GraphQLError("The operation names fields or types the schema lacks", {
              extensions: { code: "GRAPHQL_VALIDATION_FAILED", http: { status: 400 } },
            });
          }
          if (plan.denied.length === 0 || !plan.operation) return;

          const variables = coerceVariables(schema, plan.operation, request.variables);
          if (mode === "reject") {
            const first = firstReachedDenial(plan, variables);
            if (!first) return; // every denied selection is skipped: nothing unauthorized runs
            throw new GraphQLError(MESSAGES[first.denial.code], {
              path: first.path,
              extensions: {
                code: first.denial.code,
                http: { status: HTTP_STATUS[first.denial.code] },
              },
            });
          }
          const enforcement = enforcementOf(plan, document);
          // Execution reads `requestContext.document` after this hook (Apollo Server 5,
          // requestPipeline.js: `execute({ ...requestContext })` then
          // `const { request, document } = requestContext`), so the filtered copy is what runs.
          // The original stays in Apollo's document store untouched.
          (requestContext as { document: DocumentNode }).document = enforcement.document;
          enforced = { plan, enforcement, variables };
        },

        async willSendResponse(requestContext) {
          if (!enforced) return;
          const { body } = requestContext.response;
          if (body.kind !== "single") return; // incremental delivery: denied fields stay absent
          const result = body.singleResult;
          if (result.data === null || result.data === undefined) return;
          const { data, errors } = restoreDenied(
            enforced.plan,
            enforced.enforcement,
            result.data,
            enforced.variables,
          );
          result.data = data;
          if (errors.length > 0) result.errors = [...(result.errors ?? []), ...errors];
        },
      };
    },
  };
  return { plugin, allowsAll };
}
