import type { ChangeNote } from "./feed";
import type { UserPatch } from "./users";

/** What a one-time code proves (sign-up confirmation keeps its own columns on the user). */
export type CodePurpose = "forgot_password" | "verify_email";

/** A pending one-time code: only its storage hash is kept, never the code. */
export interface CodeRecord {
  sub: string;
  purpose: CodePurpose;
  codeHash: string;
  createdAtMs: number;
  expiresAtMs: number;
}

/** One-time codes sent to users (recovery, attribute verification): at most one per purpose. */
export interface CodeStore {
  /** Replaces any pending code of the same user and purpose (the last code sent is the one that works). */
  putCode(code: CodeRecord): Promise<void>;
  getCode(sub: string, purpose: CodePurpose): Promise<CodeRecord | undefined>;
  /** Deletes the pending code only if its hash is still `codeHash` (a newer code survives) → whether it did. */
  deleteCode(sub: string, purpose: CodePurpose, codeHash: string): Promise<boolean>;
  /**
   * Spends a code and applies what it proves, in one transaction: if the pending code of
   * (sub, purpose) has the hash `codeHash` and `expiresAtMs > nowMs`, deletes it, applies
   * `patch` to the user (updatedAtMs = nowMs) and appends `change` → true; otherwise changes
   * nothing → false. So no password is ever changed without its code being spent, and no code
   * is spent twice, whatever runs concurrently.
   */
  redeemCode(
    sub: string,
    purpose: CodePurpose,
    codeHash: string,
    nowMs: number,
    patch: UserPatch,
    change?: ChangeNote,
  ): Promise<boolean>;
}
