// The load generator's SRP client (section 6): the client side of Cognito's USER_SRP_AUTH with
// the bytes of amazon-cognito-identity-js's AuthenticationHelper (its group, padHex, k, x, u,
// S = (B − k·gˣ)^(a + u·x), HKDF "Caldera Derived Key", the claim's HMAC), but with the modular
// exponentiation in OpenSSL (node:crypto's Diffie-Hellman) instead of the library's JavaScript
// BigInteger: the library spends about 200 ms of the load generator's core per sign-in (a
// 1024-bit a, two exponentiations in JS), which would cap the bench at ~5 sign-ins/s whatever
// the server does. Nothing of poolgate's SRP code is used here; section 6 also signs in once
// with the library itself (libraryClient) before measuring, and the server accepting this
// client's claims checks the math on every measured sign-in.
//
// The server's work does not depend on the client's choices: a (256 random bits here, 1024 in
// the library) only changes A, a number mod N like any other. A few (a, A) pairs are made up
// front and reused, and gˣ is kept per user and salt, so a sign-in costs the client one
// ~512-bit exponentiation (a + u·x), a hash, HKDF and HMAC.
"use strict";
const {
  createDiffieHellman,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
} = require("node:crypto");

const AuthenticationHelper = require("amazon-cognito-identity-js/lib/AuthenticationHelper").default;
const BigInteger = require("amazon-cognito-identity-js/lib/BigInteger").default;
const DateHelper = require("amazon-cognito-identity-js/lib/DateHelper").default;

/** The library's own helper, made once (making one computes an A in JS: ~0.1 s). */
let shared;
const library = () => (shared ??= new AuthenticationHelper("x"));

// The library's group (RFC 5054's 3072-bit N, g = 2), read from it rather than copied.
const N = BigInt(`0x${library().N.toString(16)}`);
const G = BigInt(`0x${library().g.toString(16)}`);

const hexBytes = (hex) => Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
const bytesOf = (value) => hexBytes(value.toString(16));
const sha256Hex = (data) => createHash("sha256").update(data).digest("hex");
const mod = (a) => ((a % N) + N) % N;

/** AuthenticationHelper.padHex for a non-negative number: even length, "00" before a high bit. */
function padHex(value) {
  let hex = value.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

/** H(padHex(a) || padHex(b)) as a number. */
const hashPadded = (a, b) => BigInt(`0x${sha256Hex(hexBytes(padHex(a) + padHex(b)))}`);

const K = hashPadded(N, G);

const dh = createDiffieHellman(bytesOf(N), bytesOf(G));
/** base^exponent mod N in OpenSSL (DH's shared secret with `exponent` as the private key). */
function modPow(base, exponent) {
  const b = mod(base);
  if (exponent === 0n) return 1n;
  // OpenSSL refuses these "public keys"; their powers are known.
  if (b === 0n || b === 1n) return b;
  if (b === N - 1n) return exponent % 2n === 0n ? 1n : b;
  dh.setPrivateKey(bytesOf(exponent));
  return BigInt(`0x${dh.computeSecret(bytesOf(b)).toString("hex")}`);
}

/** The library's TIMESTAMP for now ("Tue Mar 5 09:04:07 UTC 2024"). */
const nowString = () => new DateHelper().getNowString();

/**
 * One client of a pool. `begin()` starts a sign-in: its `AHex` is the SRP_A to send, its
 * `answer(parameters, password)` the PASSWORD_VERIFIER responses (the same shape as
 * libraryClient's).
 */
class FastSrpClient {
  constructor(poolName, pairs = 32) {
    this.poolName = poolName;
    this.pairs = Array.from({ length: pairs }, () => {
      const a = BigInt(`0x${randomBytes(32).toString("hex")}`);
      return { a, A: modPow(G, a) };
    });
    this.next = 0;
    /** `${userId}\n${salt}\n${password}` → { x, v }: what a client could keep between sign-ins. */
    this.users = new Map();
  }

  begin() {
    const pair = this.pairs[this.next++ % this.pairs.length];
    return {
      AHex: pair.A.toString(16),
      answer: (parameters, password) => this.answer(pair, parameters, password),
    };
  }

  /** The responses to `parameters` (SALT, SRP_B, SECRET_BLOCK, USER_ID_FOR_SRP) for one (a, A). */
  answer({ a, A }, parameters, password, timestamp = nowString()) {
    const userId = parameters.USER_ID_FOR_SRP;
    const salt = BigInt(`0x${parameters.SALT}`);
    const key = `${userId}\n${parameters.SALT}\n${password}`;
    let known = this.users.get(key);
    if (!known) {
      const inner = sha256Hex(Buffer.from(`${this.poolName}${userId}:${password}`, "utf8"));
      const x = BigInt(`0x${sha256Hex(hexBytes(padHex(salt) + inner))}`);
      known = { x, v: modPow(G, x) };
      this.users.set(key, known);
    }
    const B = BigInt(`0x${parameters.SRP_B}`);
    if (mod(B) === 0n) throw new Error("SRP_B ≡ 0 (mod N)");
    const u = hashPadded(A, B);
    if (u === 0n) throw new Error("u = 0");
    const S = modPow(mod(B - K * known.v), a + u * known.x);
    const hkdf = Buffer.from(
      hkdfSync("sha256", hexBytes(padHex(S)), hexBytes(padHex(u)), "Caldera Derived Key", 16),
    );
    const signature = createHmac("sha256", hkdf)
      .update(Buffer.from(this.poolName, "utf8"))
      .update(Buffer.from(userId, "utf8"))
      .update(Buffer.from(parameters.SECRET_BLOCK, "base64"))
      .update(Buffer.from(timestamp, "utf8"))
      .digest("base64");
    return {
      USERNAME: userId,
      PASSWORD_CLAIM_SECRET_BLOCK: parameters.SECRET_BLOCK,
      TIMESTAMP: timestamp,
      PASSWORD_CLAIM_SIGNATURE: signature,
    };
  }
}

/**
 * amazon-cognito-identity-js itself, driven as CognitoUser.authenticateUserDefaultAuth drives
 * it, in FastSrpClient's shape (its HMAC through @aws-crypto/sha256-js, the library's
 * dependency). Slow (~0.2 s a sign-in): setup only.
 */
function libraryClient(poolName) {
  const { Sha256 } = require("@aws-crypto/sha256-js");
  return {
    begin() {
      const helper = new AuthenticationHelper(poolName);
      let A;
      helper.getLargeAValue((err, value) => {
        if (err) throw err;
        A = value;
      });
      return {
        AHex: A.toString(16),
        answer(parameters, password) {
          const userId = parameters.USER_ID_FOR_SRP;
          const timestamp = nowString();
          let key;
          helper.getPasswordAuthenticationKey(
            userId,
            password,
            new BigInteger(parameters.SRP_B, 16),
            new BigInteger(parameters.SALT, 16),
            (err, value) => {
              if (err) throw err;
              key = value;
            },
          );
          const hmac = new Sha256(key);
          hmac.update(
            Buffer.concat([
              Buffer.from(poolName, "utf8"),
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
        },
      };
    },
  };
}

module.exports = { FastSrpClient, libraryClient };
