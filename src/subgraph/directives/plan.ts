/**
 * Phase 2, once per (document, operation, caller class): the plan, listing the selections
 * this caller may not see. Pure: it depends only on its arguments.
 */
import {
  Kind,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isUnionType,
} from "graphql";
import type {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLAbstractType,
  GraphQLCompositeType,
  GraphQLNamedType,
  GraphQLSchema,
  InlineFragmentNode,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
} from "graphql";
import type { Enforcement } from "./filter";
import {
  both,
  decide,
  modelOf,
  NO_REQUIREMENT,
  type Requirement,
  type SchemaModel,
} from "./requirements";
import type { AuthorizationCaller, AuthorizationPlan, DeniedSelection } from "./types";

export interface InternalPlan extends AuthorizationPlan {
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

export function unresolvedPlan(schema: GraphQLSchema): InternalPlan {
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
export function resolutionMessage(document: DocumentNode, operationName: string | null): string {
  if (operationName !== null) return `Unknown operation named "${operationName}".`;
  const count = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  return count === 0
    ? "Must provide an operation."
    : "Must provide operation name if query contains multiple operations.";
}

const INTROSPECTION_FIELDS = new Set(["__typename", "__schema", "__type"]);

export function buildPlan(
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
