/**
 * Cognito's pre token generation trigger, in-process (DESIGN §14; docs/hooks.md): the event a
 * `preTokenGeneration` hook gets before poolgate mints tokens, and the checked overrides its
 * answer yields. Transport-free: the services that mint tokens (sessions.ts, machine.ts) call
 * these only when the hook exists, and pass the overrides to tokens/issue.ts.
 *
 * - User tokens get a V2_0 event (`version: "2"`) on every issuance: sign-in through any front
 *   door, the authorization code and implicit flows, and every refresh.
 * - Client-credentials tokens get a V3_0 event (`version: "3"`), as a Cognito pool configured
 *   for V3_0 sends; it has no user, so no `userName`, no attributes and no groups.
 *
 * The hook runs before anything is stored, so a failure leaves no session behind.
 */
import type { TokenOverrides } from "../tokens/overrides";
import type { IdentityDeps } from "./deps";
import { readPreTokenAnswer } from "./preTokenAnswer";
import type { ScopeRules } from "./scopes";
import type { ClientView, UserView } from "./views";

/** Cognito's triggerSource values for user tokens (TokenGeneration_AuthenticateDevice: no devices here). */
export type UserTriggerSource =
  | "TokenGeneration_Authentication"
  | "TokenGeneration_HostedAuth"
  | "TokenGeneration_NewPasswordChallenge"
  | "TokenGeneration_RefreshTokens";

export interface UserTokenEvent {
  source: UserTriggerSource;
  client: ClientView;
  user: Pick<UserView, "sub" | "username" | "attributes" | "status">;
  groups: readonly string[];
  /** The scopes poolgate granted (for a refresh: the session's, re-checked), before the hook. */
  scopes: readonly string[];
}

/** The SDK version Cognito names when it cannot tell, as in its sample events. */
const AWS_SDK_VERSION = "aws-sdk-unknown-unknown";

/** Amplify's convention and Cognito's: the pool id is `<region>_<id>`. */
function regionOf(poolId: string): string {
  const match = /^([a-z]{2}(?:-[a-z]+)+-\d+)_/.exec(poolId);
  return match ? match[1]! : "local";
}

function common(d: IdentityDeps, version: "2" | "3", triggerSource: string, clientId: string) {
  return {
    version,
    triggerSource,
    region: regionOf(d.config.poolId),
    userPoolId: d.config.poolId,
    callerContext: { awsSdkVersion: AWS_SDK_VERSION, clientId },
  };
}

/** Scopes poolgate grants by its own rules (its `poolgate/*` scopes, group-restricted ones). */
function reservedScope(rules: ScopeRules): (scope: string) => boolean {
  return (scope) => scope.startsWith("poolgate/") || rules.groupRestricted.has(scope);
}

function answerRules(d: IdentityDeps, clientId: string, scopes: readonly string[]) {
  return {
    clientId,
    scopes,
    reservedScope: reservedScope(d.scopeRules),
    // Half of the longest token verifiers accept: the claims poolgate puts in need the rest.
    maxBytes: Math.floor(d.config.maxTokenBytes / 2),
  };
}

/** The V2_0 event of a user's tokens, as Cognito's reference shows it. */
export function userTokenEvent(d: IdentityDeps, e: UserTokenEvent): Record<string, unknown> {
  return {
    ...common(d, "2", e.source, e.client.clientId),
    userName: e.user.username,
    request: {
      userAttributes: {
        ...e.user.attributes,
        sub: e.user.sub,
        "cognito:user_status": e.user.status,
      },
      groupConfiguration: {
        groupsToOverride: [...e.groups],
        iamRolesToOverride: [],
        preferredRole: null,
      },
      scopes: [...e.scopes],
    },
    response: { claimsAndScopeOverrideDetails: null },
  };
}

/** The V3_0 event of a client-credentials token: a machine, so no user, attributes or groups. */
export function clientTokenEvent(
  d: IdentityDeps,
  client: ClientView,
  scopes: readonly string[],
): Record<string, unknown> {
  return {
    ...common(d, "3", "TokenGeneration_ClientCredentials", client.clientId),
    request: {
      userAttributes: {},
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
      scopes: [...scopes],
    },
    response: { claimsAndScopeOverrideDetails: null },
  };
}

/** Calls the hook for a user's tokens; UNEXPECTED_LAMBDA when it fails or breaks a rule. */
export function userTokenOverrides(d: IdentityDeps, e: UserTokenEvent): Promise<TokenOverrides> {
  return d.hooks.call("preTokenGeneration", userTokenEvent(d, e), (answer) =>
    readPreTokenAnswer(answer, answerRules(d, e.client.clientId, e.scopes)),
  );
}

/** Calls the hook for a client-credentials token (only its access token part applies). */
export function clientTokenOverrides(
  d: IdentityDeps,
  client: ClientView,
  scopes: readonly string[],
): Promise<TokenOverrides> {
  return d.hooks.call("preTokenGeneration", clientTokenEvent(d, client, scopes), (answer) =>
    readPreTokenAnswer(answer, answerRules(d, client.clientId, scopes)),
  );
}
