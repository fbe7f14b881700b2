/**
 * Request hardening (DESIGN §8) as graphql-js validation rules, one per concern: depth,
 * aliases, and at most one credential-checking field per operation (no alias batching of
 * signIn to try many passwords in one request).
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";
import { PoolgateError } from "../errors";

/**
 * Apollo wraps validation errors as GRAPHQL_VALIDATION_FAILED; the PoolgateError carried as
 * `originalError` lets formatError restore the stable code (BAD_USER_INPUT).
 */
function reject(context: ValidationContext, message: string): void {
  context.reportError(
    new GraphQLError(message, { originalError: new PoolgateError("BAD_USER_INPUT", message) }),
  );
}

/**
 * Deepest selection nesting, following fragment spreads. Each fragment's depth is computed
 * once per document (memoised by name), so fragments spreading each other many times cannot
 * make the rule itself exponential; a cycle counts as depth 0 here (graphql-js's
 * NoFragmentCycles rule reports it).
 */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    const fragmentDepth = new Map<string, number>();
    const inProgress = new Set<string>();
    const depthOfFragment = (name: string): number => {
      const known = fragmentDepth.get(name);
      if (known !== undefined) return known;
      const frag = fragments.get(name);
      if (!frag || inProgress.has(name)) return 0;
      inProgress.add(name);
      const depth = depthOf(frag.selectionSet);
      inProgress.delete(name);
      fragmentDepth.set(name, depth);
      return depth;
    };
    const depthOf = (set: SelectionSetNode): number => {
      let max = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          max = Math.max(max, sel.selectionSet ? 1 + depthOf(sel.selectionSet) : 1);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          max = Math.max(max, depthOf(sel.selectionSet));
        } else {
          max = Math.max(max, depthOfFragment(sel.name.value));
        }
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        if (depthOf(node.selectionSet) > maxDepth) {
          reject(context, `Query is too deep (maximum depth ${maxDepth})`);
        }
      },
    };
  };
}

export function aliasLimitRule(maxAliases: number) {
  return (context: ValidationContext): ASTVisitor => {
    let count = 0;
    let reported = false;
    return {
      Field(node) {
        if (node.alias && ++count > maxAliases && !reported) {
          reported = true;
          reject(context, `Too many aliases (maximum ${maxAliases})`);
        }
      },
    };
  };
}

/** Root fields that check a credential: each may appear once per document. */
export const CREDENTIAL_FIELDS = new Set([
  "signIn",
  "refresh",
  "revoke",
  "signUp",
  "confirmSignUp",
  "changePassword",
  "clientCredentials",
  // The sign-in conversation and recovery (issue 14): passwords, one-time codes, sessions.
  "initiateAuth",
  "respondToAuthChallenge",
  "associateSoftwareToken",
  "verifySoftwareToken",
  "forgotPassword",
  "confirmForgotPassword",
  "resendConfirmationCode",
  "updateUserAttributes",
  "getUserAttributeVerificationCode",
  "verifyUserAttribute",
  "setUserMfaPreference",
]);

export function singleCredentialFieldRule(context: ValidationContext): ASTVisitor {
  let count = 0;
  let reported = false;
  return {
    Field(node) {
      const parent = context.getParentType();
      if (
        parent &&
        parent === context.getSchema().getMutationType() &&
        CREDENTIAL_FIELDS.has(node.name.value)
      ) {
        if (++count > 1 && !reported) {
          reported = true;
          reject(context, "Only one credential-checking field is allowed per request");
        }
      }
    },
  };
}

/**
 * An operation whose root type the schema lacks (e.g. a subscription here) is invalid
 * before execution, as graphql-js 17's KnownOperationTypes rule has it, instead of failing
 * in the executor.
 */
export function knownOperationTypesRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      const schema = context.getSchema();
      const root =
        node.operation === "query"
          ? schema.getQueryType()
          : node.operation === "mutation"
            ? schema.getMutationType()
            : schema.getSubscriptionType();
      if (!root) {
        context.reportError(
          new GraphQLError(`This schema does not support ${node.operation} operations`, {
            nodes: [node],
          }),
        );
      }
    },
  };
}
