import { PoolgateError } from "../../src/errors";
import { jwtVerify, SignJWT, generateKeyPair } from "jose";

describe("PoolgateError", () => {
  it("carries a stable code, a safe message and a detail for the log", () => {
    const err = new PoolgateError("UNAUTHENTICATED", "Unauthorized", { logDetail: "kid unknown" });
    expect(err).toMatchObject({ code: "UNAUTHENTICATED", message: "Unauthorized" });
    expect(err.logDetail).toBe("kid unknown");
  });
  it("loads jose (ESM) under the CommonJS test runtime", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwt = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
    const { payload } = await jwtVerify(jwt, publicKey);
    expect(payload["a"]).toBe(1);
  });
});
