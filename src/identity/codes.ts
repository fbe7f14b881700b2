/**
 * One-time codes sent to people (sign-up, recovery, attribute verification, email MFA): six
 * digits from the CSPRNG, kept only as a storage hash (tokens/secrets.ts) whose domain names
 * what the code is for and for whom, so a code sent for one purpose or one address never
 * matches another. Comparisons are constant-time and happen even when nothing is pending
 * (against a hash no code yields), so a caller's timing does not tell whether a code exists.
 */
import { randomBytes, randomInt } from "node:crypto";
import { DeliveryError, type Message, type MessageSender } from "../delivery/message";
import { PoolgateError } from "../errors";
import { safeEqual, storageHash } from "../tokens/secrets";

/**
 * What a name no code goes to is told it went to: a masked address made up from the name under
 * a key of the pool's — the same on every call, of the form a real one has (a***@e***.com).
 */
export function madeUpDestination(key: Uint8Array, name: string): string {
  const letters = storageHash(key, "made-up-destination", name)
    .toLowerCase()
    .replace(/[^a-z]/g, "");
  return `${letters[0] ?? "a"}***@${letters[1] ?? "e"}***.com`;
}

/** A fresh six-digit code, leading zeros kept. */
export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

export class CodeHasher {
  /** The shape of a code hash, yielded by no code: compared against when nothing is pending. */
  private readonly unmatchable = randomBytes(32).toString("base64url");
  /** How many codes were hashed and compared (the work of a check, for tests). */
  comparisons = 0;

  constructor(private readonly key: Uint8Array) {}

  /** The storage hash of `code` for `domain` (e.g. `forgot-password:<sub>`). */
  hash(domain: string, code: string): string {
    return storageHash(this.key, domain, code);
  }

  /**
   * Whether `code` is the one whose hash is `expected` (undefined/null: nothing pending, always
   * false after the same work). Codes longer than 64 characters are cut before hashing: the
   * caller chooses no work.
   */
  matches(domain: string, code: string, expected: string | null | undefined): boolean {
    this.comparisons++;
    const ok = safeEqual(this.hash(domain, code.slice(0, 64)), expected ?? this.unmatchable);
    return ok && expected !== null && expected !== undefined;
  }
}

/**
 * Sends a message whose code must work only if it arrived: a failed delivery runs `undo`
 * (which voids what the message carried: the code, the temporary password, the user made for
 * it) and is CODE_DELIVERY_FAILURE. The log line names the message kind and the sender's
 * detail, never the code or the address.
 */
export async function sendOrUndo(
  sender: MessageSender,
  message: Message,
  undo: () => Promise<unknown>,
): Promise<void> {
  try {
    await sender.send(message);
  } catch (err) {
    await undo();
    const detail = err instanceof DeliveryError ? err.detail : "unexpected sender failure";
    throw new PoolgateError("CODE_DELIVERY_FAILURE", "Unable to deliver the code.", {
      logDetail: `delivery (${message.kind}): ${detail}`,
    });
  }
}
