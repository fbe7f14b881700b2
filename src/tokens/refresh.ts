/**
 * Refresh tokens: compact JWE (`dir` + `A256GCM`) under a key derived from the master key,
 * so nobody but the gateway can read them. The payload names the session and the client;
 * the store keeps only an HMAC of the token (tokens/secrets.ts).
 */
import { randomUUID, webcrypto } from "node:crypto";
import { CompactEncrypt, compactDecrypt } from "jose";

export interface RefreshTokenPayload {
  /** This token's own id. */
  jti: string;
  /** The session (`origin_jti`). */
  sid: string;
  /** The app client it was issued to. */
  cid: string;
  iat: number;
  exp: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REFRESH_TYP = "poolgate-refresh+jwe";

/**
 * Given raw bytes, jose imports an AES key on every call (about half the cost of a decrypt,
 * measured); each key is imported once instead, non-extractable.
 */
const imported = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();

function aesKey(raw: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = imported.get(raw);
  if (!key) {
    key = webcrypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    imported.set(raw, key);
  }
  return key;
}

export async function sealRefreshToken(
  key: Uint8Array,
  fields: { sessionId: string; clientId: string; nowSeconds: number; expiresAtSeconds: number },
): Promise<string> {
  const payload: RefreshTokenPayload = {
    jti: randomUUID(),
    sid: fields.sessionId,
    cid: fields.clientId,
    iat: fields.nowSeconds,
    exp: fields.expiresAtSeconds,
  };
  return new CompactEncrypt(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: REFRESH_TYP })
    .encrypt(await aesKey(key));
}

/**
 * Opens a refresh token, or returns undefined for anything that is not one of ours:
 * malformed, tampered, encrypted under another key, or of the wrong shape. Callers map
 * undefined to one error; the reason is not exposed.
 */
export async function openRefreshToken(
  key: Uint8Array,
  token: string,
  maxBytes: number,
): Promise<RefreshTokenPayload | undefined> {
  if (token.length > maxBytes || token.split(".").length !== 5) return undefined;
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(token, await aesKey(key), {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    if (protectedHeader.typ !== REFRESH_TYP) return undefined;
    const parsed: unknown = JSON.parse(decoder.decode(plaintext));
    if (!isRefreshPayload(parsed)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

function isRefreshPayload(v: unknown): v is RefreshTokenPayload {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o["jti"] === "string" &&
    typeof o["sid"] === "string" &&
    typeof o["cid"] === "string" &&
    typeof o["iat"] === "number" &&
    typeof o["exp"] === "number"
  );
}

/** Unique per issuance; exported for tests that need a fresh session id. */
export const newSessionId = (): string => randomUUID();
