/**
 * Cognito's JSON wire API (DESIGN §12), the fourth front door: `POST /` with
 * `x-amz-target: AWSCognitoIdentityProviderService.<Operation>` and an AWS JSON 1.1 body, as
 * the AWS SDK, amazon-cognito-identity-js and Amplify send it. Each operation is a thin
 * adapter onto the same identity services as GraphQL; this file parses, dispatches and writes
 * the answer or Cognito's error. Never a 5xx for the caller's mistakes.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Config } from "../config";
import type { AdminOperations } from "../identity/admin";
import type { UserPool } from "../identity/pool";
import { errorSummary } from "../log";
import { BodyTooLargeError, readBody } from "../http/body";
import { adminOperations } from "./admin";
import { authOperations } from "./auth";
import { CognitoError, toCognitoError } from "./errors";
import type { Input } from "./input";
import { selfOperations } from "./self";
import { verifySignature } from "./sigv4";
import { signUpOperations } from "./signUp";

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE = "application/x-amz-json-1.1";
/** What the clients send: the SDKs and Amplify send 1.1; some tools send plain JSON. */
const ACCEPTED_TYPES = new Set([CONTENT_TYPE, "application/x-amz-json-1.0", "application/json"]);

/** What an operation gets besides its input. */
export interface CognitoContext {
  pool: UserPool;
  config: Readonly<Config>;
  logger: Logger;
  /** The request itself (admin operations check its SigV4 signature). */
  req: IncomingMessage;
  /** The raw body, for signature checks. */
  body: Buffer;
}

/** One operation: its input in, its output out (a PoolgateError or CognitoError on refusal). */
export type Operation = (input: Input, ctx: CognitoContext) => Promise<Record<string, unknown>>;

/** What the wire API counts (src/http/metrics.ts implements it). */
export interface CognitoEvents {
  cognitoOperation(operation: string, outcome: string): void;
}

/**
 * An admin operation (admin.ts): it runs only for a request whose SigV4 signature checked out
 * (sigv4.ts), and gets the admin operations of the access key that signed it — there is no
 * other way to reach them from this door.
 */
export type SignedOperation = (
  input: Input,
  ctx: CognitoContext,
  admin: AdminOperations,
) => Promise<Record<string, unknown>>;

/** How the dispatcher runs an operation: as it is, or behind the signature check. */
type Registered = { signed: false; run: Operation } | { signed: true; run: SignedOperation };

export function cognitoApi(
  pool: UserPool,
  config: Readonly<Config>,
  events: CognitoEvents,
  extraOperations: Readonly<Record<string, Operation>> = {},
): (req: IncomingMessage, res: ServerResponse, logger: Logger) => Promise<void> {
  const unsigned = (ops: Readonly<Record<string, Operation>>) =>
    Object.entries(ops).map(([name, run]) => [name, { signed: false, run }] as const);
  const signed = (ops: Readonly<Record<string, SignedOperation>>) =>
    Object.entries(ops).map(([name, run]) => [name, { signed: true, run }] as const);
  // Public operations ignore an Authorization header; admin ones require a signature, and
  // come last so that no unsigned registration can stand in for one.
  const operations: ReadonlyMap<string, Registered> = new Map<string, Registered>([
    ...unsigned(authOperations),
    ...unsigned(selfOperations),
    ...unsigned(signUpOperations),
    ...unsigned(extraOperations),
    ...signed(adminOperations),
  ]);
  return async (req, res, logger) => {
    const requestId = String(res.getHeader("x-request-id") ?? randomUUID());
    let name = "unknown";
    try {
      if (req.method !== "POST")
        throw new CognitoError("UnsupportedOperationException", "Use POST", 405);
      const target = req.headers["x-amz-target"];
      if (typeof target !== "string" || !target.startsWith(TARGET_PREFIX))
        throw new CognitoError(
          "UnsupportedOperationException",
          "Missing or unknown X-Amz-Target (AWSCognitoIdentityProviderService.<Operation>)",
        );
      name = target.slice(TARGET_PREFIX.length);
      const operation = operations.get(name);
      if (operation === undefined)
        throw new CognitoError(
          "UnsupportedOperationException",
          `${name.slice(0, 64)} is not supported by this user pool (docs/cognito-api.md)`,
        );
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      if (!ACCEPTED_TYPES.has(type))
        throw new CognitoError("SerializationException", `Expected content-type ${CONTENT_TYPE}`);
      let body: Buffer;
      try {
        body = await readBody(req, config.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLargeError)
          throw new CognitoError("SerializationException", "Request body is too large", 413);
        throw err;
      }
      const ctx: CognitoContext = { pool, config, logger, req, body };
      let output: Record<string, unknown>;
      if (operation.signed) {
        // The signature first: nothing of an admin request is read before it checks out.
        const admin = pool.admin(await verifySignature(pool, req, body));
        output = await operation.run(parse(body), ctx, admin);
      } else {
        output = await operation.run(parse(body), ctx);
      }
      send(res, 200, output, { "x-amzn-requestid": requestId });
      events.cognitoOperation(name, "success");
      logger.debug({ event: "cognito_api", operation: name }, "cognito api");
    } catch (err) {
      const error = toCognitoError(err);
      // Only names the gateway serves become label values: callers choose the rest.
      events.cognitoOperation(operations.has(name) ? name : "other", error.type);
      if (error.status >= 500)
        logger.error({ operation: name, err: errorSummary(err) }, "cognito api: unexpected error");
      else if (err instanceof Error && "logDetail" in err && err.logDetail)
        logger.info({ operation: name, code: error.type, detail: err.logDetail }, "request error");
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(
        res,
        error.status,
        { __type: error.type, message: error.message },
        { "x-amzn-errortype": error.type, "x-amzn-requestid": requestId },
      );
    }
  };
}

function parse(body: Buffer): Input {
  let value: unknown;
  try {
    value = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    throw new CognitoError("SerializationException", "The request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CognitoError("SerializationException", "The request body must be a JSON object");
  return value as Input;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": CONTENT_TYPE,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(text);
}
