/**
 * Access keys for the admin operations of Cognito's wire API (DESIGN §12): an id and a secret
 * in AWS's shape, so the AWS SDK signs with them (SigV4) as it does with IAM credentials. The
 * secret is what both sides key their HMACs with, so it is kept, sealed under a sub-key of the
 * master key (a database copy alone cannot sign), and shown to the operator once. Whoever
 * holds a key may call every admin operation: there is no policy language.
 *
 * Transport-free: the front door (cognito/sigv4.ts) asks for a key's secret, checks the
 * signature, and reports the use.
 */
import { randomBytes, randomInt } from "node:crypto";
import { PoolgateError } from "../errors";
import { StoreConflictError, type AccessKeyRecord, type AccessKeyStore } from "../store/store";
import { seal, unsealJson } from "../tokens/sealed";

/** Every id starts with it, as AWS's long-term keys start with AKIA: a key is recognisable. */
export const ACCESS_KEY_ID_PREFIX = "PGAK";
/** AWS's access key ids are 20 characters of [A-Z2-7] after the prefix (base32's alphabet). */
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ID_RANDOM_CHARS = 16;
export const ACCESS_KEY_ID = /^PGAK[A-Z2-7]{16}$/;
/** 30 bytes are 40 base64url characters, the length of AWS's secret access keys (240 bits). */
const SECRET_BYTES = 30;
const SEALED_TYP = "poolgate-access-key-secret+jwe";
const MAX_SEALED_BYTES = 1024;
const MAX_DESCRIPTION_LENGTH = 256;
/** lastUsedAtMs is written at most this often per key (a signed request is not a write). */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** An access key as the operator sees it: never its secret. */
export interface AccessKeyView {
  readonly accessKeyId: string;
  readonly description: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs: number | null;
}

/** What is sealed: the id with the secret, so a sealed value moved to another row opens as nothing. */
interface SealedSecret {
  accessKeyId: string;
  secretAccessKey: string;
}

function isSealedSecret(value: unknown): value is SealedSecret {
  if (typeof value !== "object" || value === null) return false;
  const { accessKeyId, secretAccessKey } = value as Record<string, unknown>;
  return typeof accessKeyId === "string" && typeof secretAccessKey === "string";
}

function view(key: AccessKeyRecord): AccessKeyView {
  return {
    accessKeyId: key.accessKeyId,
    description: key.description,
    createdAtMs: key.createdAtMs,
    lastUsedAtMs: key.lastUsedAtMs,
  };
}

function newAccessKeyId(): string {
  let id = ACCESS_KEY_ID_PREFIX;
  for (let i = 0; i < ID_RANDOM_CHARS; i++) id += ID_ALPHABET[randomInt(0, ID_ALPHABET.length)];
  return id;
}

export class AccessKeyService {
  /** The last use written per key by this instance (or read with the key), for the once-a-minute rule. */
  private readonly lastUsed = new Map<string, number>();

  constructor(
    private readonly store: AccessKeyStore,
    private readonly secretKey: Uint8Array,
    private readonly now: () => number,
  ) {}

  /** A new key; the secret is in the answer and nowhere else in clear. */
  async create(description = ""): Promise<{ key: AccessKeyView; secretAccessKey: string }> {
    if (description.length > MAX_DESCRIPTION_LENGTH || /[\u0000-\u001F\u007F]/.test(description))
      throw new PoolgateError(
        "BAD_USER_INPUT",
        `The description must be at most ${MAX_DESCRIPTION_LENGTH} characters, without control characters`,
      );
    const secretAccessKey = randomBytes(SECRET_BYTES).toString("base64url");
    for (;;) {
      const accessKeyId = newAccessKeyId();
      const record: AccessKeyRecord = {
        accessKeyId,
        secretSealed: await seal(
          this.secretKey,
          SEALED_TYP,
          JSON.stringify({ accessKeyId, secretAccessKey } satisfies SealedSecret),
        ),
        description,
        createdAtMs: this.now(),
        lastUsedAtMs: null,
      };
      try {
        await this.store.createAccessKey(record);
        return { key: view(record), secretAccessKey };
      } catch (err) {
        // 80 random bits: a clash is next to impossible, and then a new id is drawn.
        if (!(err instanceof StoreConflictError)) throw err;
      }
    }
  }

  /** Every key, oldest first, without secrets. */
  async list(): Promise<AccessKeyView[]> {
    return (await this.store.listAccessKeys()).map(view);
  }

  /** False when there was no such key. Requests signed with it fail from the next one on. */
  async delete(accessKeyId: string): Promise<boolean> {
    this.lastUsed.delete(accessKeyId);
    return this.store.deleteAccessKey(accessKeyId);
  }

  /**
   * The secret of a key, for the signature check; undefined for an unknown (or deleted) key.
   * Read from the store on every call, so a key deleted on any instance stops working at once.
   */
  async secretFor(accessKeyId: string): Promise<string | undefined> {
    if (!ACCESS_KEY_ID.test(accessKeyId)) return undefined;
    const record = await this.store.getAccessKey(accessKeyId);
    if (record === undefined) return undefined;
    const sealed = await unsealJson(
      this.secretKey,
      SEALED_TYP,
      record.secretSealed,
      MAX_SEALED_BYTES,
      isSealedSecret,
    );
    // Sealed under another master key, tampered with, or another key's: not this key's secret.
    if (sealed === undefined || sealed.accessKeyId !== accessKeyId) {
      throw new Error(`the secret of access key ${accessKeyId} does not open`);
    }
    if (record.lastUsedAtMs !== null)
      this.lastUsed.set(
        accessKeyId,
        Math.max(record.lastUsedAtMs, this.lastUsed.get(accessKeyId) ?? 0),
      );
    return sealed.secretAccessKey;
  }

  /** A request signed with the key was accepted: recorded, at most once a minute per key. */
  async recordUse(accessKeyId: string): Promise<void> {
    const nowMs = this.now();
    const last = this.lastUsed.get(accessKeyId);
    if (last !== undefined && nowMs - last < LAST_USED_RESOLUTION_MS) return;
    this.lastUsed.set(accessKeyId, nowMs);
    await this.store.touchAccessKey(accessKeyId, nowMs);
  }
}
