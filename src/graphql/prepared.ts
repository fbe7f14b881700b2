/**
 * Prepared operations: the gateway's fast path for an operation Apollo Server has already
 * parsed, validated and answered (docs/decisions.md, "Prepared operations").
 *
 * Apollo's request pipeline costs more per request than graphql-js's execution of a small
 * query (bench/: about 85 µs against 20 µs here), and almost all of it is work whose outcome
 * cannot change between two requests carrying the same query text: body checks, content
 * negotiation, hashing the query, the document store, plugin dispatch, result ordering. So:
 *
 * - Apollo decides, this path remembers. A document is recorded only from Apollo's own
 *   `didResolveOperation` (it parsed and validated with every rule of the gateway), keyed by
 *   the exact query text; a content type only from an answer Apollo negotiated for the exact
 *   `Accept` header. Nothing Apollo has not decided before is decided here.
 * - Only the plain case runs here: POST, `application/json`, a body of `query` plus optional
 *   `operationName` and `variables`, a query or mutation, and a caller the auth directives
 *   allow every selection of. Everything else — GET, extensions, subscriptions, a denied
 *   field (the directives plugin rewrites those answers), variables that do not coerce or an
 *   unknown operation name (nothing has run yet) — goes to Apollo, which answers it as it
 *   always has.
 * - What executes here is answered here, errors included, the way Apollo answers it:
 *   each error enriched with a code and passed through the gateway's formatError, an
 *   `extensions.http` status or headers applied, `{"errors":…,"data":…}` and a newline,
 *   503 for a store outage that left no data. test/integration/prepared.test.ts checks that
 *   the second answer to a request is the first, byte for byte, errors included.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  execute,
  type DocumentNode,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { LRUCache } from "lru-cache";
import type { GatewayContext } from "./context";
import type { DirectiveEnforcer } from "../subgraph/directives";
import { logGraphQLError } from "./errors";
import { outcomeOf } from "./operationMetrics";

interface PreparedDocument {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  /** "" (no name given) or ":" + operation name → that query or mutation, or null (none, or a subscription). */
  readonly operations: Map<string, OperationDefinitionNode | null>;
}

export interface PreparedRequest {
  readonly prepared: PreparedDocument;
  readonly operation: OperationDefinitionNode;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown> | undefined;
  readonly contentType: string;
}

export interface PreparedOptions {
  /** Documents kept (least recently used dropped first; also at most 512 Ki characters of query text). 0 turns the path off. */
  maxDocuments?: number;
  /** The formatError given to Apollo Server: every error goes through it on both paths. */
  formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The status of an answer, as the gateway's willSendResponse plugin sets it (or undefined). */
  statusOf?: (result: {
    data?: unknown;
    errors?: readonly GraphQLFormattedError[];
  }) => number | undefined;
}

/** A response built on this path. */
export interface PreparedAnswer {
  status: number;
  /** Headers that errors asked for (`extensions.http.headers`), besides the usual ones. */
  headers: ReadonlyArray<[string, string]>;
  body: string;
}

/**
 * Query text held, in characters: a parsed document takes about 70 bytes of heap per
 * character of its source (measured with graphql 16), so this bounds the cache near 32 MiB
 * however large the documents callers send (each is at most POOLGATE_MAX_BODY_BYTES).
 */
const MAX_SOURCE_CHARS = 512 * 1024;
/** Distinct `Accept` headers whose negotiated content type is remembered. */
const MAX_ACCEPT_HEADERS = 64;
const BODY_KEYS = new Set(["query", "operationName", "variables"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The operation a request names, as graphql-js picks it; null for none or a subscription. */
function namedOperation(
  document: DocumentNode,
  name: string | undefined,
): OperationDefinitionNode | null {
  let found: OperationDefinitionNode | null = null;
  for (const definition of document.definitions) {
    if (definition.kind !== "OperationDefinition") continue;
    if (name === undefined) {
      if (found) return null; // several operations and no name: Apollo's error
      found = definition;
    } else if (definition.name?.value === name) {
      found = definition;
      break;
    }
  }
  return found !== null && found.operation !== "subscription" ? found : null;
}

interface HttpHead {
  status: number | undefined;
  headers: Array<[string, string]>;
}

/** An error's `extensions.http` (status, headers), taken out of the extensions as Apollo does. */
function takeHttp(extensions: Record<string, unknown>, head: HttpHead): void {
  const http = extensions["http"];
  if (typeof http !== "object" || http === null) return;
  const { status, headers } = http as { status?: unknown; headers?: unknown };
  if (status !== undefined && typeof status !== "number") return;
  if (headers !== undefined && !(headers instanceof Map)) return;
  if (typeof status === "number") head.status = status;
  if (headers instanceof Map)
    for (const [name, value] of headers as Map<string, string>) head.headers.push([name, value]);
  delete extensions["http"];
}

export class PreparedOperations {
  private readonly documents: LRUCache<string, PreparedDocument> | undefined;
  /** Least recently used first out, so a burst of odd headers cannot crowd out real clients. */
  private readonly contentTypes = new LRUCache<string, string>({ max: MAX_ACCEPT_HEADERS });
  private served = 0;
  /** Records what Apollo validated; must come before the directives plugin (it swaps the document). */
  readonly plugin: ApolloServerPlugin<GatewayContext>;

  private readonly formatError: NonNullable<PreparedOptions["formatError"]>;
  private readonly statusOf: NonNullable<PreparedOptions["statusOf"]>;

  constructor(
    private readonly enforcer: DirectiveEnforcer,
    options: PreparedOptions = {},
  ) {
    this.formatError = options.formatError ?? ((formatted) => formatted);
    this.statusOf = options.statusOf ?? (() => undefined);
    const max = options.maxDocuments ?? 1000;
    this.documents =
      max > 0
        ? new LRUCache({
            max,
            maxSize: MAX_SOURCE_CHARS,
            sizeCalculation: (_document, source) => Math.max(1, source.length),
          })
        : undefined;
    const documents = this.documents;
    this.plugin = {
      async requestDidStart() {
        if (!documents) return;
        return {
          async didResolveOperation({ source, document, schema, operation }) {
            if (operation?.operation === "subscription" || documents.has(source)) return;
            documents.set(source, { schema, document, operations: new Map() });
          },
        };
      },
    };
  }

  /** What the path has done: answers served, documents held. */
  stats(): { served: number; documents: number } {
    return { served: this.served, documents: this.documents?.size ?? 0 };
  }

  /** Remembers the content type Apollo chose for an `Accept` header (a 200 it answered). */
  rememberContentType(accept: string | undefined, contentType: string): void {
    this.contentTypes.set(accept ?? "", contentType);
  }

  /** The prepared request for a parsed JSON body, or undefined when Apollo must answer it. */
  match(body: unknown, accept: string | undefined): PreparedRequest | undefined {
    if (!this.documents || !isRecord(body)) return undefined;
    const contentType = this.contentTypes.get(accept ?? "");
    if (contentType === undefined) return undefined;
    for (const key in body) if (!BODY_KEYS.has(key)) return undefined;
    const { query, operationName, variables } = body;
    if (typeof query !== "string") return undefined;
    if (operationName !== undefined && operationName !== null && typeof operationName !== "string")
      return undefined;
    if (variables !== undefined && variables !== null && !isRecord(variables)) return undefined;
    const prepared = this.documents.get(query);
    if (!prepared) return undefined;
    const name = operationName ?? undefined;
    const key = name === undefined ? "" : `:${name}`;
    let operation = prepared.operations.get(key);
    if (operation === undefined) {
      operation = namedOperation(prepared.document, name);
      // Bounded by the document's own operations (and one entry per name a caller tries).
      if (prepared.operations.size < 16) prepared.operations.set(key, operation);
    }
    if (!operation) return undefined;
    return {
      prepared,
      operation,
      operationName: name,
      variables: variables ?? undefined,
      contentType,
    };
  }

  /**
   * Runs a prepared request; resolves with the answer, or undefined when Apollo must answer
   * instead: a selection the caller may not see, or a request that failed before anything
   * ran (variables that do not coerce).
   */
  async run(
    request: PreparedRequest,
    context: GatewayContext,
  ): Promise<PreparedAnswer | undefined> {
    const { prepared, operationName, variables } = request;
    if (
      !this.enforcer.allowsAll(
        prepared.schema,
        prepared.document,
        operationName ?? null,
        context.principal,
      )
    )
      return undefined;
    const result = await execute({
      schema: prepared.schema,
      document: prepared.document,
      contextValue: context,
      variableValues: variables,
      operationName,
    });
    if (!("data" in result) || result.data === undefined) return undefined;
    this.served++;
    const head: HttpHead = { status: undefined, headers: [] };
    const errors = result.errors?.map((error) => {
      logGraphQLError(context.logger, error, error.path);
      return this.format(error, head);
    });
    const answer = { errors, data: result.data };
    // Counted as the operation-metrics plugin counts Apollo's answers.
    context.metrics.operation(
      request.operation.name?.value ?? "",
      request.operation.operation,
      outcomeOf(errors),
    );
    return {
      status: this.statusOf(answer) ?? head.status ?? 200,
      headers: head.headers,
      body: JSON.stringify(answer) + "\n",
    };
  }

  /** Apollo Server 5's normalizeAndFormatErrors, for one execution error. */
  private format(error: GraphQLError, head: HttpHead): GraphQLFormattedError {
    try {
      const extensions: Record<string, unknown> = {
        ...error.extensions,
        code: error.extensions["code"] ?? "INTERNAL_SERVER_ERROR",
      };
      takeHttp(extensions, head);
      return this.formatError({ ...error.toJSON(), extensions }, error);
    } catch {
      return { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    }
  }
}
