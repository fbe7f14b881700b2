/**
 * Refresh tokens: compact JWE (`dir` + `A256GCM`) under a key derived from the master key,
 * so nobody but the gateway can read them. The payload names the session and the client;
 * the store keeps only an HMAC of the token (tokens/secrets.ts).
 */
import { randomUUID } from "node:crypto";
import { seal, unsealJson } from "./sealed";

export interface RefreshTokenPayload {
  /** This token's own id. */
  jti: string;
  /** The session (`origin_jti`). */
  sid: string;
  /** The app client it was issued to. */
  cid: string;
  iat: number;
  exp: number;
}

const REFRESH_TYP = "poolgate-refresh+jwe";

export async function sealRefreshToken(
  key: Uint8Array,
  fields: { sessionId: string; clientId: string; nowSeconds: number; expiresAtSeconds: number },
): Promise<string> {
  const payload: RefreshTokenPayload = {
    jti: randomUUID(),
    sid: fields.sessionId,
    cid: fields.clientId,
    iat: fields.nowSeconds,
    exp: fields.expiresAtSeconds,
  };
  return seal(key, REFRESH_TYP, JSON.stringify(payload));
}

/**
 * Opens a refresh token, or returns undefined for anything that is not one of ours:
 * malformed, tampered, encrypted under another key, or of the wrong shape. Callers map
 * undefined to one error; the reason is not exposed.
 */
export async function openRefreshToken(
  key: Uint8Array,
  token: string,
  maxBytes: number,
): Promise<RefreshTokenPayload | undefined> {
  return unsealJson(key, REFRESH_TYP, token, maxBytes, isRefreshPayload);
}

function isRefreshPayload(v: unknown): v is RefreshTokenPayload {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o["jti"] === "string" &&
    typeof o["sid"] === "string" &&
    typeof o["cid"] === "string" &&
    typeof o["iat"] === "number" &&
    typeof o["exp"] === "number"
  );
}

/** Unique per issuance; exported for tests that need a fresh session id. */
export const newSessionId = (): string => randomUUID();
