/**
 * Keeps the signing key ring in the store: creates the first key on an empty store, opens
 * the ring at start and after a change, and rotates. Old keys stay published until every
 * token they signed has expired, so a rotation or a restart never invalidates a live token.
 * New keys are of the configured algorithm (POOLGATE_SIGNING_ALGORITHM); a start with another
 * algorithm than the newest key's rotates to it, as `keys rotate` does.
 */
import type { KeyRecord, KeyStore } from "../store/store";
import { DEFAULT_SIGNING_ALGORITHM, type SigningAlgorithm } from "../tokens/algorithms";
import { createSealedKey, KeyRing } from "../tokens/keyring";

export class KeyService {
  private current: KeyRing | undefined;
  /** The kid of the key `open` rotated to because the algorithm changed; undefined if none. */
  rotatedAtOpen: string | undefined;

  constructor(
    private readonly store: KeyStore,
    private readonly keyEncryptionKey: Uint8Array,
    private readonly retiredKeyLifetimeMs: number,
    /** How long a rotated-in key is published before it signs. */
    private readonly activationDelayMs: number = 0,
    /** The algorithm of every key this service creates. */
    readonly algorithm: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM,
  ) {}

  /**
   * Opens the ring, creating the first key when the store has none, and rotating (with the
   * usual activation delay) when the newest active key, the one that signs now or will sign
   * next, is of another algorithm than the configured one.
   */
  async open(nowMs: number): Promise<KeyRing> {
    const records = await this.store.listKeys();
    const live = records.filter(
      (r) => r.status === "active" && (r.expiresAtMs === null || r.expiresAtMs > nowMs),
    );
    const newest = live.reduce<KeyRecord | undefined>(
      (a, r) => (a === undefined || r.createdAtMs > a.createdAtMs ? r : a),
      undefined,
    );
    if (newest !== undefined && newest.alg !== this.algorithm) {
      // The old key signs until the new one is published and active, then verifies until
      // its tokens have expired: an algorithm change is an ordinary rotation.
      this.rotatedAtOpen = await this.rotate(nowMs);
      return this.ring();
    }
    if (live.length === 0) {
      const sealed = await createSealedKey(this.keyEncryptionKey, nowMs, this.algorithm);
      // Instances starting together on an empty store may each create one; the event makes
      // every instance reload and publish both (the newest signs).
      await this.store.insertKey(
        { ...sealed, retiredAtMs: null },
        { kind: "keys_changed", subject: sealed.kid, atMs: nowMs },
      );
    }
    return this.reload(nowMs);
  }

  async reload(nowMs: number): Promise<KeyRing> {
    this.current = await KeyRing.open(await this.store.listKeys(), this.keyEncryptionKey, nowMs);
    return this.current;
  }

  ring(): KeyRing {
    if (!this.current) throw new Error("key ring not opened");
    return this.current;
  }

  /**
   * Adds a new key that starts signing after the activation delay, and retires the older
   * ones: they sign until then and keep verifying until every token they signed has expired.
   * Publishing first lets remote verifiers (subgraphs, caches of the JWKS) learn the key
   * before any token carries it. Returns the new kid and when it starts signing.
   */
  async rotate(nowMs: number, activationDelayMs: number = this.activationDelayMs): Promise<string> {
    const activeFromMs = nowMs + activationDelayMs;
    const sealed = await createSealedKey(this.keyEncryptionKey, activeFromMs, this.algorithm);
    await this.store.insertKey(
      { ...sealed, retiredAtMs: null },
      { kind: "keys_changed", subject: sealed.kid, atMs: nowMs },
      { nowMs, expiresAtMs: activeFromMs + this.retiredKeyLifetimeMs },
    );
    await this.reload(nowMs);
    return sealed.kid;
  }
}
