/**
 * Phase 3, enforcement before execution: in "filter" mode the document to execute instead,
 * with every denied selection removed (so denied resolvers never run) and a `__typename`
 * added where the result must later be read by runtime type; in "reject" mode the first
 * denied selection that execution would reach, with @skip/@include evaluated.
 */
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  getVariableValues,
  isAbstractType,
  visit,
} from "graphql";
import type {
  DocumentNode,
  FieldNode,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
} from "graphql";
import type { InternalPlan } from "./plan";
import type { DeniedSelection } from "./types";

export interface Enforcement {
  readonly document: DocumentNode;
  /** Response key of the synthetic `__typename` added where the walk needs runtime types. */
  readonly typenameKey: string;
  /** Selection sets (of the original document) containing, at any depth, a denied selection. */
  readonly hasWork: (set: SelectionSetNode) => boolean;
}

export function enforcementOf(plan: InternalPlan, document: DocumentNode): Enforcement {
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

export type VariableValues = Record<string, unknown>;

export function isIncluded(node: SelectionNode, variables: VariableValues): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.["if"] === true) return false;
  if (getDirectiveValues(GraphQLIncludeDirective, node, variables)?.["if"] === false) return false;
  return true;
}

export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: Record<string, unknown> | undefined,
): VariableValues {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], raw ?? {});
  return result.coerced ?? raw ?? {};
}

/** The first denial that execution would reach, with @skip/@include evaluated. */
export function firstReachedDenial(
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
