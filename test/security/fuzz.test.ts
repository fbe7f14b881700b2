/**
 * Property-based fuzzing of the whole HTTP surface (DESIGN §6, §8), over real HTTP on port 0
 * against a real SQLite file: random bytes and JSON, near-valid GraphQL built from the real
 * schema, forged and tampered tokens, odd methods, content types, paths and headers, and raw
 * requests that node:http would refuse to send. Whatever arrives, the answer is a well-formed
 * error — never a 5xx, a hang, a stack trace or a source path — and the gateway keeps serving.
 *
 * Deterministic by default (a fixed seed, logged). FUZZ_RUNS and FUZZ_SEED override; to replay
 * a failure, set FUZZ_SEED and FUZZ_PATH to the seed and path fast-check reports with it.
 */
import { createHash, createHmac, createPublicKey, randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import fc from "fast-check";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from "graphql";
import { buildGatewaySchema } from "../../src/graphql/apollo";
import { createClient, createUser, ME, SIGN_IN, startGateway, type TestGateway } from "../harness";

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

/** Cases per run: 200 keeps this file well under 20 s in CI; `npm run test:fuzz` runs more. */
const RUNS = envInt("FUZZ_RUNS", 200);
/** Fixed, so CI is deterministic; FUZZ_SEED explores elsewhere. */
const SEED = envInt("FUZZ_SEED", 0x9a7e);
const REPLAY_PATH = process.env["FUZZ_PATH"]?.trim() || undefined;
/** Local requests take milliseconds; a request still open after this is a hang. */
const REQUEST_TIMEOUT_MS = 2_000;
/** A valid sign-in and `me` every this many cases, and once at the end. */
const LIVENESS_EVERY = 25;
const TEST_TIMEOUT_MS = 60_000 + RUNS * 60;

/** What must never reach a client: stack traces and frames, source paths, module paths. */
const LEAK_MARKERS = ["stacktrace", "    at ", "/work/", ".ts:", "node_modules"];
/** The gateway's own rule for echoing x-request-id (src/server.ts). */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

// ---------------------------------------------------------------------------------------------
// Vocabulary of the real schema, read from schema.graphql so the generators follow it
// ---------------------------------------------------------------------------------------------

// The served schema: schema.graphql built as a Federation subgraph (with _entities, _service).
const schema = buildGatewaySchema();
const vocab = {
  fields: new Set<string>(["__typename", "__schema", "__type", "_entities", "_service"]),
  args: new Set<string>(),
  inputFields: new Set<string>(),
  types: new Set<string>(),
  directives: new Set<string>(["defer", "stream", "oneOf", "live"]),
};
for (const type of Object.values(schema.getTypeMap())) {
  vocab.types.add(type.name);
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      vocab.fields.add(field.name);
      for (const arg of field.args as readonly GraphQLArgument[]) vocab.args.add(arg.name);
    }
  }
  if (isInputObjectType(type))
    for (const name of Object.keys(type.getFields())) vocab.inputFields.add(name);
}
for (const directive of schema.getDirectives()) {
  vocab.directives.add(directive.name);
  for (const arg of directive.args) vocab.args.add(arg.name);
}

// ---------------------------------------------------------------------------------------------
// Requests and how they are sent
// ---------------------------------------------------------------------------------------------

/** A request node:http can send; header values and path are byte strings (latin1). */
interface HttpCase {
  transport: "http";
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

/** Bytes written to a socket as they are (latin1), then half-closed: malformed HTTP itself. */
interface RawCase {
  transport: "raw";
  bytes: string;
}

type FuzzCase = HttpCase | RawCase;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

type Outcome =
  | { kind: "reply"; reply: Reply }
  /** node:http refused to send it (a header or path byte it will not write). */
  | { kind: "refused"; code: string }
  /** The server closed the connection before answering (only acceptable for oversized bodies). */
  | { kind: "closed"; code: string }
  /** Raw transport: the whole byte stream the server sent back. */
  | { kind: "raw"; text: string };

const CLIENT_REFUSALS = new Set([
  "ERR_INVALID_CHAR",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_UNESCAPED_CHARACTERS",
]);

function codeOf(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (e?.name === "AbortError" || e?.name === "TimeoutError") return "AbortError";
  return typeof e?.code === "string" ? e.code : String(e?.name ?? "unknown");
}

function hang(what: string): Error {
  return new Error(`no complete response within ${REQUEST_TIMEOUT_MS} ms (${what})`);
}

function sendHttp(base: URL, c: HttpCase): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest({
        host: base.hostname,
        port: base.port,
        method: c.method,
        path: c.path,
        headers: c.headers,
        // A fresh connection per case: no stale keep-alive socket can turn into a false failure.
        agent: false,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const code = codeOf(err);
      if (CLIENT_REFUSALS.has(code)) return resolve({ kind: "refused", code });
      return reject(err);
    }
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          kind: "reply",
          reply: {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          },
        }),
      );
      res.on("error", (err) => reject(codeOf(err) === "AbortError" ? hang("body") : err));
    });
    req.on("error", (err) => {
      const code = codeOf(err);
      if (code === "AbortError") return reject(hang("headers"));
      if (code === "ECONNRESET" || code === "EPIPE") return resolve({ kind: "closed", code });
      reject(err);
    });
    req.end(c.body);
  });
}

function sendRaw(base: URL, bytes: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: base.hostname, port: Number(base.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(hang("raw"));
    }, REQUEST_TIMEOUT_MS);
    socket.on("connect", () => socket.end(Buffer.from(bytes, "latin1")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A reset after a 400 from the HTTP parser is normal; what was received is judged below.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ kind: "raw", text: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

function send(base: URL, c: FuzzCase): Promise<Outcome> {
  return c.transport === "http" ? sendHttp(base, c) : sendRaw(base, c.bytes);
}

// ---------------------------------------------------------------------------------------------
// The properties every reply must have
// ---------------------------------------------------------------------------------------------

/** Everything the request carried, in the forms the server may echo back (validation messages quote input). */
function requestText(c: FuzzCase): string {
  if (c.transport === "raw") return c.bytes;
  const body =
    c.body === undefined
      ? ""
      : typeof c.body === "string"
        ? c.body
        : Buffer.from(c.body).toString("utf8");
  const parts = [c.method, c.path, ...Object.values(c.headers), body];
  for (const text of [c.path, body]) {
    try {
      parts.push(decodeURIComponent(text.replace(/\+/g, " ")));
    } catch {
      // Not percent-decodable: nothing more the server could echo.
    }
    try {
      parts.push(JSON.stringify(JSON.parse(text)));
    } catch {
      // Not JSON.
    }
  }
  for (const value of Object.values(c.headers))
    parts.push(Buffer.from(value, "latin1").toString("utf8"));
  return parts.join("\n");
}

interface Secrets {
  /** Tokens and passwords whose presence in a request may legitimately reveal a user's sub. */
  genuine: string[];
  /** Subs of the fuzzed users: only a request with a genuine secret may see them. */
  fuzzSubs: string[];
  /** The sub of the liveness user: no fuzzed request may ever see it. */
  liveSub: string;
}

function checkErrors(errors: unknown): void {
  if (!Array.isArray(errors) || errors.length === 0)
    throw new Error(`"errors" is not a non-empty array`);
  for (const e of errors) {
    const err = e as { message?: unknown; extensions?: { code?: unknown } } | null;
    if (typeof err?.message !== "string")
      throw new Error(`an error without a string message: ${JSON.stringify(e)}`);
    if (typeof err.extensions?.code !== "string")
      throw new Error(`an error without a string extensions.code: ${JSON.stringify(e)}`);
    // A malformed request is the client's error: INTERNAL_SERVER_ERROR means it reached an unexpected exception.
    if (err.extensions.code === "INTERNAL_SERVER_ERROR")
      throw new Error(`a request error reported as INTERNAL_SERVER_ERROR: ${JSON.stringify(e)}`);
  }
}

function checkNoLeak(response: string, c: FuzzCase, secrets: Secrets): void {
  const sent = requestText(c);
  const lowerResponse = response.toLowerCase();
  const lowerSent = sent.toLowerCase();
  for (const marker of LEAK_MARKERS) {
    const m = marker.toLowerCase();
    if (lowerResponse.includes(m) && !lowerSent.includes(m)) {
      throw new Error(`response leaks ${JSON.stringify(marker)}: ${response.slice(0, 500)}`);
    }
  }
  if (response.includes(secrets.liveSub))
    throw new Error("response reveals the sub of a user the request knows nothing of");
  if (!secrets.genuine.some((s) => sent.includes(s))) {
    for (const sub of secrets.fuzzSubs) {
      if (response.includes(sub))
        throw new Error("a request without a genuine credential saw a user's sub");
    }
  }
}

/** The path the server routes on: the target as sent, before `?` (src/http/target.ts). */
function pathnameOf(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

function checkReply(c: HttpCase, reply: Reply, secrets: Secrets): void {
  const { status, headers, body } = reply;
  if (status < 100 || status >= 500) throw new Error(`status ${status}: ${body.slice(0, 500)}`);
  checkNoLeak(JSON.stringify(headers) + body, c, secrets);
  const type = String(headers["content-type"] ?? "");
  // An application answer (not a 400 from node's HTTP parser) carries the request id rule.
  if (type !== "") {
    const id = headers["x-request-id"];
    if (typeof id !== "string" || !REQUEST_ID.test(id))
      throw new Error(`x-request-id ${JSON.stringify(id)} breaks its rule`);
    const sentId = c.headers["x-request-id"];
    if (sentId !== undefined && REQUEST_ID.test(sentId) && id !== sentId)
      throw new Error("a valid x-request-id was not echoed");
  }
  if (body === "" || !(type.includes("json") || status >= 400)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(
      `status ${status} (${type || "no content-type"}) with a body that is not JSON: ${body.slice(0, 300)}`,
    );
  }
  if (typeof parsed !== "object" || parsed === null)
    throw new Error(`JSON body is not an object: ${body.slice(0, 300)}`);
  if ("errors" in parsed) checkErrors((parsed as { errors: unknown }).errors);
  else if (status >= 400 && pathnameOf(c.path) === "/graphql") {
    throw new Error(`status ${status} from /graphql without errors: ${body.slice(0, 300)}`);
  }
}

/** Raw transport: every response in the stream (pipelining is possible) is under 500 and leaks nothing. */
function checkRaw(c: RawCase, text: string, secrets: Secrets): void {
  for (const m of text.matchAll(/HTTP\/\d\.\d (\d{3})/g)) {
    const status = Number(m[1]);
    if (status >= 500) throw new Error(`status ${status}: ${text.slice(0, 500)}`);
  }
  checkNoLeak(text, c, secrets);
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

interface Known {
  issuer: string;
  clientIds: string[];
  clientSecret: string;
  kids: string[];
  /** PEM of the signing key's public half: the HMAC secret of an alg-confusion forgery. */
  publicPem: string;
  /** Subs of the fuzzer's signed-in user and admin (claims for forged tokens). */
  subs: string[];
  /** A user whose name and password the fuzzer knows: it may lock, disable or delete it. */
  victim: { username: string; password: string };
  /** Tokens as first issued: material for tampering and forging. */
  issued: Tokens;
}

interface Tokens {
  access: string;
  id: string;
  refresh: string;
  adminAccess: string;
}

/**
 * Stand-ins for the fuzzer's genuine tokens, swapped for the current ones when a case is sent:
 * a fuzzed globalSignOut or revoke ends a session, and the next liveness check signs in again.
 * Only URL- and JSON-safe characters, so they survive percent- and JSON-encoding.
 */
const LIVE: Tokens = {
  access: "__live_access_token__",
  id: "__live_id_token__",
  refresh: "__live_refresh_token__",
  adminAccess: "__live_admin_access_token__",
};

function withLiveTokens(c: FuzzCase, tokens: Tokens): FuzzCase {
  const swap = (text: string) =>
    text
      .replaceAll(LIVE.access, tokens.access)
      .replaceAll(LIVE.id, tokens.id)
      .replaceAll(LIVE.refresh, tokens.refresh)
      .replaceAll(LIVE.adminAccess, tokens.adminAccess);
  if (c.transport === "raw") return { ...c, bytes: swap(c.bytes) };
  const body = typeof c.body === "string" ? swap(c.body) : c.body;
  const headers = Object.fromEntries(Object.entries(c.headers).map(([name, v]) => [name, swap(v)]));
  if (body !== undefined && "content-length" in headers)
    headers["content-length"] = String(Buffer.byteLength(body));
  return { ...c, path: swap(c.path), headers, body };
}

const b64u = (v: string | Uint8Array): string => Buffer.from(v).toString("base64url");

/** `arb` in about `percent`% of cases, otherwise null. */
function sometimes<T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | null> {
  return fc.oneof(
    { arbitrary: fc.constant(null), weight: 100 - percent },
    { arbitrary: arb, weight: percent },
  );
}

/** Unicode as its UTF-8 bytes, then without the bytes node:http refuses in a header (CR, LF, NUL, …). */
function headerValue(s: string): string {
  return Buffer.from(s, "utf8")
    .toString("latin1")
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "");
}

/** A request target node:http will write: bytes outside 0x21–0xff percent-encoded. */
function requestTarget(s: string): string {
  return Buffer.from(s, "utf8")
    .toString("latin1")
    .replace(
      /[^\x21-\xff]/g,
      (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`,
    );
}

/** encodeURIComponent for any string: lone surrogates go as the replacement character's bytes instead of throwing. */
function percentEncode(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.!~*'()-]/.test(ch)
      ? ch
      : `%${byte.toString(16).padStart(2, "0").toUpperCase()}`;
  }
  return out;
}

// prettier-ignore
const SPICY = [
  "", " ", "\u0000", "a\u0000b", "\u202e", "\ufeff", "\ud83d\ude00", "\u00ff", "\\", '"', "'", "`",
  "${x}", "{{x}}", "%00", "%", "%zz", "../../etc/passwd", "__proto__", "constructor", "prototype",
  "toString", "hasOwnProperty", "' OR '1'='1", "<script>alert(1)</script>", "9".repeat(400), "-0",
  "1e309", "NaN", "Infinity", "null", "undefined", "true", "[]", "{}", "\r\n", "\t", "Bearer",
  "admins", "poolgate/admin",
];

/** Strings of every kind up to a few dozen characters: ASCII, graphemes, any code point, control bytes. */
const shortString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary-ascii", maxLength: 20 }), weight: 1 },
  { arbitrary: fc.constantFrom(...SPICY), weight: 3 },
);
/** 1 000 to 10 240 characters (up to 40 KB of UTF-8). */
const longString = fc
  .tuple(
    fc.constantFrom("a", "é", "\ud83d\ude00", ".", "\u0000", "{"),
    fc.integer({ min: 1000, max: 10_240 }),
  )
  .map(([ch, n]) => ch.repeat(n));
/** For bodies and values; headers use shortString, so that they stay under node's 16 KB header limit. */
const anyString = fc.oneof(
  { arbitrary: shortString, weight: 60 },
  { arbitrary: longString, weight: 1 },
);

function generators(k: Known) {
  const liveTokens = Object.values(LIVE);
  const issuedTokens = Object.values(k.issued);
  const knownString = fc.oneof(
    { arbitrary: anyString, weight: 4 },
    {
      arbitrary: fc.constantFrom(
        ...k.clientIds,
        k.clientSecret,
        k.victim.username,
        k.victim.password,
        "openid",
        "poolgate/admin",
        "aws.cognito.signin.user.admin",
        "email",
      ),
      weight: 3,
    },
  );

  // --- tokens ---------------------------------------------------------------------------------
  const b64urlChars = fc.constantFrom(..."ABCXYZabcxyz0189-_=+/".split(""));
  const b64urlish = fc.string({ unit: b64urlChars, maxLength: 60 });
  /** 1–6 base64url-ish parts: 0–5 dots. */
  const dotted = fc
    .array(b64urlish, { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join("."));
  const longToken = fc
    .tuple(fc.integer({ min: 2_000, max: 10_240 }), fc.integer({ min: 0, max: 5 }))
    .map(([n, dots]) =>
      Array.from({ length: dots + 1 }, () => "A".repeat(Math.floor(n / (dots + 1)))).join("."),
    );
  const jwtHeader = fc.record(
    {
      alg: fc.constantFrom(
        "none",
        "None",
        "NONE",
        "HS256",
        "RS256",
        "ES256",
        "PS256",
        "RS512",
        "EdDSA",
        "dir",
        "A256GCM",
        "",
      ),
      kid: fc.oneof(fc.constantFrom(...k.kids), shortString, fc.jsonValue({ maxDepth: 2 })),
      typ: fc.constantFrom("JWT", "at+jwt", "poolgate-refresh+jwe", "", "JOSE"),
      enc: fc.constantFrom("A256GCM", "A128CBC-HS256", ""),
      crit: fc.array(shortString, { maxLength: 2 }),
      jku: fc.constantFrom("http://127.0.0.1:1/jwks.json", "file:///etc/passwd"),
      jwk: fc.jsonValue({ maxDepth: 2 }),
      b64: fc.boolean(),
      zip: fc.constant("DEF"),
    },
    { requiredKeys: ["alg"] },
  );
  const nowSeconds = Math.floor(Date.now() / 1000);
  const claimNumber = fc.oneof(
    fc.integer(),
    fc.integer({ min: nowSeconds - 100, max: nowSeconds + 100_000 }),
    fc.constantFrom(1e308, -1, 0, Number.MAX_SAFE_INTEGER + 2),
    shortString,
  );
  const jwtPayload = fc.record(
    {
      sub: fc.oneof(fc.constantFrom(...k.subs), shortString),
      iss: fc.oneof(fc.constant(k.issuer), shortString),
      token_use: fc.constantFrom("access", "id", "refresh", "", "ACCESS"),
      client_id: fc.oneof(fc.constantFrom(...k.clientIds), shortString),
      aud: fc.oneof(fc.constantFrom(...k.clientIds), fc.array(shortString, { maxLength: 2 })),
      scope: fc.oneof(
        fc.constantFrom(
          "poolgate/admin",
          "openid aws.cognito.signin.user.admin poolgate/admin",
          "",
        ),
        shortString,
      ),
      username: fc.oneof(fc.constant(k.victim.username), shortString),
      "cognito:groups": fc.oneof(fc.constant(["admins"]), fc.jsonValue({ maxDepth: 2 })),
      exp: claimNumber,
      iat: claimNumber,
      nbf: claimNumber,
      auth_time: claimNumber,
      jti: shortString,
      origin_jti: shortString,
      event_id: shortString,
    },
    { requiredKeys: [] },
  );
  const jsonText = (arb: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { arbitrary: arb.map((v) => JSON.stringify(v)), weight: 4 },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), weight: 1 },
      { arbitrary: shortString, weight: 1 },
    );
  const jwtShaped = fc
    .tuple(
      jsonText(jwtHeader),
      jsonText(jwtPayload),
      fc.oneof(b64urlish, fc.constant(""), fc.constant(k.issued.access.split(".")[2] ?? "")),
    )
    .map(([h, p, s]) => `${b64u(h)}.${b64u(p)}.${s}`);
  const jweShaped = fc
    .tuple(jsonText(jwtHeader), b64urlish, b64urlish, b64urlish, b64urlish)
    .map(([h, ...rest]) => [b64u(h), ...rest].join("."));
  /** A genuine token with one character changed. */
  const tampered = fc
    .tuple(fc.constantFrom(...issuedTokens), fc.nat(), b64urlChars)
    .map(([t, at, ch]) => {
      const i = at % t.length;
      return t.slice(0, i) + ch + t.slice(i + 1);
    });
  /** The genuine access token's claims raised to admin, signed with alg none or HS256 keyed by the public key. */
  const forged = fc
    .tuple(
      fc.constantFrom("none", "HS256"),
      fc.constantFrom("poolgate/admin", "aws.cognito.signin.user.admin poolgate/admin"),
    )
    .map(([alg, scope]) => {
      const claims = JSON.parse(
        Buffer.from(k.issued.access.split(".")[1] ?? "", "base64url").toString("utf8"),
      );
      const input = `${b64u(JSON.stringify({ alg, kid: k.kids[0], typ: "JWT" }))}.${b64u(JSON.stringify({ ...claims, scope }))}`;
      return alg === "none"
        ? `${input}.`
        : `${input}.${createHmac("sha256", k.publicPem).update(input).digest("base64url")}`;
    });
  const token: fc.Arbitrary<string> = fc.oneof(
    { arbitrary: jwtShaped, weight: 4 },
    { arbitrary: dotted, weight: 2 },
    { arbitrary: tampered, weight: 2 },
    { arbitrary: forged, weight: 1 },
    { arbitrary: jweShaped, weight: 1 },
    { arbitrary: longToken, weight: 1 },
    { arbitrary: shortString, weight: 1 },
    { arbitrary: fc.constantFrom(...liveTokens), weight: 2 },
  );

  // --- GraphQL documents -----------------------------------------------------------------------
  const identifier = fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,12}$/);
  const opName = fc.oneof(
    fc.constantFrom("SignIn", "Refresh", "Revoke", "Me", "A", "B"),
    identifier,
    shortString,
  );

  /**
   * Documents from the schema's own names with random nesting, aliases, arguments, directives,
   * variables and fragments (including cycles). `lexical: "valid"` sticks to well-formed tokens, so
   * the document reaches validation and execution; `"any"` mixes in bad names, numbers and strings.
   */
  function grammar(lexical: "valid" | "any") {
    const nameFrom = (words: Iterable<string>) =>
      fc.oneof(
        { arbitrary: fc.constantFrom(...words), weight: 6 },
        { arbitrary: identifier, weight: 2 },
        { arbitrary: lexical === "any" ? shortString : identifier, weight: 1 },
      );
    const fieldName = nameFrom(vocab.fields);
    const argName = nameFrom(vocab.args);
    const inputFieldName = nameFrom(vocab.inputFields);
    const typeName = nameFrom(vocab.types);
    const directiveName = nameFrom(vocab.directives);
    const varName = nameFrom([
      "input",
      "username",
      "group",
      "password",
      "permanent",
      "if",
      "x",
      "scopes",
    ]);
    const fragmentName = fc.constantFrom("F", "G", "H");

    const wellFormedScalar = fc.oneof(
      { arbitrary: knownString.map((s) => JSON.stringify(s)), weight: 4 },
      { arbitrary: token.map((s) => JSON.stringify(s)), weight: 2 },
      { arbitrary: fc.integer().map(String), weight: 1 },
      { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), weight: 1 },
      {
        arbitrary: fc.constantFrom(
          "99999999999999999999999999999",
          "-2147483649",
          "2147483648",
          "1e309",
          "-0",
          "9".repeat(500),
        ),
        weight: 1,
      },
      { arbitrary: fc.constantFrom("true", "false", "null", "RS256", "ADMIN"), weight: 1 },
      { arbitrary: varName.map((v) => `$${v}`), weight: 2 },
    );
    const scalarLiteral =
      lexical === "valid"
        ? wellFormedScalar
        : fc.oneof(
            { arbitrary: wellFormedScalar, weight: 6 },
            {
              arbitrary: fc.constantFrom(
                "0x1F",
                "1.",
                ".5",
                "1e",
                "00",
                "NaN",
                '"\\u{110000}"',
                '"\\uD800"',
              ),
              weight: 1,
            },
            { arbitrary: anyString.map((s) => `"""${s}"""`), weight: 1 },
            { arbitrary: anyString.map((s) => `"${s}"`), weight: 1 },
          );
    const { value } = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { maxDepth: 4, depthSize: "small" },
        { arbitrary: scalarLiteral, weight: 4 },
        {
          arbitrary: fc.array(tie("value"), { maxLength: 4 }).map((v) => `[${v.join(", ")}]`),
          weight: 1,
        },
        {
          arbitrary: fc
            .array(fc.tuple(inputFieldName, tie("value")), { maxLength: 5 })
            .map((kv) => `{${kv.map(([name, v]) => `${name}: ${v}`).join(", ")}}`),
          weight: 2,
        },
      ),
    }));
    const argList = fc
      .array(fc.tuple(argName, value), { maxLength: 3 })
      .map((args) =>
        args.length === 0 ? "" : `(${args.map(([name, v]) => `${name}: ${v}`).join(", ")})`,
      );
    const directives = sometimes(
      fc.array(fc.tuple(directiveName, fc.oneof(fc.constant(""), argList)), {
        minLength: 1,
        maxLength: 2,
      }),
      25,
    ).map((ds) => (ds ?? []).map(([name, args]) => ` @${name}${args}`).join(""));
    const alias = sometimes(fc.oneof(identifier, fieldName), 20).map((a) =>
      a === null ? "" : `${a}: `,
    );

    const { selectionSet } = fc.letrec<{ selectionSet: string; selection: string }>((tie) => ({
      selectionSet: fc
        .array(tie("selection"), { minLength: 1, maxLength: 4 })
        .map((s) => `{ ${s.join(" ")} }`),
      selection: fc.oneof(
        { maxDepth: 5, depthSize: "small" },
        {
          arbitrary: fc
            .tuple(alias, fieldName, sometimes(argList, 40), directives)
            .map(([a, f, args, d]) => `${a}${f}${args ?? ""}${d}`),
          weight: 4,
        },
        {
          arbitrary: fc
            .tuple(alias, fieldName, sometimes(argList, 40), directives, tie("selectionSet"))
            .map(([a, f, args, d, set]) => `${a}${f}${args ?? ""}${d} ${set}`),
          weight: 3,
        },
        {
          arbitrary: fc
            .tuple(fc.option(typeName), directives, tie("selectionSet"))
            .map(([t, d, set]) => `...${t === null ? "" : ` on ${t}`}${d} ${set}`),
          weight: 1,
        },
        { arbitrary: fc.tuple(fragmentName, directives).map(([f, d]) => `...${f}${d}`), weight: 1 },
      ),
    }));
    const typeRef = fc
      .tuple(
        typeName,
        fc.constantFrom(
          "T",
          "T!",
          "[T]",
          "[T!]!",
          "[[T]]",
          ...(lexical === "any" ? ["T!!", "[T"] : []),
        ),
      )
      .map(([t, shape]) => shape.replace("T", t));
    const variableDefinitions = fc
      .array(
        fc
          .tuple(varName, typeRef, sometimes(value, 30))
          .map(([n, t, d]) => `$${n}: ${t}${d === null ? "" : ` = ${d}`}`),
        { maxLength: 3 },
      )
      .map((defs) => (defs.length === 0 ? "" : `(${defs.join(", ")})`));
    const operation = fc
      .tuple(
        fc.constantFrom("", "query", "query", "mutation", "mutation", "subscription"),
        fc.option(lexical === "any" ? opName : identifier),
        variableDefinitions,
        directives,
        selectionSet,
      )
      .map(([keyword, name, vars, d, set]) =>
        keyword === "" ? set : `${keyword}${name === null ? "" : ` ${name}`}${vars}${d} ${set}`,
      );
    const fragment = fc
      .tuple(fragmentName, typeName, directives, selectionSet)
      .map(([name, type, d, set]) => `fragment ${name} on ${type}${d} ${set}`);
    return fc
      .array(fc.oneof({ arbitrary: operation, weight: 4 }, { arbitrary: fragment, weight: 1 }), {
        minLength: 1,
        maxLength: 3,
      })
      .map((defs) => defs.join("\n"));
  }
  const document = fc.oneof(
    { arbitrary: grammar("valid"), weight: 3 },
    { arbitrary: grammar("any"), weight: 1 },
  );

  /** The real operations, with their credentials inline. */
  const realOperation = fc.oneof(
    fc.constant(SIGN_IN),
    fc.constant(ME),
    fc.constant(
      `mutation Refresh($input: RefreshInput!) { refresh(input: $input) { accessToken idToken refreshToken expiresIn tokenType } }`,
    ),
    fc.constant(`mutation Revoke($input: RevokeInput!) { revoke(input: $input) }`),
    fc.constant(`mutation { globalSignOut }`),
    fc.constant(
      `{ adminGetUser(username: ${JSON.stringify(k.victim.username)}) { sub username groups attributes { name value } } }`,
    ),
    fc
      .tuple(fc.constantFrom("refresh", "revoke"), fc.constantFrom(...k.clientIds), token)
      .map(([field, clientId, t]) =>
        field === "refresh"
          ? `mutation { refresh(input: {clientId: ${JSON.stringify(clientId)}, refreshToken: ${JSON.stringify(t)}}) { accessToken } }`
          : `mutation { revoke(input: {clientId: ${JSON.stringify(clientId)}, token: ${JSON.stringify(t)}}) }`,
      ),
  );

  /**
   * Every root field of the schema, called with each argument as a variable of its declared type
   * and every field of the result selected: the document is valid, the variables well-typed but
   * random (strings, tokens, the real client ids), so the resolvers run.
   */
  const str = fc.oneof({ arbitrary: knownString, weight: 3 }, { arbitrary: token, weight: 1 });
  const inputValue = (type: GraphQLInputType, fieldName: string): fc.Arbitrary<unknown> => {
    if (isNonNullType(type)) return inputValue(type.ofType, fieldName);
    const inner = ((): fc.Arbitrary<unknown> => {
      if (isListType(type)) return fc.array(inputValue(type.ofType, fieldName), { maxLength: 3 });
      if (isInputObjectType(type)) {
        const fields = Object.values(type.getFields());
        return fc.record(
          Object.fromEntries(fields.map((f) => [f.name, inputValue(f.type, f.name)])),
          {
            requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
          },
        );
      }
      if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.name));
      if (type.name === "Boolean") return fc.boolean();
      if (type.name === "Int")
        return fc.oneof(fc.integer(), fc.constantFrom(2 ** 31, -(2 ** 31) - 1));
      if (fieldName === "clientId")
        return fc.oneof(
          { arbitrary: fc.constantFrom(...k.clientIds), weight: 4 },
          { arbitrary: str, weight: 1 },
        );
      if (fieldName === "refreshToken" || fieldName === "token") return token;
      return str;
    })();
    return isNonNullType(type)
      ? inner
      : fc.oneof({ arbitrary: inner, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 });
  };
  const selectAll = (type: GraphQLOutputType, depth: number): string => {
    const named = getNamedType(type);
    if (!isObjectType(named) || depth > 2) return "";
    const fields = Object.values(named.getFields()).filter((f) =>
      f.args.every((a) => !isNonNullType(a.type)),
    );
    return ` { ${fields.map((f) => f.name + selectAll(f.type, depth + 1)).join(" ")} }`;
  };
  const rootFields = [schema.getQueryType(), schema.getMutationType()].flatMap((root) =>
    root
      ? Object.values(root.getFields()).map((field) => ({
          keyword: root === schema.getQueryType() ? "query" : "mutation",
          field,
        }))
      : [],
  );
  const typedRequest = fc.constantFrom(...rootFields).chain(({ keyword, field }) => {
    const defs = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(", ");
    const call = field.args.map((a) => `${a.name}: $${a.name}`).join(", ");
    const query = `${keyword} Op${defs ? `(${defs})` : ""} { ${field.name}${call ? `(${call})` : ""}${selectAll(field.type, 0)} }`;
    return fc
      .record(Object.fromEntries(field.args.map((a) => [a.name, inputValue(a.type, a.name)])))
      .map((variables) => JSON.stringify({ query, variables }));
  });

  // prettier-ignore
  const JUNK = [
    "{", "}", "(", ")", "[", "]", "$", "@", "...", ":", "!", "=", '"', '"""', "#", "\u0000", "\ufeff",
    "\ud83d\ude00", "\\u{110000}", "\\", ",", "|", "&", "query", "fragment", "on",
    "99999999999999999999", "\n",
  ];
  const edit = fc.record({
    op: fc.constantFrom("insert", "delete", "truncate", "duplicate"),
    at: fc.nat(),
    junk: fc.oneof(fc.constantFrom(...JUNK), shortString),
  });
  const corrupted = fc
    .tuple(fc.oneof(document, realOperation), fc.array(edit, { minLength: 1, maxLength: 3 }))
    .map(([doc, edits]) =>
      edits.reduce((text, e) => {
        const i = e.at % (text.length + 1);
        switch (e.op) {
          case "insert":
            return text.slice(0, i) + e.junk + text.slice(i);
          case "delete":
            return text.slice(0, i) + text.slice(i + 1 + (e.at % 7));
          case "truncate":
            return text.slice(0, i);
          case "duplicate":
            return text.slice(0, i) + text.slice(i) + text.slice(i);
        }
        return text;
      }, doc),
    );
  const PAIRS: [string, string][] = [
    ["me { ", " }"],
    ["attributes { ", " }"],
    ["... on Query { ", " }"],
    ["__schema { types { ", " } }"],
    ["[", "]"],
    ["{", "}"],
    ["(", ")"],
  ];
  /** Nesting far beyond the depth limit, balanced or not. */
  const deep = fc
    .tuple(
      fc.integer({ min: 1, max: 400 }),
      fc.constantFrom(...PAIRS),
      fc.boolean(),
      fc.constantFrom("sub", "", "__typename"),
    )
    .map(
      ([n, [open, close], balanced, leaf]) =>
        `{ ${open.repeat(n)}${leaf}${balanced ? close.repeat(n) : ""} }`,
    );
  const queryText = fc.oneof(
    { arbitrary: document, weight: 5 },
    { arbitrary: corrupted, weight: 3 },
    { arbitrary: realOperation, weight: 3 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: anyString, weight: 1 },
  );

  // --- variables, extensions and the JSON envelope (built as text, so depth is not bounded by JSON.stringify) --
  const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
    { arbitrary: knownString, weight: 4 },
    { arbitrary: token, weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
    { arbitrary: fc.array(knownString, { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.constantFrom(null, 1e308, -0, 2 ** 53 + 1, true, {}, []), weight: 1 },
  );
  const inputObject = fc.record(
    {
      clientId: fieldValue,
      clientSecret: fieldValue,
      username: fieldValue,
      password: fieldValue,
      scopes: fieldValue,
      refreshToken: fc.oneof(token, fieldValue),
      token: fc.oneof(token, fieldValue),
      attributes: fc.oneof(
        fc.array(fc.record({ name: fieldValue, value: fieldValue }, { requiredKeys: [] }), {
          maxLength: 3,
        }),
        fieldValue,
      ),
      code: fieldValue,
      previousPassword: fieldValue,
      proposedPassword: fieldValue,
      groups: fieldValue,
    },
    { requiredKeys: [] },
  );
  const variablesObject = fc.record(
    {
      // Arrays and scalars where the input object is expected, too.
      input: fc.oneof(
        { arbitrary: inputObject, weight: 5 },
        { arbitrary: fc.array(inputObject, { maxLength: 2 }), weight: 1 },
        { arbitrary: fieldValue, weight: 1 },
      ),
      username: fieldValue,
      group: fieldValue,
      password: fieldValue,
      permanent: fieldValue,
      if: fieldValue,
      x: fieldValue,
    },
    { requiredKeys: [] },
  );
  const deepJson = fc
    .tuple(
      fc.integer({ min: 1, max: 8_000 }),
      fc.constantFrom<[string, string]>(["[", "]"], ['{"input":', "}"], ['{"a":[', "]}"]),
    )
    .map(([n, [open, close]]) => `${open.repeat(n)}1${close.repeat(n)}`);
  const variablesText = fc.oneof(
    { arbitrary: variablesObject.map((v) => JSON.stringify(v)), weight: 6 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 2 },
    { arbitrary: deepJson, weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '{"__proto__":{"isAdmin":true}}',
        '{"input":{"__proto__":{"clientId":"x"},"clientId":"x","username":"u","password":"p"}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
        '{"input":{"clientId":"a","clientId":"b"}}',
      ),
      weight: 1,
    },
  );
  const extensionsText = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc
      .tuple(
        fc.constantFrom(1, 2, "1", null),
        fc.oneof(
          fc.string({
            unit: fc.constantFrom(..."0123456789abcdef".split("")),
            minLength: 64,
            maxLength: 64,
          }),
          shortString,
        ),
      )
      .map(([version, sha256Hash]) => JSON.stringify({ persistedQuery: { version, sha256Hash } })),
    deepJson,
  );
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
  /** Each field mostly well-typed, so that most requests get past Apollo's envelope checks to the GraphQL phases. */
  const envelope = fc
    .record({
      query: sometimes(
        fc.oneof(
          { arbitrary: queryText.map((q) => JSON.stringify(q)), weight: 12 },
          { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), weight: 1 },
        ),
        95,
      ),
      variables: sometimes(variablesText, 60),
      operationName: sometimes(
        fc.oneof(
          { arbitrary: opName.map((v) => JSON.stringify(v)), weight: 6 },
          { arbitrary: fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)), weight: 1 },
        ),
        20,
      ),
      extensions: sometimes(extensionsText, 15),
      /** Automatic persisted queries: register a query under its true hash, or ask for one by hash alone. */
      apq: fc.oneof(
        { arbitrary: fc.constant("none"), weight: 8 },
        { arbitrary: fc.constantFrom("register", "lookup"), weight: 2 },
      ),
      lookup: fc.oneof(realOperation, document),
    })
    .map(({ apq, lookup, ...fields }) => {
      const query = fields.query === null ? undefined : (JSON.parse(fields.query) as unknown);
      if (apq === "register" && typeof query === "string") {
        fields.extensions = JSON.stringify({
          persistedQuery: { version: 1, sha256Hash: sha256(query) },
        });
      }
      if (apq === "lookup") {
        fields.query = null;
        fields.extensions = JSON.stringify({
          persistedQuery: { version: 1, sha256Hash: sha256(lookup) },
        });
      }
      return `{${Object.entries(fields)
        .filter(([, text]) => text !== null)
        .map(([key, text]) => `${JSON.stringify(key)}:${text}`)
        .join(",")}}`;
    });
  const graphqlBody = fc.oneof(
    { arbitrary: envelope, weight: 5 },
    { arbitrary: typedRequest, weight: 4 },
  );
  const multipart = fc
    .tuple(fc.constantFrom("----x", "", "a".repeat(80)), envelope)
    .map(
      ([b, json]) =>
        `--${b}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${json}\r\n--${b}--\r\n`,
    );
  const bodyText = fc.oneof(
    { arbitrary: graphqlBody, weight: 16 },
    { arbitrary: anyString, weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 1 },
    {
      arbitrary: fc.array(envelope, { maxLength: 3 }).map((bodies) => `[${bodies.join(",")}]`),
      weight: 1,
    },
    {
      arbitrary: fc.tuple(envelope, fc.nat()).map(([b, n]) => b.slice(0, n % (b.length + 1))),
      weight: 1,
    },
    { arbitrary: queryText, weight: 1 },
    { arbitrary: multipart, weight: 1 },
    {
      arbitrary: fc
        .integer({ min: 65_537, max: 100_000 })
        .map((n) => `{"query":"${" ".repeat(n)}{me{sub}}"}`),
      weight: 1,
    },
  );
  const body: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
    { arbitrary: bodyText, weight: 12 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );

  // --- paths, methods, headers ------------------------------------------------------------------
  const getQuery = fc
    .record(
      {
        query: queryText,
        variables: variablesText,
        operationName: fc.oneof(opName, shortString),
        extensions: extensionsText,
      },
      { requiredKeys: [] },
    )
    // Cut at 8 KB, under node's 16 KB header limit (a cut may split an escape: fine).
    .map((q) =>
      `?${Object.entries(q)
        .map(([key, v]) => `${key}=${percentEncode(v)}`)
        .join("&")}`.slice(0, 8192),
    );
  const rawQuery = fc
    .tuple(fc.constantFrom("query=", "query=%", "query[]=", "variables=", ""), shortString)
    .map(([p, s]) => `?${p}${s}`);
  // prettier-ignore
  const ODD_PATHS = [
    "/", "/graphql/", "/GRAPHQL", "/graphql/..", "/./graphql", "/graphql%00", "/graphql#frag",
    "/graphql?", "*", "/%", "/%zz", "//", "//[", "/\\", "///graphql", "//host:99999/graphql",
    "//user@host/graphql", "http://gateway.invalid/graphql", "/.well-known/",
    "/.well-known/jwks.json/", "/.well-known/jwks.json?kid=%00",
  ];
  const path = fc
    .oneof(
      { arbitrary: fc.constant("/graphql"), weight: 12 },
      {
        arbitrary: fc
          .tuple(
            fc.constantFrom("/graphql", "/graphql", "/graphql/"),
            fc.oneof({ arbitrary: getQuery, weight: 3 }, { arbitrary: rawQuery, weight: 1 }),
          )
          .map(([p, q]) => p + q),
        weight: 4,
      },
      {
        arbitrary: fc.constantFrom(
          "/.well-known/jwks.json",
          "/.well-known/openid-configuration",
          "/healthz",
          "/readyz",
        ),
        weight: 2,
      },
      { arbitrary: fc.constantFrom(...ODD_PATHS), weight: 2 },
      { arbitrary: fc.webPath(), weight: 1 },
      { arbitrary: shortString.map((s) => `/${s}`), weight: 1 },
    )
    .map(requestTarget);
  const method = fc.oneof(
    { arbitrary: fc.constant("POST"), weight: 8 },
    { arbitrary: fc.constant("GET"), weight: 3 },
    { arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"), weight: 2 },
    {
      arbitrary: fc.constantFrom("PROPFIND", "QUERY", "TRACE", "SEARCH", "FOO", "M-SEARCH"),
      weight: 1,
    },
  );
  const contentType = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/json; charset=latin1",
        "application/json; charset=utf-16",
        "application/json; charset=",
        "APPLICATION/JSON",
        "application/json ; boundary=x",
      ),
      weight: 8,
    },
    {
      arbitrary: fc.constantFrom(
        "text/plain",
        "text/plain;charset=utf-8",
        "multipart/form-data",
        "multipart/form-data; boundary=----x",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/graphql-response+json",
        "application/graphql-response+json; charset=utf-8",
        "application/jsonx",
        "",
      ),
      weight: 3,
    },
    { arbitrary: shortString, weight: 1 },
  );
  const authorization = fc.oneof(
    { arbitrary: token.map((t) => `Bearer ${t}`), weight: 6 },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            "bearer ",
            "BEARER ",
            "Bearer  ",
            "Bearer\t",
            "Bearer",
            "Basic ",
            "Token ",
            "Bearer Bearer ",
          ),
          token,
          fc.constantFrom("", " ", "  x", ","),
        )
        .map(([scheme, t, tail]) => `${scheme}${t}${tail}`),
      weight: 2,
    },
    { arbitrary: shortString, weight: 2 },
  );
  const requestId = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
    shortString,
    fc.constant("x".repeat(65)),
  );
  const headers = fc
    .record({
      "content-type": sometimes(contentType, 85),
      authorization: sometimes(authorization, 50),
      "x-request-id": sometimes(requestId, 40),
      // Apollo's CSRF prevention lets a simple request through only with one of these.
      "apollo-require-preflight": sometimes(fc.constantFrom("true", "", "1"), 40),
      "x-apollo-operation-name": sometimes(opName, 20),
      accept: sometimes(
        fc.constantFrom(
          "application/json",
          "application/graphql-response+json",
          "text/html",
          "*/*",
          "multipart/mixed; deferSpec=20220824",
          "text/event-stream",
          "application/json;q=0, text/html",
        ),
        30,
      ),
    })
    .map((h) => {
      const out: Record<string, string> = {};
      for (const [name, v] of Object.entries(h)) if (v !== null) out[name] = headerValue(v);
      return out;
    });

  /** Framed explicitly: node:http sends a GET body unframed, and the server would read it as a second request. */
  const framed = (c: Omit<HttpCase, "transport">): HttpCase => ({
    transport: "http",
    ...c,
    headers:
      c.body === undefined
        ? c.headers
        : { ...c.headers, "content-length": String(Buffer.byteLength(c.body)) },
  });
  /** Anything goes: method, path, every header, body. */
  const chaosCase = fc.record({ method, path, headers, body }).map(framed);
  /** Well-formed HTTP around a fuzzed GraphQL request, so that most cases reach parsing, validation and execution. */
  const graphqlCase = fc
    .record({
      get: fc.constantFrom(false, false, false, true),
      contentType: fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "APPLICATION/JSON",
      ),
      bearer: fc.oneof(
        { arbitrary: fc.constant(null), weight: 4 },
        { arbitrary: fc.constantFrom(LIVE.access, LIVE.adminAccess), weight: 3 },
        { arbitrary: token, weight: 1 },
      ),
      requestId: sometimes(requestId, 30),
      body: graphqlBody,
      getQuery,
    })
    .map(({ get, contentType: type, bearer, requestId: id, body: json, getQuery: search }) => {
      const common: Record<string, string> = {
        ...(bearer === null ? {} : { authorization: headerValue(`Bearer ${bearer}`) }),
        ...(id === null ? {} : { "x-request-id": headerValue(id) }),
      };
      return get
        ? framed({
            method: "GET",
            path: `/graphql${search}`,
            headers: { ...common, "apollo-require-preflight": "true" },
            body: undefined,
          })
        : framed({
            method: "POST",
            path: "/graphql",
            headers: { ...common, "content-type": type },
            body: json,
          });
    });

  // --- raw HTTP: what node:http will not send ---------------------------------------------------
  const rawTarget = fc.oneof(
    fc.constantFrom(
      "/graphql",
      "//",
      "//[",
      "/gr aph",
      "/graphql\u0000",
      "*",
      "http://x/graphql",
      "/%",
      "/" + "a".repeat(10_000),
    ),
    shortString.map((s) => Buffer.from(`/${s}`, "utf8").toString("latin1")),
  );
  const rawHeaderLine = fc.oneof(
    fc
      .tuple(
        fc.constantFrom("Authorization", "X-Request-Id", "Content-Type", "Accept"),
        fc.oneof(
          shortString,
          token.map((t) => `Bearer ${t}`),
        ),
      )
      .map(([n, v]) => `${n}: ${Buffer.from(v, "utf8").toString("latin1")}`),
    fc.constantFrom(
      "Content-Length: -1",
      "Content-Length: 1, 2",
      "Content-Length: 99999999999999999999",
      "Transfer-Encoding: chunked",
      "Transfer-Encoding: gzip, chunked",
      "Content-Length: 5\r\nContent-Length: 6",
      " folded continuation",
      "NoColon",
      "Authorization: Bearer \u0000",
      "X-Request-Id: a\u0000b",
      "Apollo-Require-Preflight: true",
      `Authorization: Bearer ${LIVE.access}\r\nAuthorization: Bearer x`,
    ),
  );
  const rawCase: fc.Arbitrary<RawCase> = fc
    .record({
      method: fc.constantFrom("GET", "POST", "POST", "post", "PUT", "BREW", ""),
      target: rawTarget,
      version: fc.constantFrom(
        "HTTP/1.1",
        "HTTP/1.1",
        "HTTP/1.0",
        "HTTP/2.0",
        "HTTP/1.2",
        "",
        "HTTP/1.1 extra",
      ),
      lines: fc.array(rawHeaderLine, { maxLength: 4 }),
      framing: fc.constantFrom("length", "length", "none", "chunked", "short", "long"),
      body: fc.oneof(envelope, anyString).map((s) => Buffer.from(s, "utf8").toString("latin1")),
    })
    .map(({ method: m, target, version, lines, framing, body: b }) => {
      const head = [
        `${m} ${target} ${version}`,
        "Host: 127.0.0.1",
        "Connection: close",
        "Content-Type: application/json",
        ...lines,
      ];
      let payload = b;
      if (framing === "length") head.push(`Content-Length: ${b.length}`);
      if (framing === "short") head.push(`Content-Length: ${b.length + 10}`);
      if (framing === "long") head.push(`Content-Length: ${Math.max(0, b.length - 3)}`);
      if (framing === "chunked") {
        head.push("Transfer-Encoding: chunked");
        payload = `${b.length.toString(16)}\r\n${b}\r\nZZ\r\n`;
      }
      return { transport: "raw" as const, bytes: `${head.join("\r\n")}\r\n\r\n${payload}` };
    });

  return fc.oneof(
    { arbitrary: graphqlCase, weight: 6 },
    { arbitrary: chaosCase, weight: 3 },
    { arbitrary: rawCase, weight: 1 },
  );
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

let gw: TestGateway;
let known: Known;
/** Known only to this file: the fuzzer can neither lock it out nor end its sessions. */
let live: { clientId: string; username: string; password: string; sub: string };
/** The fuzzer's signed-in user and admin, whose names and passwords it does not know. */
let principals: {
  clientId: string;
  user: { username: string; password: string };
  admin: { username: string; password: string };
};
/** Their current tokens, swapped in for LIVE. */
let current: Tokens;
let victimSub: string;

async function postJson(query: string, variables: unknown, token?: string): Promise<Reply> {
  const outcome = await sendHttp(new URL(gw.url), {
    transport: "http",
    method: "POST",
    path: "/graphql",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  if (outcome.kind !== "reply") throw new Error(`valid request not answered: ${outcome.kind}`);
  return outcome.reply;
}

async function signIn(
  user: { username: string; password: string },
  clientId: string,
): Promise<{ access: string; id: string; refresh: string }> {
  const res = await postJson(SIGN_IN, {
    input: { clientId, username: user.username, password: user.password },
  });
  const tokens = (
    JSON.parse(res.body) as {
      data?: { signIn?: { accessToken: string; idToken: string; refreshToken: string } };
    }
  ).data?.signIn;
  if (res.status !== 200 || !tokens)
    throw new Error(`gateway stopped serving signIn: ${res.status} ${res.body.slice(0, 300)}`);
  return { access: tokens.accessToken, id: tokens.idToken, refresh: tokens.refreshToken };
}

async function subOf(accessToken: string): Promise<string | undefined> {
  const res = await postJson(ME, undefined, accessToken);
  return res.status === 200
    ? (JSON.parse(res.body) as { data?: { me?: { sub?: string } } }).data?.me?.sub
    : undefined;
}

/** A valid sign-in and `me` still work: the gateway keeps serving whatever came before. */
async function expectServing(): Promise<void> {
  const tokens = await signIn(live, live.clientId);
  const sub = await subOf(tokens.access);
  if (sub !== live.sub) throw new Error(`gateway stopped serving me (got sub ${String(sub)})`);
}

/** Signs the fuzzer's principals in again when a fuzzed globalSignOut or revoke ended their sessions. */
async function renewTokens(): Promise<void> {
  if ((await subOf(current.access)) === undefined) {
    const { access, id, refresh } = await signIn(principals.user, principals.clientId);
    current = { ...current, access, id, refresh };
  }
  if ((await subOf(current.adminAccess)) === undefined) {
    current = {
      ...current,
      adminAccess: (await signIn(principals.admin, principals.clientId)).access,
    };
  }
}

beforeAll(async () => {
  gw = await startGateway();
  const publicClient = await createClient(gw);
  const confidential = await createClient(gw, { generateSecret: true });
  // Every password differs, so that knowing the victim's tells the fuzzer nothing of the others'.
  const password = () => `Pw-1${randomBytes(12).toString("base64url")}`;
  const liveUser = await createUser(gw, {
    username: `live-${randomBytes(8).toString("hex")}`,
    password: password(),
  });
  live = { clientId: publicClient.clientId, ...liveUser };
  const user = await createUser(gw, { password: password() });
  const admin = await createUser(gw, { password: password(), groups: [gw.config.adminGroup] });
  const victim = await createUser(gw, { password: password() });
  victimSub = victim.sub;
  principals = { clientId: publicClient.clientId, user, admin };
  const userTokens = await signIn(user, publicClient.clientId);
  current = { ...userTokens, adminAccess: (await signIn(admin, publicClient.clientId)).access };
  const jwks = (await (
    await fetch(`${gw.url}/.well-known/jwks.json`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
  ).json()) as {
    keys: (Record<string, unknown> & { kid: string })[];
  };
  const firstKey = jwks.keys[0];
  if (!firstKey) throw new Error("no signing key published");
  known = {
    issuer: gw.config.issuer,
    clientIds: [publicClient.clientId, confidential.clientId],
    clientSecret: confidential.clientSecret ?? "",
    kids: jwks.keys.map((key) => key.kid),
    publicPem: createPublicKey({ key: firstKey, format: "jwk" })
      .export({ type: "spki", format: "pem" })
      .toString(),
    subs: [user.sub, admin.sub],
    victim: { username: victim.username, password: victim.password },
    issued: current,
  };
  await expectServing();
});

afterAll(async () => {
  await gw?.close();
});

describe("fuzzing the HTTP surface", () => {
  it(
    "answers random and malformed requests with well-formed errors, never a 5xx, a hang or a stack, and keeps serving",
    async () => {
      const base = new URL(gw.url);
      const stats = {
        cases: 0,
        raw: 0,
        refused: 0,
        closed: 0,
        statuses: new Map<number, number>(),
      };
      const started = Date.now();
      console.log(
        `fuzz: seed=${SEED} runs=${RUNS}${REPLAY_PATH ? ` path=${REPLAY_PATH}` : ""} (FUZZ_SEED, FUZZ_RUNS, FUZZ_PATH override)`,
      );

      await fc.assert(
        fc.asyncProperty(generators(known), async (generated) => {
          stats.cases++;
          const c = withLiveTokens(generated, current);
          const secrets: Secrets = {
            genuine: [...Object.values(current), known.victim.password],
            fuzzSubs: [...known.subs, victimSub],
            liveSub: live.sub,
          };
          const outcome = await send(base, c);
          switch (outcome.kind) {
            case "refused":
              stats.refused++;
              break;
            case "closed": {
              // Only an oversized body may be cut off: the gateway answers 413 and closes while we still write.
              const size =
                c.transport === "http" && c.body !== undefined ? Buffer.byteLength(c.body) : 0;
              if (size <= gw.config.maxBodyBytes)
                throw new Error(`connection closed without a response (${outcome.code})`);
              stats.closed++;
              break;
            }
            case "raw":
              stats.raw++;
              if (c.transport === "raw") checkRaw(c, outcome.text, secrets);
              break;
            case "reply":
              stats.statuses.set(
                outcome.reply.status,
                (stats.statuses.get(outcome.reply.status) ?? 0) + 1,
              );
              if (c.transport === "http") checkReply(c, outcome.reply, secrets);
              break;
          }
          if (stats.cases % LIVENESS_EVERY === 0) {
            await expectServing();
            await renewTokens();
          }
        }),
        {
          numRuns: RUNS,
          seed: SEED,
          ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
          // Ends a run (shrinking included) before jest would, so fast-check still reports the counterexample.
          plugins: [
            fc.interruptAfterTimeLimit(TEST_TIMEOUT_MS - 15_000, { failOnInterrupt: true }),
          ],
        },
      );
      await expectServing();

      const statuses = [...stats.statuses.entries()]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(" ");
      console.log(
        `fuzz: ${stats.cases} cases in ${Date.now() - started} ms; raw ${stats.raw}, refused by client ${stats.refused}, cut off ${stats.closed}; statuses ${statuses}`,
      );
      // The generators must reach the server, not mostly trip node:http's own checks.
      expect(stats.refused).toBeLessThan(Math.max(5, stats.cases / 10));
    },
    TEST_TIMEOUT_MS,
  );
});
