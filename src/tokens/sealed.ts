/**
 * Small secrets sealed for one purpose: compact JWE (`dir` + `A256GCM`) under a key derived
 * from the master key (tokens/secrets.ts), with the purpose in the protected `typ` header, so
 * a value sealed for one use never opens as another. Refresh tokens, challenge sessions and
 * TOTP secrets at rest use it; nobody without the master key can read or forge any of them.
 */
import { webcrypto } from "node:crypto";
import { CompactEncrypt, compactDecrypt } from "jose";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

/**
 * Seals `plaintext` for `typ` (e.g. "poolgate-refresh+jwe"). `header` adds string members to
 * the protected header: readable without the key (sealedHeader) and authenticated with the
 * plaintext, so a changed header makes the value open for no one.
 */
export async function seal(
  key: Uint8Array,
  typ: string,
  plaintext: string,
  header: Readonly<Record<string, string>> = {},
): Promise<string> {
  return new CompactEncrypt(encoder.encode(plaintext))
    .setProtectedHeader({ ...header, alg: "dir", enc: "A256GCM", typ })
    .encrypt(await aesKey(key));
}

/**
 * The protected header of a sealed value, decoded without the key and without checking
 * anything but its form: for a cheap look at what seal's `header` put there. Only unseal says
 * whether the value is genuine.
 */
export function sealedHeader(
  sealed: string,
  maxBytes: number,
): Record<string, unknown> | undefined {
  if (sealed.length > maxBytes) return undefined;
  const dot = sealed.indexOf(".");
  if (dot <= 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(sealed.slice(0, dot), "base64url").toString());
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens a value sealed for `typ`, or undefined for anything else: malformed, tampered, sealed
 * under another key or for another purpose, or longer than `maxBytes` (refused before any
 * crypto). Callers map undefined to one error; the reason is not exposed.
 */
export async function unseal(
  key: Uint8Array,
  typ: string,
  sealed: string,
  maxBytes: number,
): Promise<string | undefined> {
  if (sealed.length > maxBytes || sealed.split(".").length !== 5) return undefined;
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, await aesKey(key), {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    if (protectedHeader.typ !== typ) return undefined;
    return decoder.decode(plaintext);
  } catch {
    return undefined;
  }
}

/** unseal, then JSON.parse and a shape check; undefined when any step fails. */
export async function unsealJson<T>(
  key: Uint8Array,
  typ: string,
  sealed: string,
  maxBytes: number,
  isShape: (value: unknown) => value is T,
): Promise<T | undefined> {
  const text = await unseal(key, typ, sealed, maxBytes);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isShape(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
