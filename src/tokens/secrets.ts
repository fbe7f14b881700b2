/**
 * Sub-keys derived from the master key (HKDF-SHA256, RFC 5869), one per purpose, so that
 * no two mechanisms ever share key material.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

export interface DerivedSecrets {
  /** Encrypts private signing JWKs at rest (JWE dir + A256GCM). */
  keyEncryptionKey: Uint8Array;
  /** Encrypts refresh tokens (JWE dir + A256GCM). */
  refreshTokenKey: Uint8Array;
  /** Keys the HMAC under which refresh tokens, client secrets and codes are stored. */
  storageHashKey: Uint8Array;
  /** Encrypts the Session of a sign-in challenge (JWE dir + A256GCM). */
  challengeSessionKey: Uint8Array;
  /** Encrypts TOTP secrets at rest (JWE dir + A256GCM). */
  mfaSecretKey: Uint8Array;
  /** Encrypts app-client secrets at rest, for SECRET_HASH (JWE dir + A256GCM). */
  clientSecretKey: Uint8Array;
  /** Encrypts users' SRP verifiers and salts at rest (JWE dir + A256GCM). */
  srpVerifierKey: Uint8Array;
  /** Keys the HMAC that makes up SRP salts and verifiers for names that have none. */
  srpMadeUpKey: Uint8Array;
  /** Encrypts the secrets of access keys at rest, for SigV4 (JWE dir + A256GCM). */
  accessKeySecretKey: Uint8Array;
  /** Seals the hosted sign-in page's conversation state, and keys its CSRF tokens. */
  hostedSignInKey: Uint8Array;
}

function derive(masterKey: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(
    hkdfSync("sha256", masterKey, new Uint8Array(0), `poolgate:${purpose}:v1`, 32),
  );
}

export function deriveSecrets(masterKey: Uint8Array): DerivedSecrets {
  if (masterKey.length !== 32) throw new Error("master key must be 32 bytes");
  return {
    keyEncryptionKey: derive(masterKey, "signing-keys"),
    refreshTokenKey: derive(masterKey, "refresh-tokens"),
    storageHashKey: derive(masterKey, "storage-hash"),
    challengeSessionKey: derive(masterKey, "challenge-sessions"),
    mfaSecretKey: derive(masterKey, "mfa-secrets"),
    clientSecretKey: derive(masterKey, "client-secrets"),
    srpVerifierKey: derive(masterKey, "srp-verifiers"),
    srpMadeUpKey: derive(masterKey, "srp-made-up"),
    accessKeySecretKey: derive(masterKey, "access-key-secrets"),
    hostedSignInKey: derive(masterKey, "hosted-sign-in"),
  };
}

/**
 * Storage hash of a high-entropy secret (refresh token, client secret, confirmation code):
 * HMAC-SHA256 under a key the database never sees, so a stolen database yields nothing
 * usable. Domain-separated by `kind`.
 */
export function storageHash(key: Uint8Array, kind: string, value: string): string {
  return createHmac("sha256", key).update(kind).update("\0").update(value).digest("base64url");
}

/** Constant-time comparison of two storage hashes (or any two strings). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // Compare against itself when lengths differ so the work does not depend on where they differ.
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
