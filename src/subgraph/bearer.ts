/**
 * Bearer-header handling shared by the gateway's context builder and the subgraph library:
 * no header → anonymous; anything else must be a valid token, or the request fails with
 * 401 UNAUTHENTICATED and one uniform message.
 */
import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";
import { isPoolgateError } from "../errors";
import type { AccessTokenClaims } from "../tokens/claims";
import type { Principal } from "./principal";

const BEARER = /^Bearer +([^\s]+) *$/i;

/**
 * The token of one `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme is
 * case-insensitive), or undefined for anything else. The one parser of that header: the
 * context builders here, /oauth2/userInfo and /metrics all read it through this.
 */
export function bearerToken(authorization: string): string | undefined {
  return BEARER.exec(authorization)?.[1];
}

/**
 * Principals are immutable and the verifier hands back the same claims object for a cached
 * token, so each is built once per token rather than once per request.
 */
const principals = new WeakMap<AccessTokenClaims, Principal>();

export function principalFromClaims(claims: AccessTokenClaims): Principal {
  let principal = principals.get(claims);
  if (principal === undefined) {
    principal = buildPrincipal(claims);
    principals.set(claims, principal);
  }
  return principal;
}

function buildPrincipal(claims: AccessTokenClaims): Principal {
  return {
    sub: claims.sub,
    username: claims.username,
    clientId: claims.client_id,
    scopes: new Set(claims.scope.split(" ").filter(Boolean)),
    groups: Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [],
    sessionId: claims.origin_jti,
    authTimeSeconds: claims.auth_time,
    expiresAtSeconds: claims.exp,
    claims,
  };
}

export function unauthenticated(): GraphQLError {
  return new GraphQLError("Unauthorized", {
    extensions: {
      code: "UNAUTHENTICATED",
      http: {
        status: 401,
        headers: new HeaderMap([["www-authenticate", 'Bearer error="invalid_token"']]),
      },
    },
  });
}

export async function authenticateBearer(
  authorization: string | readonly string[] | undefined,
  verify: (token: string) => Promise<AccessTokenClaims>,
  onReject: (reason: string | undefined) => void = () => undefined,
): Promise<Principal | null> {
  if (typeof authorization !== "string") {
    if (authorization === undefined || authorization.length === 0) return null;
    // Two Authorization headers: a proxy may read one and us the other. Refuse both.
    if (authorization.length > 1) {
      onReject("more than one authorization header");
      throw unauthenticated();
    }
    authorization = authorization[0]!;
  }
  if (authorization === "") return null;
  const token = bearerToken(authorization);
  if (token === undefined) {
    onReject("authorization header is not a bearer token");
    throw unauthenticated();
  }
  try {
    return principalFromClaims(await verify(token));
  } catch (err) {
    if (isPoolgateError(err) && err.code === "UNAUTHENTICATED") {
      onReject(err.logDetail);
      throw unauthenticated();
    }
    throw err;
  }
}
