/**
 * tokens/srp.ts against the real client: the vectors in test/data/srp/vectors.json were
 * computed by amazon-cognito-identity-js alone (test/data/srp/generate.js says how), and the
 * live tests drive the library (test/support/srpClient.ts) against poolgate's server side.
 */
import { createHash, createHmac, hkdfSync } from "node:crypto";
import fc from "fast-check";
import {
  formatSrpTimestamp,
  isSrpTimestampFresh,
  isUsableSrpA,
  modPowN,
  padHex,
  parseSrpTimestamp,
  SRP_G,
  SRP_K,
  SRP_N,
  srpExpectedSignature,
  srpServerStart,
  srpServerVerify,
  srpVerifier,
  type SrpClaim,
} from "../../src/tokens/srp";
import data from "../data/srp/vectors.json";
import {
  libraryGroup,
  libraryNowString,
  libraryPadHex,
  LibrarySrpClient,
} from "../support/srpClient";

type Vector = (typeof data.vectors)[number];

function claimOf(v: Vector): SrpClaim {
  return {
    poolName: v.poolName,
    userId: v.userId,
    AHex: v.AHex,
    bHex: v.bHex,
    BHex: v.BHex,
    verifierHex: v.verifierHex,
    secretBlockBase64: v.secretBlock,
    timestamp: v.timestamp,
    signatureBase64: v.signature,
  };
}

/** Square-and-multiply in BigInt: the slow reference for modPowN. */
function slowModPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % SRP_N;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % SRP_N;
    b = (b * b) % SRP_N;
  }
  return result;
}

/** `text` with the byte at `index` of its Base64-decoded bytes changed, re-encoded. */
function flipBase64Byte(text: string, index: number): string {
  const bytes = Buffer.from(text, "base64");
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString("base64");
}

/** `text` with the character at `index` replaced by another one of the same alphabet. */
function changeChar(text: string, index: number, alphabet: string): string {
  const c = text[index]!;
  const other = alphabet[(alphabet.indexOf(c.toLowerCase()) + 1) % alphabet.length]!;
  return text.slice(0, index) + other + text.slice(index + 1);
}

describe("SRP group and byte conventions", () => {
  it("uses the library's N (RFC 5054, 3072 bits), g = 2 and k", () => {
    const { NHex, kHex } = libraryGroup();
    expect(SRP_N.toString(16)).toBe(NHex);
    expect(SRP_N.toString(2)).toHaveLength(3072);
    expect(SRP_G).toBe(2n);
    expect(SRP_K.toString(16)).toBe(kHex);
  });

  it("pads hex as the library's padHex does, high bit set or not, odd length or not", () => {
    for (const hex of ["0", "1", "7f", "80", "ff", "100", "7fff", "8000", "0fff", "f", "abc"])
      expect(padHex(BigInt(`0x${hex}`))).toBe(libraryPadHex(hex));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (bytes) => {
        const hex = Buffer.from(bytes).toString("hex");
        expect(padHex(BigInt(`0x${hex}`))).toBe(libraryPadHex(hex));
      }),
      { numRuns: 300 },
    );
  });

  it("the vectors cover every branch of padHex: 00 prefix, 0 prefix and none, for A, B, S, u and the salt", () => {
    const prefixOf = (padded: string) =>
      padded.startsWith("00") ? "00" : /^0/.test(padded) ? "0" : "none";
    const seen = new Set<string>();
    for (const v of data.vectors) {
      for (const [name, padded] of Object.entries(v.padded)) {
        const value = name === "salt" ? v.saltHex : (v as Record<string, unknown>)[`${name}Hex`];
        expect(padHex(BigInt(`0x${value as string}`))).toBe(padded);
        seen.add(`${name}:${prefixOf(padded)}`);
      }
    }
    for (const name of ["A", "B", "S"]) expect(seen).toContain(`${name}:00`);
    for (const name of ["A", "B", "S", "u"]) expect(seen).toContain(`${name}:none`);
    // A leading zero nibble: an odd-length hex padded with one "0" (never "00": 0x0… has no high bit).
    expect([...seen].filter((s) => s.endsWith(":0")).map((s) => s.split(":")[0])).toEqual(
      expect.arrayContaining(["S", "u"]),
    );
    expect(seen).toContain("u:00");
  });

  it("computes base^exp mod N natively, and answers the bases OpenSSL refuses by their algebra", () => {
    const exponents = [0n, 1n, 2n, 3n, BigInt(`0x${"ab".repeat(32)}`), SRP_N + 7n];
    const bases = [
      0n,
      1n,
      2n,
      3n,
      SRP_N - 2n,
      SRP_N - 1n,
      SRP_N,
      SRP_N + 1n,
      2n * SRP_N,
      SRP_N * SRP_N - 1n,
    ];
    for (const base of bases)
      for (const exponent of exponents)
        expect({ base, exponent, r: modPowN(base, exponent) }).toEqual({
          base,
          exponent,
          r: slowModPow(base, exponent),
        });
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: SRP_N * 2n }),
        fc.bigInt({ min: 0n, max: 2n ** 300n }),
        (base, exponent) => {
          expect(modPowN(base, exponent)).toBe(slowModPow(base, exponent));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe.each(data.vectors.map((v) => [v.name, v] as const))("vector %s", (_name, v) => {
  it("the verifier equals what the client's math implies for this user, password and salt", () => {
    expect(srpVerifier(v.poolName, v.userId, v.password, v.saltHex)).toEqual({
      saltHex: v.saltHex,
      verifierHex: v.verifierHex,
    });
  });

  it("B from the verifier and b is the one the client was given", () => {
    expect(srpServerStart(v.verifierHex, v.bHex)).toEqual({ bHex: v.bHex, BHex: v.BHex });
  });

  it("accepts the library's PASSWORD_CLAIM_SIGNATURE (same u, S and HKDF key)", () => {
    expect(srpExpectedSignature(claimOf(v))).toBe(v.signature);
    expect(srpServerVerify(claimOf(v))).toBe(true);
  });

  it("rejects a changed byte anywhere: signature, secret block, timestamp, user id, pool name, A, B, verifier, b", () => {
    const claim = claimOf(v);
    const signatureBytes = Buffer.from(v.signature, "base64").length;
    const blockBytes = Buffer.from(v.secretBlock, "base64").length;
    const changed: Partial<SrpClaim>[] = [
      ...[0, 15, signatureBytes - 1].map((i) => ({
        signatureBase64: flipBase64Byte(v.signature, i),
      })),
      ...[0, 40, blockBytes - 1].map((i) => ({
        secretBlockBase64: flipBase64Byte(v.secretBlock, i),
      })),
      ...[0, 10, v.timestamp.length - 1].map((i) => ({
        timestamp: changeChar(v.timestamp, i, "0123456789abcdefghijklmnopqrstuvwxyz"),
      })),
      { timestamp: `${v.timestamp} ` },
      { userId: `${v.userId}x` },
      { userId: v.userId.slice(1) },
      { poolName: `${v.poolName}x` },
      ...[0, 100, v.AHex.length - 1].map((i) => ({
        AHex: changeChar(v.AHex, i, "0123456789abcdef"),
      })),
      { BHex: changeChar(v.BHex, 5, "0123456789abcdef") },
      { verifierHex: changeChar(v.verifierHex, 7, "0123456789abcdef") },
      { bHex: changeChar(v.bHex, 3, "0123456789abcdef") },
    ];
    for (const change of changed)
      expect({ change, ok: srpServerVerify({ ...claim, ...change }) }).toEqual({
        change,
        ok: false,
      });
  });

  it("rejects another spelling of the same bytes: non-canonical Base64 of the secret block or signature", () => {
    const claim = claimOf(v);
    expect(srpServerVerify({ ...claim, secretBlockBase64: `${v.secretBlock}\n` })).toBe(false);
    expect(srpServerVerify({ ...claim, signatureBase64: v.signature.replace(/=+$/, "") })).toBe(
      false,
    );
  });

  it("zero-key attack: A = 0, N or 2N is refused, even with the signature S = 0 would give", () => {
    for (const A of [0n, SRP_N, 2n * SRP_N]) {
      const AHex = A.toString(16);
      expect(isUsableSrpA(AHex)).toBe(false);
      // What an attacker who sends such an A computes: S = 0 whatever the password.
      const u = BigInt(
        `0x${createHash("sha256")
          .update(Buffer.from(padHex(A) + padHex(BigInt(`0x${v.BHex}`)), "hex"))
          .digest("hex")}`,
      );
      const key = Buffer.from(
        hkdfSync(
          "sha256",
          Buffer.from(padHex(0n), "hex"),
          Buffer.from(padHex(u), "hex"),
          "Caldera Derived Key",
          16,
        ),
      );
      const forged = createHmac("sha256", key)
        .update(v.poolName)
        .update(v.userId)
        .update(Buffer.from(v.secretBlock, "base64"))
        .update(v.timestamp)
        .digest("base64");
      expect(srpServerVerify({ ...claimOf(v), AHex, signatureBase64: forged })).toBe(false);
    }
  });
});

describe("SRP against the live library", () => {
  it("happy flow: a random a, a random b and salt, the library signs and the server accepts", () => {
    const poolName = "Live01";
    const userId = "erin";
    const password = "Live-pa55word!";
    const { saltHex, verifierHex } = srpVerifier(poolName, userId, password);
    expect(saltHex).toMatch(/^[0-9a-f]{32}$/);
    const client = new LibrarySrpClient(poolName);
    const { bHex, BHex } = srpServerStart(verifierHex);
    expect(bHex).toMatch(/^[0-9a-f]{64}$/);
    const secretBlock = Buffer.from("a secret block of the server's").toString("base64");
    const responses = client.answer(
      { SALT: saltHex, SRP_B: BHex, SECRET_BLOCK: secretBlock, USER_ID_FOR_SRP: userId },
      password,
    );
    const claim: SrpClaim = {
      poolName,
      userId,
      AHex: client.AHex,
      bHex,
      BHex,
      verifierHex,
      secretBlockBase64: responses["PASSWORD_CLAIM_SECRET_BLOCK"]!,
      timestamp: responses["TIMESTAMP"]!,
      signatureBase64: responses["PASSWORD_CLAIM_SIGNATURE"]!,
    };
    expect(srpServerVerify(claim)).toBe(true);
    // A wrong password signs something else.
    const wrong = client.answer(
      { SALT: saltHex, SRP_B: BHex, SECRET_BLOCK: secretBlock, USER_ID_FOR_SRP: userId },
      "Wrong-pa55word!",
      claim.timestamp,
    );
    expect(srpServerVerify({ ...claim, signatureBase64: wrong["PASSWORD_CLAIM_SIGNATURE"]! })).toBe(
      false,
    );
  });

  it("a new salt and a new b on every call", () => {
    const one = srpVerifier("p", "u", "pw");
    const two = srpVerifier("p", "u", "pw");
    expect(one.saltHex).not.toBe(two.saltHex);
    expect(one.verifierHex).not.toBe(two.verifierHex);
    expect(srpServerStart(one.verifierHex).BHex).not.toBe(srpServerStart(one.verifierHex).BHex);
  });
});

describe("SRP TIMESTAMP", () => {
  it("reads the library's format, with a one-digit day and a padded one", () => {
    const now = libraryNowString();
    expect(Math.abs(parseSrpTimestamp(now)! - Date.now())).toBeLessThan(2000);
    expect(parseSrpTimestamp("Tue Mar 5 09:04:07 UTC 2024")).toBe(Date.UTC(2024, 2, 5, 9, 4, 7));
    expect(parseSrpTimestamp("Tue Mar 05 09:04:07 UTC 2024")).toBe(Date.UTC(2024, 2, 5, 9, 4, 7));
    for (const v of data.vectors)
      expect(formatSrpTimestamp(parseSrpTimestamp(v.timestamp)!)).toBe(v.timestamp);
  });

  it("refuses anything else: another format, an impossible date, a weekday the date does not fall on", () => {
    for (const text of [
      "",
      "2024-03-05T09:04:07Z",
      "Tue Mar 5 9:04:07 UTC 2024",
      "Tue Mar 5 09:04:07 GMT 2024",
      "Tue Mar 5 09:04:07 UTC 2024 ",
      "tue Mar 5 09:04:07 UTC 2024",
      "Wed Mar 5 09:04:07 UTC 2024",
      "Fri Feb 30 09:04:07 UTC 2024",
      "Tue Mar 5 24:04:07 UTC 2024",
      "Tue Mar 5 09:60:07 UTC 2024",
      "Tue Mar 0 09:04:07 UTC 2024",
    ])
      expect({ text, ms: parseSrpTimestamp(text) }).toEqual({ text, ms: undefined });
  });

  it("is fresh within ±5 minutes of the gateway's clock, and stale beyond", () => {
    const at = Date.UTC(2024, 2, 5, 9, 4, 7);
    const text = formatSrpTimestamp(at);
    expect(isSrpTimestampFresh(text, at)).toBe(true);
    expect(isSrpTimestampFresh(text, at + 5 * 60_000)).toBe(true);
    expect(isSrpTimestampFresh(text, at - 5 * 60_000)).toBe(true);
    expect(isSrpTimestampFresh(text, at + 5 * 60_000 + 1)).toBe(false);
    expect(isSrpTimestampFresh(text, at - 5 * 60_000 - 1)).toBe(false);
    expect(isSrpTimestampFresh("garbage", at)).toBe(false);
  });
});
