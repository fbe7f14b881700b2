/**
 * Mints ID and access tokens (JWS in the signing key's own algorithm: RS256, ES256 or EdDSA).
 * Pure: the signer, the clock and every input come in as arguments.
 */
import { createHash, randomUUID } from "node:crypto";
import { CompactSign } from "jose";
import type { SigningKey } from "./keyring";
import { profileClaims, type AccessTokenClaims, type IdTokenClaims } from "./claims";
import {
  applyAccessTokenOverrides,
  applyUserTokenOverrides,
  type AccessTokenOverrides,
  type TokenOverrides,
} from "./overrides";

export interface TokenClient {
  clientId: string;
  accessTokenValiditySeconds: number;
  idTokenValiditySeconds: number;
}

export interface TokenUser {
  sub: string;
  username: string;
  attributes: Readonly<Record<string, string>>;
  groups: readonly string[];
}

export interface UserTokenInput {
  issuer: string;
  signer: SigningKey;
  nowSeconds: number;
  client: TokenClient;
  user: TokenUser;
  /** Session id: the `origin_jti` of every token of the session. */
  sessionId: string;
  authTimeSeconds: number;
  scopes: readonly string[];
  /** The authorization code flow's ID token: the request's nonce, and `at_hash`. */
  authorizationCode?: { nonce: string | null };
  /** A pre token generation hook's changes, already checked (tokens/overrides.ts). */
  overrides?: TokenOverrides;
}

export interface IssuedUserTokens {
  idToken: string;
  accessToken: string;
  accessClaims: AccessTokenClaims;
  idClaims: IdTokenClaims;
}

const encoder = new TextEncoder();

/**
 * A compact JWS of the claims as they are, in the signing key's own algorithm. jose's
 * CompactSign rather than SignJWT: the claims are built here from checked values, and
 * SignJWT's deep copy and claim checks of them were a measurable part of an issuance's
 * non-crypto work (issue 19).
 */
async function sign(payload: object, signer: SigningKey): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" })
    .sign(signer.privateKey);
}

/**
 * OpenID Connect Core §3.1.3.6: the left half of the hash of the token's ASCII, base64url,
 * with the hash of the ID token's `alg`: SHA-256 for RS256 and ES256; SHA-512 for EdDSA over
 * Ed25519 (the curve's own hash, as OpenID providers and relying parties compute it).
 */
export function accessTokenHash(accessToken: string, alg: SigningKey["alg"] = "RS256"): string {
  const digest = createHash(alg === "EdDSA" ? "sha512" : "sha256")
    .update(accessToken, "ascii")
    .digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

/** The ID and access token of one authentication event (a sign-in or a refresh). */
export async function issueUserTokens(input: UserTokenInput): Promise<IssuedUserTokens> {
  const { issuer, signer, nowSeconds, client, user, sessionId, authTimeSeconds, scopes } = input;
  const eventId = randomUUID();
  const groups = user.groups.length > 0 ? { "cognito:groups": [...user.groups] } : {};

  const accessClaims: AccessTokenClaims = {
    sub: user.sub,
    ...groups,
    iss: issuer,
    version: 2,
    client_id: client.clientId,
    origin_jti: sessionId,
    event_id: eventId,
    token_use: "access",
    scope: scopes.join(" "),
    auth_time: authTimeSeconds,
    exp: nowSeconds + client.accessTokenValiditySeconds,
    iat: nowSeconds,
    jti: randomUUID(),
    username: user.username,
  };
  const idClaims: IdTokenClaims = {
    ...profileClaims(user.attributes),
    sub: user.sub,
    ...groups,
    iss: issuer,
    "cognito:username": user.username,
    origin_jti: sessionId,
    aud: client.clientId,
    event_id: eventId,
    token_use: "id",
    auth_time: authTimeSeconds,
    exp: nowSeconds + client.idTokenValiditySeconds,
    iat: nowSeconds,
    jti: randomUUID(),
  };
  if (input.overrides) applyUserTokenOverrides(idClaims, accessClaims, input.overrides);
  if (input.authorizationCode) {
    // at_hash needs the signed access token, so the two are signed one after the other.
    const accessToken = await sign(accessClaims, signer);
    const { nonce } = input.authorizationCode;
    if (nonce !== null) idClaims.nonce = nonce;
    idClaims.at_hash = accessTokenHash(accessToken, signer.alg);
    return { idToken: await sign(idClaims, signer), accessToken, accessClaims, idClaims };
  }
  const [accessToken, idToken] = await Promise.all([
    sign(accessClaims, signer),
    sign(idClaims, signer),
  ]);
  return { idToken, accessToken, accessClaims, idClaims };
}

export interface ClientTokenInput {
  issuer: string;
  signer: SigningKey;
  nowSeconds: number;
  client: TokenClient;
  scopes: readonly string[];
  /** A pre token generation hook's changes (V3_0), already checked. */
  overrides?: AccessTokenOverrides;
}

/** A machine-to-machine access token: `sub = client_id`, no `username`, no `origin_jti`. */
export async function issueClientAccessToken(
  input: ClientTokenInput,
): Promise<{ accessToken: string; accessClaims: AccessTokenClaims }> {
  const { issuer, signer, nowSeconds, client, scopes } = input;
  const accessClaims: AccessTokenClaims = {
    sub: client.clientId,
    iss: issuer,
    version: 2,
    client_id: client.clientId,
    event_id: randomUUID(),
    token_use: "access",
    scope: scopes.join(" "),
    auth_time: nowSeconds,
    exp: nowSeconds + client.accessTokenValiditySeconds,
    iat: nowSeconds,
    jti: randomUUID(),
  };
  if (input.overrides) applyAccessTokenOverrides(accessClaims, input.overrides);
  return { accessToken: await sign(accessClaims, signer), accessClaims };
}
