/**
 * The auth events the front doors count (sign-ins, refreshes, revocations, finished GraphQL
 * operations). A neutral module: the GraphQL resolvers and the OAuth 2.0 endpoints report
 * them, src/http/metrics.ts implements them, and neither door imports the other for it.
 */

/** What the auth resolvers count; `error` undefined means success. */
export interface AuthEvents {
  signIn(error?: unknown): void;
  refresh(via: "graphql" | "oauth2", error?: unknown): void;
  revocation(kind: "token" | "global_sign_out", via: "graphql" | "oauth2"): void;
  /** An answer to a sign-in challenge (respondToAuthChallenge): its challenge and outcome. */
  challengeAnswer(challengeName: string, error?: unknown): void;
  /** One finished GraphQL operation: its name, type and outcome (`success` or an error code). */
  operation(name: string | undefined, type: string | undefined, outcome: string): void;
}
