/**
 * Row shapes and mappers that the SQLite and PostgreSQL stores share: the tables whose
 * columns hold the same types in both (no booleans, no JSON). Users, clients and resource
 * servers differ (0/1 vs boolean, text vs JSONB) and keep their own mappers.
 */
import type {
  ChangeEvent,
  ChangeKind,
  KeyRecord,
  LockoutRecord,
  RevocationReason,
  SessionRecord,
} from "./store";

export type SessionRow = {
  id: string;
  sub: string;
  client_id: string;
  scope: string;
  auth_time_seconds: number;
  created_at_ms: number;
  expires_at_ms: number;
  refresh_token_hash: string;
  previous_refresh_token_hash: string | null;
  rotated_at_ms: number | null;
  revoked_at_ms: number | null;
  revoked_reason: RevocationReason | null;
};

export type KeyRow = {
  kid: string;
  alg: "RS256";
  public_jwk: string;
  private_jwk_encrypted: string;
  created_at_ms: number;
  status: "active" | "retired";
  retired_at_ms: number | null;
  expires_at_ms: number | null;
};

export type LockoutRow = {
  username: string;
  consecutive_failures: number;
  last_failure_at_ms: number;
  locked_until_ms: number;
};

export type ChangeRow = { seq: number; kind: ChangeKind; subject: string; at_ms: number };

export function sessionToRow(session: SessionRecord): SessionRow {
  return {
    id: session.id,
    sub: session.sub,
    client_id: session.clientId,
    scope: session.scope,
    auth_time_seconds: session.authTimeSeconds,
    created_at_ms: session.createdAtMs,
    expires_at_ms: session.expiresAtMs,
    refresh_token_hash: session.refreshTokenHash,
    previous_refresh_token_hash: session.previousRefreshTokenHash,
    rotated_at_ms: session.rotatedAtMs,
    revoked_at_ms: session.revokedAtMs,
    revoked_reason: session.revokedReason,
  };
}

export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    sub: row.sub,
    clientId: row.client_id,
    scope: row.scope,
    authTimeSeconds: row.auth_time_seconds,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    refreshTokenHash: row.refresh_token_hash,
    previousRefreshTokenHash: row.previous_refresh_token_hash,
    rotatedAtMs: row.rotated_at_ms,
    revokedAtMs: row.revoked_at_ms,
    revokedReason: row.revoked_reason,
  };
}

export function keyToRow(key: KeyRecord): KeyRow {
  return {
    kid: key.kid,
    alg: key.alg,
    public_jwk: key.publicJwk,
    private_jwk_encrypted: key.privateJwkEncrypted,
    created_at_ms: key.createdAtMs,
    status: key.status,
    retired_at_ms: key.retiredAtMs,
    expires_at_ms: key.expiresAtMs,
  };
}

export function keyFromRow(row: KeyRow): KeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateJwkEncrypted: row.private_jwk_encrypted,
    createdAtMs: row.created_at_ms,
    status: row.status,
    retiredAtMs: row.retired_at_ms,
    expiresAtMs: row.expires_at_ms,
  };
}

export function lockoutToRow(record: LockoutRecord): LockoutRow {
  return {
    username: record.username,
    consecutive_failures: record.consecutiveFailures,
    last_failure_at_ms: record.lastFailureAtMs,
    locked_until_ms: record.lockedUntilMs,
  };
}

export function lockoutFromRow(row: LockoutRow): LockoutRecord {
  return {
    username: row.username,
    consecutiveFailures: row.consecutive_failures,
    lastFailureAtMs: row.last_failure_at_ms,
    lockedUntilMs: row.locked_until_ms,
  };
}

export function changeFromRow(row: ChangeRow): ChangeEvent {
  return { seq: row.seq, atMs: row.at_ms, kind: row.kind, subject: row.subject };
}
