/**
 * What a resolved configuration holds: the Config shape and the closed sets some settings
 * choose from. src/config.ts reads the environment into it.
 */
import type { Environment } from "./configValues";
import type { SigningAlgorithm } from "./tokens/algorithms";

export interface Config {
  environment: Environment;
  host: string;
  port: number;
  issuer: string;
  databaseUrl: string;
  /** Longest a PostgreSQL statement may run or wait for its answer; bounds readiness and sync pulls too. */
  databaseQueryTimeoutMs: number;
  /** Longest opening a PostgreSQL connection may take. */
  databaseConnectTimeoutMs: number;
  /** 32 bytes; undefined means "development: generate one into the data folder". */
  masterKey: Buffer | undefined;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  clockSkewSeconds: number;
  adminGroup: string;
  selfSignUp: boolean;
  /** Cognito's UsernameConfiguration.CaseSensitive; false: `Alice` and `alice` are one user. */
  usernameCaseSensitive: boolean;
  passwordMinLength: number;
  passwordRequire: ReadonlySet<PasswordRule>;
  /** argon2id memory in KiB and passes (OWASP: 19 MiB, 2 passes). */
  passwordHashMemoryKib: number;
  passwordHashIterations: number;
  refreshTokenReuseGraceSeconds: number;
  authorizationMode: "filter" | "reject";
  introspection: boolean;
  /** Repeated operations skip Apollo's request pipeline (src/graphql/prepared.ts). */
  preparedOperations: boolean;
  maxBodyBytes: number;
  maxQueryDepth: number;
  maxAliases: number;
  maxQueryTokens: number;
  maxTokenBytes: number;
  tokenCacheSize: number;
  syncIntervalMs: number;
  /** How often one instance deletes what no token can need any more (sessions, old feed events, lockouts). */
  pruneIntervalSeconds: number;
  keyRotationGraceSeconds: number;
  keyActivationDelaySeconds: number;
  /** The JWS algorithm of new signing keys: RS256 (RSA 2048, Cognito's), ES256 (P-256) or EdDSA (Ed25519). */
  signingAlgorithm: SigningAlgorithm;
  /** Browser origins allowed to call the API with credentials; `["*"]`: any origin, never with credentials (development only). */
  corsOrigins: readonly string[];
  /** The app client of the hosted /login page; undefined: the page takes `?client_id=`. */
  loginClientId: string | undefined;
  /** Bearer token that GET /metrics requires; undefined: /metrics is open. */
  metricsToken: string | undefined;
  /** GraphQL operation names that get their own metrics label; others count as `__other`. */
  metricsOperationNames: readonly string[];
  /** On stop, how long requests in flight may take before every connection is closed. */
  shutdownDrainSeconds: number;
  dangerouslyExposeErrorDetails: boolean;
  /** Development only: refresh-token cookies without `__Host-` and `Secure` (plain-http browsers). */
  dangerouslyInsecureCookies: boolean;
  /** Cognito's MfaConfiguration: OFF, OPTIONAL (users who enabled a factor are asked) or ON (everyone). */
  mfa: MfaMode;
  /** The second factors the pool offers. */
  mfaFactors: ReadonlySet<MfaFactorName>;
  /** The issuer name authenticator apps show next to a TOTP entry. */
  totpIssuer: string;
  /** Cognito's TemporaryPasswordValidityDays: how long an admin-set temporary password works. */
  temporaryPasswordValidityDays: number;
  /** Cognito's AccountRecoverySetting: `verified_email` (ForgotPassword sends a code) or `admin_only`. */
  accountRecovery: "verified_email" | "admin_only";
  /** Attributes every user must have (sign-up asks for them; NEW_PASSWORD_REQUIRED for the missing ones). */
  requiredAttributes: readonly string[];
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…; undefined: no SMTP. Never logged. */
  smtpUrl: string | undefined;
  /** The From address of every message. */
  emailFrom: string;
  /** Longest an SMTP connection, greeting or exchange may take before the delivery fails. */
  smtpTimeoutMs: number;
  /** Absolute path of the hooks module (Cognito's triggers in-process, DESIGN §14); undefined: none. */
  hooksModule: string | undefined;
  /** Longest one hook call may take before the operation fails with UNEXPECTED_LAMBDA. */
  hookTimeoutMs: number;
  /** Message templates, Cognito's placeholders `{####}` (the code) and `{username}`. */
  emailVerificationSubject: string;
  emailVerificationMessage: string;
  emailInvitationSubject: string;
  emailInvitationMessage: string;
  emailMfaSubject: string;
  emailMfaMessage: string;
  /** Cognito's user pool id, `<region>_<id>`: Cognito's wire API and SRP use it (DESIGN §12). */
  poolId: string;
  /** Cognito's AllowedFirstAuthFactors: what USER_AUTH offers. */
  firstFactors: ReadonlySet<FirstFactor>;
}

export type FirstFactor = "PASSWORD" | "PASSWORD_SRP" | "EMAIL_OTP";
export const FIRST_FACTORS: readonly FirstFactor[] = ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"];

export type MfaMode = "OFF" | "OPTIONAL" | "ON";
export type MfaFactorName = "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP";
export const MFA_FACTORS: readonly MfaFactorName[] = ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"];

export type PasswordRule = "lowercase" | "uppercase" | "numbers" | "symbols";
export const PASSWORD_RULES: readonly PasswordRule[] = [
  "lowercase",
  "uppercase",
  "numbers",
  "symbols",
];
