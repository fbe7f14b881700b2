/**
 * AWS-style access keys for the admin operations of Cognito's wire API (SigV4, DESIGN §12):
 * the secret is needed to recompute signatures, so it is kept sealed under the master key
 * (never hashed), and shown to the operator once.
 */
export interface AccessKeyRecord {
  /** 20 characters, upper-case letters and digits, as AWS's (`PGAK…`). */
  accessKeyId: string;
  /** The secret access key, sealed (JWE) under a key derived from the master key. */
  secretSealed: string;
  /** What the operator said it is for. */
  description: string;
  createdAtMs: number;
  /** The last request it signed (at most once a minute is written); null: never used. */
  lastUsedAtMs: number | null;
}

export interface AccessKeyStore {
  /** StoreConflictError when the id exists. */
  createAccessKey(key: AccessKeyRecord): Promise<void>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Oldest first (created, then id). */
  listAccessKeys(): Promise<AccessKeyRecord[]>;
  /** False when there was no such key. */
  deleteAccessKey(accessKeyId: string): Promise<boolean>;
  /** Records a use; nothing when the key is gone. */
  touchAccessKey(accessKeyId: string, nowMs: number): Promise<void>;
}
