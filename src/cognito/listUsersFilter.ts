/**
 * ListUsers' `Filter` in Cognito's syntax: `AttributeName Filter-Type "AttributeValue"`, one
 * condition, `=` for an exact match and `^=` for a prefix, the value in double quotes with
 * `\"` and `\\` for a quote and a backslash inside it; an empty filter lists everyone.
 *
 *   email = "a@example.com"      username ^= "al"      sub = "…"
 *   cognito:user_status = "FORCE_CHANGE_PASSWORD"     (case-insensitive value)
 *   status = "Enabled" | "Disabled"                   (the user's switch, case-sensitive)
 *
 * Searchable, as in Cognito: username, sub, email, phone_number, name, given_name,
 * family_name, preferred_username, cognito:user_status, status; custom attributes are not.
 * Anything else is InvalidParameterException.
 */
import type { UserFilter } from "../identity/users";
import { invalidParameter } from "./errors";

/** What a Filter asks for: everyone, one condition, or nobody (a status no user can have). */
export type ParsedUserFilter =
  { kind: "all" } | { kind: "none" } | { kind: "filter"; filter: UserFilter };

/** Cognito's UserFilterType length. */
const MAX_FILTER_LENGTH = 256;
const SYNTAX = /^\s*([A-Za-z_:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\["\\])*)"\s*$/s;
const ATTRIBUTES = new Set([
  "email",
  "phone_number",
  "name",
  "given_name",
  "family_name",
  "preferred_username",
]);
const STATUSES = ["UNCONFIRMED", "CONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"] as const;
/** Cognito's other UserStatus values: valid in a filter, held by no poolgate user. */
const OTHER_STATUSES = new Set(["ARCHIVED", "COMPROMISED", "UNKNOWN", "EXTERNAL_PROVIDER"]);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const parseError = () => invalidParameter("Error while parsing filter.");

export function parseUserFilter(text: string | undefined): ParsedUserFilter {
  if (text === undefined || text.trim() === "") return { kind: "all" };
  if (text.length > MAX_FILTER_LENGTH)
    throw invalidParameter(
      `1 validation error detected: Value at 'filter' failed to satisfy constraint: Member must have length less than or equal to ${MAX_FILTER_LENGTH}`,
    );
  const m = SYNTAX.exec(text);
  if (!m) throw parseError();
  const [, name, op, quoted] = m as unknown as [string, string, "=" | "^=", string];
  const value = quoted.replace(/\\(["\\])/g, "$1");
  // Nothing stored holds a control character or half a surrogate pair; PostgreSQL cannot
  // even take a NUL as text.
  if (LONE_SURROGATE.test(value) || /[\u0000-\u001F\u007F]/.test(value)) throw parseError();
  switch (name) {
    case "username":
    case "sub":
      return { kind: "filter", filter: { field: name, op, value } };
    case "cognito:user_status": {
      if (op !== "=")
        throw invalidParameter("The prefix filter ^= is not supported on cognito:user_status.");
      const status = STATUSES.find((s) => s === value.toUpperCase());
      if (status !== undefined)
        return { kind: "filter", filter: { field: "status", value: status } };
      if (OTHER_STATUSES.has(value.toUpperCase())) return { kind: "none" };
      throw invalidParameter(`Invalid user status in filter: ${value.slice(0, 40)}`);
    }
    case "status":
      if (op !== "=") throw invalidParameter("The prefix filter ^= is not supported on status.");
      if (value === "Enabled" || value === "Disabled")
        return { kind: "filter", filter: { field: "enabled", value: value === "Enabled" } };
      throw invalidParameter(
        `Invalid status in filter: ${value.slice(0, 40)} (Enabled or Disabled)`,
      );
    default:
      if (!ATTRIBUTES.has(name))
        throw invalidParameter(`Invalid search attribute: ${name.slice(0, 40)}`);
      return { kind: "filter", filter: { field: "attribute", name, op, value } };
  }
}
