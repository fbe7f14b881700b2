/**
 * Users' SRP verifiers at rest (DESIGN §12). A verifier with its salt is an offline oracle for
 * the password: one guess costs a SHA-256 and one modular exponentiation (under a millisecond),
 * far less than the argon2id hash beside it. So it is sealed under a sub-key of the master key
 * (JWE, tokens/sealed.ts), bound to the user's sub and username: a copy of the database alone
 * tests no guess, and a sealed verifier moved to another user's row opens for no one.
 *
 * Names with no verifier (unknown names, users whose password predates SRP) get a salt and a
 * verifier made up from the name under a key of the pool's: the same on every call, of the
 * same form as a real one, so USER_SRP_AUTH's answer does not tell them apart.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { UserRecord } from "../store/store";
import type { DerivedSecrets } from "../tokens/secrets";
import { seal, sealedHeader, unsealJson } from "../tokens/sealed";
import { SRP_N, srpVerifier, type SrpVerifier } from "../tokens/srp";

const VERIFIER_TYP = "poolgate-srp-verifier+jwe";
/** Sealed verifiers are ~1.1 KB; anything far longer is refused unread. */
const MAX_SEALED_BYTES = 4096;
/** The protected-header member that carries usable()'s binding tag. */
const BINDING = "pgb";

interface SealedVerifier {
  /** What it was made for: the user (sub, username) and the pool name (x includes both names). */
  sub: string;
  u: string;
  p: string;
  /** Salt and verifier, hex. */
  s: string;
  v: string;
}

function isSealedVerifier(value: unknown): value is SealedVerifier {
  if (typeof value !== "object" || value === null) return false;
  const o = value as Record<string, unknown>;
  return ["sub", "u", "p", "s", "v"].every((k) => typeof o[k] === "string");
}

/**
 * The pool name SRP signs with: the part of the pool id after "_", read as the client reads it
 * (amazon-cognito-identity-js CognitoUserPool.getUserPoolName: `poolId.split("_")[1]`).
 */
export function srpPoolName(poolId: string): string {
  return poolId.split("_")[1] ?? poolId;
}

export class SrpVerifiers {
  private readonly key: Uint8Array;
  private readonly madeUpKey: Uint8Array;

  constructor(
    secrets: Pick<DerivedSecrets, "srpVerifierKey" | "srpMadeUpKey">,
    /** The pool name of srpPoolName. */
    readonly poolName: string,
  ) {
    this.key = secrets.srpVerifierKey;
    this.madeUpKey = secrets.srpMadeUpKey;
  }

  /** A new verifier (new salt) of `password` for the user, sealed for the store. */
  seal(user: { sub: string; username: string }, password: string): Promise<string> {
    const { saltHex, verifierHex } = srpVerifier(this.poolName, user.username, password);
    const sealed: SealedVerifier = {
      sub: user.sub,
      u: user.username,
      p: this.poolName,
      s: saltHex,
      v: verifierHex,
    };
    return seal(this.key, VERIFIER_TYP, JSON.stringify(sealed), { [BINDING]: this.binding(user) });
  }

  /**
   * Whether the user has a verifier made for them under this pool name, without opening it: a
   * password sign-in asks on every success, and opening (an AES-GCM decryption through
   * WebCrypto's thread pool) cost as much again as the check needs — measured, 1–2 ms of a
   * ~12 ms sign-in beside argon2id. The binding tag in the protected header answers from the
   * row alone; a tag somebody changed makes the value open for no one, and USER_SRP_AUTH (which
   * does open it) then fails as a wrong password would. A verifier sealed before the tag
   * existed is opened once more, as before.
   */
  async usable(user: UserRecord): Promise<boolean> {
    if (user.srpVerifierSealed === null) return false;
    const header = sealedHeader(user.srpVerifierSealed, MAX_SEALED_BYTES);
    if (header === undefined || header["typ"] !== VERIFIER_TYP) return false;
    const tag = header[BINDING];
    if (typeof tag !== "string") return (await this.open(user)) !== undefined;
    const ours = Buffer.from(this.binding(user));
    const theirs = Buffer.from(tag);
    return ours.length === theirs.length && timingSafeEqual(ours, theirs);
  }

  /** What a verifier is bound to — sub, username, pool name — as a tag only this pool makes. */
  private binding(user: { sub: string; username: string }): string {
    return createHmac("sha256", this.madeUpKey)
      .update(`binding\0${user.sub}\0${user.username}\0${this.poolName}`)
      .digest()
      .subarray(0, 16)
      .toString("base64url");
  }

  /**
   * The user's verifier, or undefined: none yet, or one that can no longer match — made for
   * another user or username, or under another pool id (POOLGATE_POOL_ID changed).
   */
  async open(user: UserRecord): Promise<SrpVerifier | undefined> {
    if (user.srpVerifierSealed === null) return undefined;
    const sealed = await unsealJson(
      this.key,
      VERIFIER_TYP,
      user.srpVerifierSealed,
      MAX_SEALED_BYTES,
      isSealedVerifier,
    );
    if (
      sealed === undefined ||
      sealed.sub !== user.sub ||
      sealed.u !== user.username ||
      sealed.p !== this.poolName
    )
      return undefined;
    return { saltHex: sealed.s, verifierHex: sealed.v };
  }

  /**
   * The salt and verifier made up for `name`: HMAC-SHA256 under the pool's key, in counter
   * mode; the salt 16 bytes like a real one, the verifier a number below N. Nobody knows a
   * password for it, so an answer to it always fails.
   */
  madeUp(name: string): SrpVerifier {
    const bytes = (purpose: string, length: number): Buffer => {
      const blocks: Buffer[] = [];
      for (let i = 0; blocks.length * 32 < length; i++)
        blocks.push(
          createHmac("sha256", this.madeUpKey).update(`${purpose}\0${i}\0${name}`).digest(),
        );
      return Buffer.concat(blocks).subarray(0, length);
    };
    // 64 bytes beyond N's 384 make the reduction mod N as good as uniform.
    const v = BigInt(`0x${bytes("verifier", 448).toString("hex")}`) % SRP_N;
    return {
      saltHex: bytes("salt", 16).toString("hex"),
      verifierHex: (v === 0n ? 1n : v).toString(16),
    };
  }
}
