/**
 * The signing key ring: RSA 2048 keys with a `kid` (the RFC 7638 thumbprint), private parts
 * sealed with a key derived from the master key. Pure: records come in as arguments and go
 * out as values; persisting them is the caller's business.
 */
import {
  calculateJwkThumbprint,
  CompactEncrypt,
  compactDecrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from "jose";

/** What the store keeps of a key (structurally a subset of the store's KeyRecord). */
export interface SealedKey {
  kid: string;
  alg: "RS256";
  publicJwk: string;
  privateJwkEncrypted: string;
  status: "active" | "retired";
  createdAtMs: number;
  expiresAtMs: number | null;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export const SIGNING_ALG = "RS256" as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Generates a new RSA 2048 key and seals its private part. */
export async function createSealedKey(
  keyEncryptionKey: Uint8Array,
  nowMs: number,
): Promise<SealedKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, {
    modulusLength: 2048,
    extractable: true,
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  const sealed = await new CompactEncrypt(encoder.encode(JSON.stringify(privateJwk)))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid, cty: "jwk+json" })
    .encrypt(keyEncryptionKey);
  return {
    kid,
    alg: SIGNING_ALG,
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg: SIGNING_ALG, use: "sig" }),
    privateJwkEncrypted: sealed,
    status: "active",
    createdAtMs: nowMs,
    expiresAtMs: null,
  };
}

interface Signer extends SigningKey {
  /** When this key starts signing: a rotated-in key is published before it signs. */
  activeFromMs: number;
}

interface VerificationKey {
  key: CryptoKey;
  /** The key stops verifying and leaves the JWKS at this time; null: no end set. */
  expiresAtMs: number | null;
  jwk: JWK;
}

/** Longest `max-age` of the JWKS response: a rotated-in key reaches HTTP caches this fast. */
export const JWKS_MAX_AGE_SECONDS = 300;

export class KeyRing {
  private constructor(
    /** Newest activation first: the key that signs now, and any that will sign later. */
    private readonly signers: readonly Signer[],
    private readonly verificationKeys: ReadonlyMap<string, VerificationKey>,
  ) {}

  /**
   * Opens the ring. Every key not yet past `expiresAtMs` verifies and is published at once;
   * the one that signs at a given moment is the newest whose activation (`createdAtMs`) has
   * come, so a key rotated in with a future activation is known to every verifier before
   * its first token appears. Throws if no key is live or the signing key cannot be unsealed
   * (a wrong master key must stop the start, not produce an empty JWKS).
   *
   * Expiry is applied again at every lookup, against the caller's clock: a ring opened before
   * a retired key's `expiresAtMs` stops trusting and publishing it at that time, on every
   * instance, without waiting for a reload (issue 12 #6).
   */
  static async open(
    records: readonly SealedKey[],
    keyEncryptionKey: Uint8Array,
    nowMs: number,
  ): Promise<KeyRing> {
    const live = records
      .filter((r) => !expired(r.expiresAtMs, nowMs))
      .sort((a, b) => b.createdAtMs - a.createdAtMs || (a.kid < b.kid ? -1 : 1));
    // The keys that sign now or later: those not yet active, and the newest active one.
    const current = live.findIndex((r) => r.createdAtMs <= nowMs);
    const candidates = current < 0 ? live : live.slice(0, current + 1);
    if (candidates.length === 0) throw new Error("the key ring has no signing key");

    const verificationKeys = new Map<string, VerificationKey>();
    for (const record of live) {
      const jwk = JSON.parse(record.publicJwk) as JWK;
      verificationKeys.set(record.kid, {
        key: (await importJWK(jwk, SIGNING_ALG)) as CryptoKey,
        expiresAtMs: record.expiresAtMs,
        jwk: {
          kty: jwk.kty,
          kid: record.kid,
          alg: SIGNING_ALG,
          use: "sig",
          n: jwk.n,
          e: jwk.e,
        } as JWK,
      });
    }
    const signers: Signer[] = [];
    for (const record of candidates) {
      const { plaintext } = await compactDecrypt(record.privateJwkEncrypted, keyEncryptionKey);
      const privateJwk = JSON.parse(decoder.decode(plaintext)) as JWK;
      const privateKey = (await importJWK(privateJwk, SIGNING_ALG)) as CryptoKey;
      signers.push({ kid: record.kid, privateKey, activeFromMs: record.createdAtMs });
    }
    return new KeyRing(signers, verificationKeys);
  }

  /** The key that signs at `nowMs` (the oldest candidate if the clock is behind them all). */
  signingKey(nowMs: number): SigningKey {
    return (
      this.signers.find((s) => s.activeFromMs <= nowMs) ?? this.signers[this.signers.length - 1]!
    );
  }

  /** The public key of `kid`, unless it is unknown or past its `expiresAtMs` at `nowMs`. */
  verificationKey(kid: string, nowMs: number): CryptoKey | undefined {
    const entry = this.verificationKeys.get(kid);
    return entry === undefined || expired(entry.expiresAtMs, nowMs) ? undefined : entry.key;
  }

  /** The kids that verify at `nowMs`. */
  kids(nowMs: number): string[] {
    return [...this.live(nowMs)].map(([kid]) => kid);
  }

  /** The public JWKS (RFC 7517) at `nowMs`: no private parameter, no expired key. */
  jwks(nowMs: number): JSONWebKeySet {
    return { keys: [...this.live(nowMs)].map(([, entry]) => entry.jwk) };
  }

  /**
   * How long the JWKS served at `nowMs` may be cached (`Cache-Control: max-age`, RFC 9111
   * §5.2.2.1): at most JWKS_MAX_AGE_SECONDS, and never past the next expiry, so a cache that
   * honours it (the library's RemoteJwks does) refetches when a key leaves the set. Standard
   * HTTP instead of a non-standard expiry member in the JWKs (RFC 7517 defines none).
   */
  jwksMaxAgeSeconds(nowMs: number): number {
    let seconds = JWKS_MAX_AGE_SECONDS;
    for (const [, entry] of this.live(nowMs)) {
      if (entry.expiresAtMs === null) continue;
      // Rounded down: a cache must not keep the set past the expiry, even by a fraction.
      seconds = Math.min(seconds, Math.floor((entry.expiresAtMs - nowMs) / 1000));
    }
    return seconds;
  }

  private *live(nowMs: number): Iterable<[string, VerificationKey]> {
    for (const pair of this.verificationKeys) {
      if (!expired(pair[1].expiresAtMs, nowMs)) yield pair;
    }
  }
}

/** DESIGN §7: a retired key verifies until, not at, its `expiresAtMs`. */
function expired(expiresAtMs: number | null, nowMs: number): boolean {
  return expiresAtMs !== null && nowMs >= expiresAtMs;
}
