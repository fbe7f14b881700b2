/**
 * Cognito's USER_SRP_AUTH (DESIGN §12): the password proven without being sent, in two steps
 * of the sign-in conversation (identity/signIn.ts runs them; the math is tokens/srp.ts):
 *
 *   InitiateAuth USER_SRP_AUTH, SRP_A            (also USER_AUTH with PASSWORD_SRP)
 *     → PASSWORD_VERIFIER: SALT, SRP_B, SECRET_BLOCK, USERNAME, USER_ID_FOR_SRP — no Session,
 *       as Cognito: the client echoes SECRET_BLOCK instead
 *   RespondToAuthChallenge PASSWORD_VERIFIER: USERNAME, PASSWORD_CLAIM_SECRET_BLOCK,
 *       TIMESTAMP, PASSWORD_CLAIM_SIGNATURE
 *     → the same path as a right password (user state, NEW_PASSWORD_REQUIRED, MFA, tokens)
 *
 * SECRET_BLOCK is the standard Base64 of a challenge reference (identity/challenges.ts) sealed
 * under its own typ. It names a challenge row (user, client, requested scopes, 3 minutes or the
 * client's AuthSessionValidity) and carries, sealed, the server's secret b and the client's A:
 * b never reaches the store, and a secret block is single use because its row is spent when it
 * is answered — right or wrong — before the signature is checked. A second guess needs a new
 * InitiateAuth.
 *
 * A name no user has gets the same answer: a salt and verifier made up from the name under a
 * key of the pool's (identity/srpVerifiers.ts; the same salt on every call, as a user's), a
 * fresh b and B as for anyone, and a stateless reference of the same length — no row, so made-up
 * names cost the store nothing. A user whose password predates SRP (no verifier yet) gets the
 * made-up values too, with a row as any user. Their answers fail as a wrong password does
 * (NOT_AUTHORIZED), after the same work, counted on the same lockout counter, before checking.
 */
import { randomUUID } from "node:crypto";
import { PoolgateError } from "../errors";
import type { UserRecord } from "../store/store";
import {
  isSrpTimestampFresh,
  isUsableSrpA,
  parseSrpTimestamp,
  SRP_TIMESTAMP_SKEW_MS,
  srpServerStart,
  srpServerVerify,
} from "../tokens/srp";
import {
  invalidSession,
  isStatelessStep,
  type ChallengeSessions,
  type Sealing,
} from "./challenges";
import type { IdentityDeps } from "./deps";
import { canonicalUsername } from "./usernames";
import type { ClientView } from "./views";

const WRONG_CREDENTIALS = "Incorrect username or password.";
/** Longest SRP_A taken: 3072 bits are 768 hex digits; a little room for leading zeros. */
const MAX_SRP_A_HEX = 1024;

/**
 * The SECRET_BLOCK's sealing. Its largest plaintext — a stateless reference with a 128-character
 * client id, a 128-character name of 4-byte characters (512 bytes), A of 1024 hex digits (683
 * Base64url characters), b, and B (512) so the answer need not compute it again — is about
 * 2,050 bytes; every reference is padded to 2,304, so a SECRET_BLOCK is about 4,300 characters
 * whoever it is for.
 */
export const SRP_SECRET_BLOCK: Sealing = {
  typ: "poolgate-srp-secret-block+jwe",
  padToBytes: 2304,
  maxBytes: 4096,
};
/** Longest PASSWORD_CLAIM_SECRET_BLOCK read: Base64 of the longest reference. */
const MAX_SECRET_BLOCK_CHARS = Math.ceil(SRP_SECRET_BLOCK.maxBytes / 3) * 4;

function badInput(message: string): PoolgateError {
  return new PoolgateError("BAD_USER_INPUT", message);
}

function wrongCredentials(why: string): PoolgateError {
  return new PoolgateError("NOT_AUTHORIZED", WRONG_CREDENTIALS, { logDetail: `sign-in: ${why}` });
}

function required(responses: Readonly<Record<string, string>>, name: string): string {
  const value = responses[name];
  if (typeof value !== "string" || value === "")
    throw badInput(`Missing required parameter ${name}`);
  return value;
}

const hexToB64 = (hex: string) =>
  Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex").toString("base64url");
const b64ToHex = (b64: string) => Buffer.from(b64, "base64url").toString("hex");

/**
 * The reference a PASSWORD_CLAIM_SECRET_BLOCK holds, or "" (which opens as nothing): only the
 * one canonical Base64 spelling is read, as the signature covers the decoded bytes.
 */
function referenceIn(block: string): string {
  if (block.length > MAX_SECRET_BLOCK_CHARS) return "";
  const bytes = Buffer.from(block, "base64");
  return bytes.toString("base64") === block ? bytes.toString("utf8") : "";
}

/** What a right PASSWORD_VERIFIER answer proves: this user, for this conversation. */
export interface SrpProof {
  user: UserRecord;
  requestedScopes: readonly string[] | null;
}

export class SrpSignIn {
  constructor(
    private readonly d: IdentityDeps,
    private readonly challenges: ChallengeSessions,
  ) {}

  /** The first step: PASSWORD_VERIFIER's ChallengeParameters for `rawUsername` and the client's A. */
  async start(
    client: ClientView,
    rawUsername: string,
    srpA: string | null | undefined,
    requested: readonly string[] | null,
  ): Promise<Record<string, string>> {
    if (srpA === null || srpA === undefined || srpA === "")
      throw badInput("Missing required parameter SRP_A");
    // RFC 5054 §2.5.4: A ≡ 0 (mod N) makes the shared secret 0, whatever the password.
    if (srpA.length > MAX_SRP_A_HEX || !isUsableSrpA(srpA))
      throw badInput("SRP_A must be a hexadecimal number that is not 0 modulo N");
    const username = canonicalUsername(rawUsername, this.d.config.usernameCaseSensitive);
    // No user can have such a name, so answering at once reveals nothing (as checkPassword).
    if (username === undefined) throw wrongCredentials("invalid username");
    const user = await this.d.store.getUserByUsername(username);
    const verifier = user === undefined ? undefined : await this.d.srp.open(user);
    const { saltHex, verifierHex } = verifier ?? this.d.srp.madeUp(username);
    const { bHex, BHex } = srpServerStart(verifierHex);
    // B rides along (sealed, so authentic): the answer then needs no modexp to recompute it.
    const secret = {
      b: hexToB64(bHex),
      A: hexToB64(BigInt(`0x${srpA}`).toString(16)),
      B: hexToB64(BHex),
    };
    const step = {
      sub: user?.sub ?? randomUUID(),
      clientId: client.clientId,
      challengeName: "PASSWORD_VERIFIER" as const,
      validityMinutes: client.authSessionValidityMinutes,
      context: { username },
    };
    const reference =
      user === undefined
        ? // Anyone may ask for one for any name: it must cost the store nothing.
          await this.challenges.createStateless(
            { ...step, requestedScopes: null },
            { how: SRP_SECRET_BLOCK, secret },
          )
        : (
            await this.challenges.create(
              { ...step, requestedScopes: requested },
              { how: SRP_SECRET_BLOCK, secret },
            )
          ).session;
    return {
      SALT: saltHex,
      SRP_B: BHex,
      SECRET_BLOCK: Buffer.from(reference, "utf8").toString("base64"),
      USERNAME: username,
      USER_ID_FOR_SRP: username,
    };
  }

  /**
   * The answer: the secret block opens, is this client's, unexpired and unspent (it is spent
   * now); USERNAME is the one it was issued for; TIMESTAMP is within ±5 minutes of the gateway's
   * clock; then — counted on the sign-in lockout first — the signature must be the one only the
   * password's holder can make.
   */
  async verify(client: ClientView, responses: Readonly<Record<string, string>>): Promise<SrpProof> {
    const block = required(responses, "PASSWORD_CLAIM_SECRET_BLOCK");
    const signature = required(responses, "PASSWORD_CLAIM_SIGNATURE");
    const timestamp = required(responses, "TIMESTAMP");
    const givenUsername = required(responses, "USERNAME");
    const { record, secret } = await this.challenges.openSealed(
      SRP_SECRET_BLOCK,
      referenceIn(block),
      client.clientId,
      ["PASSWORD_VERIFIER"],
    );
    const bHex = b64ToHex(secret["b"] ?? "");
    const AHex = b64ToHex(secret["A"] ?? "");
    const BHex = b64ToHex(secret["B"] ?? "");
    if (bHex === "" || AHex === "" || BHex === "")
      throw invalidSession("a secret block without its state");
    await this.challenges.spend(record);
    const username = record.context["username"] ?? "";
    if (canonicalUsername(givenUsername, this.d.config.usernameCaseSensitive) !== username)
      throw wrongCredentials("USERNAME is not the one the secret block was issued for");
    if (parseSrpTimestamp(timestamp) === undefined)
      throw badInput('TIMESTAMP must be of the form "Tue Mar 5 09:04:07 UTC 2024"');
    if (!isSrpTimestampFresh(timestamp, this.d.now()))
      throw new PoolgateError(
        "NOT_AUTHORIZED",
        `TIMESTAMP is more than ${SRP_TIMESTAMP_SKEW_MS / 60_000} minutes from the server's time.`,
        { logDetail: "sign-in: stale SRP timestamp" },
      );

    const user = await this.d.store.getUserByUsername(username);
    await this.d.lockout.reserve(
      `signin:${username}`,
      user !== undefined,
      this.d.now(),
      "Password attempts exceeded",
    );
    const ours = user !== undefined && !isStatelessStep(record) && user.sub === record.sub;
    const verifier = ours ? await this.d.srp.open(user) : undefined;
    // The same work whoever it is for: made-up values where there is no verifier.
    const { verifierHex } = verifier ?? this.d.srp.madeUp(username);
    const signed = srpServerVerify({
      poolName: this.d.srp.poolName,
      userId: username,
      AHex,
      bHex,
      BHex,
      verifierHex,
      secretBlockBase64: block,
      timestamp,
      signatureBase64: signature,
    });
    if (!signed || verifier === undefined || user === undefined)
      throw wrongCredentials(
        user === undefined
          ? "unknown user (SRP)"
          : !ours
            ? "the user changed during the conversation (SRP)"
            : verifier === undefined
              ? "no SRP verifier yet: a password sign-in makes one"
              : "wrong SRP password claim",
      );
    return { user, requestedScopes: record.requestedScopes };
  }
}
