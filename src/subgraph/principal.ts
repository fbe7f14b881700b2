/**
 * Who is calling, as established once per request by the context builder from a verified
 * access token. Directives and resolvers read it; nothing downstream verifies again.
 */
export interface Principal {
  /** `sub` claim: the user's sub, or the client id for machine-to-machine tokens. */
  sub: string;
  /** `username` claim; absent for machine-to-machine tokens. */
  username: string | undefined;
  clientId: string;
  /** Granted scopes from the `scope` claim. */
  scopes: ReadonlySet<string>;
  groups: readonly string[];
  /** Session id (`origin_jti`); absent for machine-to-machine tokens. */
  sessionId: string | undefined;
  /** `auth_time` in seconds since the epoch. */
  authTimeSeconds: number;
  /** `exp` in seconds since the epoch. */
  expiresAtSeconds: number;
  /** Every claim of the access token, for subgraphs that need more. */
  claims: Readonly<Record<string, unknown>>;
}

/** The part of the GraphQL context that the auth directives rely on. */
export interface AuthContext {
  principal: Principal | null;
}
