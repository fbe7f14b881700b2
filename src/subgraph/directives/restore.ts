/**
 * Phase 4, after execution: the denied fields are put back into the result of the filtered
 * document as `null`, with one error per concrete position, and nulls propagate through
 * non-null positions as GraphQL execution would.
 */
import {
  Kind,
  getLocation,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
} from "graphql";
import type {
  FieldNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLObjectType,
  GraphQLOutputType,
  InlineFragmentNode,
  SelectionSetNode,
} from "graphql";
import { isIncluded, type Enforcement, type VariableValues } from "./filter";
import type { InternalPlan } from "./plan";
import {
  MESSAGES,
  type AuthorizationCode,
  type DeniedField,
  type DeniedFragment,
  type DeniedSelection,
} from "./types";

/** Shaped like the errors Apollo Server formats (`GraphQLFormattedError`). */
interface FormattedAuthError {
  message: string;
  locations?: Array<{ line: number; column: number }>;
  path: Array<string | number>;
  extensions: { code: AuthorizationCode };
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
export function restoreDenied(
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
