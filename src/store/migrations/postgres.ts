/**
 * PostgreSQL schema, as an append-only list: a released migration is never edited, a change
 * is a new entry with the next version. `PostgresStore.migrate()` applies the pending ones in
 * one transaction under an advisory lock and records each in `schema_migrations`.
 *
 * The tables mirror ./sqlite.ts column for column. Times are BIGINT milliseconds (an INTEGER
 * would overflow in 1970 + 24 days); `auth_time_seconds` is BIGINT too, as an int4 would in
 * 2038. The store's pool parses int8 into JS numbers and refuses values beyond 2^53.
 */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE users (
        sub TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        enabled BOOLEAN NOT NULL,
        confirmed BOOLEAN NOT NULL,
        password_reset_required BOOLEAN NOT NULL,
        attributes JSONB NOT NULL CHECK (jsonb_typeof(attributes) = 'object'),
        confirmation_code_hash TEXT,
        confirmation_code_expires_at_ms BIGINT,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL
      );
      -- Read once at start-up to seed the in-memory block list; disabled users are few.
      CREATE INDEX users_disabled ON users (sub) WHERE NOT enabled;

      CREATE TABLE user_groups (
        sub TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
        group_name TEXT NOT NULL,
        PRIMARY KEY (sub, group_name)
      );

      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT,
        allowed_scopes JSONB NOT NULL CHECK (jsonb_typeof(allowed_scopes) = 'array'),
        access_token_validity_seconds INTEGER NOT NULL,
        id_token_validity_seconds INTEGER NOT NULL,
        refresh_token_validity_seconds INTEGER NOT NULL,
        rotate_refresh_tokens BOOLEAN NOT NULL,
        refresh_token_reuse_grace_seconds INTEGER NOT NULL,
        enabled BOOLEAN NOT NULL,
        created_at_ms BIGINT NOT NULL
      );

      -- No foreign keys: a session outlives the deletion of its user or client (the caller
      -- revokes it first, and the revoked row must stay visible until it expires).
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        auth_time_seconds BIGINT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        refresh_token_hash TEXT NOT NULL,
        previous_refresh_token_hash TEXT,
        rotated_at_ms BIGINT,
        revoked_at_ms BIGINT,
        revoked_reason TEXT
      );
      CREATE INDEX sessions_sub ON sessions (sub);
      CREATE INDEX sessions_revoked_at_ms ON sessions (revoked_at_ms);
      CREATE INDEX sessions_expires_at_ms ON sessions (expires_at_ms);

      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk_encrypted TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
        retired_at_ms BIGINT,
        expires_at_ms BIGINT
      );

      CREATE TABLE lockouts (
        username TEXT PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL,
        last_failure_at_ms BIGINT NOT NULL,
        locked_until_ms BIGINT NOT NULL
      );

      -- A sequence never hands out a value twice, even after prune() deletes the newest
      -- events. CACHE 1 (the default, spelled out because it matters): with a per-session
      -- cache, two connections would draw from different ranges and seq order would stop
      -- following the order in which writers take the feed lock (see ../postgres.ts).
      CREATE TABLE changes (
        seq BIGINT GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        at_ms BIGINT NOT NULL
      );
      CREATE INDEX changes_at_ms ON changes (at_ms);
    `,
  },
  {
    version: 2,
    name: "resource servers",
    sql: `
      CREATE TABLE resource_servers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scopes JSONB NOT NULL,
        created_at_ms BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "readiness heartbeats",
    // One row per running instance, rewritten by each readiness probe: a write that fails
    // when the store refuses writes. Per instance, so probes of many instances never queue
    // on one row lock.
    sql: `
      CREATE TABLE heartbeats (
        instance TEXT PRIMARY KEY,
        at_ms BIGINT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "pool settings",
    sql: `
      -- Small named values the pool records about its own data, e.g. which username rule
      -- (identity/usernames.ts) the stored names follow.
      CREATE TABLE pool_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: "challenges, MFA and one-time codes",
    // As ./sqlite.ts version 5: names (challenge_name, purpose, preferred) carry no CHECK.
    sql: `
      -- Set while the password is a temporary one (FORCE_CHANGE_PASSWORD).
      ALTER TABLE users ADD COLUMN temporary_password_expires_at_ms BIGINT;

      -- Cognito's AuthSessionValidity; clients created before it get Cognito's default.
      ALTER TABLE clients ADD COLUMN auth_session_validity_minutes INTEGER NOT NULL DEFAULT 3
        CHECK (auth_session_validity_minutes BETWEEN 3 AND 15);

      CREATE TABLE user_mfa (
        sub TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
        totp_secret_sealed TEXT,
        pending_totp_secret_sealed TEXT,
        totp_enabled BOOLEAN NOT NULL,
        email_enabled BOOLEAN NOT NULL,
        preferred TEXT,
        last_totp_step BIGINT,
        updated_at_ms BIGINT NOT NULL
      );

      -- At most one pending code per user and purpose; gone with the user.
      CREATE TABLE user_codes (
        sub TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
        purpose TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        PRIMARY KEY (sub, purpose)
      );
      CREATE INDEX user_codes_expires_at_ms ON user_codes (expires_at_ms);

      -- No foreign key: the sub of a challenge for an unknown username is a random id that
      -- no user has, so that the answers look alike.
      CREATE TABLE challenge_sessions (
        id TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        client_id TEXT NOT NULL,
        challenge_name TEXT NOT NULL,
        requested_scopes JSONB CHECK (jsonb_typeof(requested_scopes) = 'array'),
        code_hash TEXT,
        context JSONB NOT NULL CHECK (jsonb_typeof(context) = 'object'),
        wrong_answers INTEGER NOT NULL CHECK (wrong_answers >= 0),
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        spent_at_ms BIGINT
      );
      CREATE INDEX challenge_sessions_expires_at_ms ON challenge_sessions (expires_at_ms);
    `,
  },
  {
    version: 6,
    name: "Cognito's wire API: SRP verifiers, sealed client secrets, access keys",
    // As ./sqlite.ts version 6.
    sql: `
      ALTER TABLE users ADD COLUMN srp_verifier_sealed TEXT;
      ALTER TABLE clients ADD COLUMN secret_sealed TEXT;
      CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY,
        secret_sealed TEXT NOT NULL,
        description TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        last_used_at_ms BIGINT
      );
    `,
  },
  {
    version: 7,
    name: "Cognito's groups: description and precedence",
    // As ./sqlite.ts version 7. The "C" indexes serve the code-point order that every listing
    // pages in (ListUsers, ListGroups), which the default collation's indexes cannot.
    sql: `
      CREATE TABLE user_pool_groups (
        name TEXT PRIMARY KEY,
        description TEXT,
        precedence INTEGER CHECK (precedence IS NULL OR precedence >= 0),
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL
      );
      CREATE INDEX user_groups_group_name ON user_groups (group_name COLLATE "C");
      CREATE INDEX users_username_c ON users (username COLLATE "C");
    `,
  },
  {
    version: 8,
    name: "OpenID provider: authorization codes, hosted sessions, clients' OAuth settings",
    // As ./sqlite.ts version 8 (which says why there are no foreign keys and no CHECK on the
    // flow names).
    sql: `
      ALTER TABLE clients
        ADD COLUMN callback_urls JSONB NOT NULL DEFAULT '[]'
          CHECK (jsonb_typeof(callback_urls) = 'array'),
        ADD COLUMN logout_urls JSONB NOT NULL DEFAULT '[]'
          CHECK (jsonb_typeof(logout_urls) = 'array'),
        ADD COLUMN allowed_oauth_flows JSONB NOT NULL DEFAULT '[]'
          CHECK (jsonb_typeof(allowed_oauth_flows) = 'array');
      -- Confidential clients keep the client_credentials grant they could use before.
      UPDATE clients SET allowed_oauth_flows = '["client_credentials"]'
        WHERE secret_hash IS NOT NULL;

      CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        sub TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT,
        scope TEXT NOT NULL,
        nonce TEXT,
        auth_time_seconds BIGINT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        redeemed_at_ms BIGINT,
        session_id TEXT CHECK (session_id IS NULL OR redeemed_at_ms IS NOT NULL)
      );
      CREATE INDEX authorization_codes_expires_at_ms ON authorization_codes (expires_at_ms);

      CREATE TABLE hosted_sessions (
        id_hash TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        auth_time_seconds BIGINT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL
      );
      CREATE INDEX hosted_sessions_expires_at_ms ON hosted_sessions (expires_at_ms);
      -- Global sign-out, disabling and password resets end a user's hosted sessions.
      CREATE INDEX hosted_sessions_sub ON hosted_sessions (sub);
      CREATE INDEX authorization_codes_sub ON authorization_codes (sub);
    `,
  },
];
