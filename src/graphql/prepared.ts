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
 *   `operationName` and `variables`, a query or mutation, and a request every plugin admits
 *   (the directives admit one whose caller may see every selection). Everything else — GET,
 *   extensions, subscriptions, a denied field (the directives plugin rewrites those
 *   answers), variables that do not coerce or an unknown operation name (nothing has run
 *   yet) — goes to Apollo, which answers it as it always has.
 * - Plugins run from one list. Every Apollo plugin of the gateway is a `GatewayPlugin`
 *   (src/graphql/apollo.ts `gatewayPlugins` builds the list): its hooks are written once and
 *   both Apollo and this path call them, or it declares why it has nothing to do here. The
 *   path is armed only when the plugins Apollo runs are exactly that list (`arm`); one more
 *   plugin from anywhere (an embedding, Apollo's usage reporting) and it serves nothing, so
 *   that plugin sees every request.
 * - What executes here is answered here, errors included, the way Apollo answers it: each
 *   error enriched and passed through the gateway's formatError, `extensions.http` status
 *   and headers merged into one head as Apollo merges them (a later value wins), the
 *   plugins' `willSendResponse` on that head, `{"errors":…,"data":…}` and a newline.
 *   test/integration/prepared.test.ts checks that the second answer to a request is the
 *   first, byte for byte, errors included.
 */
import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLResponse,
  type HTTPGraphQLHead,
} from "@apollo/server";
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

interface PreparedDocument {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  /** "" (no name given) or ":" + operation name → that query or mutation, or null (none, or a subscription). */
  readonly operations: Map<string, OperationDefinitionNode | null>;
}

export interface PreparedRequest {
  readonly source: string;
  readonly prepared: PreparedDocument;
  readonly operation: OperationDefinitionNode;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown> | undefined;
  readonly contentType: string;
}

/**
 * The hooks of a gateway plugin, in the shape both paths can call: each argument is the part
 * of Apollo's request context the hook reads, so Apollo's own context is passed as is, and
 * the prepared path builds the same parts. They observe and set the answer's head; they do
 * not change what executes (on the prepared path they run once execution has an answer).
 */
export interface GatewayRequestListener {
  didResolveOperation?(request: {
    readonly source: string;
    readonly document: DocumentNode;
    readonly schema: GraphQLSchema;
    readonly operation?: OperationDefinitionNode | undefined;
    readonly operationName: string | null;
    readonly contextValue: GatewayContext;
  }): void;
  didEncounterErrors?(request: {
    readonly errors: ReadonlyArray<GraphQLError>;
    readonly contextValue: GatewayContext;
  }): void;
  willSendResponse?(request: {
    readonly response: GraphQLResponse;
    readonly contextValue: GatewayContext;
  }): void;
}

/** One Apollo plugin of the gateway and what it does on the prepared path. */
export interface GatewayPlugin {
  readonly name: string;
  /** Exactly what Apollo Server is given. */
  readonly apollo: ApolloServerPlugin<GatewayContext>;
  readonly prepared: {
    /** Before anything executes: false sends the request to Apollo. */
    admits?(request: PreparedRequest, context: GatewayContext): boolean;
    /** The plugin's per-request hooks, the very functions its Apollo plugin calls. */
    requestDidStart?(): GatewayRequestListener | undefined;
  };
}

/** A plugin written once: Apollo's hooks are generated from the listener both paths run. */
export function gatewayPlugin(
  name: string,
  requestDidStart: () => GatewayRequestListener | undefined,
): GatewayPlugin {
  return {
    name,
    apollo: {
      async requestDidStart() {
        const listener = requestDidStart();
        if (!listener) return;
        const { didResolveOperation, didEncounterErrors, willSendResponse } = listener;
        return {
          ...(didResolveOperation && {
            async didResolveOperation(request) {
              didResolveOperation.call(listener, request);
            },
          }),
          ...(didEncounterErrors && {
            async didEncounterErrors(request) {
              didEncounterErrors.call(listener, request);
            },
          }),
          ...(willSendResponse && {
            async willSendResponse(request) {
              willSendResponse.call(listener, request);
            },
          }),
        };
      },
    },
    prepared: { requestDidStart },
  };
}

/**
 * An Apollo plugin with no effect on a request this path serves; the caller says why where
 * it builds the list (e.g. it only marks a built-in feature off, or acts before execution).
 */
export function inertOnPreparedPath(
  name: string,
  apollo: ApolloServerPlugin<GatewayContext>,
  admits?: (request: PreparedRequest, context: GatewayContext) => boolean,
): GatewayPlugin {
  return { name, apollo, prepared: admits ? { admits } : {} };
}

export interface PreparedOptions {
  /** Documents kept (least recently used dropped first; also at most 512 Ki characters of query text). 0 turns the path off. */
  maxDocuments?: number;
  /** The formatError given to Apollo Server: every error goes through it on both paths. */
  formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/** A response built on this path. */
export interface PreparedAnswer {
  status: number;
  /** Every header of the answer, content type included, one value per name (Apollo's HeaderMap). */
  headers: HeaderMap;
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

/**
 * An error's `extensions.http`, merged into the head and taken out of the extensions, as
 * Apollo Server 5 does (errorNormalize.js `isPartialHTTPGraphQLHead`, runHttpQuery.js
 * `mergeHTTPGraphQLHead`): only an object whose `status`, if present, is a number and whose
 * `headers`, if present, are a Map; a status of 0 is ignored; each header is set in a
 * HeaderMap (names lower-cased), so a later error's value replaces an earlier one's.
 */
export function mergeErrorHttp(extensions: Record<string, unknown>, head: HTTPGraphQLHead): void {
  const http = extensions["http"];
  if (typeof http !== "object" || http === null) return;
  const partial = http as { status?: unknown; headers?: unknown };
  if ("status" in partial && typeof partial.status !== "number") return;
  if ("headers" in partial && !(partial.headers instanceof Map)) return;
  if (partial.status) head.status = partial.status as number;
  if (partial.headers)
    for (const [name, value] of partial.headers as Map<string, string>)
      head.headers.set(name, value);
  delete extensions["http"];
}

/** Apollo Server 5's normalizeAndFormatErrors, for the errors of an execution. */
export function formatErrors(
  errors: readonly GraphQLError[],
  head: HTTPGraphQLHead,
  formatError: NonNullable<PreparedOptions["formatError"]>,
): GraphQLFormattedError[] {
  return errors.map((error) => {
    try {
      const extensions: Record<string, unknown> = {
        ...error.extensions,
        code: error.extensions["code"] ?? "INTERNAL_SERVER_ERROR",
      };
      mergeErrorHttp(extensions, head);
      return formatError({ ...error.toJSON(), extensions }, error);
    } catch {
      return { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    }
  });
}

/**
 * Apollo's implicitly installed landing page (installed whenever the landing page is not
 * disabled, so in development): it renders HTML for a GET and has no per-request hook, so it
 * cannot see or change a request of this path. Nothing else outside the list is tolerated.
 */
function isImplicitLandingPage(plugin: unknown): boolean {
  if (typeof plugin !== "object" || plugin === null) return false;
  const p = plugin as { __internal_installed_implicitly__?: unknown; requestDidStart?: unknown };
  return p.__internal_installed_implicitly__ === true && p.requestDidStart === undefined;
}

/** What `arm` concluded. */
export interface ArmResult {
  armed: boolean;
  /** Plugins Apollo runs that the gateway's list lacks (counted; a foreign plugin has no name). */
  foreign: number;
}

export class PreparedOperations {
  private readonly documents: LRUCache<string, PreparedDocument> | undefined;
  /** Least recently used first out, so a burst of odd headers cannot crowd out real clients. */
  private readonly contentTypes = new LRUCache<string, string>({ max: MAX_ACCEPT_HEADERS });
  private served = 0;
  /** Off until `arm` has seen Apollo run exactly the gateway's plugins. */
  private armed = false;
  private admitting: ReadonlyArray<NonNullable<GatewayPlugin["prepared"]["admits"]>> = [];
  private starting: ReadonlyArray<NonNullable<GatewayPlugin["prepared"]["requestDidStart"]>> = [];
  /** Records what Apollo validated; first in the list (the directives plugin swaps the document). */
  readonly recorder: GatewayPlugin;

  private readonly formatError: NonNullable<PreparedOptions["formatError"]>;

  constructor(options: PreparedOptions = {}) {
    this.formatError = options.formatError ?? ((formatted) => formatted);
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
    const listener: GatewayRequestListener = {
      didResolveOperation({ source, document, schema, operation }) {
        if (operation?.operation === "subscription" || documents!.has(source)) return;
        documents!.set(source, { schema, document, operations: new Map() });
      },
    };
    this.recorder = gatewayPlugin("prepared-operations", () => (documents ? listener : undefined));
  }

  /**
   * Switches the path on if `installed` — the plugins Apollo Server runs once started — is
   * `plugins` (the gateway's list), in order, apart from Apollo's implicit landing page.
   * Anything else leaves it off: Apollo answers every request, and every plugin sees it.
   */
  arm(plugins: readonly GatewayPlugin[], installed: readonly unknown[] | undefined): ArmResult {
    const own = installed?.filter((p) => !isImplicitLandingPage(p)) ?? [];
    const foreign = own.filter((p) => !plugins.some((g) => g.apollo === p)).length;
    const same =
      installed !== undefined &&
      own.length === plugins.length &&
      plugins.every((g, i) => g.apollo === own[i]);
    this.armed = same && this.documents !== undefined;
    this.admitting = plugins.flatMap((g) => (g.prepared.admits ? [g.prepared.admits] : []));
    this.starting = plugins.flatMap((g) =>
      g.prepared.requestDidStart ? [g.prepared.requestDidStart] : [],
    );
    return { armed: this.armed, foreign: installed === undefined ? 1 : foreign };
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
    if (!this.armed || !this.documents || !isRecord(body)) return undefined;
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
      source: query,
      prepared,
      operation,
      operationName: name,
      variables: variables ?? undefined,
      contentType,
    };
  }

  /**
   * Runs a prepared request; resolves with the answer, or undefined when Apollo must answer
   * instead: a plugin does not admit it (a selection the caller may not see), or it failed
   * before anything ran (variables that do not coerce). Then no plugin hook has run.
   */
  async run(
    request: PreparedRequest,
    context: GatewayContext,
  ): Promise<PreparedAnswer | undefined> {
    if (!this.armed) return undefined;
    for (const admits of this.admitting) if (!admits(request, context)) return undefined;
    const { prepared, operation, operationName, variables } = request;
    const result = await execute({
      schema: prepared.schema,
      document: prepared.document,
      contextValue: context,
      variableValues: variables,
      operationName,
    });
    if (!("data" in result) || result.data === undefined) return undefined;
    this.served++;

    // The hooks in Apollo's order (requestPipeline.js): didResolveOperation, execution,
    // didEncounterErrors, errors formatted into the head, willSendResponse.
    const listeners: GatewayRequestListener[] = [];
    for (const start of this.starting) {
      const listener = start();
      if (listener) listeners.push(listener);
    }
    const resolved = {
      source: request.source,
      document: prepared.document,
      schema: prepared.schema,
      operation,
      operationName: operation.name?.value ?? null,
      contextValue: context,
    };
    for (const l of listeners) l.didResolveOperation?.(resolved);
    const head: HTTPGraphQLHead = { status: undefined, headers: new HeaderMap() };
    let errors: GraphQLFormattedError[] | undefined;
    if (result.errors) {
      const encountered = { errors: result.errors, contextValue: context };
      for (const l of listeners) l.didEncounterErrors?.(encountered);
      errors = formatErrors(result.errors, head, this.formatError);
    }
    const response: GraphQLResponse = {
      http: head,
      body: { kind: "single", singleResult: { errors, data: result.data } },
    };
    const sending = { response, contextValue: context };
    for (const l of listeners) l.willSendResponse?.(sending);

    // runHttpQuery.js: the negotiated type unless the head already has one; then the result
    // with its fields in Apollo's order.
    if (!head.headers.get("content-type")) head.headers.set("content-type", request.contentType);
    const single = response.body.kind === "single" ? response.body.singleResult : undefined;
    const body = JSON.stringify({
      errors: single?.errors,
      data: single?.data,
      extensions: single?.extensions,
    });
    return { status: head.status ?? 200, headers: head.headers, body: body + "\n" };
  }
}
