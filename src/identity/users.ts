/**
 * Users: creation (by an admin or by self sign-up with a confirmation code), password
 * changes, groups, and the admin switches that take effect on the next request.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { MessageSender } from "../delivery/message";
import { PoolgateError } from "../errors";
import {
  StoreConflictError,
  type ChangeNote,
  type UserFilter,
  type UserRecord,
} from "../store/store";
import { isKnownAttributeName } from "../tokens/claims";
import { CodeHasher, newCode, sendOrUndo } from "./codes";
import type { IdentityDeps } from "./deps";
import { assertPasswordPolicy, type PasswordPolicy } from "./passwords";
import type { SessionService } from "./sessions";
import { storedPassword } from "./storedPassword";
import { canonicalUsername, canonicalUsernamePrefix, requireValidUsername } from "./usernames";
import { userView, type UserView } from "./views";

/** ListUsers' one condition (store/parts/users.ts), for the front doors that parse one. */
export type { UserFilter };

export interface NewUserInput {
  username: string;
  password: string;
  attributes?: Readonly<Record<string, string>>;
  groups?: readonly string[];
}

/**
 * AdminCreateUser (DESIGN §11): a permanent `password` makes a confirmed user at once (poolgate's
 * shortcut); otherwise the user starts in FORCE_CHANGE_PASSWORD with `temporaryPassword`, or
 * one generated and sent in an invitation. `messageAction`: SUPPRESS sends nothing, RESEND gives
 * an existing FORCE_CHANGE_PASSWORD user a new temporary password and invitation.
 */
export interface AdminCreateUserInput {
  username: string;
  password?: string | null;
  temporaryPassword?: string | null;
  attributes?: Readonly<Record<string, string>>;
  groups?: readonly string[];
  messageAction?: "RESEND" | "SUPPRESS" | null;
}

const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
const SYMBOLS = "^$*.[]{}()?!@#%&/,><:;|_~=+-";

/**
 * A temporary password that meets any policy this pool can have: 16 characters (or the
 * minimum length, if longer) with every character class, from the CSPRNG.
 */
export function generateTemporaryPassword(minLength: number): string {
  const pick = (set: string) => set[randomInt(0, set.length)]!;
  const all = LOWER + UPPER + DIGITS + SYMBOLS;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < Math.max(16, minLength)) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

const GROUP = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
const CONFIRMATION_CODE_LIFETIME_MS = 24 * 3600 * 1000;

export function validateGroupName(group: string): void {
  if (!GROUP.test(group))
    throw new PoolgateError(
      "BAD_USER_INPUT",
      "Group name must be 1 to 128 characters without spaces",
    );
}

export function validateAttributes(
  attributes: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (!isKnownAttributeName(name))
      throw new PoolgateError("BAD_USER_INPUT", `Unknown attribute "${name.slice(0, 64)}"`);
    // No control characters: PostgreSQL text cannot even hold NUL.
    if (
      typeof value !== "string" ||
      value.length > 2048 ||
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value)
    ) {
      throw new PoolgateError(
        "BAD_USER_INPUT",
        `Attribute "${name}" must be a string of at most 2048 characters`,
      );
    }
    if (
      (name === "email_verified" || name === "phone_number_verified") &&
      value !== "true" &&
      value !== "false"
    ) {
      throw new PoolgateError("BAD_USER_INPUT", `Attribute "${name}" must be "true" or "false"`);
    }
    out[name] = value;
  }
  return out;
}

/**
 * A change to what `me` shows (groups, confirmation): written with the change, so every other
 * instance drops its copy through the change feed; this one drops its own after the write.
 */
function userChanged(sub: string, atMs: number): ChangeNote {
  return { kind: "user_changed", subject: sub, atMs };
}

export class UserService {
  private readonly codes: CodeHasher;

  constructor(
    private readonly d: IdentityDeps,
    private readonly sessions: SessionService,
    private readonly sender: MessageSender,
  ) {
    this.codes = new CodeHasher(d.secrets.storageHashKey);
  }

  private get policy(): PasswordPolicy {
    return { minLength: this.d.config.passwordMinLength, require: this.d.config.passwordRequire };
  }

  /** The canonical form of a username that enters here (identity/usernames.ts), or undefined. */
  private canonical(username: string): string | undefined {
    return canonicalUsername(username, this.d.config.usernameCaseSensitive);
  }

  private confirmationDomain(username: string): string {
    return `confirmation-code:${username}`;
  }

  private async insert(
    input: NewUserInput,
    confirmed: boolean,
    options: { code?: string; temporary?: boolean } = {},
  ): Promise<UserRecord> {
    const { code, temporary = false } = options;
    const username = requireValidUsername(input.username, this.d.config.usernameCaseSensitive);
    const attributes = validateAttributes(input.attributes ?? {});
    assertPasswordPolicy(this.policy, input.password);
    for (const g of input.groups ?? []) validateGroupName(g);
    const nowMs = this.d.now();
    const sub = randomUUID();
    const user: UserRecord = {
      sub,
      username,
      ...(await storedPassword(this.d, { sub, username }, input.password)),
      enabled: true,
      confirmed,
      passwordResetRequired: false,
      temporaryPasswordExpiresAtMs: temporary ? this.temporaryPasswordExpiry(nowMs) : null,
      attributes,
      confirmationCodeHash: code ? this.codes.hash(this.confirmationDomain(username), code) : null,
      confirmationCodeExpiresAtMs: code ? nowMs + CONFIRMATION_CODE_LIFETIME_MS : null,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    try {
      await this.d.store.createUser(user, input.groups ?? []);
    } catch (err) {
      if (err instanceof StoreConflictError)
        throw new PoolgateError("USERNAME_EXISTS", "User already exists");
      throw err;
    }
    return user;
  }

  private temporaryPasswordExpiry(nowMs: number): number {
    return nowMs + this.d.config.temporaryPasswordValidityDays * 86_400_000;
  }

  /** AdminCreateUser (see AdminCreateUserInput). */
  async adminCreate(input: AdminCreateUserInput): Promise<UserView> {
    if (input.password != null && input.temporaryPassword != null)
      throw new PoolgateError("BAD_USER_INPUT", "Give either a password or a temporary password");
    if (input.messageAction === "RESEND") return this.resendInvitation(input);
    if (input.password != null) {
      // poolgate's shortcut: a permanent password, a confirmed user, no message.
      return userView(
        await this.insert(
          {
            username: input.username,
            password: input.password,
            attributes: input.attributes ?? {},
            groups: input.groups ?? [],
          },
          true,
        ),
      );
    }
    const generated = input.temporaryPassword == null;
    const password =
      input.temporaryPassword ?? generateTemporaryPassword(this.d.config.passwordMinLength);
    const email = (input.attributes ?? {})["email"];
    const send = input.messageAction !== "SUPPRESS" && email !== undefined;
    if (generated && input.messageAction !== "SUPPRESS" && email === undefined)
      throw new PoolgateError(
        "BAD_USER_INPUT",
        "An invitation needs an email attribute: give one, or a temporary password",
      );
    const user = await this.insert(
      {
        username: input.username,
        password,
        attributes: input.attributes ?? {},
        groups: input.groups ?? [],
      },
      true,
      { temporary: true },
    );
    if (send)
      // Nobody can use a user whose invitation never left: it is not kept half-made.
      await sendOrUndo(
        this.sender,
        { kind: "invitation", to: email, username: user.username, code: password },
        () => this.d.store.deleteUser(user.sub),
      );
    return userView(user);
  }

  /** MessageAction RESEND: a new temporary password (and its full validity) for a user who has not chosen one. */
  private async resendInvitation(input: AdminCreateUserInput): Promise<UserView> {
    const username = this.canonical(input.username);
    const user =
      username === undefined ? undefined : await this.d.store.getUserByUsername(username);
    if (user === undefined) throw new PoolgateError("USER_NOT_FOUND", "User does not exist.");
    if (user.temporaryPasswordExpiresAtMs === null)
      throw new PoolgateError(
        "BAD_USER_INPUT",
        "Only a user in FORCE_CHANGE_PASSWORD can be sent a new invitation",
      );
    const email = user.attributes["email"];
    if (email === undefined)
      throw new PoolgateError("BAD_USER_INPUT", "The user has no email to send an invitation to");
    const password =
      input.temporaryPassword ?? generateTemporaryPassword(this.d.config.passwordMinLength);
    assertPasswordPolicy(this.policy, password);
    const nowMs = this.d.now();
    const expiresAtMs = this.temporaryPasswordExpiry(nowMs);
    await this.d.store.updateUser(
      user.sub,
      {
        ...(await storedPassword(this.d, user, password)),
        temporaryPasswordExpiresAtMs: expiresAtMs,
      },
      nowMs,
    );
    // A new temporary password that never reached anyone is made unusable.
    await sendOrUndo(
      this.sender,
      { kind: "invitation", to: email, username: user.username, code: password },
      () =>
        this.d.store.updateUser(user.sub, { temporaryPasswordExpiresAtMs: nowMs }, this.d.now()),
    );
    return userView({ ...user, temporaryPasswordExpiresAtMs: expiresAtMs });
  }

  /**
   * SignUp (self-registration): an unconfirmed user; the code goes by email. A sign-up whose
   * code cannot be delivered is undone (CODE_DELIVERY_FAILURE), so the name is free to retry.
   */
  async signUp(input: NewUserInput): Promise<{ user: UserView; destination: string | undefined }> {
    if (!this.d.config.selfSignUp) {
      throw new PoolgateError("NOT_AUTHORIZED", "SignUp is not permitted for this user pool");
    }
    const missing = this.d.config.requiredAttributes.filter((a) => !(input.attributes ?? {})[a]);
    if (missing.length > 0)
      throw new PoolgateError(
        "BAD_USER_INPUT",
        `Attributes did not conform to the schema: ${missing.join(", ")} is required`,
      );
    const code = newCode();
    const user = await this.insert({ ...input, groups: [] }, false, { code });
    const email = user.attributes["email"];
    if (email !== undefined)
      await sendOrUndo(
        this.sender,
        { kind: "verification", to: email, username: user.username, code },
        () => this.d.store.deleteUser(user.sub),
      );
    return { user: userView(user), destination: email };
  }

  /**
   * ConfirmSignUp. An unknown name, an already confirmed user and a wrong code get one answer
   * (CODE_MISMATCH, one message) after the same work — the code is hashed and compared in
   * every case — and all three count towards the same lockout, so usernames and their state
   * do not leak (docs/security.md §5). Wrong codes count towards a lockout of their own, so a
   * 6-digit code cannot be brute-forced.
   */
  async confirmSignUp(rawUsername: string, code: string): Promise<true> {
    const mismatch = (why: string) =>
      new PoolgateError("CODE_MISMATCH", "Invalid verification code provided, please try again.", {
        logDetail: `confirm sign-up: ${why}`,
      });
    // No user can have such a name, so answering without hashing reveals nothing.
    const username = this.canonical(rawUsername);
    if (username === undefined) throw mismatch("invalid username");
    const lockKey = `confirm:${username}`;
    const nowMs = this.d.now();
    const user = await this.d.store.getUserByUsername(username);
    await this.d.lockout.reserve(lockKey, user !== undefined, nowMs, "Too many failed attempts");
    const pending = user !== undefined && !user.confirmed ? user.confirmationCodeHash : null;
    const matches = this.codes.matches(this.confirmationDomain(username), code, pending);
    if (user === undefined || pending === null || !matches) {
      throw mismatch(
        user === undefined ? "unknown user" : user.confirmed ? "already confirmed" : "wrong code",
      );
    }
    if ((user.confirmationCodeExpiresAtMs ?? 0) <= nowMs) {
      throw new PoolgateError(
        "EXPIRED_CODE",
        "Invalid code provided, please request a code again.",
      );
    }
    await this.d.store.updateUser(
      user.sub,
      { confirmed: true, confirmationCodeHash: null, confirmationCodeExpiresAtMs: null },
      nowMs,
      userChanged(user.sub, nowMs),
    );
    this.d.directory.invalidate(user.sub);
    await this.d.lockout.clear(lockKey);
    return true;
  }

  /** How many confirmation codes were hashed and compared (the work of confirmSignUp, for tests). */
  get codeComparisons(): number {
    return this.codes.comparisons;
  }

  /**
   * ResendConfirmationCode's work for an unconfirmed user with an email: a new code replaces
   * the old one and is sent. identity/recovery.ts decides when (it answers alike for everyone).
   */
  async resendConfirmation(user: UserRecord): Promise<void> {
    const email = user.attributes["email"];
    if (user.confirmed || email === undefined) return;
    const code = newCode();
    const nowMs = this.d.now();
    const hash = this.codes.hash(this.confirmationDomain(user.username), code);
    await this.d.store.updateUser(
      user.sub,
      {
        confirmationCodeHash: hash,
        confirmationCodeExpiresAtMs: nowMs + CONFIRMATION_CODE_LIFETIME_MS,
      },
      nowMs,
    );
    // Voided only if it is still the pending code: a newer one survives.
    await sendOrUndo(
      this.sender,
      { kind: "verification", to: email, username: user.username, code },
      async () => {
        const current = await this.d.store.getUserBySub(user.sub);
        if (current?.confirmationCodeHash === hash)
          await this.d.store.updateUser(
            user.sub,
            { confirmationCodeHash: null, confirmationCodeExpiresAtMs: null },
            this.d.now(),
          );
      },
    );
  }

  /** ChangePassword: the caller proves the previous password; failures count towards the lockout. */
  async changePassword(
    sub: string,
    previousPassword: string,
    proposedPassword: string,
  ): Promise<true> {
    const user = await this.d.store.getUserBySub(sub);
    if (!user || !user.enabled)
      throw new PoolgateError("NOT_AUTHORIZED", "Incorrect username or password.");
    const lockKey = `signin:${user.username}`;
    await this.d.lockout.reserve(lockKey, true, this.d.now(), "Password attempts exceeded");
    if (!(await this.d.hasher.verify(user.passwordHash, previousPassword))) {
      throw new PoolgateError("NOT_AUTHORIZED", "Incorrect username or password.");
    }
    await this.d.lockout.clear(lockKey);
    assertPasswordPolicy(this.policy, proposedPassword);
    await this.d.store.updateUser(
      sub,
      await storedPassword(this.d, user, proposedPassword),
      this.d.now(),
    );
    return true;
  }

  /**
   * ListUsers: a page of users matching `filter` (all when undefined) in username order
   * (code points), after `afterUsername`, at most `limit`. A username value is put in
   * canonical form first, as every name that enters poolgate (identity/usernames.ts).
   */
  async list(
    filter: UserFilter | undefined,
    afterUsername: string | undefined,
    limit: number,
  ): Promise<UserView[]> {
    let query = filter;
    if (filter?.field === "username") {
      const value =
        filter.op === "="
          ? canonicalUsername(filter.value, this.d.config.usernameCaseSensitive)
          : canonicalUsernamePrefix(filter.value, this.d.config.usernameCaseSensitive);
      // No user can have such a name.
      if (value === undefined) return [];
      query = { ...filter, value };
    }
    return (await this.d.store.listUsers(query, afterUsername, limit)).map(userView);
  }

  /** The user's groups, sorted by code unit (as in tokens). */
  async groupsOf(username: string): Promise<string[]> {
    const user = await this.require(username);
    const [groups] = await this.d.store.getGroupsForUsers([user.sub]);
    return groups ?? [];
  }

  async find(username: string): Promise<UserView | undefined> {
    const name = this.canonical(username);
    const user = name === undefined ? undefined : await this.d.store.getUserByUsername(name);
    return user && userView(user);
  }

  /** The stored record, for identity services only (never handed to a front door). */
  async record(username: string): Promise<UserRecord> {
    const name = this.canonical(username);
    const user = name === undefined ? undefined : await this.d.store.getUserByUsername(name);
    if (!user) throw new PoolgateError("USER_NOT_FOUND", "User does not exist.");
    return user;
  }

  async require(username: string): Promise<UserView> {
    const user = await this.find(username);
    if (!user) throw new PoolgateError("USER_NOT_FOUND", "User does not exist.");
    return user;
  }

  /** Disabling rejects the user's tokens and refreshes at once (DESIGN §3). */
  async setEnabled(username: string, enabled: boolean): Promise<UserView> {
    const user = await this.require(username);
    const nowMs = this.d.now();
    await this.d.store.updateUser(user.sub, { enabled }, nowMs, {
      kind: enabled ? "user_unblocked" : "user_blocked",
      subject: user.sub,
      atMs: nowMs,
    });
    this.d.revocations.markUserBlocked(user.sub, !enabled);
    if (!enabled) await this.sessions.signOutEverywhere(user.sub, "user_disabled");
    return { ...user, enabled };
  }

  async delete(username: string): Promise<void> {
    const user = await this.require(username);
    // Sessions first: a delete that fails after them leaves the user signed out, never a
    // deleted user whose sessions live on. Blocked here only once the store has the change.
    await this.sessions.signOutEverywhere(user.sub, "user_deleted");
    const nowMs = this.d.now();
    await this.d.store.deleteUser(user.sub, {
      kind: "user_blocked",
      subject: user.sub,
      atMs: nowMs,
    });
    this.d.revocations.markUserBlocked(user.sub, true);
  }

  /** DeleteUser: a signed-in user deletes themselves (sessions first, as delete does). */
  async deleteSelf(sub: string): Promise<void> {
    const [user] = await this.d.directory.usersBySubs([sub]);
    if (!user) throw new PoolgateError("USER_NOT_FOUND", "User does not exist.");
    await this.delete(user.username);
  }

  async addToGroup(username: string, group: string): Promise<void> {
    validateGroupName(group);
    const user = await this.require(username);
    await this.d.store.addUserToGroup(user.sub, group, userChanged(user.sub, this.d.now()));
    this.d.directory.invalidate(user.sub);
  }

  async removeFromGroup(username: string, group: string): Promise<void> {
    validateGroupName(group);
    const user = await this.require(username);
    await this.d.store.removeUserFromGroup(user.sub, group, userChanged(user.sub, this.d.now()));
    this.d.directory.invalidate(user.sub);
  }

  /**
   * AdminSetUserPassword. Permanent: the user's password from now on (a pending reset or
   * temporary password is over). Not permanent: a temporary password, as Cognito's — the user
   * is in FORCE_CHANGE_PASSWORD and must choose a new one at the next sign-in.
   */
  async setPassword(username: string, password: string, permanent: boolean): Promise<void> {
    const user = await this.require(username);
    assertPasswordPolicy(this.policy, password);
    const nowMs = this.d.now();
    await this.d.store.updateUser(
      user.sub,
      {
        ...(await storedPassword(this.d, user, password)),
        passwordResetRequired: false,
        temporaryPasswordExpiresAtMs: permanent ? null : this.temporaryPasswordExpiry(nowMs),
      },
      nowMs,
      userChanged(user.sub, nowMs),
    );
    this.d.directory.invalidate(user.sub);
  }

  /** AdminResetUserPassword: the next sign-in fails with PASSWORD_RESET_REQUIRED. */
  async requirePasswordReset(username: string): Promise<void> {
    const user = await this.require(username);
    await this.d.store.updateUser(user.sub, { passwordResetRequired: true }, this.d.now());
  }
}
