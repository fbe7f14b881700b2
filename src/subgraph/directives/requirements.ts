/**
 * Phase 1, once per schema (memoized per GraphQLSchema): the requirement of every type and
 * of every (parent type, field) pair — the field's own directives, its return type's (through
 * list/non-null wrappers) and, for an interface field, those of every implementation's field
 * of that name — and the rule that decides one requirement for one caller.
 */
import { getNamedType, isInterfaceType, isObjectType, valueFromASTUntyped } from "graphql";
import type { ConstDirectiveNode, GraphQLNamedType, GraphQLSchema } from "graphql";
import type { AuthorizationCaller, AuthorizationCode } from "./types";

/**
 * A conjunction: `authenticated`, and every entry of `scopeSets` — each one directive's
 * `scopes` argument, an OR of ANDs — must hold.
 */
export interface Requirement {
  readonly authenticated: boolean;
  readonly scopeSets: ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;
}

export const NO_REQUIREMENT: Requirement = { authenticated: false, scopeSets: [] };

function isEmpty(req: Requirement): boolean {
  return !req.authenticated && req.scopeSets.length === 0;
}

export function both(a: Requirement, b: Requirement): Requirement {
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
export function decide(req: Requirement, caller: AuthorizationCaller): AuthorizationCode | null {
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

export interface SchemaModel {
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

export function modelOf(schema: GraphQLSchema): SchemaModel {
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
