/**
 * Prepared operations: the gateway's fast path for a query Apollo Server has already parsed,
 * validated and answered (docs/decisions.md, "Prepared operations").
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
 *   `operationName` and `variables`, a query operation (never a mutation), a caller the auth
 *   directives allow every selection of, and an execution without errors. Everything else —
 *   GET, extensions, variables that do not coerce, a denied field, any error at all — goes
 *   through Apollo, which answers it as it always has. A query that ends in an error runs
 *   again there (queries read, they do not write), with fresh loaders.
 * - The answer is built the way Apollo builds it (`{"data":…}` and a newline, the negotiated
 *   content type, status 200); test/integration/prepared.test.ts checks that the second answer
 *   to a request is byte-for-byte the first.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  execute,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { LRUCache } from "lru-cache";
import type { GatewayContext } from "./context";
import type { DirectiveEnforcer } from "./directives";

interface PreparedDocument {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  /** "" (no name given) or ":" + operation name → that query operation, or null (none, or not a query). */
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
  /** Documents kept (least recently used dropped first). 0 turns the path off. */
  maxDocuments?: number;
}

/** Distinct `Accept` headers whose negotiated content type is remembered. */
const MAX_ACCEPT_HEADERS = 64;
const BODY_KEYS = new Set(["query", "operationName", "variables"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The query operation a request names, as graphql-js's getOperationAST picks it. */
function queryOperation(
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
  return found?.operation === "query" ? found : null;
}

export class PreparedOperations {
  private readonly documents: LRUCache<string, PreparedDocument> | undefined;
  private readonly contentTypes = new Map<string, string>();
  private served = 0;
  /** Records what Apollo validated; must come before the directives plugin (it swaps the document). */
  readonly plugin: ApolloServerPlugin<GatewayContext>;

  constructor(
    private readonly enforcer: DirectiveEnforcer,
    options: PreparedOptions = {},
  ) {
    const max = options.maxDocuments ?? 1000;
    this.documents = max > 0 ? new LRUCache({ max }) : undefined;
    const documents = this.documents;
    this.plugin = {
      async requestDidStart() {
        if (!documents) return;
        return {
          async didResolveOperation({ source, document, schema, operation }) {
            if (operation?.operation !== "query" || documents.has(source)) return;
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
    const key = accept ?? "";
    if (this.contentTypes.has(key) || this.contentTypes.size >= MAX_ACCEPT_HEADERS) return;
    this.contentTypes.set(key, contentType);
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
      operation = queryOperation(prepared.document, name);
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
   * Runs a prepared request; resolves with the response body, or undefined when Apollo must
   * answer instead (a denied selection, or a result with errors: the query runs again there).
   */
  async run(request: PreparedRequest, context: GatewayContext): Promise<string | undefined> {
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
    if (result.errors !== undefined || result.data === undefined || result.data === null)
      return undefined;
    this.served++;
    return JSON.stringify({ data: result.data }) + "\n";
  }
}
