/**
 * The real client's SRP math, for tests: amazon-cognito-identity-js's AuthenticationHelper,
 * driven the way CognitoUser.authenticateUserDefaultAuth drives it (SRP_A out; SALT, SRP_B,
 * SECRET_BLOCK and USER_ID_FOR_SRP in; PASSWORD_CLAIM_SIGNATURE back). Nothing of poolgate's
 * SRP code is used here, so a test that passes proves poolgate agrees with the library.
 */
import { Buffer } from "node:buffer";

interface LibraryBigInteger {
  toString(radix: number): string;
}

interface LibraryHelper {
  N: LibraryBigInteger;
  k: LibraryBigInteger;
  padHex(value: LibraryBigInteger): string;
  getLargeAValue(callback: (err: unknown, value: LibraryBigInteger) => void): void;
  getPasswordAuthenticationKey(
    userId: string,
    password: string,
    serverB: LibraryBigInteger,
    salt: LibraryBigInteger,
    callback: (err: unknown, key: Uint8Array) => void,
  ): void;
}

// The library ships no types for these internals: required, and typed here as used.
const AuthenticationHelper = require("amazon-cognito-identity-js/lib/AuthenticationHelper")
  .default as {
  new (poolName: string): LibraryHelper;
  prototype: { generateRandomSmallA(): LibraryBigInteger };
};
const BigInteger = require("amazon-cognito-identity-js/lib/BigInteger").default as {
  new (text: string, radix: number): LibraryBigInteger;
};
const DateHelper = require("amazon-cognito-identity-js/lib/DateHelper").default as {
  new (): { getNowString(): string };
};
const { Sha256 } = require("@aws-crypto/sha256-js") as {
  Sha256: new (key?: Uint8Array) => { update(data: Uint8Array): void; digestSync(): Uint8Array };
};

export function libraryBigInteger(hex: string): LibraryBigInteger {
  return new BigInteger(hex, 16);
}

let shared: LibraryHelper | undefined;
/** One helper for the pure functions (making one computes an A: a 1024-bit exponent in JS). */
function sharedHelper(): LibraryHelper {
  shared ??= new AuthenticationHelper("x");
  return shared;
}

/** The library's padHex of a non-negative number given as hex. */
export function libraryPadHex(hex: string): string {
  return sharedHelper().padHex(libraryBigInteger(hex));
}

/** The library's constants, as hex. */
export function libraryGroup(): { NHex: string; kHex: string } {
  const helper = sharedHelper();
  return { NHex: helper.N.toString(16), kHex: helper.k.toString(16) };
}

/** The library's TIMESTAMP for now (DateHelper.getNowString). */
export function libraryNowString(): string {
  return new DateHelper().getNowString();
}

export interface ChallengeParameters {
  SALT: string;
  SRP_B: string;
  SECRET_BLOCK: string;
  USER_ID_FOR_SRP: string;
}

/**
 * One SRP client: `AHex` is what it sends as SRP_A (a random `a` by the library's own random
 * source, or `aHex` to fix it); `answer` computes the PASSWORD_VERIFIER responses.
 */
export class LibrarySrpClient {
  private readonly helper: LibraryHelper;
  readonly AHex: string;

  constructor(
    private readonly poolName: string,
    aHex?: string,
  ) {
    if (aHex === undefined) {
      this.helper = new AuthenticationHelper(poolName);
    } else {
      const original = AuthenticationHelper.prototype.generateRandomSmallA;
      AuthenticationHelper.prototype.generateRandomSmallA = () => libraryBigInteger(aHex);
      try {
        this.helper = new AuthenticationHelper(poolName);
      } finally {
        AuthenticationHelper.prototype.generateRandomSmallA = original;
      }
    }
    let A: LibraryBigInteger | undefined;
    this.helper.getLargeAValue((err, value) => {
      if (err) throw err;
      A = value;
    });
    // As CognitoUser sends it: aValue.toString(16).
    this.AHex = A!.toString(16);
  }

  /** The ChallengeResponses CognitoUser sends for PASSWORD_VERIFIER. */
  answer(
    parameters: ChallengeParameters,
    password: string,
    timestamp: string = libraryNowString(),
  ): Record<string, string> {
    const userId = parameters.USER_ID_FOR_SRP;
    let key: Uint8Array | undefined;
    this.helper.getPasswordAuthenticationKey(
      userId,
      password,
      libraryBigInteger(parameters.SRP_B),
      libraryBigInteger(parameters.SALT),
      (err, value) => {
        if (err) throw err;
        key = value;
      },
    );
    const hmac = new Sha256(key!);
    hmac.update(
      Buffer.concat([
        Buffer.from(this.poolName, "utf8"),
        Buffer.from(userId, "utf8"),
        Buffer.from(parameters.SECRET_BLOCK, "base64"),
        Buffer.from(timestamp, "utf8"),
      ]),
    );
    return {
      USERNAME: userId,
      PASSWORD_CLAIM_SECRET_BLOCK: parameters.SECRET_BLOCK,
      TIMESTAMP: timestamp,
      PASSWORD_CLAIM_SIGNATURE: Buffer.from(hmac.digestSync()).toString("base64"),
    };
  }
}
