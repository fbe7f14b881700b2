/**
 * Row shapes and mappers that the SQLite and PostgreSQL stores share. Where the two hold a
 * value differently (booleans: 0/1 vs boolean; JSON: text vs JSONB, which pg parses), the
 * mapper takes the store's ColumnCodec, so the mapping itself is written once.
 */
import type { SigningAlgorithm } from "../tokens/algorithms";
import type {
  AccessKeyRecord,
  AuthorizationCodeRecord,
  ChallengeName,
  ChallengeRecord,
  ChangeEvent,
  ChangeKind,
  ClientRecord,
  CodePurpose,
  CodeRecord,
  GroupRecord,
  HostedSessionRecord,
  KeyRecord,
  LockoutRecord,
  MfaFactor,
  MfaRecord,
  OAuthFlow,
  ResourceServerRecord,
  RevocationReason,
  SessionRecord,
  UserRecord,
} from "./store";

/** How one store's columns hold a boolean (`Flag`) and a JSON value as read back (`Json`). */
export interface ColumnCodec<Flag, Json> {
  flag(value: boolean): Flag;
  isSet(value: Flag): boolean;
  /** JSON text, as both stores take it as a parameter (pg would send a JS array as an ARRAY). */
  json(value: unknown): string;
  /** The value of a JSON column as read back, parsed. */
  parse(value: Json): unknown;
}

/** SQLite STRICT tables: booleans are INTEGER 0/1, JSON columns are TEXT. */
export const sqliteColumns: ColumnCodec<number, string> = {
  flag: (value) => (value ? 1 : 0),
  isSet: (value) => value === 1,
  json: (value) => JSON.stringify(value),
  parse: (value) => JSON.parse(value) as unknown,
};

/** PostgreSQL: BOOLEAN columns, and JSONB that pg hands back already parsed. */
export const postgresColumns: ColumnCodec<boolean, unknown> = {
  flag: (value) => value,
  isSet: (value) => value,
  json: (value) => JSON.stringify(value),
  parse: (value) => value,
};

export type UserRow<Flag, Json> = {
  sub: string;
  username: string;
  password_hash: string;
  enabled: Flag;
  confirmed: Flag;
  password_reset_required: Flag;
  temporary_password_expires_at_ms: number | null;
  srp_verifier_sealed: string | null;
  attributes: Json;
  confirmation_code_hash: string | null;
  confirmation_code_expires_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
};

export type ClientRow<Flag, Json> = {
  client_id: string;
  name: string;
  secret_hash: string | null;
  secret_sealed: string | null;
  allowed_scopes: Json;
  access_token_validity_seconds: number;
  id_token_validity_seconds: number;
  refresh_token_validity_seconds: number;
  rotate_refresh_tokens: Flag;
  refresh_token_reuse_grace_seconds: number;
  auth_session_validity_minutes: number;
  callback_urls: Json;
  logout_urls: Json;
  allowed_oauth_flows: Json;
  enabled: Flag;
  created_at_ms: number;
};

export type ResourceServerRow<Json> = {
  id: string;
  name: string;
  scopes: Json;
  created_at_ms: number;
};

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
  alg: SigningAlgorithm;
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

export type MfaRow<Flag> = {
  sub: string;
  totp_secret_sealed: string | null;
  pending_totp_secret_sealed: string | null;
  totp_enabled: Flag;
  email_enabled: Flag;
  preferred: MfaFactor | null;
  last_totp_step: number | null;
  updated_at_ms: number;
};

export type CodeRow = {
  sub: string;
  purpose: CodePurpose;
  code_hash: string;
  created_at_ms: number;
  expires_at_ms: number;
};

export type ChallengeRow<Json> = {
  id: string;
  sub: string;
  client_id: string;
  challenge_name: ChallengeName;
  /** SQL NULL for the default scopes (`requestedScopes: null`), else a JSON array. */
  requested_scopes: Json | null;
  code_hash: string | null;
  context: Json;
  wrong_answers: number;
  created_at_ms: number;
  expires_at_ms: number;
  spent_at_ms: number | null;
};

export type AccessKeyRow = {
  access_key_id: string;
  secret_sealed: string;
  description: string;
  created_at_ms: number;
  last_used_at_ms: number | null;
};

export type AuthorizationCodeRow = {
  code_hash: string;
  client_id: string;
  sub: string;
  redirect_uri: string;
  code_challenge: string | null;
  scope: string;
  nonce: string | null;
  auth_time_seconds: number;
  created_at_ms: number;
  expires_at_ms: number;
  redeemed_at_ms: number | null;
  session_id: string | null;
};

export type HostedSessionRow = {
  id_hash: string;
  sub: string;
  auth_time_seconds: number;
  created_at_ms: number;
  expires_at_ms: number;
};

export type GroupRow = {
  name: string;
  description: string | null;
  precedence: number | null;
  created_at_ms: number;
  updated_at_ms: number;
};

export function accessKeyToRow(key: AccessKeyRecord): AccessKeyRow {
  return {
    access_key_id: key.accessKeyId,
    secret_sealed: key.secretSealed,
    description: key.description,
    created_at_ms: key.createdAtMs,
    last_used_at_ms: key.lastUsedAtMs,
  };
}

export function accessKeyFromRow(row: AccessKeyRow): AccessKeyRecord {
  return {
    accessKeyId: row.access_key_id,
    secretSealed: row.secret_sealed,
    description: row.description,
    createdAtMs: row.created_at_ms,
    lastUsedAtMs: row.last_used_at_ms,
  };
}

export function groupToRow(group: GroupRecord): GroupRow {
  return {
    name: group.name,
    description: group.description,
    precedence: group.precedence,
    created_at_ms: group.createdAtMs,
    updated_at_ms: group.updatedAtMs,
  };
}

export function groupFromRow(row: GroupRow): GroupRecord {
  return {
    name: row.name,
    description: row.description,
    precedence: row.precedence,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

/**
 * The least string above every string that starts with `prefix`, in code-point order (the
 * order of SQLite's BINARY and PostgreSQL's "C" collation on UTF-8): an exclusive upper bound
 * for an index range scan of a prefix. Undefined when there is none (a prefix of U+10FFFF only).
 * A bound, not the match: the stores still compare the prefix itself.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) {
      // The surrogate range is no code point a UTF-8 string can hold: step over it.
      return String.fromCodePoint(...points, last === 0xd7ff ? 0xe000 : last + 1);
    }
  }
  return undefined;
}

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

export function userToRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  user: UserRecord,
): UserRow<Flag, string> {
  return {
    sub: user.sub,
    username: user.username,
    password_hash: user.passwordHash,
    enabled: columns.flag(user.enabled),
    confirmed: columns.flag(user.confirmed),
    password_reset_required: columns.flag(user.passwordResetRequired),
    temporary_password_expires_at_ms: user.temporaryPasswordExpiresAtMs,
    srp_verifier_sealed: user.srpVerifierSealed,
    attributes: columns.json(user.attributes),
    confirmation_code_hash: user.confirmationCodeHash,
    confirmation_code_expires_at_ms: user.confirmationCodeExpiresAtMs,
    created_at_ms: user.createdAtMs,
    updated_at_ms: user.updatedAtMs,
  };
}

export function userFromRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  row: UserRow<Flag, Json>,
): UserRecord {
  return {
    sub: row.sub,
    username: row.username,
    passwordHash: row.password_hash,
    enabled: columns.isSet(row.enabled),
    confirmed: columns.isSet(row.confirmed),
    passwordResetRequired: columns.isSet(row.password_reset_required),
    temporaryPasswordExpiresAtMs: row.temporary_password_expires_at_ms,
    srpVerifierSealed: row.srp_verifier_sealed,
    attributes: stringMap(columns.parse(row.attributes), "users.attributes"),
    confirmationCodeHash: row.confirmation_code_hash,
    confirmationCodeExpiresAtMs: row.confirmation_code_expires_at_ms,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

export function clientToRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  client: ClientRecord,
): ClientRow<Flag, string> {
  return {
    client_id: client.clientId,
    name: client.name,
    secret_hash: client.secretHash,
    secret_sealed: client.secretSealed,
    allowed_scopes: columns.json(client.allowedScopes),
    access_token_validity_seconds: client.accessTokenValiditySeconds,
    id_token_validity_seconds: client.idTokenValiditySeconds,
    refresh_token_validity_seconds: client.refreshTokenValiditySeconds,
    rotate_refresh_tokens: columns.flag(client.rotateRefreshTokens),
    refresh_token_reuse_grace_seconds: client.refreshTokenReuseGraceSeconds,
    auth_session_validity_minutes: client.authSessionValidityMinutes,
    callback_urls: columns.json(client.callbackUrls),
    logout_urls: columns.json(client.logoutUrls),
    allowed_oauth_flows: columns.json(client.allowedOAuthFlows),
    enabled: columns.flag(client.enabled),
    created_at_ms: client.createdAtMs,
  };
}

export function clientFromRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  row: ClientRow<Flag, Json>,
): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    secretHash: row.secret_hash,
    secretSealed: row.secret_sealed,
    allowedScopes: stringArray(columns.parse(row.allowed_scopes), "clients.allowed_scopes"),
    accessTokenValiditySeconds: row.access_token_validity_seconds,
    idTokenValiditySeconds: row.id_token_validity_seconds,
    refreshTokenValiditySeconds: row.refresh_token_validity_seconds,
    rotateRefreshTokens: columns.isSet(row.rotate_refresh_tokens),
    refreshTokenReuseGraceSeconds: row.refresh_token_reuse_grace_seconds,
    authSessionValidityMinutes: row.auth_session_validity_minutes,
    callbackUrls: stringArray(columns.parse(row.callback_urls), "clients.callback_urls"),
    logoutUrls: stringArray(columns.parse(row.logout_urls), "clients.logout_urls"),
    allowedOAuthFlows: oauthFlows(
      columns.parse(row.allowed_oauth_flows),
      "clients.allowed_oauth_flows",
    ),
    enabled: columns.isSet(row.enabled),
    createdAtMs: row.created_at_ms,
  };
}

export function resourceServerFromRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  row: ResourceServerRow<Json>,
): ResourceServerRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: stringArray(columns.parse(row.scopes), "resource_servers.scopes"),
    createdAtMs: row.created_at_ms,
  };
}

export function mfaToRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  mfa: MfaRecord,
): MfaRow<Flag> {
  return {
    sub: mfa.sub,
    totp_secret_sealed: mfa.totpSecretSealed,
    pending_totp_secret_sealed: mfa.pendingTotpSecretSealed,
    totp_enabled: columns.flag(mfa.totpEnabled),
    email_enabled: columns.flag(mfa.emailEnabled),
    preferred: mfa.preferred,
    last_totp_step: mfa.lastTotpStep,
    updated_at_ms: mfa.updatedAtMs,
  };
}

export function mfaFromRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  row: MfaRow<Flag>,
): MfaRecord {
  return {
    sub: row.sub,
    totpSecretSealed: row.totp_secret_sealed,
    pendingTotpSecretSealed: row.pending_totp_secret_sealed,
    totpEnabled: columns.isSet(row.totp_enabled),
    emailEnabled: columns.isSet(row.email_enabled),
    preferred: row.preferred,
    lastTotpStep: row.last_totp_step,
    updatedAtMs: row.updated_at_ms,
  };
}

export function codeToRow(code: CodeRecord): CodeRow {
  return {
    sub: code.sub,
    purpose: code.purpose,
    code_hash: code.codeHash,
    created_at_ms: code.createdAtMs,
    expires_at_ms: code.expiresAtMs,
  };
}

export function codeFromRow(row: CodeRow): CodeRecord {
  return {
    sub: row.sub,
    purpose: row.purpose,
    codeHash: row.code_hash,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
  };
}

export function challengeToRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  challenge: ChallengeRecord,
): ChallengeRow<string> {
  return {
    id: challenge.id,
    sub: challenge.sub,
    client_id: challenge.clientId,
    challenge_name: challenge.challengeName,
    requested_scopes:
      challenge.requestedScopes === null ? null : columns.json(challenge.requestedScopes),
    code_hash: challenge.codeHash,
    context: columns.json(challenge.context),
    wrong_answers: challenge.wrongAnswers,
    created_at_ms: challenge.createdAtMs,
    expires_at_ms: challenge.expiresAtMs,
    spent_at_ms: challenge.spentAtMs,
  };
}

export function challengeFromRow<Flag, Json>(
  columns: ColumnCodec<Flag, Json>,
  row: ChallengeRow<Json>,
): ChallengeRecord {
  return {
    id: row.id,
    sub: row.sub,
    clientId: row.client_id,
    challengeName: row.challenge_name,
    requestedScopes:
      row.requested_scopes === null
        ? null
        : stringArray(columns.parse(row.requested_scopes), "challenge_sessions.requested_scopes"),
    codeHash: row.code_hash,
    context: stringMap(columns.parse(row.context), "challenge_sessions.context"),
    wrongAnswers: row.wrong_answers,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    spentAtMs: row.spent_at_ms,
  };
}

export function authorizationCodeToRow(code: AuthorizationCodeRecord): AuthorizationCodeRow {
  return {
    code_hash: code.codeHash,
    client_id: code.clientId,
    sub: code.sub,
    redirect_uri: code.redirectUri,
    code_challenge: code.codeChallenge,
    scope: code.scope,
    nonce: code.nonce,
    auth_time_seconds: code.authTimeSeconds,
    created_at_ms: code.createdAtMs,
    expires_at_ms: code.expiresAtMs,
    redeemed_at_ms: code.redeemedAtMs,
    session_id: code.sessionId,
  };
}

export function authorizationCodeFromRow(row: AuthorizationCodeRow): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    clientId: row.client_id,
    sub: row.sub,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    scope: row.scope,
    nonce: row.nonce,
    authTimeSeconds: row.auth_time_seconds,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    redeemedAtMs: row.redeemed_at_ms,
    sessionId: row.session_id,
  };
}

export function hostedSessionToRow(session: HostedSessionRecord): HostedSessionRow {
  return {
    id_hash: session.idHash,
    sub: session.sub,
    auth_time_seconds: session.authTimeSeconds,
    created_at_ms: session.createdAtMs,
    expires_at_ms: session.expiresAtMs,
  };
}

export function hostedSessionFromRow(row: HostedSessionRow): HostedSessionRecord {
  return {
    idHash: row.id_hash,
    sub: row.sub,
    authTimeSeconds: row.auth_time_seconds,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
  };
}

function stringMap(value: unknown, column: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${column} is not a JSON object`);
  }
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string") throw new Error(`${column} holds a non-string value`);
    map[key] = entry;
  }
  return map;
}

function stringArray(value: unknown, column: string): string[] {
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string")) {
    throw new Error(`${column} is not a JSON array of strings`);
  }
  return value;
}

/** The migration cannot CHECK the names (see migrations/sqlite.ts version 8): refused here. */
function oauthFlows(value: unknown, column: string): OAuthFlow[] {
  const flows = stringArray(value, column);
  if (!flows.every(isOAuthFlow)) throw new Error(`${column} holds an unknown OAuth flow`);
  return flows;
}

/** Every OAuthFlow, as a record so that a new member of the union must be added here. */
const OAUTH_FLOWS: Record<OAuthFlow, true> = {
  code: true,
  implicit: true,
  client_credentials: true,
};

function isOAuthFlow(value: string): value is OAuthFlow {
  return Object.hasOwn(OAUTH_FLOWS, value);
}
