#!/usr/bin/env node
/**
 * How test/data/srp/vectors.json was made: SRP test vectors computed by the REAL client
 * library, amazon-cognito-identity-js (the version in package-lock.json), with none of
 * poolgate's code. Run from the repository root:
 *
 *   node test/data/srp/generate.js > test/data/srp/vectors.json
 *
 * For each vector, with fixed inputs (pool name, user id, password, salt, the client's secret
 * `a`, the server's secret `b`, a secret block and a time):
 *   - the verifier v = g^x with x computed by the library's own primitives, exactly as its
 *     getPasswordAuthenticationKey computes x (hash, hexHash, padHex, BigInteger.modPow);
 *   - the server's B = k·v + g^b mod N with the library's BigInteger and k;
 *   - A by the library's AuthenticationHelper, whose random `a` is replaced by a fixed one by
 *     overriding `generateRandomSmallA` on its prototype (here only);
 *   - the HKDF key by the library's getPasswordAuthenticationKey(userId, password, B, salt);
 *   - TIMESTAMP by the library's DateHelper.getNowString under a stubbed Date;
 *   - PASSWORD_CLAIM_SIGNATURE as CognitoUser.authenticateUserDefaultAuth computes it:
 *     Base64(HMAC-SHA256(key, poolName || userId || base64decode(SECRET_BLOCK) || TIMESTAMP)),
 *     through the same @aws-crypto/sha256-js HMAC it uses.
 *
 * `a` and `b` are derived from a label and a counter (SHA-256), and the counter is moved on
 * until the vector has the property it is made for (e.g. A, B or S starting with a byte of
 * 0x80–0xFF, where padHex prepends "00"; S or u with a leading zero nibble, where padHex
 * prepends "0"), so the vectors cover every branch of padHex. The output is deterministic.
 */
"use strict";
const { createHash } = require("node:crypto");
const { Buffer } = require("node:buffer");
const AuthenticationHelper = require("amazon-cognito-identity-js/lib/AuthenticationHelper").default;
const BigInteger = require("amazon-cognito-identity-js/lib/BigInteger").default;
const DateHelper = require("amazon-cognito-identity-js/lib/DateHelper").default;
const { Sha256 } = require("@aws-crypto/sha256-js");

/** `bytes` pseudo-random bytes from a label and a counter (SHA-256 in counter mode), as hex. */
function derived(label, counter, bytes) {
  let out = "";
  for (let block = 0; out.length < bytes * 2; block++)
    out += createHash("sha256").update(`${label}/${counter}/${block}`).digest("hex");
  return out.slice(0, bytes * 2);
}

/** The library's client for a fixed `a` (its random source overridden for this call only). */
function helperWithSmallA(poolName, aHex) {
  const original = AuthenticationHelper.prototype.generateRandomSmallA;
  AuthenticationHelper.prototype.generateRandomSmallA = () => new BigInteger(aHex, 16);
  try {
    return new AuthenticationHelper(poolName);
  } finally {
    AuthenticationHelper.prototype.generateRandomSmallA = original;
  }
}

/** The library's DateHelper.getNowString at `ms`. */
function nowStringAt(ms) {
  const RealDate = global.Date;
  global.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
  };
  try {
    return new DateHelper().getNowString();
  } finally {
    global.Date = RealDate;
  }
}

function syncModPow(base, exponent, modulus) {
  let out;
  const sync = base.modPow(exponent, modulus, (err, value) => {
    if (err) throw err;
    out = value;
  });
  return out ?? sync;
}

function vectorFor(spec, counter) {
  const { poolName, userId, password, saltHex } = spec;
  const aHex = derived(`${spec.name}/a`, counter, 128);
  const bHex = derived(`${spec.name}/b`, counter, 32);
  const helper = helperWithSmallA(poolName, aHex);
  const N = helper.N;
  const g = helper.g;

  // x and v as getPasswordAuthenticationKey computes x.
  const salt = new BigInteger(saltHex, 16);
  const usernamePasswordHash = helper.hash(`${poolName}${userId}:${password}`);
  const x = new BigInteger(helper.hexHash(helper.padHex(salt) + usernamePasswordHash), 16);
  const v = syncModPow(g, x, N);

  // The server's B, with the library's k.
  const b = new BigInteger(bHex, 16);
  const B = helper.k
    .multiply(v)
    .add(syncModPow(g, b, N))
    .mod(N);

  let A;
  helper.getLargeAValue((err, value) => {
    if (err) throw err;
    A = value;
  });

  let key;
  helper.getPasswordAuthenticationKey(userId, password, B, salt, (err, value) => {
    if (err) throw err;
    key = value;
  });
  // The library keeps u (UValue); S is recomputed the server's way only to record it.
  const u = helper.UValue;
  const S = syncModPow(A.multiply(syncModPow(v, u, N)), b, N);

  const timestamp = nowStringAt(spec.timeMs);
  const secretBlock = Buffer.from(derived(`${spec.name}/secret-block`, 0, 96), "hex").toString(
    "base64",
  );
  const hmac = new Sha256(key);
  hmac.update(
    Buffer.concat([
      Buffer.from(poolName, "utf8"),
      Buffer.from(userId, "utf8"),
      Buffer.from(secretBlock, "base64"),
      Buffer.from(timestamp, "utf8"),
    ]),
  );
  const signature = Buffer.from(hmac.digestSync()).toString("base64");

  return {
    name: spec.name,
    property: spec.property,
    poolName,
    userId,
    password,
    saltHex,
    verifierHex: v.toString(16),
    aHex,
    AHex: A.toString(16), // as CognitoUser sends SRP_A
    bHex,
    BHex: B.toString(16),
    uHex: u.toString(16),
    SHex: S.toString(16),
    keyHex: Buffer.from(key).toString("hex"),
    secretBlock,
    timestamp,
    signature,
    padded: {
      A: helper.padHex(A),
      B: helper.padHex(B),
      S: helper.padHex(S),
      u: helper.padHex(u),
      salt: helper.padHex(salt),
    },
  };
}

const highBit = (hex) => /^[89a-f]/.test(hex.length % 2 ? `0${hex}` : hex);
const oddLength = (hex) => hex.length % 2 === 1;

const SPECS = [
  {
    name: "A-high-bit",
    property: "A starts with a byte of 0x80-0xFF (padHex prepends 00)",
    poolName: "AbC123",
    userId: "alice",
    password: "Correct-h0rse!",
    saltHex: "6b1f0e9c2a7d4b3e8f01a2b3c4d5e6f7",
    timeMs: Date.UTC(2024, 2, 5, 9, 4, 7), // a one-digit day
    ok: (v) => highBit(v.AHex),
  },
  {
    name: "B-and-S-high-bit",
    property: "B and S start with a byte of 0x80-0xFF",
    poolName: "AbC123",
    userId: "alice",
    password: "Correct-h0rse!",
    saltHex: "6b1f0e9c2a7d4b3e8f01a2b3c4d5e6f7",
    timeMs: Date.UTC(2024, 11, 31, 23, 59, 59),
    ok: (v) => highBit(v.BHex) && highBit(v.SHex),
  },
  {
    name: "all-low",
    property: "A, B, S and u start with a byte of 0x00-0x7F (no 00 prefix)",
    poolName: "poolgate",
    userId: "bob",
    password: "Another-pa55word",
    saltHex: "1234567890abcdef1234567890abcdef",
    timeMs: Date.UTC(2025, 0, 1, 0, 0, 0),
    ok: (v) => !highBit(v.AHex) && !highBit(v.BHex) && !highBit(v.SHex) && !highBit(v.uHex),
  },
  {
    name: "S-odd-length",
    property: "S has a leading zero nibble (odd-length hex: padHex prepends 0), u high bit",
    poolName: "poolgate",
    userId: "carol",
    password: "Third-pa55word!",
    saltHex: "abcdef0123456789abcdef0123456789",
    timeMs: Date.UTC(2025, 6, 14, 12, 30, 5),
    ok: (v) => oddLength(v.SHex) && highBit(v.uHex),
  },
  {
    name: "u-odd-length",
    property: "u has a leading zero nibble (the HKDF salt is padHex(u), shorter than 32 bytes)",
    poolName: "poolgate",
    userId: "dave",
    password: "Fourth-pa55word!",
    saltHex: "f3a1b2c3d4e5f60718293a4b5c6d7e8f",
    timeMs: Date.UTC(2025, 1, 28, 7, 8, 9),
    ok: (v) => oddLength(v.uHex),
  },
  {
    name: "salt-leading-zeros-unicode",
    property:
      "a salt with leading zero bytes (padHex drops them) and a non-ASCII user and password",
    poolName: "Zz9",
    userId: "jürgen.öst",
    password: "pässwörd-Ω1!",
    saltHex: "0000f1e2d3c4b5a69788796a5b4c3d2e",
    timeMs: Date.UTC(2026, 9, 10, 10, 10, 10),
    ok: () => true,
  },
];

const vectors = SPECS.map((spec) => {
  for (let counter = 0; counter < 2000; counter++) {
    const v = vectorFor(spec, counter);
    if (spec.ok(v)) return v;
  }
  throw new Error(`no vector found for ${spec.name}`);
});

const pkg = require("amazon-cognito-identity-js/package.json");
process.stdout.write(
  `${JSON.stringify(
    {
      howMade: "node test/data/srp/generate.js (see the comment at its top)",
      library: `${pkg.name}@${pkg.version}`,
      vectors,
    },
    null,
    2,
  )}\n`,
);
