/**
 * Structured JSON logs (pino). Secrets never reach a log line: credentials are never
 * passed to the logger, and as a second line of defence every field that could carry one
 * is censored by name wherever it appears.
 */
import pino, { type Logger } from "pino";
import type { Config } from "./config";

const SECRET_FIELDS = [
  "password",
  "previousPassword",
  "proposedPassword",
  "token",
  "accessToken",
  "idToken",
  "refreshToken",
  "clientSecret",
  "client_secret",
  "refresh_token",
  "authorization",
  "cookie",
  "passwordHash",
  "secretHash",
  "refreshTokenHash",
  "privateJwkEncrypted",
  "srpVerifierSealed",
];

export function createLogger(
  config: Pick<Config, "logLevel">,
  destination?: pino.DestinationStream,
): Logger {
  const paths = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
  return pino(
    {
      level: config.logLevel,
      base: { service: "poolgate" },
      redact: { paths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal"]);
const noop = (): void => undefined;

/**
 * A request-scoped child logger that is only built when something is logged: creating a
 * pino child (with its redaction set-up) on every request was a measurable share of the
 * authenticated-request path, and most requests log nothing at the configured level.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  return new Proxy({} as Logger, {
    get(_target, property) {
      // A call at a level that is off logs nothing, so it needs no child either.
      if (
        child === undefined &&
        typeof property === "string" &&
        LEVELS.has(property) &&
        !parent.isLevelEnabled(property)
      )
        return noop;
      child ??= parent.child(bindings);
      const value = Reflect.get(child, property, child) as unknown;
      return typeof value === "function"
        ? (value as (...a: unknown[]) => unknown).bind(child)
        : value;
    },
  });
}

/** Error summary safe for logs: class and code, never a token or value. */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { type: err.name, message: err.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { type: typeof err };
}
