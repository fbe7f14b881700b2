/**
 * How one environment variable becomes one typed setting (src/config.ts lists the settings):
 * parsers for integers in a range, booleans, comma lists and message templates, and the one
 * error a bad value raises, naming the variable.
 */
import { PoolgateError } from "./errors";

/** Development or production: decides defaults and what production refuses. */
export type Environment = "development" | "production";

/** The process environment, or any map standing in for it. */
export type Env = Record<string, string | undefined>;

/**
 * A setting the gateway cannot start with: its own type, so a caller tells a bad environment
 * from a bad request without reading messages, and `setting` names the variable. Still a
 * BAD_USER_INPUT PoolgateError, so the CLI reports it with the same code as before.
 */
export class ConfigError extends PoolgateError {
  readonly setting: string;

  constructor(setting: string, why: string) {
    super("BAD_USER_INPUT", `Invalid configuration: ${setting} ${why}`);
    this.setting = setting;
  }
}

export function bad(name: string, why: string): never {
  throw new ConfigError(name, why);
}

export function int(min: number, max: number, fallback: number) {
  return (raw: string | undefined, _env: Env, name: string): number => {
    if (raw === undefined || raw === "") return fallback;
    if (!/^-?\d+$/.test(raw.trim())) bad(name, `must be an integer, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) bad(name, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

export function bool(fallback: (env: Env) => boolean) {
  return (raw: string | undefined, env: Env, name: string): boolean => {
    if (raw === undefined || raw === "") return fallback(env);
    const v = raw.trim().toLowerCase();
    if (v === "true" || v === "1" || v === "yes") return true;
    if (v === "false" || v === "0" || v === "no") return false;
    return bad(name, `must be true or false, got "${raw}"`);
  };
}

/** The distinct non-empty items of a comma-separated value, trimmed, in order. */
export function commaList(raw: string | undefined): string[] {
  return [
    ...new Set(
      (raw ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

export function environmentOf(env: Env): Environment {
  // Empty counts as unset, as for every other setting.
  const own = env["POOLGATE_ENV"]?.trim();
  const raw = own ? own : env["NODE_ENV"] === "production" ? "production" : undefined;
  if (raw === undefined) return "development";
  if (raw === "development" || raw === "production") return raw;
  return bad("POOLGATE_ENV", `must be development or production, got "${raw}"`);
}

export const isDev = (env: Env) => environmentOf(env) === "development";

/** A subject or message template; `needs` lists the placeholders it must contain (Cognito's rule). */
export function template(fallback: string, needs: readonly string[] = []) {
  return (raw: string | undefined, _env: Env, name: string): string => {
    const v = raw === undefined || raw.trim() === "" ? fallback : raw;
    if (v.length > 20_000) bad(name, "must be at most 20000 characters");
    for (const placeholder of needs)
      if (!v.includes(placeholder)) bad(name, `must contain the placeholder ${placeholder}`);
    return v;
  };
}

/** One of a closed set of names, exactly as written (empty: `fallback`). */
export function oneOf<T extends string>(choices: readonly T[], fallback: T) {
  return (raw: string | undefined, _env: Env, name: string): T => {
    const v = (raw ?? "").trim();
    if (v === "") return fallback;
    const choice = choices.find((c) => c === v);
    if (choice === undefined)
      return bad(name, `must be one of ${choices.join(", ")}, got "${v.slice(0, 40)}"`);
    return choice;
  };
}
