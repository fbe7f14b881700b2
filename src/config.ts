/**
 * Configuration: environment → typed, validated, frozen config, resolved once at start.
 * Every setting lives in SETTINGS below with its default and a one-line meaning; the
 * README's configuration table is checked against this list by test/unit/config.test.ts.
 * Defaults are the secure choice; anything that weakens security says so in its name.
 */
import {
  bad,
  bool,
  commaList,
  environmentOf,
  int,
  isDev,
  oneOf,
  template,
  type Env,
} from "./configValues";

import { resolve as resolvePath } from "node:path";
import { SIGNING_ALGORITHMS } from "./tokens/algorithms";

export { ConfigError, type Environment } from "./configValues";

export type { Config, FirstFactor, MfaMode, MfaFactorName, PasswordRule } from "./configShape";
import {
  FIRST_FACTORS,
  MFA_FACTORS,
  PASSWORD_RULES,
  type Config,
  type FirstFactor,
  type MfaFactorName,
  type PasswordRule,
} from "./configShape";

interface Setting<K extends keyof Config> {
  env: string;
  key: K;
  /** The default as shown in the README. */
  shown: string;
  meaning: string;
  parse: (raw: string | undefined, env: Env, name: string) => Config[K];
}

export const SETTINGS: readonly Setting<keyof Config>[] = [
  {
    env: "POOLGATE_ENV",
    key: "environment",
    shown: "`development` (`production` when NODE_ENV=production)",
    meaning: "Production requires a master key and turns off introspection and dev conveniences.",
    parse: (_raw, env) => environmentOf(env),
  },
  {
    env: "POOLGATE_HOST",
    key: "host",
    shown: "`127.0.0.1`",
    meaning: "Interface to listen on; set `0.0.0.0` behind a load balancer or in a container.",
    parse: (raw) => (raw && raw.trim()) || "127.0.0.1",
  },
  {
    env: "POOLGATE_PORT",
    key: "port",
    shown: "`4000`",
    meaning: "TCP port (0 picks a free one).",
    parse: int(0, 65535, 4000),
  },
  {
    env: "POOLGATE_ISSUER",
    key: "issuer",
    shown: "`http://localhost:<POOLGATE_PORT>` (`:4000` when the port is 0)",
    meaning: "The `iss` of every token and the base of discovery URLs; may be a Cognito-style URL.",
    parse: (raw, env, name) => {
      // In development the default follows the port, so discovery URLs point where the
      // gateway listens; a port of 0 (tests) keeps the conventional 4000.
      const port = Number((env["POOLGATE_PORT"] ?? "").trim() || "4000");
      const fallback = `http://localhost:${Number.isInteger(port) && port > 0 ? port : 4000}`;
      const v = (raw ?? "").trim() || fallback;
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return bad(name, `must be an absolute URL, got "${v}"`);
      }
      if (url.protocol !== "https:" && url.protocol !== "http:") bad(name, "must be http(s)");
      if (url.search || url.hash) bad(name, "must not have a query or fragment");
      return v.replace(/\/+$/, "");
    },
  },
  {
    env: "POOLGATE_DATABASE_URL",
    key: "databaseUrl",
    shown: "`sqlite:./data/poolgate.db`",
    meaning: "`sqlite:PATH` (embedded) or `postgres://…` (several instances).",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "sqlite:./data/poolgate.db";
      if (!/^sqlite:.+/.test(v) && !/^postgres(ql)?:\/\//.test(v)) {
        bad(name, 'must start with "sqlite:" or "postgres://"');
      }
      return v;
    },
  },
  {
    env: "POOLGATE_DATABASE_QUERY_TIMEOUT_MS",
    key: "databaseQueryTimeoutMs",
    shown: "`5000`",
    meaning:
      "PostgreSQL: each statement's `statement_timeout` (and the wait for its answer, so a black-holed connection fails instead of hanging); also bounds each revocation-sync pull.",
    parse: int(100, 600_000, 5000),
  },
  {
    env: "POOLGATE_DATABASE_CONNECT_TIMEOUT_MS",
    key: "databaseConnectTimeoutMs",
    shown: "`5000`",
    meaning:
      "PostgreSQL: longest wait to open a connection (or for a free one in the pool) before the request answers SERVICE_UNAVAILABLE.",
    parse: int(100, 600_000, 5000),
  },
  {
    env: "POOLGATE_MASTER_KEY",
    key: "masterKey",
    shown: "generated into `<data dir>/master.key` in development; required in production",
    meaning:
      "32 random bytes, base64 (`openssl rand -base64 32`); encrypts signing keys and refresh tokens.",
    parse: (raw, env, name) => {
      if (raw === undefined || raw.trim() === "") {
        if (isDev(env)) return undefined;
        return bad(name, "is required in production (openssl rand -base64 32)");
      }
      const key = Buffer.from(raw.trim(), "base64");
      if (key.length !== 32) bad(name, `must be 32 bytes in base64, got ${key.length} bytes`);
      return key;
    },
  },
  {
    env: "POOLGATE_LOG_LEVEL",
    key: "logLevel",
    shown: "`info`",
    meaning: "pino level: fatal, error, warn, info, debug, trace or silent.",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "info";
      const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
      const found = levels.find((l) => l === v);
      return found ?? bad(name, `must be one of ${levels.join(", ")}`);
    },
  },
  {
    env: "POOLGATE_CLOCK_SKEW_SECONDS",
    key: "clockSkewSeconds",
    shown: "`0`",
    meaning: "Tolerance for `exp`/`nbf` when verifying tokens.",
    parse: int(0, 300, 0),
  },
  {
    env: "POOLGATE_ADMIN_GROUP",
    key: "adminGroup",
    shown: "`admins`",
    meaning: "Only members of this group may be granted the `poolgate/admin` scope.",
    parse: (raw) => (raw ?? "").trim() || "admins",
  },
  {
    env: "POOLGATE_SELF_SIGN_UP",
    key: "selfSignUp",
    shown: "`false`",
    meaning: "Allow the public `signUp` mutation (Cognito's self-registration).",
    parse: bool(() => false),
  },
  {
    env: "POOLGATE_USERNAME_CASE_SENSITIVE",
    key: "usernameCaseSensitive",
    shown: "`false`",
    meaning:
      "Usernames are NFKC-normalised; `false` also matches and stores them lowercase (Cognito's case-insensitive pool). See docs/operations.md before changing it on a populated store.",
    parse: bool(() => false),
  },
  {
    env: "POOLGATE_PASSWORD_MIN_LENGTH",
    key: "passwordMinLength",
    shown: "`8`",
    meaning: "Password policy: minimum length (Cognito's default).",
    parse: int(6, 256, 8),
  },
  {
    env: "POOLGATE_PASSWORD_REQUIRE",
    key: "passwordRequire",
    shown: "`lowercase,uppercase,numbers,symbols`",
    meaning: "Password policy: character classes required (comma list; empty string for none).",
    parse: (raw, _env, name) => {
      const v = raw === undefined ? PASSWORD_RULES.join(",") : raw.trim();
      const rules = new Set<PasswordRule>();
      for (const part of commaList(v)) {
        const rule = PASSWORD_RULES.find((r) => r === part);
        if (!rule) bad(name, `unknown rule "${part}" (known: ${PASSWORD_RULES.join(", ")})`);
        rules.add(rule);
      }
      return rules;
    },
  },
  {
    env: "POOLGATE_PASSWORD_HASH_MEMORY_KIB",
    key: "passwordHashMemoryKib",
    shown: "`19456`",
    meaning: "argon2id memory cost (OWASP minimum 19 MiB); lower only in tests.",
    parse: int(64, 4 * 1024 * 1024, 19456),
  },
  {
    env: "POOLGATE_PASSWORD_HASH_ITERATIONS",
    key: "passwordHashIterations",
    shown: "`2`",
    meaning: "argon2id passes (OWASP: 2 with 19 MiB).",
    parse: int(1, 100, 2),
  },
  {
    env: "POOLGATE_REFRESH_REUSE_GRACE_SECONDS",
    key: "refreshTokenReuseGraceSeconds",
    shown: "`60`",
    meaning:
      "Default for new clients: how long a rotated refresh token still works before reuse revokes the session.",
    parse: int(0, 3600, 60),
  },
  {
    env: "POOLGATE_AUTHORIZATION_MODE",
    key: "authorizationMode",
    shown: "`filter`",
    meaning:
      "`filter`: unauthorized fields are null with an error; `reject`: the whole operation fails.",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "filter";
      if (v !== "filter" && v !== "reject") return bad(name, "must be filter or reject");
      return v;
    },
  },
  {
    env: "POOLGATE_INTROSPECTION",
    key: "introspection",
    shown: "`true` in development, `false` in production",
    meaning: "GraphQL schema introspection.",
    parse: bool(isDev),
  },
  {
    env: "POOLGATE_PREPARED_OPERATIONS",
    key: "preparedOperations",
    shown: "`true`",
    meaning:
      "Answer an operation Apollo Server has already validated and answered without its request pipeline (the same answer for less CPU; docs/decisions.md). `false`: every request through Apollo.",
    parse: bool(() => true),
  },
  {
    env: "POOLGATE_MAX_BODY_BYTES",
    key: "maxBodyBytes",
    shown: "`65536`",
    meaning: "Largest accepted request body.",
    parse: int(1024, 10 * 1024 * 1024, 65536),
  },
  {
    env: "POOLGATE_MAX_QUERY_DEPTH",
    key: "maxQueryDepth",
    shown: "`12`",
    meaning: "Deepest selection nesting accepted.",
    parse: int(2, 100, 12),
  },
  {
    env: "POOLGATE_MAX_ALIASES",
    key: "maxAliases",
    shown: "`20`",
    meaning: "Most aliases per operation.",
    parse: int(0, 1000, 20),
  },
  {
    env: "POOLGATE_MAX_QUERY_TOKENS",
    key: "maxQueryTokens",
    shown: "`1000`",
    meaning: "Most lexical tokens in a query document (parsing stops beyond it).",
    parse: int(50, 100000, 1000),
  },
  {
    env: "POOLGATE_MAX_TOKEN_BYTES",
    key: "maxTokenBytes",
    shown: "`8192`",
    meaning:
      "Longest bearer or refresh token accepted; longer ones are rejected before any crypto.",
    parse: int(512, 65536, 8192),
  },
  {
    env: "POOLGATE_TOKEN_CACHE_SIZE",
    key: "tokenCacheSize",
    shown: "`10000`",
    meaning: "Verified access tokens kept in memory (LRU, each until its `exp`).",
    parse: int(0, 10_000_000, 10000),
  },
  {
    env: "POOLGATE_SYNC_INTERVAL_MS",
    key: "syncIntervalMs",
    shown: "`250`",
    meaning: "How often the gateway reads revocations made by other processes on the same store.",
    parse: int(20, 1000, 250),
  },
  {
    env: "POOLGATE_PRUNE_INTERVAL_SECONDS",
    key: "pruneIntervalSeconds",
    shown: "`3600`",
    meaning:
      "How often the store is pruned of expired sessions, feed events older than the revocation window and expired lockouts (one instance at a time; `0`: never).",
    parse: int(0, 7 * 86400, 3600),
  },
  {
    env: "POOLGATE_KEY_ROTATION_GRACE_SECONDS",
    key: "keyRotationGraceSeconds",
    shown: "`86400`",
    meaning:
      "How long a retired signing key stays in the JWKS (the longest access/ID token lifetime).",
    parse: int(300, 10 * 365 * 86400, 86400),
  },
  {
    env: "POOLGATE_KEY_ACTIVATION_DELAY_SECONDS",
    key: "keyActivationDelaySeconds",
    shown: "`60`",
    meaning:
      "How long `keys rotate` publishes a new key in the JWKS before it signs, so remote verifiers know it first (longer than their refetch cooldown).",
    parse: int(0, 3600, 60),
  },
  {
    env: "POOLGATE_SIGNING_ALGORITHM",
    key: "signingAlgorithm",
    shown: "`RS256`",
    meaning:
      "Algorithm of new signing keys: `RS256` (RSA 2048, as Cognito), `ES256` (P-256) or `EdDSA` (Ed25519). A start with another value than the current key's rotates to a new key, as `keys rotate` does.",
    parse: oneOf(SIGNING_ALGORITHMS, "RS256"),
  },
  {
    env: "POOLGATE_CORS_ORIGINS",
    key: "corsOrigins",
    shown: "empty (no cross-origin access)",
    meaning:
      "Comma-separated browser origins (`https://app.example.com`) allowed to call `/graphql`, `/oauth2/*` and `/.well-known/*` with credentials; `*` (development only) allows any origin without credentials.",
    parse: (raw, env, name) => {
      const entries = (raw ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (entries.includes("*")) {
        if (entries.length > 1) bad(name, "must be either * alone or a list of origins");
        if (!isDev(env)) bad(name, "must not be * in production (list the origins)");
        return ["*"];
      }
      for (const entry of entries) {
        let origin: string;
        try {
          origin = new URL(entry).origin;
        } catch {
          return bad(name, `has "${entry.slice(0, 100)}", which is not an origin`);
        }
        // An origin is scheme://host[:port], exactly as browsers send it: no path, no slash.
        if (origin !== entry || !/^https?:$/.test(new URL(entry).protocol))
          bad(name, `has "${entry.slice(0, 100)}"; write origins as https://host[:port]`);
      }
      return [...new Set(entries)];
    },
  },
  {
    env: "POOLGATE_LOGIN_CLIENT_ID",
    key: "loginClientId",
    shown: "empty (the page takes `?client_id=`)",
    meaning:
      "The public app client the hosted `/login` page signs in with; when set, `?client_id=` is ignored.",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim();
      if (v === "") return undefined;
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(v)) bad(name, "must be an app client id");
      return v;
    },
  },
  {
    env: "POOLGATE_METRICS_TOKEN",
    key: "metricsToken",
    shown: "empty (`/metrics` open)",
    meaning:
      "When set, `GET /metrics` requires `Authorization: Bearer <this token>` (16+ characters).",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim();
      if (v === "") return undefined;
      if (v.length < 16 || !/^[\x21-\x7e]+$/.test(v))
        bad(name, "must be at least 16 printable characters without spaces");
      return v;
    },
  },
  {
    env: "POOLGATE_METRICS_OPERATION_NAMES",
    key: "metricsOperationNames",
    shown: "empty (every named operation counts as `__other`)",
    meaning:
      "Comma-separated GraphQL operation names (`SignIn,Me`) counted under their own `operation` label in `poolgate_graphql_operations_total`; any other name counts as `__other`. Callers choose names, so only this list adds label values (at most 500).",
    parse: (raw, _env, name) => {
      const names = commaList(raw);
      if (names.length > 500) bad(name, "must list at most 500 names");
      for (const n of names)
        if (!/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(n))
          bad(name, "must list GraphQL names (letters, digits, _; at most 64 characters)");
      return names;
    },
  },
  {
    env: "POOLGATE_SHUTDOWN_DRAIN_SECONDS",
    key: "shutdownDrainSeconds",
    shown: "`10`",
    meaning:
      "On SIGTERM or stop, how long requests in flight may take to finish; then every connection still open is closed (keep it below the orchestrator's grace period).",
    parse: int(0, 3600, 10),
  },
  {
    env: "POOLGATE_DANGEROUSLY_EXPOSE_ERROR_DETAILS",
    key: "dangerouslyExposeErrorDetails",
    shown: "`false`",
    meaning: "Put internal error messages in responses (never in production).",
    parse: bool(() => false),
  },
  {
    env: "POOLGATE_DANGEROUSLY_INSECURE_COOKIES",
    key: "dangerouslyInsecureCookies",
    shown: "`false`",
    meaning:
      "Development only: refresh-token cookies without the `__Host-` prefix and `Secure`, for browsers that refuse Secure cookies over plain http.",
    parse: bool(() => false),
  },
  {
    env: "POOLGATE_MFA",
    key: "mfa",
    shown: "`OFF`",
    meaning:
      "Multi-factor sign-in: `OFF`, `OPTIONAL` (users who turned a factor on are asked for it) or `ON` (every user; those without a factor set one up while signing in). See docs/mfa.md.",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim().toUpperCase() || "OFF";
      if (v !== "OFF" && v !== "OPTIONAL" && v !== "ON")
        return bad(name, "must be OFF, OPTIONAL or ON");
      return v;
    },
  },
  {
    env: "POOLGATE_MFA_FACTORS",
    key: "mfaFactors",
    shown: "`SOFTWARE_TOKEN_MFA`",
    meaning:
      "Second factors the pool offers (comma list): `SOFTWARE_TOKEN_MFA` (authenticator apps, TOTP) and `EMAIL_OTP` (codes by email; needs SMTP in production).",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "SOFTWARE_TOKEN_MFA";
      const factors = new Set<MfaFactorName>();
      for (const part of commaList(v)) {
        const factor = MFA_FACTORS.find((f) => f === part.toUpperCase());
        if (!factor)
          bad(name, `unknown factor "${part.slice(0, 40)}" (known: ${MFA_FACTORS.join(", ")})`);
        factors.add(factor);
      }
      if (factors.size === 0) bad(name, "must name at least one factor");
      return factors;
    },
  },
  {
    env: "POOLGATE_TOTP_ISSUER",
    key: "totpIssuer",
    shown: "`poolgate`",
    meaning: "The name authenticator apps show for this pool's TOTP entries.",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "poolgate";
      if (v.length > 64 || v.includes(":") || /[\u0000-\u001f\u007f]/.test(v))
        bad(name, "must be at most 64 characters without a colon or control characters");
      return v;
    },
  },
  {
    env: "POOLGATE_TEMPORARY_PASSWORD_VALIDITY_DAYS",
    key: "temporaryPasswordValidityDays",
    shown: "`7`",
    meaning:
      "How long a temporary password from `adminCreateUser` works (Cognito's TemporaryPasswordValidityDays); only to choose a new password.",
    parse: int(1, 365, 7),
  },
  {
    env: "POOLGATE_ACCOUNT_RECOVERY",
    key: "accountRecovery",
    shown: "`verified_email`",
    meaning:
      "`verified_email`: `forgotPassword` sends a code to the user's verified email (needs SMTP in production); `admin_only`: only an admin can reset a password.",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "verified_email";
      if (v !== "verified_email" && v !== "admin_only")
        return bad(name, "must be verified_email or admin_only");
      return v;
    },
  },
  {
    env: "POOLGATE_REQUIRED_ATTRIBUTES",
    key: "requiredAttributes",
    shown: "empty",
    meaning:
      "Attributes every user must have (comma list, e.g. `email,name`): `signUp` requires them and `NEW_PASSWORD_REQUIRED` asks for those missing.",
    parse: (raw, _env, name) => {
      const names = commaList(raw);
      for (const n of names)
        if (!/^(custom:)?[a-z_]{1,32}$/.test(n) || n.endsWith("_verified"))
          bad(name, `has "${n.slice(0, 40)}", which is not an attribute name`);
      return names;
    },
  },
  {
    env: "POOLGATE_SMTP_URL",
    key: "smtpUrl",
    shown: "empty (development: messages go to the log)",
    meaning:
      "Mail server for codes and invitations: `smtp://user:pass@host:587` (STARTTLS when offered; add `?requireTLS=true` to insist) or `smtps://…:465`. Required in production when a feature sends mail.",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim();
      if (v === "") return undefined;
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return bad(name, "must be an smtp:// or smtps:// URL");
      }
      if (url.protocol !== "smtp:" && url.protocol !== "smtps:")
        bad(name, "must be an smtp:// or smtps:// URL");
      if (!url.hostname) bad(name, "must name a host");
      return v;
    },
  },
  {
    env: "POOLGATE_EMAIL_FROM",
    key: "emailFrom",
    shown: "`poolgate <no-reply@localhost>`",
    meaning: "The From address of every message (`Name <address>` or an address).",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "poolgate <no-reply@localhost>";
      if (v.length > 320 || /[\r\n]/.test(v) || !/@[^@\s>]+>?$/.test(v))
        bad(name, "must be an email address, optionally as Name <address>");
      return v;
    },
  },
  {
    env: "POOLGATE_SMTP_TIMEOUT_MS",
    key: "smtpTimeoutMs",
    shown: "`10000`",
    meaning:
      "Longest an SMTP connection, greeting or exchange may take; past it the delivery fails (`CODE_DELIVERY_FAILURE`).",
    parse: int(100, 120_000, 10_000),
  },
  {
    env: "POOLGATE_HOOKS",
    key: "hooksModule",
    shown: "empty (no hooks)",
    meaning:
      "Path of a JavaScript module (CommonJS or ESM, relative to the working directory) exporting Cognito's triggers by name: `preTokenGeneration`, `userMigration` (docs/hooks.md). Loaded once at start; a missing file or a wrong export stops the start.",
    parse: (raw) => {
      const v = (raw ?? "").trim();
      return v === "" ? undefined : resolvePath(v);
    },
  },
  {
    env: "POOLGATE_HOOK_TIMEOUT_MS",
    key: "hookTimeoutMs",
    shown: "`5000`",
    meaning:
      "Longest one hook call may take; past it the operation fails with `UNEXPECTED_LAMBDA` (Cognito's `UnexpectedLambdaException`).",
    parse: int(10, 60_000, 5_000),
  },
  {
    env: "POOLGATE_EMAIL_VERIFICATION_SUBJECT",
    key: "emailVerificationSubject",
    shown: "`Your verification code`",
    meaning:
      "Subject of verification messages (sign-up, resend, forgot password, attribute verification).",
    parse: template("Your verification code"),
  },
  {
    env: "POOLGATE_EMAIL_VERIFICATION_MESSAGE",
    key: "emailVerificationMessage",
    shown: "`Your verification code is {####}.`",
    meaning:
      "Body of verification messages; must contain `{####}` (the code); may contain `{username}`.",
    parse: template("Your verification code is {####}.", ["{####}"]),
  },
  {
    env: "POOLGATE_EMAIL_INVITATION_SUBJECT",
    key: "emailInvitationSubject",
    shown: "`Your temporary password`",
    meaning: "Subject of the invitation `adminCreateUser` sends.",
    parse: template("Your temporary password"),
  },
  {
    env: "POOLGATE_EMAIL_INVITATION_MESSAGE",
    key: "emailInvitationMessage",
    shown: "`Your username is {username} and temporary password is {####}.`",
    meaning:
      "Body of the invitation; must contain `{username}` and `{####}` (the temporary password).",
    parse: template("Your username is {username} and temporary password is {####}.", [
      "{username}",
      "{####}",
    ]),
  },
  {
    env: "POOLGATE_EMAIL_MFA_SUBJECT",
    key: "emailMfaSubject",
    shown: "`Your sign-in code`",
    meaning: "Subject of `EMAIL_OTP` sign-in codes.",
    parse: template("Your sign-in code"),
  },
  {
    env: "POOLGATE_EMAIL_MFA_MESSAGE",
    key: "emailMfaMessage",
    shown: "`Your authentication code is {####}.`",
    meaning: "Body of `EMAIL_OTP` sign-in codes; must contain `{####}`.",
    parse: template("Your authentication code is {####}.", ["{####}"]),
  },
  {
    env: "POOLGATE_POOL_ID",
    key: "poolId",
    shown: "`local_poolgate`",
    meaning:
      "The user pool id clients of Cognito's own API are configured with (`<region>_<id>`): Amplify reads the region from the part before `_`, and SRP signs with the part after it (changing it voids every SRP verifier until the user's next password sign-in: docs/srp.md).",
    parse: (raw, _env, name) => {
      const v = (raw ?? "").trim() || "local_poolgate";
      if (!/^[\w-]{1,50}_[0-9a-zA-Z]{1,50}$/.test(v))
        bad(name, "must be <region>_<id> (e.g. eu-west-1_AbC123), as Cognito's pool ids are");
      return v;
    },
  },
  {
    env: "POOLGATE_FIRST_FACTORS",
    key: "firstFactors",
    shown: "`PASSWORD,PASSWORD_SRP`",
    meaning:
      "What choice-based sign-in (`USER_AUTH`) offers, Cognito's AllowedFirstAuthFactors: `PASSWORD` (always), `PASSWORD_SRP`, and `EMAIL_OTP` (passwordless: a code to the user's verified email; needs SMTP in production).",
    parse: (raw, _env, name) => {
      const factors = new Set<FirstFactor>();
      for (const part of commaList((raw ?? "").trim() || "PASSWORD,PASSWORD_SRP")) {
        const factor = FIRST_FACTORS.find((f) => f === part.toUpperCase());
        if (!factor)
          bad(name, `unknown factor "${part.slice(0, 40)}" (known: ${FIRST_FACTORS.join(", ")})`);
        factors.add(factor);
      }
      if (!factors.has("PASSWORD")) bad(name, "must include PASSWORD (as Cognito's)");
      return factors;
    },
  },
];

/** Which features need mail: a production pool with any of them must have SMTP. */
export function mailFeatures(config: Readonly<Config>): string[] {
  const features: string[] = [];
  if (config.selfSignUp) features.push("self sign-up (POOLGATE_SELF_SIGN_UP)");
  if (config.accountRecovery === "verified_email")
    features.push("account recovery (POOLGATE_ACCOUNT_RECOVERY=verified_email)");
  if (config.mfa !== "OFF" && config.mfaFactors.has("EMAIL_OTP"))
    features.push("email MFA (POOLGATE_MFA_FACTORS has EMAIL_OTP)");
  if (config.firstFactors.has("EMAIL_OTP"))
    features.push("passwordless email sign-in (POOLGATE_FIRST_FACTORS has EMAIL_OTP)");
  return features;
}

/** Reads and validates the whole configuration; throws one ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const out: Partial<Record<keyof Config, unknown>> = {};
  for (const s of SETTINGS) out[s.key] = s.parse(env[s.env], env, s.env);
  const config = out as Config;
  if (config.environment === "production" && config.dangerouslyExposeErrorDetails) {
    bad("POOLGATE_DANGEROUSLY_EXPOSE_ERROR_DETAILS", "must not be set in production");
  }
  if (config.environment === "production" && config.dangerouslyInsecureCookies) {
    bad("POOLGATE_DANGEROUSLY_INSECURE_COOKIES", "must not be set in production");
  }
  if (config.environment === "production" && config.smtpUrl === undefined) {
    const features = mailFeatures(config);
    if (features.length > 0)
      bad(
        "POOLGATE_SMTP_URL",
        `is required in production when a feature sends mail: ${features.join(", ")}`,
      );
  }
  return Object.freeze(config);
}
