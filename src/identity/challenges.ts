/**
 * Challenge sessions (DESIGN §11): the opaque `Session` a client carries from one step of a
 * sign-in conversation to the next. The client holds a JWE naming the row, its client and its
 * challenge, under a key only the gateway has; the row holds the state, so that a session is
 * spent exactly once (even across instances) and its wrong answers are counted. Whatever is
 * wrong with a session — garbled, tampered, another client's, another challenge's, expired,
 * spent, given up after too many wrong answers — the answer is one: INVALID_SESSION.
 */
import { randomUUID } from "node:crypto";
import { PoolgateError } from "../errors";
import type { ChallengeName, ChallengeRecord, ChallengeStore, UserRecord } from "../store/store";
import { seal, unsealJson } from "../tokens/sealed";
import type { IdentityDeps } from "./deps";
import type { ClientView } from "./views";

/** Cognito ends a session after this many wrong answers (each also counts towards the lockout). */
export const WRONG_ANSWERS_PER_SESSION = 3;

const CHALLENGE_TYP = "poolgate-challenge+jwe";
/** Longest Session accepted: ours are ~250 characters; anything far longer is refused unread. */
const MAX_SESSION_BYTES = 2048;

interface SessionPayload {
  /** The row; absent for a stateless step (see createStateless). */
  id?: string;
  /** A look-alike stateless step's stand-in for `id`: a random id of the same length, no row. */
  xd?: string;
  /** The app client it was issued to. */
  cid: string;
  /** The challenge it answers. */
  ch: ChallengeName;
  /** Milliseconds since the epoch after which it is void. */
  exp: number;
  /** A stateless step's state: its record's context and requested scopes. */
  st?: { c: Record<string, string>; s: string[] | null };
  /** State sealed into the reference only, never stored (see Sealing). */
  x?: Record<string, string>;
  /** Filler to the reference's fixed length (see Sealing). */
  p?: string;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    Object.values(v as Record<string, unknown>).every((value) => typeof value === "string")
  );
}

function isSessionPayload(v: unknown): v is SessionPayload {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    (o["id"] === undefined || typeof o["id"] === "string") &&
    typeof o["cid"] === "string" &&
    typeof o["ch"] === "string" &&
    typeof o["exp"] === "number" &&
    (o["x"] === undefined || isStringRecord(o["x"]))
  );
}

/**
 * A reference sealed with more than a Session carries (USER_SRP_AUTH's SECRET_BLOCK): its own
 * `typ`, so it opens as nothing else and nothing else opens as it; secret state that never
 * reaches the store (SRP's b); and one fixed length, so a reference to a row and a stateless
 * one cannot be told apart by their size.
 */
export interface Sealing {
  typ: string;
  /** The plaintext is padded to exactly this many bytes (UTF-8). */
  padToBytes: number;
  /** Longest reference opened; anything longer is refused unread. */
  maxBytes: number;
}

/** A step of createStateless: it has no row, nothing to spend and no wrong answers counted. */
export function isStatelessStep(record: ChallengeRecord): boolean {
  return record.id === "";
}

export function invalidSession(why: string): PoolgateError {
  return new PoolgateError("INVALID_SESSION", "Invalid session for the user.", {
    logDetail: `challenge session: ${why}`,
  });
}

/**
 * For a step where a user gets a row and a stranger a stateless stand-in (a passwordless code):
 * both Sessions carry the same fields with values of the same lengths — the row's id and a
 * random one, the same state — so the (encrypted) Session's length cannot tell them apart.
 */
export interface LookAlike {
  lookAlike?: boolean;
}

function stateOf(
  challenge: Pick<NewChallenge, "context" | "sub" | "requestedScopes">,
): NonNullable<SessionPayload["st"]> {
  return {
    c: { ...(challenge.context ?? {}), sub: challenge.sub },
    s: challenge.requestedScopes === null ? null : [...challenge.requestedScopes],
  };
}

export interface NewChallenge {
  sub: string;
  clientId: string;
  challengeName: ChallengeName;
  /** AuthSessionValidity of the client, in minutes. */
  validityMinutes: number;
  requestedScopes: readonly string[] | null;
  codeHash?: string | null;
  context?: Record<string, string>;
}

export class ChallengeSessions {
  constructor(
    private readonly store: ChallengeStore,
    private readonly key: Uint8Array,
    private readonly now: () => number,
  ) {}

  /**
   * Records a new step and returns its sealed Session (or, with `sealing`, its sealed reference
   * carrying `secret` too).
   */
  async create(
    challenge: NewChallenge,
    sealing?: { how: Sealing; secret: Record<string, string> },
    options: LookAlike = {},
  ): Promise<{ session: string; record: ChallengeRecord }> {
    const nowMs = this.now();
    const record: ChallengeRecord = {
      id: randomUUID(),
      sub: challenge.sub,
      clientId: challenge.clientId,
      challengeName: challenge.challengeName,
      requestedScopes: challenge.requestedScopes === null ? null : [...challenge.requestedScopes],
      codeHash: challenge.codeHash ?? null,
      context: { ...(challenge.context ?? {}) },
      wrongAnswers: 0,
      createdAtMs: nowMs,
      expiresAtMs: nowMs + challenge.validityMinutes * 60_000,
      spentAtMs: null,
    };
    await this.store.createChallenge(record);
    const payload: SessionPayload = {
      id: record.id,
      cid: record.clientId,
      ch: record.challengeName,
      exp: record.expiresAtMs,
      // The row is what counts; the same state rides along only so that the Session is as
      // long as a stateless stand-in's (see LookAlike).
      ...(options.lookAlike ? { st: stateOf(challenge) } : {}),
    };
    return { session: await this.sealPayload(payload, sealing), record };
  }

  /**
   * A step with no row, for a step anyone may ask for without a credential (USER_AUTH's
   * SELECT_CHALLENGE): made-up usernames must not grow the store (the lesson of issue 12 #4).
   * Its answer is a password, guarded by the sign-in lockout; it is not single use, and its
   * wrong answers are not counted on it. Everything it needs travels sealed in the Session.
   */
  async createStateless(
    challenge: Omit<NewChallenge, "codeHash">,
    sealing?: { how: Sealing; secret: Record<string, string> },
    options: LookAlike = {},
  ): Promise<string> {
    const payload: SessionPayload = {
      ...(options.lookAlike ? { xd: randomUUID() } : {}),
      cid: challenge.clientId,
      ch: challenge.challengeName,
      exp: this.now() + challenge.validityMinutes * 60_000,
      st: stateOf(challenge),
    };
    return this.sealPayload(payload, sealing);
  }

  private async sealPayload(
    payload: SessionPayload,
    sealing: { how: Sealing; secret: Record<string, string> } | undefined,
  ): Promise<string> {
    if (sealing === undefined) return seal(this.key, CHALLENGE_TYP, JSON.stringify(payload));
    const full: SessionPayload = { ...payload, x: { ...sealing.secret }, p: "" };
    const bytes = Buffer.byteLength(JSON.stringify(full), "utf8");
    // Callers bound what they seal well below the padded size; past it is a bug, not input.
    if (bytes > sealing.how.padToBytes)
      throw new Error(`sealed challenge state of ${bytes} bytes exceeds ${sealing.how.padToBytes}`);
    full.p = " ".repeat(sealing.how.padToBytes - bytes);
    return seal(this.key, sealing.how.typ, JSON.stringify(full));
  }

  /**
   * The open step a Session names, checked against who presents it: the app client (undefined
   * when the operation names none, as AssociateSoftwareToken) and the challenge being answered
   * (undefined: any). Throws INVALID_SESSION otherwise.
   */
  async open(
    session: string,
    clientId: string | undefined,
    expected: readonly ChallengeName[] | undefined,
  ): Promise<ChallengeRecord> {
    const { record } = await this.openAs(
      CHALLENGE_TYP,
      MAX_SESSION_BYTES,
      session,
      clientId,
      expected,
    );
    return record;
  }

  /** `open` for a reference made with `sealing`: the step and the secret sealed into it. */
  openSealed(
    how: Sealing,
    reference: string,
    clientId: string,
    expected: readonly ChallengeName[],
  ): Promise<{ record: ChallengeRecord; secret: Record<string, string> }> {
    return this.openAs(how.typ, how.maxBytes, reference, clientId, expected);
  }

  private async openAs(
    typ: string,
    maxBytes: number,
    session: string,
    clientId: string | undefined,
    expected: readonly ChallengeName[] | undefined,
  ): Promise<{ record: ChallengeRecord; secret: Record<string, string> }> {
    const payload = await unsealJson(this.key, typ, session, maxBytes, isSessionPayload);
    if (payload === undefined) throw invalidSession("not a session of this pool");
    if (clientId !== undefined && payload.cid !== clientId)
      throw invalidSession("issued to another client");
    if (expected !== undefined && !expected.includes(payload.ch))
      throw invalidSession(`issued for ${payload.ch}`);
    const nowMs = this.now();
    if (payload.exp <= nowMs) throw invalidSession("expired");
    const secret = payload.x ?? {};
    if (payload.id === undefined) return { record: this.statelessRecord(payload), secret };
    const record = await this.store.getChallenge(payload.id);
    if (record === undefined) throw invalidSession("unknown");
    // The row must say what the sealed reference says: a mismatch is a bug or tampering.
    if (record.clientId !== payload.cid || record.challengeName !== payload.ch)
      throw invalidSession("does not match its record");
    if (record.spentAtMs !== null) throw invalidSession("already used");
    if (record.expiresAtMs <= nowMs) throw invalidSession("expired");
    return { record, secret };
  }

  private statelessRecord(payload: SessionPayload): ChallengeRecord {
    const { sub = "", ...context } = payload.st?.c ?? {};
    return {
      id: "",
      sub,
      clientId: payload.cid,
      challengeName: payload.ch,
      requestedScopes: payload.st?.s ?? null,
      codeHash: null,
      context,
      wrongAnswers: 0,
      createdAtMs: payload.exp,
      expiresAtMs: payload.exp,
      spentAtMs: null,
    };
  }

  /** Spends the step; of two concurrent answers only one gets past this (INVALID_SESSION). */
  async spend(record: ChallengeRecord): Promise<void> {
    if (isStatelessStep(record)) return; // stateless: nothing to spend
    if (!(await this.store.spendChallenge(record.id, this.now())))
      throw invalidSession("already used");
  }

  /**
   * Counts a wrong answer on the step; at WRONG_ANSWERS_PER_SESSION it is spent. The caller
   * then answers the mismatch as usual (the session is still good for another try, as
   * Cognito's, until the limit).
   */
  async wrongAnswer(record: ChallengeRecord): Promise<void> {
    if (isStatelessStep(record)) return; // stateless: the sign-in lockout counts it
    await this.store.countWrongAnswer(record.id, this.now(), WRONG_ANSWERS_PER_SESSION);
  }
}

/** The user a step is for, as the store has it now (a disabled or deleted one goes no further). */
export async function stepUser(
  d: Pick<IdentityDeps, "store" | "revocations">,
  record: ChallengeRecord,
): Promise<UserRecord> {
  const user = await d.store.getUserBySub(record.sub);
  if (user === undefined || !user.enabled || d.revocations.isUserBlocked(record.sub))
    throw new PoolgateError("NOT_AUTHORIZED", "User is disabled.", {
      logDetail: "sign-in: the user was disabled or deleted during the conversation",
    });
  return user;
}

/** The app client a step was issued to, if it is still enabled (else the session is void). */
export async function stepClient(
  d: Pick<IdentityDeps, "clients" | "revocations">,
  record: ChallengeRecord,
): Promise<ClientView> {
  const client = await d.clients.get(record.clientId);
  if (client === undefined || !client.enabled || d.revocations.isClientBlocked(client.clientId))
    throw invalidSession("its client is disabled or gone");
  return client;
}
