/**
 * SQLite schema, as an append-only list: a released migration is never edited, a change
 * is a new entry with the next version. `SqliteStore.migrate()` applies each pending one
 * in its own transaction and records it in `schema_migrations`.
 *
 * Tables are STRICT so that a column holds exactly the type its row interface in
 * ../sqlite.ts declares (SQLite would otherwise store "1" in an INTEGER column).
 */
export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: readonly SqliteMigration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE users (
        sub TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        confirmed INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
        password_reset_required INTEGER NOT NULL CHECK (password_reset_required IN (0, 1)),
        attributes TEXT NOT NULL CHECK (json_valid(attributes)),
        confirmation_code_hash TEXT,
        confirmation_code_expires_at_ms INTEGER,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ) STRICT;
      -- Read once at start-up to seed the in-memory block list; disabled users are few.
      CREATE INDEX users_disabled ON users (sub) WHERE enabled = 0;

      CREATE TABLE user_groups (
        sub TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
        group_name TEXT NOT NULL,
        PRIMARY KEY (sub, group_name)
      ) STRICT;

      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT,
        allowed_scopes TEXT NOT NULL CHECK (json_valid(allowed_scopes)),
        access_token_validity_seconds INTEGER NOT NULL,
        id_token_validity_seconds INTEGER NOT NULL,
        refresh_token_validity_seconds INTEGER NOT NULL,
        rotate_refresh_tokens INTEGER NOT NULL CHECK (rotate_refresh_tokens IN (0, 1)),
        refresh_token_reuse_grace_seconds INTEGER NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        created_at_ms INTEGER NOT NULL
      ) STRICT;

      -- No foreign keys: a session outlives the deletion of its user or client (the caller
      -- revokes it first, and the revoked row must stay visible until it expires).
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        auth_time_seconds INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        refresh_token_hash TEXT NOT NULL,
        previous_refresh_token_hash TEXT,
        rotated_at_ms INTEGER,
        revoked_at_ms INTEGER,
        revoked_reason TEXT
      ) STRICT;
      CREATE INDEX sessions_sub ON sessions (sub);
      CREATE INDEX sessions_revoked_at_ms ON sessions (revoked_at_ms);
      CREATE INDEX sessions_expires_at_ms ON sessions (expires_at_ms);

      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk_encrypted TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
        retired_at_ms INTEGER,
        expires_at_ms INTEGER
      ) STRICT;

      CREATE TABLE lockouts (
        username TEXT PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL,
        last_failure_at_ms INTEGER NOT NULL,
        locked_until_ms INTEGER NOT NULL
      ) STRICT;

      -- AUTOINCREMENT, not a plain rowid: after prune() deletes the newest events a plain
      -- rowid would hand out their seq again, and instances whose cursor is already past
      -- it would never see the new events.
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        at_ms INTEGER NOT NULL
      ) STRICT;
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
        scopes TEXT NOT NULL CHECK (json_valid(scopes)),
        created_at_ms INTEGER NOT NULL
      ) STRICT;
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
        at_ms INTEGER NOT NULL
      ) STRICT;
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
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: "challenges, MFA and one-time codes",
    // Names (challenge_name, purpose, preferred) carry no CHECK: their lists grow with
    // Cognito's, and SQLite cannot change a CHECK without rebuilding the table.
    sql: `
      -- Set while the password is a temporary one (FORCE_CHANGE_PASSWORD).
      ALTER TABLE users ADD COLUMN temporary_password_expires_at_ms INTEGER;

      -- Cognito's AuthSessionValidity; clients created before it get Cognito's default.
      ALTER TABLE clients ADD COLUMN auth_session_validity_minutes INTEGER NOT NULL DEFAULT 3
        CHECK (auth_session_validity_minutes BETWEEN 3 AND 15);

      CREATE TABLE user_mfa (
        sub TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
        totp_secret_sealed TEXT,
        pending_totp_secret_sealed TEXT,
        totp_enabled INTEGER NOT NULL CHECK (totp_enabled IN (0, 1)),
        email_enabled INTEGER NOT NULL CHECK (email_enabled IN (0, 1)),
        preferred TEXT,
        last_totp_step INTEGER,
        updated_at_ms INTEGER NOT NULL
      ) STRICT;

      -- At most one pending code per user and purpose; gone with the user.
      CREATE TABLE user_codes (
        sub TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
        purpose TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        PRIMARY KEY (sub, purpose)
      ) STRICT;
      CREATE INDEX user_codes_expires_at_ms ON user_codes (expires_at_ms);

      -- No foreign key: the sub of a challenge for an unknown username is a random id that
      -- no user has, so that the answers look alike.
      CREATE TABLE challenge_sessions (
        id TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        client_id TEXT NOT NULL,
        challenge_name TEXT NOT NULL,
        requested_scopes TEXT
          CHECK (json_valid(requested_scopes) AND json_type(requested_scopes) = 'array'),
        code_hash TEXT,
        context TEXT NOT NULL CHECK (json_valid(context) AND json_type(context) = 'object'),
        wrong_answers INTEGER NOT NULL CHECK (wrong_answers >= 0),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        spent_at_ms INTEGER
      ) STRICT;
      CREATE INDEX challenge_sessions_expires_at_ms ON challenge_sessions (expires_at_ms);
    `,
  },
  {
    version: 6,
    name: "Cognito's wire API: SRP verifiers, sealed client secrets, access keys",
    sql: `
      -- The SRP verifier of the password (USER_SRP_AUTH), sealed; null until the next password set or sign-in.
      ALTER TABLE users ADD COLUMN srp_verifier_sealed TEXT;

      -- The client secret itself, sealed (SECRET_HASH is an HMAC keyed with it); null for public
      -- clients and for confidential ones created before it was kept.
      ALTER TABLE clients ADD COLUMN secret_sealed TEXT;

      -- AWS access keys for the admin operations of the Cognito API (SigV4): the secret sealed.
      CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY,
        secret_sealed TEXT NOT NULL,
        description TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_used_at_ms INTEGER
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: "Cognito's groups: description and precedence",
    sql: `
      -- Groups made with CreateGroup. Membership (user_groups) does not need one: a name that
      -- only users have joined is a group too, as it always was in poolgate.
      CREATE TABLE user_pool_groups (
        name TEXT PRIMARY KEY,
        description TEXT,
        precedence INTEGER CHECK (precedence IS NULL OR precedence >= 0),
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ) STRICT;
      -- ListGroups walks the names of memberships in order.
      CREATE INDEX user_groups_group_name ON user_groups (group_name);
    `,
  },
  {
    version: 8,
    name: "OpenID provider: authorization codes, hosted sessions, clients' OAuth settings",
    // Flow names carry no CHECK, as the names of version 5; the row mapper refuses unknown ones.
    sql: `
      -- Cognito's CallbackURLs, LogoutURLs and AllowedOAuthFlows, JSON arrays as allowed_scopes.
      ALTER TABLE clients ADD COLUMN callback_urls TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(callback_urls) AND json_type(callback_urls) = 'array');
      ALTER TABLE clients ADD COLUMN logout_urls TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(logout_urls) AND json_type(logout_urls) = 'array');
      ALTER TABLE clients ADD COLUMN allowed_oauth_flows TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(allowed_oauth_flows) AND json_type(allowed_oauth_flows) = 'array');
      -- Confidential clients could use the client_credentials grant before the flows were a
      -- setting: they keep it. Public clients never could, and get none.
      UPDATE clients SET allowed_oauth_flows = '["client_credentials"]'
        WHERE secret_hash IS NOT NULL;

      -- Kept by the hash of the code. No foreign keys, as sessions: a redeemed code stays until
      -- pruned so that a second use is told apart from an unknown code (and the session it
      -- started can be revoked), whatever became of its user or client meanwhile. session_id
      -- is set by the exchange, never before it.
      CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        sub TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT,
        scope TEXT NOT NULL,
        nonce TEXT,
        auth_time_seconds INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        redeemed_at_ms INTEGER,
        session_id TEXT CHECK (session_id IS NULL OR redeemed_at_ms IS NOT NULL)
      ) STRICT;
      CREATE INDEX authorization_codes_expires_at_ms ON authorization_codes (expires_at_ms);

      -- Browsers signed in at the hosted sign-in page, by the hash of their cookie's id.
      CREATE TABLE hosted_sessions (
        id_hash TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        auth_time_seconds INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX hosted_sessions_expires_at_ms ON hosted_sessions (expires_at_ms);
      -- Global sign-out, disabling and password resets end a user's hosted sessions.
      CREATE INDEX hosted_sessions_sub ON hosted_sessions (sub);
      CREATE INDEX authorization_codes_sub ON authorization_codes (sub);
    `,
  },
];
