export type RevocationReason =
  | "revoked"
  | "global_sign_out"
  | "reuse_detected"
  | "user_disabled"
  | "user_deleted"
  | "client_deleted"
  | "password_reset"
  /** An authorization code was exchanged a second time (RFC 6749 §4.1.2). */
  | "code_reused";

/** A session is one refresh-token family; its id is the `origin_jti` of every token in it. */
export interface SessionRecord {
  id: string;
  sub: string;
  clientId: string;
  /** Space-separated granted scopes, kept for refreshes. */
  scope: string;
  /** Seconds since the epoch of the original sign-in (`auth_time`). */
  authTimeSeconds: number;
  createdAtMs: number;
  /** When the refresh token of this session stops working. */
  expiresAtMs: number;
  /** Hash of the refresh token currently valid for this session. */
  refreshTokenHash: string;
  /** Hash of the refresh token it replaced (rotation), and when that happened. */
  previousRefreshTokenHash: string | null;
  rotatedAtMs: number | null;
  revokedAtMs: number | null;
  revokedReason: RevocationReason | null;
}

/** Outcome of an atomic refresh-token rotation (see Store.rotateRefreshToken). */
export type RotationOutcome =
  | { outcome: "rotated"; session: SessionRecord }
  | { outcome: "not_current"; session: SessionRecord }
  | { outcome: "missing" };

/** Sessions (refresh-token families): created, rotated and revoked atomically. */
export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /**
   * Atomically: if the session's current refresh hash is `presentedHash`, replace it with
   * `nextHash` (keeping the old one as previous, rotatedAtMs = nowMs) → "rotated".
   * Otherwise → "not_current" with the session as it is (the caller decides between grace
   * and reuse detection). Never rotates a revoked session (→ "not_current").
   */
  rotateRefreshToken(
    id: string,
    presentedHash: string,
    nextHash: string,
    nowMs: number,
  ): Promise<RotationOutcome>;
  /** Revokes one session; returns false if it was unknown or already revoked. Emits session_revoked. */
  revokeSession(id: string, reason: RevocationReason, nowMs: number): Promise<boolean>;
  /** Revokes every live session of a user; returns their ids. Emits session_revoked for each. */
  revokeUserSessions(sub: string, reason: RevocationReason, nowMs: number): Promise<string[]>;
}
