import { PoolgateError } from "../../src/errors";
import { jwtVerify, SignJWT, generateKeyPair } from "jose";

describe("PoolgateError", () => {
  it("carries a stable code and the status of a bad credential", () => {
    const err = new PoolgateError("UNAUTHENTICATED", "Unauthorized");
    expect(err.code).toBe("UNAUTHENTICATED");
    expect(err.httpStatus).toBe(401);
  });
  it("loads jose (ESM) under the CommonJS test runtime", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwt = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
    const { payload } = await jwtVerify(jwt, publicKey);
    expect(payload["a"]).toBe(1);
  });
});
