/**
 * `@authenticated` and `@requiresScopes` (DESIGN §5), with Apollo Federation's definitions
 * and the GraphOS Router's semantics, enforced by an Apollo Server plugin that decides once
 * per operation, before execution, instead of wrapping resolvers. One file per phase, as
 * graphql-js and the Router split theirs:
 *
 * - types.ts: the directive definitions and the vocabulary the phases share.
 * - requirements.ts, per schema (once, WeakMap): the requirement of every type and of every
 *   (parent type, field) pair — the field's own directives, its return type's (through
 *   list/non-null wrappers) and, for an interface field, those of every implementation's field
 *   of that name.
 * - plan.ts, per (document, operation, caller class): a plan listing the selections the
 *   caller may not see.
 * - filter.ts, in `didResolveOperation`: nothing denied → nothing to do. Otherwise, in
 *   "filter" mode the request's document is replaced by a filtered copy, so denied resolvers
 *   never run; in "reject" mode the whole operation fails.
 * - restore.ts, in `willSendResponse`: the original operation is walked over the result to put
 *   back each denied field as `null` with one error per concrete position, propagating nulls
 *   through non-null positions as GraphQL execution would.
 * - plugin.ts: the plugin (bounded LRU of plans) that runs the phases in Apollo's hooks.
 */
export { authDirectives, createDirectiveEnforcer, type DirectiveEnforcer } from "./plugin";
export { planAuthorization, resolveOperation } from "./plan";
export {
  authDirectivesTypeDefs,
  type AuthDirectivesOptions,
  type AuthorizationCaller,
  type AuthorizationCode,
  type AuthorizationPlan,
  type DeniedField,
  type DeniedFragment,
  type DeniedSelection,
} from "./types";
