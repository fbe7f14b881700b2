import type { SigningAlgorithm } from "../../tokens/algorithms";
import type { ChangeNote } from "./feed";

export interface KeyRecord {
  kid: string;
  /** Each key keeps its own algorithm (text in both stores: no migration for issue 19). */
  alg: SigningAlgorithm;
  /** Public JWK as JSON text. */
  publicJwk: string;
  /** Private JWK, encrypted with the master key (compact JWE). */
  privateJwkEncrypted: string;
  /**
   * When the key starts signing (a rotation may set it ahead, so the key is published
   * first). The newest key whose time has come signs; retired keys stay in the JWKS until
   * `expiresAtMs`.
   */
  createdAtMs: number;
  status: "active" | "retired";
  retiredAtMs: number | null;
  /** After this, no live token can carry the key's signature: drop it from the JWKS. */
  expiresAtMs: number | null;
}

/** Signing keys. */
export interface KeyStore {
  listKeys(): Promise<KeyRecord[]>;
  /**
   * Inserts the key and, with `retireOlder`, marks retired (at `nowMs`, dropped from the JWKS
   * at `expiresAtMs`) every active key older than the newest active one (created earlier;
   * equal times ordered by kid), all in one transaction with `change`. The newest key stays
   * active whatever the order of two concurrent rotations, and the other is retired.
   */
  insertKey(
    key: KeyRecord,
    change?: ChangeNote,
    retireOlder?: { nowMs: number; expiresAtMs: number },
  ): Promise<void>;
}
