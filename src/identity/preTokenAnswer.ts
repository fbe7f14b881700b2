/**
 * Reads a pre token generation hook's answer (DESIGN §14) under Cognito's rules, and throws
 * HookAnswerError, which the call turns into UNEXPECTED_LAMBDA, for anything the trigger may
 * not answer: a restricted claim, a value of a type Cognito does not allow, a misspelt or
 * misshapen field. Nothing is dropped silently: a hook that asked for something it cannot
 * have learns it at once, not from a token without its claim.
 *
 * The answer is first copied with structuredClone, so getters run once, the hook keeps no
 * reference to what is checked, and functions or symbols are refused; the copy is what gets
 * checked and applied.
 */
import {
  GROUP_CLAIMS,
  NO_ACCESS_OVERRIDES,
  NO_CLAIM_OVERRIDES,
  RESTRICTED_CLAIMS,
  SCALAR_ID_CLAIMS,
  type AccessTokenOverrides,
  type ClaimOverrides,
  type ClaimValue,
  type GroupOverrides,
  type TokenOverrides,
} from "../tokens/overrides";
import { HookAnswerError } from "./hooks";

export interface AnswerRules {
  /** The app client of the tokens: the only `aud` an access token may be given. */
  clientId: string;
  /** The scopes before the hook (its event's request.scopes). */
  scopes: readonly string[];
  /** Scopes poolgate grants by its own rules: a hook may keep or suppress them, never add them. */
  reservedScope: (scope: string) => boolean;
  /** Most bytes the override details may take as JSON (they end up in tokens). */
  maxBytes: number;
}

/** RFC 6749 §3.3 scope-token: no blank space (Cognito's rule for scopesToAdd), no quote or backslash. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
const MAX_DEPTH = 16;
const MAX_NAME_LENGTH = 256;

const fail = (why: string): never => {
  throw new HookAnswerError(why);
};

/**
 * A plain object: made by a literal or JSON (its prototype is an Object.prototype, of any
 * realm: a hook's module may run in another), not a class instance such as a Date or a Map.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** An object with only the members `allowed` names (a misspelt member is an error, not a no-op). */
function members(
  value: unknown,
  where: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (!isPlainObject(value)) return fail(`${where} is not an object`);
  for (const key of Object.keys(value))
    if (!allowed.includes(key))
      fail(`${where} has an unknown member ${JSON.stringify(key.slice(0, 64))}`);
  return value;
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    return fail(`${where} is not a list of strings`);
  return value as string[];
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

/** JSON inside a JSON object claim: any JSON value, finite numbers only, bounded depth. */
function isJson(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (value === null || isScalar(value)) return true;
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  return isPlainObject(value) && Object.values(value).every((v) => isJson(v, depth + 1));
}

/** Cognito's V2_0 value types: string, number, boolean, a list of those, or a JSON object. */
function claimValue(value: unknown, name: string, scalarOnly: boolean): ClaimValue {
  if (isScalar(value)) return value;
  if (scalarOnly) return fail(`the claim ${name} must be a string, a number or a boolean`);
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return value as (string | number | boolean)[];
    return fail(
      `the claim ${name} is a list of something other than strings, numbers and booleans`,
    );
  }
  if (isPlainObject(value) && isJson(value, 1)) return value;
  return fail(`the claim ${name} has a value of a type Cognito does not allow`);
}

function claimName(name: string, token: "id" | "access", verb: "add" | "suppress"): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) fail(`a claim name is empty or too long`);
  // Assigned as a property it would set the claims object's prototype, not a claim.
  if (name === "__proto__") fail("__proto__ is not a claim name");
  const shown = JSON.stringify(name.slice(0, 64));
  if (name === "scope")
    fail(
      `${verb === "add" ? "scopesToAdd" : "scopesToSuppress"} changes the scope claim, not ${verb === "add" ? "claimsToAddOrOverride" : "claimsToSuppress"}`,
    );
  if (RESTRICTED_CLAIMS.has(name))
    fail(
      `the ${token} token's claim ${shown} cannot be ${verb === "add" ? "added or overridden" : "suppressed"}`,
    );
  if (name.startsWith("cognito:") && !(verb === "suppress" && GROUP_CLAIMS.has(name)))
    fail(
      `the claim ${shown} cannot be ${verb === "add" ? "added or overridden (groups go in groupOverrideDetails)" : "suppressed"}`,
    );
  if (verb === "add" && name.startsWith("dev:"))
    fail(`the claim ${shown} cannot be added or overridden`);
}

function claimOverrides(
  value: unknown,
  token: "id" | "access",
  rules: AnswerRules,
  extra: readonly string[],
): { claims: ClaimOverrides; rest: Record<string, unknown> } {
  if (value === undefined || value === null) return { claims: NO_CLAIM_OVERRIDES, rest: {} };
  const where = token === "id" ? "idTokenGeneration" : "accessTokenGeneration";
  const o = members(value, where, ["claimsToAddOrOverride", "claimsToSuppress", ...extra]);
  const add: Record<string, ClaimValue> = {};
  const given = o["claimsToAddOrOverride"];
  if (given !== undefined && given !== null) {
    if (!isPlainObject(given)) fail(`${where}.claimsToAddOrOverride is not an object`);
    for (const [name, v] of Object.entries(given as Record<string, unknown>)) {
      // Cognito's footnote: an access token may carry `aud`, but only its own client id.
      if (token === "access" && name === "aud") {
        if (v !== rules.clientId) fail("the access token's aud may only be the app client id");
        add[name] = v as string;
        continue;
      }
      claimName(name, token, "add");
      add[name] = claimValue(v, name, token === "id" && SCALAR_ID_CLAIMS.has(name));
    }
  }
  const suppress = stringList(o["claimsToSuppress"], `${where}.claimsToSuppress`);
  for (const name of suppress) claimName(name, token, "suppress");
  return { claims: { claimsToAddOrOverride: add, claimsToSuppress: suppress }, rest: o };
}

function accessOverrides(value: unknown, rules: AnswerRules): AccessTokenOverrides {
  if (value === undefined || value === null) return NO_ACCESS_OVERRIDES;
  const { claims, rest } = claimOverrides(value, "access", rules, [
    "scopesToAdd",
    "scopesToSuppress",
  ]);
  const scopesToAdd = stringList(rest["scopesToAdd"], "accessTokenGeneration.scopesToAdd");
  for (const s of scopesToAdd) {
    if (!SCOPE_TOKEN.test(s))
      fail("scopesToAdd holds a scope with blank space or characters a scope may not have");
    if (rules.reservedScope(s) && !rules.scopes.includes(s))
      fail(`scopesToAdd holds ${JSON.stringify(s)}, which poolgate grants only by its own rules`);
  }
  const scopesToSuppress = stringList(
    rest["scopesToSuppress"],
    "accessTokenGeneration.scopesToSuppress",
  );
  return { ...claims, scopesToAdd, scopesToSuppress };
}

/** groupOverrideDetails: absent keeps the groups; null or {} suppresses them (Cognito's rule). */
function groupOverrides(details: Record<string, unknown>): GroupOverrides | undefined {
  if (!("groupOverrideDetails" in details) || details["groupOverrideDetails"] === undefined)
    return undefined;
  const value = details["groupOverrideDetails"];
  if (value === null) return { groups: [], iamRoles: [], preferredRole: null };
  const g = members(value, "groupOverrideDetails", [
    "groupsToOverride",
    "iamRolesToOverride",
    "preferredRole",
  ]);
  const groups = stringList(g["groupsToOverride"], "groupOverrideDetails.groupsToOverride");
  if (groups.some((name) => name.length === 0 || name.length > 128))
    fail("groupOverrideDetails.groupsToOverride holds a group name that is empty or too long");
  const iamRoles = stringList(g["iamRolesToOverride"], "groupOverrideDetails.iamRolesToOverride");
  const preferred = g["preferredRole"];
  if (preferred !== undefined && preferred !== null && typeof preferred !== "string")
    fail("groupOverrideDetails.preferredRole is not a string");
  return { groups, iamRoles, preferredRole: typeof preferred === "string" ? preferred : null };
}

/**
 * The overrides of an answer: V2_0/V3_0's claimsAndScopeOverrideDetails, or V1_0's
 * claimsOverrideDetails (string claims for the ID token, and groups), so a trigger written for
 * version one keeps working.
 */
export function readPreTokenAnswer(
  answer: Record<string, unknown>,
  rules: AnswerRules,
): TokenOverrides {
  let response: unknown;
  try {
    response = structuredClone(answer["response"]);
  } catch {
    return fail("answered a response with values that are not data (a function, a symbol…)");
  }
  const r = members(response, "the response", [
    "claimsAndScopeOverrideDetails",
    "claimsOverrideDetails",
  ]);
  const v2 = r["claimsAndScopeOverrideDetails"];
  const v1 = r["claimsOverrideDetails"];
  const none: TokenOverrides = {
    idToken: NO_CLAIM_OVERRIDES,
    accessToken: NO_ACCESS_OVERRIDES,
    groups: undefined,
  };
  if (v1 !== undefined && v1 !== null) {
    if (v2 !== undefined && v2 !== null)
      fail("the response has both claimsOverrideDetails and claimsAndScopeOverrideDetails");
    const d = members(v1, "claimsOverrideDetails", [
      "claimsToAddOrOverride",
      "claimsToSuppress",
      "groupOverrideDetails",
    ]);
    const { claimsToAddOrOverride, claimsToSuppress } = d;
    const { claims } = claimOverrides({ claimsToAddOrOverride, claimsToSuppress }, "id", rules, []);
    if (!Object.values(claims.claimsToAddOrOverride).every((v) => typeof v === "string"))
      fail("a version one answer (claimsOverrideDetails) may only add string claims");
    return checkSize({ ...none, idToken: claims, groups: groupOverrides(d) }, rules);
  }
  // Cognito's own sample events carry `[]` here: an empty list means no changes, like null.
  if (v2 === undefined || v2 === null || (Array.isArray(v2) && v2.length === 0)) return none;
  const d = members(v2, "claimsAndScopeOverrideDetails", [
    "idTokenGeneration",
    "accessTokenGeneration",
    "groupOverrideDetails",
  ]);
  return checkSize(
    {
      idToken: claimOverrides(d["idTokenGeneration"], "id", rules, []).claims,
      accessToken: accessOverrides(d["accessTokenGeneration"], rules),
      groups: groupOverrides(d),
    },
    rules,
  );
}

/** The overrides end up in tokens, which verifiers refuse past POOLGATE_MAX_TOKEN_BYTES. */
function checkSize(o: TokenOverrides, rules: AnswerRules): TokenOverrides {
  if (Buffer.byteLength(JSON.stringify(o), "utf8") > rules.maxBytes)
    fail(`the overrides take more than ${rules.maxBytes} bytes`);
  return o;
}
