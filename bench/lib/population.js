// Section 5's users, written straight into a store file by SQL (1 000 000 rows in seconds):
// every user shares one precomputed argon2id hash; subs are UUID-shaped from the row number.
"use strict";
const { randomUUID } = require("node:crypto");
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { ROOT } = require("./root");

function subOf(n) {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}
function usernameOf(n) {
  return `user-${n}`;
}

/** Fills an already-migrated SQLite store with `users` users and `revoked` revoked sessions. */
async function populate(path, { users, revoked, passwordHash, clientId = "bench-direct-sql" }) {
  const Database = createRequire(join(ROOT, "package.json"))("better-sqlite3");
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = OFF");
    const now = Date.now();
    const insertUser = db.prepare(
      "INSERT INTO users (sub, username, password_hash, enabled, confirmed, password_reset_required, attributes, created_at_ms, updated_at_ms) VALUES (?, ?, ?, 1, 1, 0, ?, ?, ?)",
    );
    const insertGroup = db.prepare("INSERT INTO user_groups (sub, group_name) VALUES (?, ?)");
    const CHUNK = 100_000;
    for (let start = 0; start < users; start += CHUNK) {
      db.transaction(() => {
        for (let n = start; n < Math.min(users, start + CHUNK); n++) {
          const sub = subOf(n);
          const username = usernameOf(n);
          insertUser.run(
            sub,
            username,
            passwordHash,
            `{"email":"${username}@example.com","email_verified":"true"}`,
            now,
            now,
          );
          if (n % 10 === 0) insertGroup.run(sub, "staff");
        }
      })();
    }
    const insertSession = db.prepare(
      "INSERT INTO sessions (id, sub, client_id, scope, auth_time_seconds, created_at_ms, expires_at_ms, refresh_token_hash, revoked_at_ms, revoked_reason) VALUES (?, ?, ?, 'openid', ?, ?, ?, ?, ?, 'user')",
    );
    const insertChange = db.prepare(
      "INSERT INTO changes (kind, subject, at_ms) VALUES ('session_revoked', ?, ?)",
    );
    db.transaction(() => {
      for (let i = 0; i < revoked; i++) {
        const id = randomUUID();
        insertSession.run(
          id,
          subOf(i % Math.max(1, users)),
          clientId,
          Math.floor(now / 1000),
          now,
          now + 86400_000,
          `h-${id}`,
          now,
        );
        insertChange.run(id, now);
      }
    })();
  } finally {
    db.close();
  }
}

module.exports = { subOf, usernameOf, populate };
