/**
 * Users: creation (by an admin or by self sign-up with a confirmation code), password
 * changes, groups, and the admin switches that take effect on the next request.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { DeliveryError, type MessageSender } from "../delivery/message";
import { PoolgateError } from "../errors";
import { StoreConflictError, type ChangeNote, type UserRecord } from "../store/store";
import { isKnownAttributeName } from "../tokens/claims";
import { safeEqual, storageHash } from "../tokens/secrets";
import type { IdentityDeps } from "./deps";
import { assertPasswordPolicy, type PasswordPolicy } from "./passwords";
import type { SessionService } from "./sessions";
import { canonicalUsername, requireValidUsername } from "./usernames";
import { userView, type UserView } from "./views";

export interface NewUserInput {
  username: string;
  password: string;
  attributes?: Readonly<Record<string, string>>;
  groups?: readonly string[];
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

function validateAttributes(attributes: Readonly<Record<string, string>>): Record<string, string> {
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
  private comparisons = 0;
  /** Compared against when there is no pending code: the shape of a code hash, yielded by no code. */
  private readonly unmatchableCodeHash = randomBytes(32).toString("base64url");

  constructor(
    private readonly d: IdentityDeps,
    private readonly sessions: SessionService,
    private readonly sender: MessageSender,
  ) {}

  private get policy(): PasswordPolicy {
    return { minLength: this.d.config.passwordMinLength, require: this.d.config.passwordRequire };
  }

  /** The canonical form of a username that enters here (identity/usernames.ts), or undefined. */
  private canonical(username: string): string | undefined {
    return canonicalUsername(username, this.d.config.usernameCaseSensitive);
  }

  private codeHash(username: string, code: string): string {
    return storageHash(this.d.secrets.storageHashKey, `confirmation-code:${username}`, code);
  }

  private async insert(
    input: NewUserInput,
    confirmed: boolean,
    code?: string,
  ): Promise<UserRecord> {
    const username = requireValidUsername(input.username, this.d.config.usernameCaseSensitive);
    const attributes = validateAttributes(input.attributes ?? {});
    assertPasswordPolicy(this.policy, input.password);
    for (const g of input.groups ?? []) validateGroupName(g);
    const nowMs = this.d.now();
    const user: UserRecord = {
      sub: randomUUID(),
      username,
      passwordHash: await this.d.hasher.hash(input.password),
      enabled: true,
      confirmed,
      passwordResetRequired: false,
      attributes,
      confirmationCodeHash: code ? this.codeHash(username, code) : null,
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

  /** AdminCreateUser: a confirmed user with a permanent password. */
  async adminCreate(input: NewUserInput): Promise<UserView> {
    return userView(await this.insert(input, true));
  }

  /**
   * SignUp (self-registration): an unconfirmed user; the code goes by email. A user without an
   * email gets no message (there is no SMS sender), as in Cognito. A failed delivery answers
   * CODE_DELIVERY_FAILURE and spends the code it carried; the user stays, unconfirmed.
   */
  async signUp(input: NewUserInput): Promise<{ user: UserView; destination: string | undefined }> {
    if (!this.d.config.selfSignUp) {
      throw new PoolgateError("NOT_AUTHORIZED", "SignUp is not permitted for this user pool");
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const user = await this.insert({ ...input, groups: [] }, false, code);
    const destination = user.attributes["email"];
    if (destination !== undefined) {
      try {
        await this.sender.send({
          kind: "verification",
          to: destination,
          username: user.username,
          code,
        });
      } catch (err) {
        await this.d.store.updateUser(
          user.sub,
          { confirmationCodeHash: null, confirmationCodeExpiresAtMs: null },
          this.d.now(),
        );
        if (!(err instanceof DeliveryError)) throw err;
        throw new PoolgateError(
          "CODE_DELIVERY_FAILURE",
          "The verification code could not be delivered",
          {
            logDetail: `sign-up: ${err.detail}`,
          },
        );
      }
    }
    return { user: userView(user), destination };
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
    const matches = this.codeMatches(username, code, pending ?? this.unmatchableCodeHash);
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
    return this.comparisons;
  }

  private codeMatches(username: string, code: string, expectedHash: string): boolean {
    this.comparisons++;
    return safeEqual(this.codeHash(username, code.slice(0, 64)), expectedHash);
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
      { passwordHash: await this.d.hasher.hash(proposedPassword) },
      this.d.now(),
    );
    return true;
  }

  async find(username: string): Promise<UserView | undefined> {
    const name = this.canonical(username);
    const user = name === undefined ? undefined : await this.d.store.getUserByUsername(name);
    return user && userView(user);
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

  /** AdminSetUserPassword: permanent clears a pending reset; otherwise one is required. */
  async setPassword(username: string, password: string, permanent: boolean): Promise<void> {
    const user = await this.require(username);
    assertPasswordPolicy(this.policy, password);
    await this.d.store.updateUser(
      user.sub,
      { passwordHash: await this.d.hasher.hash(password), passwordResetRequired: !permanent },
      this.d.now(),
    );
  }

  /** AdminResetUserPassword: the next sign-in fails with PASSWORD_RESET_REQUIRED. */
  async requirePasswordReset(username: string): Promise<void> {
    const user = await this.require(username);
    await this.d.store.updateUser(user.sub, { passwordResetRequired: true }, this.d.now());
  }
}
