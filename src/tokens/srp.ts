/**
 * Cognito's SRP-6a variant (USER_SRP_AUTH, DESIGN §12), the server's side of it, byte for byte
 * as amazon-cognito-identity-js computes the client's (src/AuthenticationHelper.js,
 * src/CognitoUser.js `authenticateUserDefaultAuth`, src/DateHelper.js), which is the de-facto
 * specification:
 *
 *   N, g     RFC 5054's 3072-bit group, g = 2
 *   k        H(padHex(N) || padHex(g))
 *   x        H(padHex(salt) || H(poolName || userId || ":" || password))
 *   v        g^x                                       (the verifier, stored sealed)
 *   B        k·v + g^b                                  (server; b random, 256 bits)
 *   u        H(padHex(A) || padHex(B))
 *   S        (A · v^u)^b                                (server; the client gets the same S)
 *   K        HKDF-SHA256(ikm = padHex(S), salt = padHex(u), info = "Caldera Derived Key"), 16 bytes
 *   claim    Base64(HMAC-SHA256(K, poolName || userId || base64decode(SECRET_BLOCK) || TIMESTAMP))
 *
 * everything mod N; H is SHA-256 over the bytes of the hex strings; poolName is the part of
 * the pool id after "_". Pure: no store, no clock, no identity; randomness only when a caller
 * leaves a value out.
 *
 * Modular exponentiation runs in OpenSSL through node:crypto's Diffie-Hellman (base^exp mod N
 * is exactly DH's shared secret with `exp` as the private key): a BigInt square-and-multiply
 * is far slower at 3072 bits, and OpenSSL's is constant-time in the (secret) exponent.
 */
import { createDiffieHellman, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { safeEqual } from "./secrets";

const N_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
  "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
  "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
  "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
  "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
  "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

/** RFC 5054 Appendix A, the 3072-bit group. */
export const SRP_N = BigInt(`0x${N_HEX}`);
export const SRP_G = 2n;

/** Cognito's HKDF info string (AuthenticationHelper `infoBits`). */
const HKDF_INFO = "Caldera Derived Key";
/** Bytes of b: 256 bits, RFC 5054 §2.5.3's minimum. */
const SERVER_SECRET_BYTES = 32;
/** Longest hex input parsed (A, B, v, b): bounds the work a caller can ask for. */
const MAX_HEX_DIGITS = 2048;
/** The gateway accepts a TIMESTAMP this far from its own clock, either way. */
export const SRP_TIMESTAMP_SKEW_MS = 5 * 60 * 1000;

/**
 * The client's `padHex` for a non-negative integer: its hex, with a leading "0" to make the
 * length even, and "00" more when the first nibble has its high bit set, so the bytes read
 * as a positive two's-complement number (Java's BigInteger.toByteArray, which Cognito uses).
 */
export function padHex(value: bigint): string {
  if (value < 0n) throw new RangeError("padHex: SRP never pads a negative number");
  let hex = value.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

/** A hex string (any case, no 0x) as a number; undefined when it is not one or too long. */
export function parseHex(hex: string): bigint | undefined {
  if (hex.length === 0 || hex.length > MAX_HEX_DIGITS || !/^[0-9a-fA-F]+$/.test(hex))
    return undefined;
  return BigInt(`0x${hex}`);
}

function hexBytes(hex: string): Buffer {
  return Buffer.from(hex, "hex");
}

/** Minimal big-endian bytes of a positive number (what node:crypto's DH takes). */
function bytesOf(value: bigint): Buffer {
  const hex = value.toString(16);
  return hexBytes(hex.length % 2 === 0 ? hex : `0${hex}`);
}

function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** SHA-256 of padHex(a) || padHex(b) || …, as a number (the client's hexHash of concatenated pads). */
function hashPadded(...values: bigint[]): bigint {
  return BigInt(`0x${sha256Hex(hexBytes(values.map(padHex).join("")))}`);
}

/** k = H(padHex(N) || padHex(g)). */
export const SRP_K = hashPadded(SRP_N, SRP_G);

/**
 * One DH object, re-keyed per call: setPrivateKey + computeSecret run synchronously, so no
 * two calls can interleave on it. Creating it checks nothing expensive (measured: < 1 ms).
 */
const dh = createDiffieHellman(bytesOf(SRP_N), bytesOf(SRP_G));

/**
 * base^exponent mod N, in native code. OpenSSL's DH refuses "public keys" (bases) outside
 * [2, N−2] (ERR_CRYPTO_INVALID_KEYLEN) and a zero private key (exponent), so those cases are
 * answered here by their algebra: 0^e = 0, 1^e = 1, (N−1)^e = ±1, b^0 = 1. The base is
 * reduced mod N first, so any non-negative base works.
 */
export function modPowN(base: bigint, exponent: bigint): bigint {
  if (exponent < 0n || base < 0n) throw new RangeError("modPowN: negative input");
  const b = base % SRP_N;
  if (exponent === 0n) return 1n;
  if (b === 0n || b === 1n) return b;
  if (b === SRP_N - 1n) return exponent % 2n === 0n ? 1n : b;
  dh.setPrivateKey(bytesOf(exponent));
  return BigInt(`0x${dh.computeSecret(bytesOf(b)).toString("hex")}`);
}

/** x = H(padHex(salt) || H(poolName || userId || ":" || password)). */
function passwordExponent(
  poolName: string,
  userId: string,
  password: string,
  salt: bigint,
): bigint {
  const inner = sha256Hex(Buffer.from(`${poolName}${userId}:${password}`, "utf8"));
  return BigInt(`0x${sha256Hex(hexBytes(padHex(salt) + inner))}`);
}

export interface SrpVerifier {
  /** The salt as sent to clients (SALT): hex, 16 random bytes unless given. */
  saltHex: string;
  /** v = g^x mod N, hex. */
  verifierHex: string;
}

/**
 * The verifier of `password` for `userId` (the stored, canonical username: USER_ID_FOR_SRP) in
 * the pool named `poolName`. A random 16-byte salt unless `saltHex` is given.
 */
export function srpVerifier(
  poolName: string,
  userId: string,
  password: string,
  saltHex?: string,
): SrpVerifier {
  const salt = saltHex ?? randomBytes(16).toString("hex");
  const saltValue = parseHex(salt);
  if (saltValue === undefined) throw new RangeError("srpVerifier: the salt must be hex");
  const x = passwordExponent(poolName, userId, password, saltValue);
  return { saltHex: salt.toLowerCase(), verifierHex: modPowN(SRP_G, x).toString(16) };
}

/**
 * The server's first step: B = k·v + g^b mod N for a random 256-bit b (or the `bHex` given,
 * to recompute B later from a kept b). B ≡ 0 would be refused by every client; a random b
 * that gave it is drawn again.
 */
export function srpServerStart(verifierHex: string, bHex?: string): { bHex: string; BHex: string } {
  const v = parseHex(verifierHex);
  if (v === undefined) throw new RangeError("srpServerStart: the verifier must be hex");
  for (;;) {
    const b =
      bHex === undefined
        ? BigInt(`0x${randomBytes(SERVER_SECRET_BYTES).toString("hex")}`)
        : parseHex(bHex);
    if (b === undefined) throw new RangeError("srpServerStart: b must be hex");
    const B = (SRP_K * v + modPowN(SRP_G, b)) % SRP_N;
    if (B !== 0n && b !== 0n)
      return { bHex: b.toString(16).padStart(SERVER_SECRET_BYTES * 2, "0"), BHex: B.toString(16) };
    if (bHex !== undefined) throw new RangeError("srpServerStart: this b gives no usable B");
  }
}

/**
 * The client's A is usable: hex, and not ≡ 0 (mod N) — SRP-6a's one check on A (RFC 5054
 * §2.5.4): with A ≡ 0 the shared secret is 0 whatever the password, so anyone could sign.
 */
export function isUsableSrpA(AHex: string): boolean {
  const A = parseHex(AHex);
  return A !== undefined && A % SRP_N !== 0n;
}

export interface SrpClaim {
  poolName: string;
  /** USER_ID_FOR_SRP as the gateway sent it (the stored username). */
  userId: string;
  AHex: string;
  bHex: string;
  BHex: string;
  verifierHex: string;
  /** SECRET_BLOCK as the gateway sent it (standard Base64). */
  secretBlockBase64: string;
  /** TIMESTAMP as the client sent it. */
  timestamp: string;
  /** PASSWORD_CLAIM_SIGNATURE as the client sent it. */
  signatureBase64: string;
}

/** Standard Base64 in its one canonical spelling (no stray characters, unused bits zero, padded). */
function canonicalBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

/** The signature a client that knows the password sends for `claim`. */
export function srpExpectedSignature(claim: Omit<SrpClaim, "signatureBase64">): string | undefined {
  const A = parseHex(claim.AHex);
  const B = parseHex(claim.BHex);
  const v = parseHex(claim.verifierHex);
  const b = parseHex(claim.bHex);
  const secretBlock = canonicalBase64(claim.secretBlockBase64);
  if (A === undefined || B === undefined || v === undefined || b === undefined) return undefined;
  if (secretBlock === undefined || A % SRP_N === 0n || B % SRP_N === 0n) return undefined;
  const u = hashPadded(A, B);
  if (u === 0n) return undefined; // the client refuses it too
  const S = modPowN(((A % SRP_N) * modPowN(v, u)) % SRP_N, b);
  const key = Buffer.from(
    hkdfSync("sha256", hexBytes(padHex(S)), hexBytes(padHex(u)), HKDF_INFO, 16),
  );
  return createHmac("sha256", key)
    .update(Buffer.from(claim.poolName, "utf8"))
    .update(Buffer.from(claim.userId, "utf8"))
    .update(secretBlock)
    .update(Buffer.from(claim.timestamp, "utf8"))
    .digest("base64");
}

/**
 * The server's check of PASSWORD_CLAIM_SIGNATURE: true only for the signature of a client that
 * knows the password behind `verifierHex`. A ≡ 0 (mod N), non-canonical Base64 and malformed
 * values are false. The comparison is constant-time.
 */
export function srpServerVerify(claim: SrpClaim): boolean {
  const expected = srpExpectedSignature(claim);
  // Compared even when nothing could be expected, so a refusal costs the same comparison.
  const ok = safeEqual(expected ?? "", claim.signatureBase64);
  return expected !== undefined && ok;
}

// ── TIMESTAMP ──────────────────────────────────────────────────────────────────────────────

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const TIMESTAMP =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (0?[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d) UTC (\d{4})$/;

/**
 * The client's TIMESTAMP, "ddd MMM D HH:mm:ss UTC YYYY" (DateHelper.getNowString: the day
 * unpadded, e.g. "Tue Mar 5 09:04:07 UTC 2024"), as milliseconds; undefined when it is not one
 * (the format, a real date, the weekday that date falls on). A zero-padded day ("05") is read
 * too: some other clients send one, and the signature covers the text either way.
 */
export function parseSrpTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, weekday, month, day, hours, minutes, seconds, year] = m;
  const ms = Date.UTC(
    Number(year),
    MONTHS.indexOf(month!),
    Number(day),
    Number(hours),
    Number(minutes),
    Number(seconds),
  );
  const date = new Date(ms);
  if (date.getUTCDate() !== Number(day) || WEEKDAYS[date.getUTCDay()] !== weekday) return undefined;
  return ms;
}

/** A time as the client writes it (DateHelper.getNowString), for tests and tools. */
export function formatSrpTimestamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  );
}

/** The TIMESTAMP parses and is within `skewMs` of `nowMs`, either way. */
export function isSrpTimestampFresh(
  text: string,
  nowMs: number,
  skewMs: number = SRP_TIMESTAMP_SKEW_MS,
): boolean {
  const ms = parseSrpTimestamp(text);
  return ms !== undefined && Math.abs(ms - nowMs) <= skewMs;
}
