/**
 * OAuth scopes (DESIGN §2). A user sign-in always gets `aws.cognito.signin.user.admin`
 * (Cognito's scope for the user's own API calls) plus the requested scopes, which must be
 * allowed for the client; group-restricted scopes also need the group.
 */
import { PoolgateError } from "../errors";

export const USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin";
export const ADMIN_SCOPE = "poolgate/admin";
/**
 * Reading the revocation feed (GET /revocations, DESIGN §15): who is revoked or blocked. Like
 * ADMIN_SCOPE, only a client created with it in its allowed scopes gets it, and only by asking.
 */
export const REVOCATIONS_SCOPE = "poolgate/revocations";
export const OIDC_SCOPES = ["openid", "email", "phone", "profile"] as const;

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/; // RFC 6749 §3.3 scope-token
/** `resource-server-identifier/scope-name`: the name is what follows the last "/". */
const CUSTOM_SCOPE = /^.+\/[^/]+$/;

export function isValidScopeName(scope: string): boolean {
  if (!SCOPE_TOKEN.test(scope)) return false;
  return (
    (OIDC_SCOPES as readonly string[]).includes(scope) ||
    scope === USER_ADMIN_SCOPE ||
    CUSTOM_SCOPE.test(scope)
  );
}

export interface ScopeRules {
  /** Scopes granted only to members of a group: scope → group. */
  groupRestricted: ReadonlyMap<string, string>;
}

function mayHave(rules: ScopeRules, scope: string, groups: readonly string[]): boolean {
  const group = rules.groupRestricted.get(scope);
  return group === undefined || groups.includes(group);
}

/**
 * The scopes of a user sign-in. With no request: every allowed scope the user may have.
 * With a request: exactly those, or INVALID_SCOPE naming the first one refused — asking
 * for a scope one may not have is an error, not a silent drop.
 */
export function grantUserScopes(
  rules: ScopeRules,
  allowed: readonly string[],
  requested: readonly string[] | null | undefined,
  groups: readonly string[],
): string[] {
  const granted = new Set<string>([USER_ADMIN_SCOPE]);
  if (requested === null || requested === undefined) {
    for (const s of allowed) if (mayHave(rules, s, groups)) granted.add(s);
    return [...granted];
  }
  for (const s of requested) {
    if (s === USER_ADMIN_SCOPE) continue;
    if (!allowed.includes(s)) {
      throw new PoolgateError(
        "INVALID_SCOPE",
        `Scope "${s.slice(0, 100)}" is not allowed for this client`,
      );
    }
    if (!mayHave(rules, s, groups)) {
      throw new PoolgateError(
        "INVALID_SCOPE",
        `Scope "${s.slice(0, 100)}" is not granted to this user`,
      );
    }
    granted.add(s);
  }
  return [...granted];
}

/**
 * The scopes of a refresh. Cognito re-evaluates claims on every refresh, so group-restricted
 * scopes are checked again against the user's current groups: a member removed from the
 * admin group stops getting `poolgate/admin` from the next refresh on. A refresh asks for
 * nothing, so a scope the user no longer qualifies for is dropped, not an error. The scopes
 * granted at sign-in stay the upper bound: rejoining the group restores the scope.
 */
export function refreshUserScopes(
  rules: ScopeRules,
  allowed: readonly string[],
  sessionScopes: readonly string[],
  groups: readonly string[],
): string[] {
  // The client's allowed scopes are read again too: a scope an admin took off the client
  // stops at the next refresh, as it would at the next sign-in.
  return sessionScopes.filter(
    (s) => (s === USER_ADMIN_SCOPE || allowed.includes(s)) && mayHave(rules, s, groups),
  );
}
