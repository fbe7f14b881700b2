/**
 * Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane),
 * and Cognito's default password policy. Hashes are self-describing PHC strings, so a
 * change of cost applies to new hashes while old ones still verify (and are upgraded on
 * the next successful sign-in).
 */
import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { Gate, hashWorkersSupported, HashWorkers, type Argon2Options } from "./hashWorkers";

// Algorithm.Argon2id; the package exports it as an ambient const enum, unusable under isolatedModules.
const ARGON2ID = 2;
import type { PasswordRule } from "../config";
import { PoolgateError } from "../errors";

export interface PasswordHashCost {
  memoryKib: number;
  iterations: number;
}

/** Where hashes run: low-priority worker threads on Linux, libuv's pool (gated) elsewhere. */
interface Argon2Runner {
  hash(password: string, options: Argon2Options): Promise<string>;
  verify(encoded: string, password: string): Promise<boolean>;
  close(): Promise<void>;
}

function threadPoolRunner(): Argon2Runner {
  const gate = new Gate(Math.max(1, availableParallelism()));
  return {
    hash: (password, options) => gate.run(() => hash(password, options)),
    verify: (encoded, password) => gate.run(() => verify(encoded, password)),
    close: async () => {},
  };
}

export class PasswordHasher {
  /** A hash of a random password, verified for unknown users so they cost the same work. */
  private dummy: Promise<string> | undefined;
  private readonly runner: Argon2Runner = hashWorkersSupported
    ? new HashWorkers()
    : threadPoolRunner();
  /** Counts verifications (including dummy ones), for tests and metrics. */
  verifications = 0;

  constructor(private readonly cost: PasswordHashCost) {}

  hash(password: string): Promise<string> {
    return this.runner.hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.cost.memoryKib,
      timeCost: this.cost.iterations,
      parallelism: 1,
    });
  }

  async verify(encoded: string, password: string): Promise<boolean> {
    this.verifications++;
    try {
      return await this.runner.verify(encoded, password);
    } catch {
      // A corrupt stored hash is a failed sign-in, not a crash.
      return false;
    }
  }

  /** Same work as a real verification, always false: keeps unknown users indistinguishable. */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash(`dummy-${Math.random()}-${Date.now()}`);
    await this.verify(await this.dummy, password);
    return false;
  }

  /** Stops the hashing threads (the pool's close). */
  close(): Promise<void> {
    return this.runner.close();
  }

  /** True when a stored hash is cheaper than the configured cost. */
  needsRehash(encoded: string): boolean {
    const m = /\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$/.exec(encoded);
    if (!m) return true;
    return Number(m[1]) < this.cost.memoryKib || Number(m[2]) < this.cost.iterations;
  }
}

export interface PasswordPolicy {
  minLength: number;
  require: ReadonlySet<PasswordRule>;
}

const RULE_TEST: Record<PasswordRule, (pw: string) => boolean> = {
  lowercase: (pw) => /[a-z]/.test(pw),
  uppercase: (pw) => /[A-Z]/.test(pw),
  numbers: (pw) => /[0-9]/.test(pw),
  // Cognito's symbol set: ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + - and space.
  symbols: (pw) => /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/.test(pw),
};

const RULE_MESSAGE: Record<PasswordRule, string> = {
  lowercase: "Password must have lowercase characters",
  uppercase: "Password must have uppercase characters",
  numbers: "Password must have numeric characters",
  symbols: "Password must have symbol characters",
};

/** Largest password accepted: bounds the hashing work an attacker can ask for. */
export const MAX_PASSWORD_LENGTH = 256;

/** Throws INVALID_PASSWORD naming the first rule broken, as Cognito's InvalidPasswordException. */
export function assertPasswordPolicy(policy: PasswordPolicy, password: string): void {
  const broken = (message: string, rule: string) =>
    new PoolgateError("INVALID_PASSWORD", `Password does not conform to policy: ${message}`, {
      logDetail: `password policy: ${rule}`,
    });
  if ([...password].length < policy.minLength) {
    throw broken(`Password not long enough (minimum ${policy.minLength})`, "length");
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw broken(`Password too long (maximum ${MAX_PASSWORD_LENGTH})`, "max_length");
  }
  for (const rule of policy.require) {
    if (!RULE_TEST[rule](password)) throw broken(RULE_MESSAGE[rule], rule);
  }
}
