/**
 * The signing key ring: RS256 (RSA 2048), ES256 (P-256) or EdDSA (Ed25519) keys with a `kid`
 * (the RFC 7638 thumbprint), private parts sealed with a key derived from the master key. Each
 * key keeps its own algorithm, so a ring may hold several while a change of algorithm rotates
 * through. Pure: records come in as arguments and go out as values; persisting them is the
 * caller's business.
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
import {
  DEFAULT_SIGNING_ALGORITHM,
  isSigningAlgorithm,
  publicMembers,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from "./algorithms";

/** What the store keeps of a key (structurally a subset of the store's KeyRecord). */
export interface SealedKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: string;
  privateJwkEncrypted: string;
  status: "active" | "retired";
  createdAtMs: number;
  expiresAtMs: number | null;
}

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Generates a new key of `alg` (RSA 2048, P-256 or Ed25519) and seals its private part. */
export async function createSealedKey(
  keyEncryptionKey: Uint8Array,
  nowMs: number,
  alg: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM,
): Promise<SealedKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
    ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
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
    alg,
    publicJwk: JSON.stringify({ ...publicMembers(alg, publicJwk), kid, alg, use: "sig" }),
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
  alg: SigningAlgorithm;
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
      const alg = algorithmOfRecord(record);
      // Only the public members are imported and published, whatever the stored JWK holds.
      const jwk = publicMembers(alg, JSON.parse(record.publicJwk) as JWK);
      verificationKeys.set(record.kid, {
        key: (await importJWK(jwk, alg)) as CryptoKey,
        alg,
        expiresAtMs: record.expiresAtMs,
        jwk: { ...jwk, kid: record.kid, alg, use: "sig" },
      });
    }
    const signers: Signer[] = [];
    for (const record of candidates) {
      const alg = algorithmOfRecord(record);
      const { plaintext } = await compactDecrypt(record.privateJwkEncrypted, keyEncryptionKey);
      const privateJwk = JSON.parse(decoder.decode(plaintext)) as JWK;
      const privateKey = (await importJWK(privateJwk, alg)) as CryptoKey;
      signers.push({ kid: record.kid, alg, privateKey, activeFromMs: record.createdAtMs });
    }
    return new KeyRing(signers, verificationKeys);
  }

  /** The key that signs at `nowMs` (the oldest candidate if the clock is behind them all). */
  signingKey(nowMs: number): SigningKey {
    return (
      this.signers.find((s) => s.activeFromMs <= nowMs) ?? this.signers[this.signers.length - 1]!
    );
  }

  /**
   * The public key of `kid`, unless it is unknown or past its `expiresAtMs` at `nowMs`. The
   * key's algorithm is the key's own (algorithmOfKey): a token must carry that `alg`.
   */
  verificationKey(kid: string, nowMs: number): CryptoKey | undefined {
    const entry = this.verificationKeys.get(kid);
    return entry === undefined || expired(entry.expiresAtMs, nowMs) ? undefined : entry.key;
  }

  /**
   * The algorithms of the keys that verify at `nowMs`, in SIGNING_ALGORITHMS order: what
   * discovery advertises (`id_token_signing_alg_values_supported`).
   */
  algorithms(nowMs: number): SigningAlgorithm[] {
    const held = new Set<SigningAlgorithm>();
    for (const [, entry] of this.live(nowMs)) held.add(entry.alg);
    return SIGNING_ALGORITHMS.filter((alg) => held.has(alg));
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

/** A stored key of an algorithm this version cannot use stops the start, like a wrong master key. */
function algorithmOfRecord(record: SealedKey): SigningAlgorithm {
  const alg: unknown = record.alg;
  if (!isSigningAlgorithm(alg)) {
    throw new Error(`signing key ${record.kid} has an unsupported algorithm "${String(alg)}"`);
  }
  return alg;
}

/** DESIGN §7: a retired key verifies until, not at, its `expiresAtMs`. */
function expired(expiresAtMs: number | null, nowMs: number): boolean {
  return expiresAtMs !== null && nowMs >= expiresAtMs;
}
