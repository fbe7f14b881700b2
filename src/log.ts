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
