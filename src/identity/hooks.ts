/**
 * Cognito's Lambda triggers, in-process (DESIGN §14): `POOLGATE_HOOKS` names a module that
 * exports async functions by trigger name; each call gets Cognito's event and must answer
 * within `POOLGATE_HOOK_TIMEOUT_MS`. A throw, a timeout or an answer that is not an object is
 * UNEXPECTED_LAMBDA (Cognito's UnexpectedLambdaException) with a log line that names the hook
 * and what went wrong — never the event, which holds passwords and attributes.
 *
 * The module is loaded once, at start: a missing file, a module that throws while loading,
 * or an export that is not a function stops the start with a message that says which.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Logger } from "pino";
import { PoolgateError } from "../errors";
import { errorSummary } from "../log";

/** The triggers poolgate calls, by their export names. */
export const HOOK_NAMES = ["preTokenGeneration", "userMigration"] as const;
export type HookName = (typeof HOOK_NAMES)[number];

type HookFunction = (event: Record<string, unknown>) => unknown;

/**
 * How each call ended, for /metrics: `success`, `refused` (threw where the trigger's throw is
 * its way to say no: userMigration's "Bad password"), `error` (threw or bad answer), `timeout`.
 */
export type HookOutcome = "success" | "refused" | "error" | "timeout";

export interface HookObserver {
  (hook: HookName, outcome: HookOutcome, seconds: number): void;
}

export class HookLoadError extends Error {
  override readonly name = "HookLoadError";
}

/** Thrown by a `read` function: the hook's answer breaks the trigger's rules (the message says how). */
export class HookAnswerError extends Error {
  override readonly name = "HookAnswerError";
}

/** Reads the module's exports: CommonJS or ESM (Node ≥ 20.19 requires ESM synchronously). */
async function importModule(path: string): Promise<Record<string, unknown>> {
  const load = createRequire(__filename);
  try {
    return load(path) as Record<string, unknown>;
  } catch (err) {
    // ESM with top-level await cannot be required; a real dynamic import can load it.
    if ((err as { code?: unknown }).code !== "ERR_REQUIRE_ASYNC_MODULE") throw err;
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  }
}

export class Hooks {
  private constructor(
    private readonly functions: ReadonlyMap<HookName, HookFunction>,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly observe: HookObserver | undefined,
  ) {}

  /** No hooks: every `has` is false. */
  static none(logger: Logger): Hooks {
    return new Hooks(new Map(), 0, logger, undefined);
  }

  /** Loads the module at `path` (absolute); throws HookLoadError with what is wrong. */
  static async load(
    path: string,
    timeoutMs: number,
    logger: Logger,
    observe?: HookObserver,
  ): Promise<Hooks> {
    if (!existsSync(path)) throw new HookLoadError(`POOLGATE_HOOKS: no file at ${path}`);
    // Not named `exports`: compiled to CommonJS, that name would shadow this file's own.
    let loaded: Record<string, unknown>;
    try {
      loaded = await importModule(path);
    } catch (err) {
      throw new HookLoadError(
        `POOLGATE_HOOKS: ${path} failed to load: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    // An ESM module's default export, or CommonJS's module.exports, may hold the functions.
    const fallback =
      typeof loaded["default"] === "object" && loaded["default"] !== null
        ? (loaded["default"] as Record<string, unknown>)
        : {};
    const functions = new Map<HookName, HookFunction>();
    for (const name of HOOK_NAMES) {
      const value = loaded[name] ?? fallback[name];
      if (value === undefined) continue;
      if (typeof value !== "function")
        throw new HookLoadError(`POOLGATE_HOOKS: the export ${name} of ${path} is not a function`);
      functions.set(name, value as HookFunction);
    }
    if (functions.size === 0)
      throw new HookLoadError(`POOLGATE_HOOKS: ${path} exports none of ${HOOK_NAMES.join(", ")}`);
    logger.info({ hooks: [...functions.keys()], path }, "hooks loaded");
    return new Hooks(functions, timeoutMs, logger, observe);
  }

  has(name: HookName): boolean {
    return this.functions.has(name);
  }

  /**
   * Calls a hook with `event` and reads its answer (the event object it returned, as
   * Cognito's Lambdas return theirs) with `read`, which throws HookAnswerError for an answer
   * the trigger may not give: then, as for a throw or a timeout, UNEXPECTED_LAMBDA.
   * `refused`, when given, is what a throw of the hook itself means instead (a refusal, not a
   * failure): Cognito's migration Lambda says "no such user" by failing (identity/migration.ts).
   */
  async call<T>(
    name: HookName,
    event: Record<string, unknown>,
    read: (answer: Record<string, unknown>) => T,
    refused?: () => T,
  ): Promise<T> {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`hook ${name} is not loaded`);
    const started = process.hrtime.bigint();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.timeoutMs);
    });
    let outcome: HookOutcome = "error";
    try {
      let answer: unknown;
      try {
        answer = await Promise.race([Promise.resolve().then(() => fn(event)), timeout]);
      } catch (err) {
        if (refused === undefined) throw err;
        outcome = "refused";
        this.logger.info({ hook: name, err: errorSummary(err) }, "hook refused: it threw");
        return refused();
      }
      if (answer === "timeout") {
        outcome = "timeout";
        throw unexpected(name, `timed out after ${this.timeoutMs} ms`);
      }
      if (typeof answer !== "object" || answer === null || Array.isArray(answer))
        throw unexpected(name, "answered something that is not an event object");
      let result: T;
      try {
        result = read(answer as Record<string, unknown>);
      } catch (err) {
        if (err instanceof HookAnswerError) throw unexpected(name, err.message);
        throw err;
      }
      outcome = "success";
      return result;
    } catch (err) {
      if (err instanceof PoolgateError) {
        this.logger.warn({ hook: name, detail: err.logDetail }, "hook failed");
        throw err;
      }
      this.logger.warn({ hook: name, err: errorSummary(err) }, "hook failed: it threw");
      throw unexpected(name, "threw");
    } finally {
      clearTimeout(timer);
      this.observe?.(name, outcome, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

function unexpected(name: HookName, why: string): PoolgateError {
  const trigger = name === "preTokenGeneration" ? "PreTokenGeneration" : "UserMigration";
  return new PoolgateError("UNEXPECTED_LAMBDA", `${trigger} failed with error ${why}.`, {
    logDetail: `${name}: ${why}`,
  });
}
