/**
 * Reading an operation's JSON input the way Cognito validates it: a member of the wrong type,
 * a missing required member or a string past its length is InvalidParameterException, before
 * any identity service runs. Unknown members are ignored (Cognito's input shapes grow).
 */
import { invalidParameter } from "./errors";

export type Input = Readonly<Record<string, unknown>>;

function validationError(member: string, constraint: string): Error {
  return invalidParameter(
    `1 validation error detected: Value at '${member.charAt(0).toLowerCase()}${member.slice(1)}' failed to satisfy constraint: ${constraint}`,
  );
}

/** A string member; undefined when absent (or null, which the SDKs send for unset members). */
export function optionalString(input: Input, member: string, maxLength = 2048): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw validationError(member, "Member must be a string");
  if (value.length > maxLength)
    throw validationError(member, `Member must have length less than or equal to ${maxLength}`);
  return value;
}

export function requiredString(input: Input, member: string, maxLength = 2048): string {
  const value = optionalString(input, member, maxLength);
  if (value === undefined) throw validationError(member, "Member must not be null");
  return value;
}

/** A map of strings to strings (AuthParameters, ChallengeResponses, ClientMetadata). */
export function stringMap(input: Input, member: string): Record<string, string> {
  const value = input[member];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw validationError(member, "Member must be a map of strings");
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 64) throw validationError(member, "Member must have at most 64 entries");
  for (const [key, entry] of entries) {
    if (typeof entry !== "string" || key.length > 256 || entry.length > 8192)
      throw validationError(member, "Member must be a map of strings");
    out[key] = entry;
  }
  return out;
}

/** Cognito's AttributeType list: `[{ Name, Value }]` → a record (a name given twice is an error). */
export function attributeList(input: Input, member: string): Record<string, string> {
  const value = input[member];
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value) || value.length > 100)
    throw validationError(member, "Member must be a list of attributes");
  const out: Record<string, string> = {};
  for (const item of value) {
    if (typeof item !== "object" || item === null)
      throw validationError(member, "Member must be a list of attributes");
    const { Name: name, Value: attributeValue } = item as Record<string, unknown>;
    if (typeof name !== "string" || name.length === 0 || name.length > 32 + 7)
      throw validationError(`${member}.member.Name`, "Member must not be null");
    if (
      attributeValue !== undefined &&
      attributeValue !== null &&
      typeof attributeValue !== "string"
    )
      throw validationError(`${member}.member.Value`, "Member must be a string");
    if (name in out) throw invalidParameter(`Duplicate attribute: ${name.slice(0, 40)}`);
    out[name] = typeof attributeValue === "string" ? attributeValue : "";
  }
  return out;
}

/** A list of strings (UserAttributeNames). */
export function stringList(input: Input, member: string): string[] {
  const value = input[member];
  if (value === undefined || value === null)
    throw validationError(member, "Member must not be null");
  if (!Array.isArray(value) || value.length > 100 || !value.every((v) => typeof v === "string"))
    throw validationError(member, "Member must be a list of strings");
  return value as string[];
}

/** `{ Enabled, PreferredMfa }` of SetUserMFAPreference; undefined when absent. */
export function mfaSettings(
  input: Input,
  member: string,
): { enabled: boolean; preferred: boolean | null } | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value))
    throw validationError(member, "Member must be a structure");
  const { Enabled: enabled, PreferredMfa: preferred } = value as Record<string, unknown>;
  if (enabled !== undefined && enabled !== null && typeof enabled !== "boolean")
    throw validationError(`${member}.enabled`, "Member must be a boolean");
  if (preferred !== undefined && preferred !== null && typeof preferred !== "boolean")
    throw validationError(`${member}.preferredMfa`, "Member must be a boolean");
  return {
    enabled: enabled === true,
    preferred: typeof preferred === "boolean" ? preferred : null,
  };
}

/** A whole-number member within [min, max]; undefined when absent. */
export function optionalInteger(
  input: Input,
  member: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value))
    throw validationError(member, "Member must be an integer");
  const shown = `Value '${value}' at '${member.charAt(0).toLowerCase()}${member.slice(1)}'`;
  if (value < min)
    throw invalidParameter(
      `1 validation error detected: ${shown} failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    );
  if (value > max)
    throw invalidParameter(
      `1 validation error detected: ${shown} failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  return value;
}

/** A boolean member; undefined when absent. */
export function optionalBoolean(input: Input, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw validationError(member, "Member must be a boolean");
  return value;
}

/** A list of strings that may be absent (AttributesToGet, DesiredDeliveryMediums). */
export function optionalStringList(input: Input, member: string): string[] | undefined {
  if (input[member] === undefined || input[member] === null) return undefined;
  return stringList(input, member);
}
