// poolgate itself, from dist/, in its own process: createGateway on a SQLite store file the
// bench made, with the production defaults (argon2id at OWASP cost, verifier cache 10 000).
// Environment: POOLGATE_* (the parent sets the database URL and a master key).
"use strict";
const { randomUUID } = require("node:crypto");
const { serveChild } = require("../lib/child");
const { dist } = require("../lib/root");

const { loadConfig } = dist("config.js");
const { createGateway } = dist("server.js");

serveChild(async () => {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith("POOLGATE_")) env[k] = v;
  const config = loadConfig({ POOLGATE_PORT: "0", POOLGATE_LOG_LEVEL: "silent", ...env });
  const gateway = await createGateway({ config });
  const url = await gateway.listen();
  const pool = gateway.pool;
  const now = () => Date.now();
  return {
    url,
    stop: () => gateway.stop(),
    commands: {
      /**
       * One public app client (user sign-ins), one confidential client for the
       * client-credentials grant (a resource server scope), `users` users (group "staff"),
       * and a signed-in session for each user (not measured). `webScopes`: the public client's
       * scopes (section 3's MFA gateway adds aws.cognito.signin.user.admin, which
       * associateSoftwareToken with an access token needs).
       */
      async setup({
        users = 1,
        password,
        signIns = 1,
        webScopes = ["openid", "email", "profile"],
      } = {}) {
        await pool.resourceServers.create({ id: "bench", scopes: ["read"] }, now());
        const web = await pool.clients.create(
          { name: "bench-web", allowedScopes: webScopes },
          now(),
        );
        const svc = await pool.clients.create(
          { name: "bench-svc", generateSecret: true, allowedScopes: ["bench/read"] },
          now(),
        );
        const names = [];
        for (let i = 0; i < users; i++) {
          const u = await pool.users.adminCreate({
            username: `bench-${i}`,
            password,
            attributes: { email: `bench-${i}@example.com`, email_verified: "true" },
            groups: ["staff"],
          });
          names.push(u.username);
        }
        const sessions = [];
        for (let i = 0; i < signIns; i++) {
          const r = await pool.auth.signIn({
            clientId: web.client.clientId,
            username: names[i % names.length],
            password,
          });
          sessions.push({ accessToken: r.accessToken, refreshToken: r.refreshToken });
        }
        return {
          webClientId: web.client.clientId,
          svcClientId: svc.client.clientId,
          svcSecret: svc.clientSecret,
          users: names,
          sessions,
        };
      },
      /**
       * `count` confirmed users `${prefix}-0…` with a verified email (group "staff"), all with
       * one argon2id hash of `password`: the first is created by adminCreate (which hashes),
       * the others are written to the store with its hash, so hundreds cost one hash (a
       * sign-in's verification costs the same whatever the salt). Section 5 fills its store the
       * same way, by SQL. Those users have no SRP verifier (it is sealed to its user), so each
       * one's first password sign-in also re-hashes and seals one: callers sign every user in
       * once before measuring (section 3's warm-up and TOTP enrolment do).
       */
      async addUsers({ prefix, count, password }) {
        const attributes = (name) => ({ email: `${name}@example.com`, email_verified: "true" });
        const first = await pool.users.adminCreate({
          username: `${prefix}-0`,
          password,
          attributes: attributes(`${prefix}-0`),
          groups: ["staff"],
        });
        const { passwordHash } = await pool.store.getUserByUsername(first.username);
        const names = [first.username];
        for (let i = 1; i < count; i++) {
          const username = `${prefix}-${i}`;
          const t = now();
          await pool.store.createUser(
            {
              sub: randomUUID(),
              username,
              passwordHash,
              enabled: true,
              confirmed: true,
              passwordResetRequired: false,
              temporaryPasswordExpiresAtMs: null,
              attributes: attributes(username),
              confirmationCodeHash: null,
              confirmationCodeExpiresAtMs: null,
              createdAtMs: t,
              updatedAtMs: t,
            },
            ["staff"],
          );
          names.push(username);
        }
        return names;
      },
      /**
       * A confidential app client (its secret) allowed the authorization-code flow back to
       * `callbackUrl` with `scopes` (section 7's round trip; `setup` made the "bench" resource
       * server first).
       */
      async codeClient({ callbackUrl, scopes }) {
        const c = await pool.clients.create(
          {
            name: "bench-code",
            generateSecret: true,
            allowedScopes: scopes,
            callbackUrls: [callbackUrl],
            allowedOAuthFlows: ["code"],
          },
          now(),
        );
        return { clientId: c.client.clientId, clientSecret: c.clientSecret };
      },
      /** A client created on a store that was filled by direct SQL (section 5). */
      async createClient() {
        const web = await pool.clients.create(
          { name: "bench-web", allowedScopes: ["openid", "email", "profile"] },
          now(),
        );
        return web.client.clientId;
      },
      stats() {
        return {
          verifier: pool.verifier.stats(),
          revocations: pool.revocations.size(),
          mem: process.memoryUsage(),
        };
      },
    },
  };
});
