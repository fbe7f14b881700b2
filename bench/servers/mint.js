// Setup helper for section 5 (not measured): opens the gateway's store with the gateway's
// master key and mints access tokens with its active signing key — the same claims a
// sign-in gives — without the per-user sign-ins that would take an argon2id hash each.
// Runs on both cores; writes one token per line.
"use strict";
const { randomUUID } = require("node:crypto");
const { createWriteStream } = require("node:fs");
const { serveChild } = require("../lib/child");
const { subOf, usernameOf } = require("../lib/population");
const { dist, ROOT } = require("../lib/root");
const { createRequire } = require("node:module");
const { join } = require("node:path");

const { SignJWT } = createRequire(join(ROOT, "package.json"))("jose");
const { openStore } = dist("store/open.js");
const { deriveSecrets } = dist("tokens/secrets.js");
const { KeyService } = dist("identity/keys.js");

serveChild(async () => {
  const store = await openStore(process.env.POOLGATE_DATABASE_URL);
  const secrets = deriveSecrets(Buffer.from(process.env.POOLGATE_MASTER_KEY, "base64"));
  const keys = new KeyService(store, secrets.keyEncryptionKey, 86400 * 1000);
  await keys.open(Date.now());
  const signer = keys.ring().signingKey();
  return {
    url: "ipc:",
    stop: () => store.close(),
    commands: {
      /** count tokens for users subOf(i) (i drawn from `users`), each in its own session. */
      async mint({ count, users, clientId, issuer, file }) {
        const out = createWriteStream(file);
        const now = Math.floor(Date.now() / 1000);
        const one = (i) => {
          const n = Math.floor(Math.random() * users);
          return new SignJWT({
            sub: subOf(n),
            iss: issuer,
            version: 2,
            client_id: clientId,
            origin_jti: randomUUID(),
            event_id: randomUUID(),
            token_use: "access",
            scope: "aws.cognito.signin.user.admin openid email profile",
            auth_time: now,
            exp: now + 3600,
            iat: now,
            jti: randomUUID(),
            username: usernameOf(n),
          })
            .setProtectedHeader({ alg: "RS256", kid: signer.kid, typ: "JWT" })
            .sign(signer.privateKey);
        };
        const BATCH = 256;
        for (let i = 0; i < count; i += BATCH) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => one(i + j)),
          );
          if (!out.write(batch.join("\n") + "\n")) await new Promise((r) => out.once("drain", r));
        }
        await new Promise((r) => out.end(r));
        return count;
      },
    },
  };
});
