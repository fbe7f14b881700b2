/**
 * The directives' definitions and the vocabulary every phase shares: what a caller is, what a
 * denial and a plan are, and the one message and status per denial code (DESIGN §4).
 */
import type { FieldNode, FragmentSpreadNode, InlineFragmentNode } from "graphql";

/**
 * The directive definitions, as Apollo Federation declares them, for schemas that do not
 * import them with `@link`.
 */
export const authDirectivesTypeDefs = `
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[federation__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
scalar federation__Scope
`;

export interface AuthDirectivesOptions {
  /**
   * "filter": unauthorized fields resolve to null with an error and the rest of the
   * operation proceeds. "reject": the whole operation fails (the Router's
   * `reject_unauthorized`).
   * @default "filter"
   */
  mode?: "filter" | "reject";
  /**
   * Plans kept, least recently used evicted first; 0 disables caching. The plans also stand
   * for at most 512 Ki characters of query text (each holds its document's nodes).
   * @default 1000
   */
  planCacheSize?: number;
}

/** DESIGN §4: anonymous caller → UNAUTHENTICATED, signed-in caller lacking scopes → FORBIDDEN. */
export type AuthorizationCode = "UNAUTHENTICATED" | "FORBIDDEN";

/** Who is asking, as far as the directives care. */
export interface AuthorizationCaller {
  authenticated: boolean;
  scopes: ReadonlySet<string>;
}

/** A field the caller may not select. */
export interface DeniedField {
  kind: "field";
  node: FieldNode;
  responseKey: string;
  fieldName: string;
  /** Name of the static parent type the field is selected on. */
  parentType: string;
  code: AuthorizationCode;
  /** Response keys from the root to the field, as first met in the document (no list indexes). */
  path: readonly string[];
}

/**
 * A fragment whose type condition the caller may not see (the Router removes it, as in
 * `posts { ... on PrivateBlog { ... } }` with `PrivateBlog @authenticated`).
 */
export interface DeniedFragment {
  kind: "fragment";
  node: InlineFragmentNode | FragmentSpreadNode;
  typeCondition: string;
  parentType: string;
  code: AuthorizationCode;
  /** Response keys from the root to the object the fragment applies to. */
  path: readonly string[];
}

export type DeniedSelection = DeniedField | DeniedFragment;

export interface AuthorizationPlan {
  /**
   * False when the plan could not be made, so nothing of the document may run: the operation
   * name resolves to no operation (unknown, `""`, or none given with several operations), or
   * the document names a field, type or fragment the schema does not have (an unvalidated
   * document). Enforcement fails closed on it, whatever `denied` holds.
   */
  readonly resolved: boolean;
  /** In document order (depth first); empty when the caller may run the whole operation. */
  readonly denied: readonly DeniedSelection[];
}

export const MESSAGES: Record<AuthorizationCode, string> = {
  UNAUTHENTICATED: "Unauthenticated: this field requires a signed-in caller",
  FORBIDDEN: "Forbidden: this field requires scopes the caller does not have",
};

export const HTTP_STATUS: Record<AuthorizationCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
};
