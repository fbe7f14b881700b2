/**
 * AWS Signature Version 4 on Cognito's admin operations (DESIGN §12), checked the way AWS
 * checks it: the signature is recomputed — with the AWS SDK's own signer (@smithy/signature-v4),
 * so both sides build the canonical request with the same code — over the request as received
 * (method, path, query, the signed headers only, the raw body) with the access key's secret and
 * the credential scope's date, region and service, and compared in constant time.
 *
 *   Authorization: AWS4-HMAC-SHA256 Credential=<id>/<yyyymmdd>/<region>/cognito-idp/aws4_request,
 *                  SignedHeaders=<h1;h2;…>, Signature=<64 hex>
 *   X-Amz-Date: <yyyymmdd>T<hhmmss>Z   (within ±5 minutes of the gateway's clock)
 *
 * The region is whatever the client signed with (one gateway serves one pool; the signature
 * binds it all the same). A signature is good for its 5 minutes, as AWS's: a replay inside
 * them is not refused (docs/cognito-api.md). Failures carry AWS's names and messages; which
 * check failed goes to the log.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { safeEqual } from "../tokens/secrets";
import type { UserPool } from "../identity/pool";
import {
  CognitoError,
  incompleteSignature,
  invalidSignature,
  missingAuthenticationToken,
  unrecognizedClient,
} from "./errors";

export const SIGNING_SERVICE = "cognito-idp";
const ALGORITHM = "AWS4-HMAC-SHA256";
const TERMINATOR = "aws4_request";
/** AWS's window for a signature's X-Amz-Date, either side of the service's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** Who signed: the access key whose signature checked out. */
export interface SignedBy {
  readonly accessKeyId: string;
}

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

/** Why a request was refused, for the log (CognitoError's logDetail counterpart). */
class SignatureError extends CognitoError {
  constructor(
    error: CognitoError,
    readonly logDetail: string,
  ) {
    super(error.type, error.message, error.status);
  }
}

function refuse(error: CognitoError, why: string): SignatureError {
  return new SignatureError(error, `sigv4: ${why}`);
}

function parseAuthorization(header: string): ParsedAuthorization {
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM)
    throw refuse(
      incompleteSignature(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 32)}'.`),
      "not AWS4-HMAC-SHA256",
    );
  const params = new Map<string, string>();
  for (const part of header.slice(space + 1).split(",")) {
    const item = part.trim();
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    if (eq <= 0 || params.has(name))
      throw refuse(
        incompleteSignature(`Authorization header is malformed near '${name.slice(0, 32)}'.`),
        "malformed Authorization parameter",
      );
    params.set(name, item.slice(eq + 1));
  }
  for (const name of ["Credential", "SignedHeaders", "Signature"])
    if (!params.get(name))
      throw refuse(
        incompleteSignature(`Authorization header requires '${name}' parameter.`),
        `no ${name}`,
      );
  const credential = params.get("Credential")!.split("/");
  if (credential.length !== 5 || credential.some((piece) => piece === ""))
    throw refuse(
      incompleteSignature(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
      ),
      "malformed Credential",
    );
  const [accessKeyId, date, region, service, terminator] = credential as [
    string,
    string,
    string,
    string,
    string,
  ];
  const signedHeaders = params.get("SignedHeaders")!.split(";");
  if (signedHeaders.some((name) => !HEADER_NAME.test(name)))
    throw refuse(
      incompleteSignature("SignedHeaders must be a ';'-separated list of lower-case header names."),
      "malformed SignedHeaders",
    );
  const signature = params.get("Signature")!;
  if (!SIGNATURE.test(signature))
    throw refuse(
      incompleteSignature("Signature must be 64 lower-case hexadecimal characters."),
      "malformed Signature",
    );
  return { accessKeyId, date, region, service, terminator, signedHeaders, signature };
}

/** `20240101T120000Z` → its time, or undefined for anything else. */
function amzDateMs(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, ...number[]];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const back = new Date(ms);
  // Date.UTC rolls over (month 13, second 61): such a date was never signed by anyone.
  if (
    back.getUTCMonth() !== mo! - 1 ||
    back.getUTCDate() !== d! ||
    back.getUTCHours() !== h! ||
    back.getUTCMinutes() !== mi! ||
    back.getUTCSeconds() !== s!
  )
    return undefined;
  return ms;
}

function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

/** The one value of a header, or undefined; a header sent twice where one is meant is malformed. */
function single(req: IncomingMessage, name: string): string | undefined {
  const values = req.headersDistinct[name];
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1)
    throw refuse(incompleteSignature(`Only one '${name}' header is allowed.`), `${name} twice`);
  return values[0];
}

/** The query string as the signer takes it: decoded names and values, repeated ones as lists. */
function queryOf(target: string): Record<string, string | string[]> {
  const q = target.indexOf("?");
  const query: Record<string, string | string[]> = Object.create(null) as Record<
    string,
    string | string[]
  >;
  if (q < 0) return query;
  for (const pair of target.slice(q + 1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw refuse(incompleteSignature("The query string is malformed."), "bad query escape");
    }
    const previous = query[name];
    query[name] =
      previous === undefined
        ? value
        : Array.isArray(previous)
          ? [...previous, value]
          : [previous, value];
  }
  return query;
}

/**
 * Checks the request's SigV4 signature → the access key that made it. Throws
 * MissingAuthenticationTokenException (no Authorization), IncompleteSignatureException (a
 * malformed one), UnrecognizedClientException (an unknown or deleted key, or a session
 * token, which poolgate's keys never have) or InvalidSignatureException (wrong service,
 * stale or future date, a signature that does not match).
 */
export async function verifySignature(
  pool: UserPool,
  req: IncomingMessage,
  body: Buffer,
): Promise<SignedBy> {
  const authorization = single(req, "authorization");
  if (authorization === undefined || authorization.trim() === "")
    throw refuse(missingAuthenticationToken(), "no Authorization header");
  const auth = parseAuthorization(authorization.trim());

  const amzDateHeader = single(req, "x-amz-date");
  if (amzDateHeader === undefined)
    throw refuse(
      incompleteSignature("Authorization header requires existence of a 'X-Amz-Date' header."),
      "no X-Amz-Date",
    );
  const signedAtMs = amzDateMs(amzDateHeader);
  if (signedAtMs === undefined)
    throw refuse(
      incompleteSignature(
        `Date must be in ISO-8601 'basic format'. Got '${amzDateHeader.slice(0, 32)}'.`,
      ),
      "malformed X-Amz-Date",
    );
  for (const [name, shown] of [
    ["host", "Host"],
    ["x-amz-date", "X-Amz-Date"],
  ] as const)
    if (!auth.signedHeaders.includes(name))
      throw refuse(
        incompleteSignature(`'${shown}' must be a 'SignedHeader' in the AWS Authorization.`),
        `${name} not signed`,
      );
  if (auth.service !== SIGNING_SERVICE)
    throw refuse(
      invalidSignature(`Credential should be scoped to correct service: '${SIGNING_SERVICE}'. `),
      `service ${auth.service.slice(0, 32)}`,
    );
  if (auth.terminator !== TERMINATOR)
    throw refuse(
      invalidSignature(
        `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${auth.terminator.slice(0, 32)}'. `,
      ),
      "bad terminator",
    );
  if (auth.date !== amzDateHeader.slice(0, 8))
    throw refuse(
      invalidSignature(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date.slice(0, 16)}' != '${amzDateHeader.slice(0, 8)}', from '${amzDateHeader}'.`,
      ),
      "scope date differs from X-Amz-Date",
    );
  // poolgate's keys are long-term: a session token belongs to credentials it never issued.
  if (req.headersDistinct["x-amz-security-token"] !== undefined)
    throw refuse(unrecognizedClient(), "a session token");

  const secret = await pool.accessKeys.secretFor(auth.accessKeyId);
  if (secret === undefined) throw refuse(unrecognizedClient(), "unknown access key");

  const nowMs = pool.deps.now();
  if (signedAtMs < nowMs - MAX_CLOCK_SKEW_MS)
    throw refuse(
      invalidSignature(
        `Signature expired: ${amzDateHeader} is now earlier than ${amzDate(nowMs - MAX_CLOCK_SKEW_MS)} (${amzDate(nowMs)} - 5 min.)`,
      ),
      `expired (key ${auth.accessKeyId})`,
    );
  if (signedAtMs > nowMs + MAX_CLOCK_SKEW_MS)
    throw refuse(
      invalidSignature(
        `Signature not yet current: ${amzDateHeader} is still later than ${amzDate(nowMs + MAX_CLOCK_SKEW_MS)} (${amzDate(nowMs)} + 5 min.)`,
      ),
      `from the future (key ${auth.accessKeyId})`,
    );

  // The signed headers only, as received; the signer would take a signed
  // x-amz-content-sha256 as the body's hash, so it must be the body's hash.
  // No prototype: a header named `__proto__` is a header like any other.
  const headers = Object.create(null) as Record<string, string>;
  for (const name of auth.signedHeaders) {
    const values = req.headersDistinct[name];
    if (values !== undefined) headers[name] = values.join(",");
  }
  const claimedHash = headers["x-amz-content-sha256"];
  if (claimedHash !== undefined && claimedHash !== createHash("sha256").update(body).digest("hex"))
    throw refuse(invalidSignature(MISMATCH), `x-amz-content-sha256 is not the body's hash`);

  const target = req.url ?? "/";
  const q = target.indexOf("?");
  let path: string;
  try {
    path = decodeURIComponent(q < 0 ? target : target.slice(0, q));
  } catch {
    throw refuse(incompleteSignature("The request path is malformed."), "bad path escape");
  }
  const request = new HttpRequest({
    method: req.method ?? "POST",
    hostname: headers["host"] ?? "",
    path,
    query: queryOf(target),
    headers,
    body,
  });
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
    region: auth.region,
    service: SIGNING_SERVICE,
    sha256: Hash.bind(null, "sha256"),
    // Sign exactly what was signed: no x-amz-content-sha256 of our own.
    applyChecksum: false,
  });
  const signed = await signer.sign(request, {
    signingDate: new Date(signedAtMs),
    signingRegion: auth.region,
    signingService: SIGNING_SERVICE,
    // Headers the signer leaves out by default (user-agent, …) count when the client signed them.
    signableHeaders: new Set(auth.signedHeaders),
  });
  const expected = String(signed.headers["authorization"] ?? "");
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(expected)?.[1] ?? "";
  const expectedHeaders = /SignedHeaders=([^,]*),/.exec(expected)?.[1] ?? "";
  const signatureMatches = safeEqual(expectedSignature, auth.signature);
  if (!signatureMatches || expectedHeaders !== auth.signedHeaders.join(";"))
    throw refuse(invalidSignature(MISMATCH), `signature mismatch (key ${auth.accessKeyId})`);

  await pool.accessKeys.recordUse(auth.accessKeyId);
  return { accessKeyId: auth.accessKeyId };
}
