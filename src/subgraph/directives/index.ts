/**
 * `@authenticated` and `@requiresScopes` (DESIGN §5), with Apollo Federation's definitions
 * and the GraphOS Router's semantics, enforced by an Apollo Server plugin that decides once
 * per operation, before execution, instead of wrapping resolvers.
 *
 * How it works:
 * - Per schema (once, WeakMap): the requirement of every type and of every (parent type,
 *   field) pair — the field's own directives, its return type's (through list/non-null
 *   wrappers) and, for an interface field, those of every implementation's field of that name.
 * - Per (document, operation, caller class) (bounded LRU): a plan listing the selections the
 *   caller may not see, and the filtered document without them.
 * - `didResolveOperation`: nothing denied → nothing to do. Otherwise, in "filter" mode the
 *   request's document is replaced by the filtered copy, so denied resolvers never run; in
 *   "reject" mode the whole operation fails.
 * - `willSendResponse`: the original operation is walked over the result to put back each
 *   denied field as `null` with one error per concrete position, propagating nulls through
 *   non-null positions as GraphQL execution would.
 */
import { LRUCache } from "lru-cache";
import {
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  getLocation,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  valueFromASTUntyped,
  visit,
} from "graphql";
import type {
  ConstDirectiveNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  FragmentSpreadNode,
  GraphQLAbstractType,
  GraphQLCompositeType,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLSchema,
  InlineFragmentNode,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
} from "graphql";
import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import type { AuthContext } from "../principal";

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

const MESSAGES: Record<AuthorizationCode, string> = {
  UNAUTHENTICATED: "Unauthenticated: this field requires a signed-in caller",
  FORBIDDEN: "Forbidden: this field requires scopes the caller does not have",
};

const HTTP_STATUS: Record<AuthorizationCode, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403 };

// ---------------------------------------------------------------------------------------------
// Requirements, computed once per schema.

/**
 * A conjunction: `authenticated`, and every entry of `scopeSets` — each one directive's
 * `scopes` argument, an OR of ANDs — must hold.
 */
interface Requirement {
  readonly authenticated: boolean;
  readonly scopeSets: ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;
}

const NO_REQUIREMENT: Requirement = { authenticated: false, scopeSets: [] };

function isEmpty(req: Requirement): boolean {
  return !req.authenticated && req.scopeSets.length === 0;
}

function both(a: Requirement, b: Requirement): Requirement {
  if (isEmpty(b)) return a;
  if (isEmpty(a)) return b;
  const seen = new Set(a.scopeSets.map(dnfKey));
  const scopeSets = [...a.scopeSets];
  for (const dnf of b.scopeSets) {
    const key = dnfKey(dnf);
    if (!seen.has(key)) {
      seen.add(key);
      scopeSets.push(dnf);
    }
  }
  return { authenticated: a.authenticated || b.authenticated, scopeSets };
}

function dnfKey(dnf: ReadonlyArray<ReadonlyArray<string>>): string {
  return JSON.stringify(dnf.map((and) => [...and].sort()).sort());
}

/**
 * Any scope requirement implies a signed-in caller: an anonymous caller has no token, hence
 * no scopes (the Router docs: "authentication is guaranteed if the request includes scopes").
 * An empty outer list (`scopes: []`) is an OR of nothing and so is never satisfied.
 */
function decide(req: Requirement, caller: AuthorizationCaller): AuthorizationCode | null {
  if (isEmpty(req)) return null;
  if (!caller.authenticated) return "UNAUTHENTICATED";
  for (const dnf of req.scopeSets) {
    if (!dnf.some((and) => and.every((scope) => caller.scopes.has(scope)))) return "FORBIDDEN";
  }
  return null;
}

interface DirectiveNames {
  authenticated: Set<string>;
  requiresScopes: Set<string>;
}

const SPEC_URL = /^https:\/\/specs\.apollo\.dev\/(federation|authenticated|requiresScopes)\/v\d/;

/**
 * The names the directives go by in this schema: the bare names, the `federation__`-prefixed
 * names `@link` gives non-imported federation directives, and any `@link` renaming.
 */
function directiveNames(schema: GraphQLSchema): DirectiveNames {
  const names: DirectiveNames = {
    authenticated: new Set(["authenticated", "federation__authenticated"]),
    requiresScopes: new Set(["requiresScopes", "federation__requiresScopes"]),
  };
  const schemaNodes = [schema.astNode, ...schema.extensionASTNodes];
  for (const node of schemaNodes) {
    for (const link of node?.directives ?? []) {
      if (link.name.value !== "link") continue;
      const args = argumentsOf(link);
      const spec = typeof args["url"] === "string" ? SPEC_URL.exec(args["url"])?.[1] : undefined;
      if (spec === undefined) continue;
      const namespace = typeof args["as"] === "string" ? args["as"] : spec;
      if (spec === "federation") {
        names.authenticated.add(`${namespace}__authenticated`);
        names.requiresScopes.add(`${namespace}__requiresScopes`);
      } else {
        // A spec's own directive is referred to by the namespace itself (link spec, "root" directive).
        names[spec === "authenticated" ? "authenticated" : "requiresScopes"].add(namespace);
      }
      for (const entry of Array.isArray(args["import"]) ? args["import"] : []) {
        const record = entry as { name?: unknown; as?: unknown } | string;
        const name = typeof record === "string" ? record : record?.name;
        const alias = typeof record === "string" ? record : (record?.as ?? record?.name);
        if (typeof name !== "string" || typeof alias !== "string") continue;
        if (name === "@authenticated") names.authenticated.add(alias.replace(/^@/, ""));
        if (name === "@requiresScopes") names.requiresScopes.add(alias.replace(/^@/, ""));
      }
    }
  }
  return names;
}

function argumentsOf(directive: ConstDirectiveNode): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of directive.arguments ?? [])
    args[arg.name.value] = valueFromASTUntyped(arg.value);
  return args;
}

/** Input coercion of `[[Scope!]!]!`: a single value stands for a list of one. */
function scopesArgument(directive: ConstDirectiveNode): string[][] {
  const value = argumentsOf(directive)["scopes"];
  const outer = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return outer.map((inner: unknown) =>
    (Array.isArray(inner) ? inner : [inner]).filter((s): s is string => typeof s === "string"),
  );
}

function requirementOf(
  directives: ReadonlyArray<ConstDirectiveNode>,
  names: DirectiveNames,
  mentioned: Set<string>,
): Requirement {
  let req = NO_REQUIREMENT;
  for (const directive of directives) {
    const name = directive.name.value;
    if (names.authenticated.has(name)) {
      req = both(req, { authenticated: true, scopeSets: [] });
    } else if (names.requiresScopes.has(name)) {
      const dnf = scopesArgument(directive);
      for (const and of dnf) for (const scope of and) mentioned.add(scope);
      req = both(req, { authenticated: false, scopeSets: [dnf] });
    }
  }
  return req;
}

interface SchemaModel {
  /** False when no type or field carries an auth directive: every plan is empty. */
  readonly active: boolean;
  /** Every scope some directive names; other scopes of a caller cannot change a decision. */
  readonly mentionedScopes: ReadonlySet<string>;
  readonly typeRequirements: ReadonlyMap<string, Requirement>;
  /** parent type name → field name → own ∧ return type ∧ (interfaces) implementations. */
  readonly fieldRequirements: ReadonlyMap<string, ReadonlyMap<string, Requirement>>;
  readonly schemaId: number;
}

const models = new WeakMap<GraphQLSchema, SchemaModel>();
let nextSchemaId = 1;

function modelOf(schema: GraphQLSchema): SchemaModel {
  const cached = models.get(schema);
  if (cached) return cached;
  const names = directiveNames(schema);
  const mentioned = new Set<string>();
  const typeRequirements = new Map<string, Requirement>();
  const ownFieldRequirements = new Map<string, Map<string, Requirement>>();
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith("__"));

  for (const type of types) {
    const directives = [type.astNode, ...type.extensionASTNodes].flatMap(
      (node) => node?.directives ?? [],
    );
    const req = requirementOf(directives, names, mentioned);
    if (!isEmpty(req)) typeRequirements.set(type.name, req);
    if (isObjectType(type) || isInterfaceType(type)) {
      const own = new Map<string, Requirement>();
      for (const field of Object.values(type.getFields())) {
        own.set(field.name, requirementOf(field.astNode?.directives ?? [], names, mentioned));
      }
      ownFieldRequirements.set(type.name, own);
    }
  }

  const typeReq = (type: GraphQLNamedType): Requirement =>
    typeRequirements.get(type.name) ?? NO_REQUIREMENT;
  const fieldRequirements = new Map<string, Map<string, Requirement>>();
  for (const type of types) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    const implementations = isInterfaceType(type)
      ? [...schema.getImplementations(type).objects, ...schema.getImplementations(type).interfaces]
      : [];
    const byField = new Map<string, Requirement>();
    for (const field of Object.values(type.getFields())) {
      let req = both(
        ownFieldRequirements.get(type.name)?.get(field.name) ?? NO_REQUIREMENT,
        typeReq(getNamedType(field.type)),
      );
      // The Router: "to query the interface's fields, the request must meet all of [the
      // implementations'] authorization requirements, combined with AND logic".
      for (const impl of implementations) {
        const implField = impl.getFields()[field.name];
        if (!implField) continue;
        req = both(req, ownFieldRequirements.get(impl.name)?.get(field.name) ?? NO_REQUIREMENT);
        req = both(req, typeReq(getNamedType(implField.type)));
      }
      if (!isEmpty(req)) byField.set(field.name, req);
    }
    fieldRequirements.set(type.name, byField);
  }

  const model: SchemaModel = {
    active: typeRequirements.size > 0 || [...fieldRequirements.values()].some((m) => m.size > 0),
    mentionedScopes: mentioned,
    typeRequirements,
    fieldRequirements,
    schemaId: nextSchemaId++,
  };
  models.set(schema, model);
  return model;
}

// ---------------------------------------------------------------------------------------------
// Planning: which selections of one operation the caller may not see.

interface InternalPlan extends AuthorizationPlan {
  readonly operation: OperationDefinitionNode | undefined;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly deniedByNode: ReadonlyMap<SelectionNode, DeniedSelection>;
  /** Static type of each selection set the planner walked. */
  readonly selectionSetTypes: ReadonlyMap<SelectionSetNode, GraphQLCompositeType>;
  readonly schema: GraphQLSchema;
  /** Filled on first enforcement: the document to execute instead, and how to read its result. */
  enforcement?: Enforcement;
}

/**
 * Decides, for one operation and one caller, which selections are unauthorized. Pure: the
 * result depends only on the arguments (the per-schema requirements are memoized).
 */
export function planAuthorization(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  caller: AuthorizationCaller,
): AuthorizationPlan {
  const operation = resolveOperation(document, operationName);
  return operation
    ? buildPlan(schema, modelOf(schema), document, operation, caller)
    : unresolvedPlan(schema);
}

/**
 * The operation a request runs, as graphql-js's `execute` picks it: by name when a name is
 * given (an empty string is a name, and matches nothing), else the only one. Undefined when
 * none matches; the caller must then deny, never allow.
 */
export function resolveOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  return getOperationAST(document, operationName ?? null) ?? undefined;
}

const EMPTY_FRAGMENTS: ReadonlyMap<string, FragmentDefinitionNode> = new Map();

function unresolvedPlan(schema: GraphQLSchema): InternalPlan {
  return {
    resolved: false,
    denied: [],
    operation: undefined,
    fragments: EMPTY_FRAGMENTS,
    deniedByNode: new Map(),
    selectionSetTypes: new Map(),
    schema,
  };
}

/** graphql-js's words for an operation it cannot pick (execute.js, buildExecutionContext). */
function resolutionMessage(document: DocumentNode, operationName: string | null): string {
  if (operationName !== null) return `Unknown operation named "${operationName}".`;
  const count = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  return count === 0
    ? "Must provide an operation."
    : "Must provide operation name if query contains multiple operations.";
}

const INTROSPECTION_FIELDS = new Set(["__typename", "__schema", "__type"]);

function buildPlan(
  schema: GraphQLSchema,
  model: SchemaModel,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  caller: AuthorizationCaller,
): InternalPlan {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const denied: DeniedSelection[] = [];
  const deniedByNode = new Map<SelectionNode, DeniedSelection>();
  const selectionSetTypes = new Map<SelectionSetNode, GraphQLCompositeType>();
  let resolved = true;
  const planOf = (): InternalPlan => ({
    resolved,
    denied,
    operation,
    fragments,
    deniedByNode,
    selectionSetTypes,
    schema,
  });
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return unresolvedPlan(schema);
  if (!model.active) return planOf();

  const typeReq = (type: GraphQLNamedType): Requirement =>
    model.typeRequirements.get(type.name) ?? NO_REQUIREMENT;
  const deny = (entry: DeniedSelection): void => {
    denied.push(entry);
    deniedByNode.set(entry.node, entry);
  };

  const walk = (set: SelectionSetNode, type: GraphQLCompositeType, path: string[]): void => {
    if (selectionSetTypes.has(set)) return; // a named fragment spread twice: decided already
    selectionSetTypes.set(set, type);
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const fieldName = selection.name.value;
        if (INTROSPECTION_FIELDS.has(fieldName)) continue;
        if (isUnionType(type)) continue; // unions: __typename only
        const field = type.getFields()[fieldName];
        if (!field) {
          // Validation rejects such a document before any plugin sees it; if one arrives
          // unvalidated, nothing in it can be judged, so nothing of it runs.
          resolved = false;
          continue;
        }
        const responseKey = selection.alias?.value ?? fieldName;
        let req = model.fieldRequirements.get(type.name)?.get(fieldName) ?? NO_REQUIREMENT;
        // No field returns a root type, so the root type's own directive applies to its fields
        // (the Router checks it on the operation).
        if (type === rootType) req = both(req, typeReq(rootType));
        const returnType = getNamedType(field.type);
        if (selection.selectionSet && isAbstractType(returnType)) {
          req = both(req, possibleTypesRequirement(returnType, selection.selectionSet));
        }
        const code = decide(req, caller);
        const fieldPath = [...path, responseKey];
        if (code) {
          deny({
            kind: "field",
            node: selection,
            responseKey,
            fieldName,
            parentType: type.name,
            code,
            path: fieldPath,
          });
        } else if (selection.selectionSet && isCompositeType(returnType)) {
          walk(selection.selectionSet, returnType, fieldPath);
        }
      } else {
        const def =
          selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : undefined;
        const conditionName =
          selection.kind === Kind.FRAGMENT_SPREAD
            ? def?.typeCondition.name.value
            : selection.typeCondition?.name.value;
        const condition =
          selection.kind === Kind.INLINE_FRAGMENT && conditionName === undefined
            ? type
            : conditionName === undefined
              ? undefined
              : schema.getType(conditionName);
        if (!condition || !isCompositeType(condition)) {
          resolved = false; // an unknown fragment or type condition: as for an unknown field
          continue;
        }
        // A type condition equal to the static type adds nothing: that type's requirement
        // was checked on the field that returned it (or on the root).
        const code = condition === type ? null : decide(typeReq(condition), caller);
        if (code) {
          deny({
            kind: "fragment",
            node: selection,
            typeCondition: condition.name,
            parentType: type.name,
            code,
            path,
          });
        } else {
          walk(
            def ? def.selectionSet : (selection as InlineFragmentNode).selectionSet,
            condition,
            path,
          );
        }
      }
    }
  };

  /**
   * The Router's rule for a field returning an interface or union: selecting fields on the
   * abstract type itself (rather than in fragments on its object types) exposes every
   * possible object type, so each one's type-level requirement applies to the field.
   * `__typename` alone exposes nothing.
   */
  const possibleTypesRequirement = (
    returnType: GraphQLAbstractType,
    set: SelectionSetNode,
  ): Requirement => {
    const scopes = new Set<GraphQLAbstractType>();
    const seen = new Set<string>();
    const collect = (current: SelectionSetNode, scope: GraphQLCompositeType): void => {
      for (const selection of current.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value !== "__typename" && isAbstractType(scope)) scopes.add(scope);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const name = selection.typeCondition?.name.value;
          const next = name === undefined ? scope : schema.getType(name);
          if (next && isCompositeType(next)) collect(selection.selectionSet, next);
        } else {
          const def = fragments.get(selection.name.value);
          if (!def || seen.has(def.name.value)) continue;
          seen.add(def.name.value);
          const next = schema.getType(def.typeCondition.name.value);
          if (next && isCompositeType(next)) collect(def.selectionSet, next);
        }
      }
    };
    collect(set, returnType);
    let req = NO_REQUIREMENT;
    for (const object of schema.getPossibleTypes(returnType)) {
      for (const scope of scopes) {
        if (scope === returnType || schema.isSubType(scope, object)) {
          req = both(req, typeReq(object));
          break;
        }
      }
    }
    return req;
  };

  walk(operation.selectionSet, rootType, []);
  return planOf();
}

// ---------------------------------------------------------------------------------------------
// Enforcement: the filtered document, and putting the denied fields back into the result.

interface Enforcement {
  readonly document: DocumentNode;
  /** Response key of the synthetic `__typename` added where the walk needs runtime types. */
  readonly typenameKey: string;
  /** Selection sets (of the original document) containing, at any depth, a denied selection. */
  readonly hasWork: (set: SelectionSetNode) => boolean;
}

function enforcementOf(plan: InternalPlan, document: DocumentNode): Enforcement {
  if (plan.enforcement) return plan.enforcement;
  const memo = new Map<SelectionSetNode, boolean>();
  const hasWork = (set: SelectionSetNode): boolean => {
    const known = memo.get(set);
    if (known !== undefined) return known;
    memo.set(set, false); // cycles cannot occur in a valid document; guard anyway
    let result = false;
    for (const selection of set.selections) {
      if (plan.deniedByNode.has(selection)) result = true;
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const def = plan.fragments.get(selection.name.value);
        result = def !== undefined && hasWork(def.selectionSet);
      } else if (selection.selectionSet) result = hasWork(selection.selectionSet);
      if (result) break;
    }
    memo.set(set, result);
    return result;
  };

  const typenameKey = unusedAlias(document);
  const synthetic: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: typenameKey },
    name: { kind: Kind.NAME, value: "__typename" },
  };
  // Where the walk meets an interface or union, it needs the runtime type to know which
  // fragments applied; where removal empties a selection set, it must stay valid.
  const needsTypename = (original: SelectionSetNode): boolean => {
    const type = plan.selectionSetTypes.get(original);
    return type !== undefined && isAbstractType(type) && hasWork(original);
  };
  const stack: SelectionSetNode[] = [];
  const filtered = visit(document, {
    Field: { enter: (node) => (plan.deniedByNode.has(node) ? null : undefined) },
    InlineFragment: { enter: (node) => (plan.deniedByNode.has(node) ? null : undefined) },
    FragmentSpread: { enter: (node) => (plan.deniedByNode.has(node) ? null : undefined) },
    SelectionSet: {
      enter: (node) => {
        stack.push(node);
      },
      leave: (node) => {
        const original = stack.pop();
        if (original && (node.selections.length === 0 || needsTypename(original))) {
          return { ...node, selections: [...node.selections, synthetic] };
        }
        return undefined;
      },
    },
  });
  plan.enforcement = { document: filtered, typenameKey, hasWork };
  return plan.enforcement;
}

function unusedAlias(document: DocumentNode): string {
  const used = new Set<string>();
  visit(document, {
    Field: (node) => {
      used.add(node.alias?.value ?? node.name.value);
    },
  });
  let alias = "__poolgate_typename";
  for (let i = 1; used.has(alias); i++) alias = `__poolgate_typename${i}`;
  return alias;
}

/** Shaped like the errors Apollo Server formats (`GraphQLFormattedError`). */
interface FormattedAuthError {
  message: string;
  locations?: Array<{ line: number; column: number }>;
  path: Array<string | number>;
  extensions: { code: AuthorizationCode };
}

type VariableValues = Record<string, unknown>;

function isIncluded(node: SelectionNode, variables: VariableValues): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.["if"] === true) return false;
  if (getDirectiveValues(GraphQLIncludeDirective, node, variables)?.["if"] === false) return false;
  return true;
}

function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: Record<string, unknown> | undefined,
): VariableValues {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], raw ?? {});
  return result.coerced ?? raw ?? {};
}

function errorFor(denial: DeniedSelection, path: Array<string | number>): FormattedAuthError {
  const error: FormattedAuthError = {
    message: MESSAGES[denial.code],
    path,
    extensions: { code: denial.code },
  };
  const loc = denial.node.loc;
  if (loc) error.locations = [getLocation(loc.source, loc.start)];
  return error;
}

interface TypedSet {
  set: SelectionSetNode;
  type: GraphQLCompositeType;
}

interface FieldGroup {
  allowed: Array<{ node: FieldNode; parentType: GraphQLCompositeType }>;
  denied: DeniedField | undefined;
}

/**
 * Puts the denied selections back into an execution result of the filtered document: walks
 * the original operation over `data` (fragments, aliases, lists, @skip/@include as
 * evaluated), sets each denied field to null, records one error per concrete position, and
 * propagates nulls from non-null positions. Returns the new `data` (null if it propagated
 * to the root) and the errors in walk order.
 */
function restoreDenied(
  plan: InternalPlan,
  enforcement: Enforcement,
  data: Record<string, unknown>,
  variables: VariableValues,
): { data: Record<string, unknown> | null; errors: FormattedAuthError[] } {
  const { schema, operation } = plan;
  const rootType = operation ? schema.getRootType(operation.operation) : undefined;
  const errors: FormattedAuthError[] = [];
  if (!operation || !rootType) return { data, errors };
  const { typenameKey, hasWork } = enforcement;

  /** True when the object may not exist (a non-null field in it became null). */
  const walkObject = (
    object: Record<string, unknown>,
    sets: readonly TypedSet[],
    path: Array<string | number>,
  ): boolean => {
    let runtime: GraphQLObjectType | undefined;
    for (const { type } of sets) if (isObjectType(type)) runtime = type;
    if (!runtime) {
      const name = object[typenameKey] ?? object["__typename"];
      const type = typeof name === "string" ? schema.getType(name) : undefined;
      if (type && isObjectType(type)) runtime = type;
    }
    delete object[typenameKey];

    const groups = new Map<string, FieldGroup>();
    const visitedFragments = new Set<string>();
    let fragmentDenial: DeniedFragment | undefined;
    const applies = (condition: GraphQLCompositeType, staticType: GraphQLCompositeType) =>
      runtime
        ? condition === runtime ||
          (isAbstractType(condition) && schema.isSubType(condition, runtime))
        : condition === staticType;
    const collect = (set: SelectionSetNode, staticType: GraphQLCompositeType): void => {
      for (const selection of set.selections) {
        if (!isIncluded(selection, variables)) continue;
        const denial = plan.deniedByNode.get(selection);
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          let group = groups.get(key);
          if (!group) groups.set(key, (group = { allowed: [], denied: undefined }));
          if (denial?.kind === "field") group.denied ??= denial;
          else group.allowed.push({ node: selection, parentType: staticType });
          continue;
        }
        let def: FragmentDefinitionNode | undefined;
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          def = plan.fragments.get(selection.name.value);
          if (!def || visitedFragments.has(def.name.value)) continue;
          visitedFragments.add(def.name.value);
        }
        const conditionName = (def ?? (selection as InlineFragmentNode)).typeCondition?.name.value;
        const condition = conditionName === undefined ? staticType : schema.getType(conditionName);
        if (!condition || !isCompositeType(condition) || !applies(condition, staticType)) continue;
        if (denial?.kind === "fragment") fragmentDenial ??= denial;
        else
          collect(
            def ? def.selectionSet : (selection as InlineFragmentNode).selectionSet,
            condition,
          );
      }
    };
    for (const { set, type } of sets) collect(set, type);

    if (fragmentDenial) {
      errors.push(errorFor(fragmentDenial, [...path, `... on ${fragmentDenial.typeCondition}`]));
    }
    let invalid = false;
    for (const [key, group] of groups) {
      if (group.allowed.length === 0) {
        if (!group.denied) continue;
        errors.push(errorFor(group.denied, [...path, key]));
        object[key] = null;
        const parent = schema.getType(group.denied.parentType);
        const field =
          parent && (isObjectType(parent) || isInterfaceType(parent))
            ? parent.getFields()[group.denied.fieldName]
            : undefined;
        if (field && isNonNullType(field.type)) invalid = true;
        continue;
      }
      // Fields merged under one key: any allowed selection of it ran, so its value stands.
      const subSets: TypedSet[] = [];
      let fieldType: GraphQLOutputType | undefined;
      for (const { node, parentType } of group.allowed) {
        if (!node.selectionSet || isUnionType(parentType)) continue;
        const field = parentType.getFields()[node.name.value];
        if (!field) continue;
        fieldType ??= field.type;
        const named = getNamedType(field.type);
        if (isCompositeType(named)) subSets.push({ set: node.selectionSet, type: named });
      }
      if (!fieldType || !subSets.some(({ set }) => hasWork(set))) continue;
      if (walkValue(object[key], fieldType, subSets, [...path, key])) {
        object[key] = null;
        if (isNonNullType(fieldType)) invalid = true;
      }
    }
    return invalid;
  };

  /** True when the value at this position must become null. */
  const walkValue = (
    value: unknown,
    type: GraphQLOutputType,
    sets: readonly TypedSet[],
    path: Array<string | number>,
  ): boolean => {
    if (value === null || value === undefined) return false;
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable)) {
      if (!Array.isArray(value)) return false;
      const itemType = nullable.ofType as GraphQLOutputType;
      let invalid = false;
      value.forEach((item: unknown, index: number) => {
        if (walkValue(item, itemType, sets, [...path, index])) {
          value[index] = null;
          if (isNonNullType(itemType)) invalid = true;
        }
      });
      return invalid;
    }
    if (typeof value !== "object" || Array.isArray(value)) return false;
    return walkObject(value as Record<string, unknown>, sets, path);
  };

  const invalid = walkObject(data, [{ set: operation.selectionSet, type: rootType }], []);
  return { data: invalid ? null : data, errors };
}

/** The first denial that execution would reach, with @skip/@include evaluated. */
function firstReachedDenial(
  plan: InternalPlan,
  variables: VariableValues,
): { denial: DeniedSelection; path: string[] } | undefined {
  const visited = new Set<string>();
  const search = (
    set: SelectionSetNode,
    path: string[],
  ): { denial: DeniedSelection; path: string[] } | undefined => {
    for (const selection of set.selections) {
      if (!isIncluded(selection, variables)) continue;
      const denial = plan.deniedByNode.get(selection);
      if (selection.kind === Kind.FIELD) {
        const fieldPath = [...path, selection.alias?.value ?? selection.name.value];
        if (denial) return { denial, path: fieldPath };
        const found = selection.selectionSet && search(selection.selectionSet, fieldPath);
        if (found) return found;
        continue;
      }
      if (denial) return { denial, path };
      let inner: SelectionSetNode | undefined = undefined;
      if (selection.kind === Kind.INLINE_FRAGMENT) inner = selection.selectionSet;
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        inner = plan.fragments.get(selection.name.value)?.selectionSet;
      }
      const found = inner && search(inner, path);
      if (found) return found;
    }
    return undefined;
  };
  return plan.operation ? search(plan.operation.selectionSet, []) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The plugin.

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
