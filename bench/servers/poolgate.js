// poolgate itself, from dist/, in its own process: createGateway on a SQLite store file the
// bench made, with the production defaults (argon2id at OWASP cost, verifier cache 10 000).
// Environment: POOLGATE_* (the parent sets the database URL and a master key).
"use strict";
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
       * and a signed-in session for each user (not measured).
       */
      async setup({ users = 1, password, signIns = 1 } = {}) {
        await pool.resourceServers.create({ id: "bench", scopes: ["read"] }, now());
        const web = await pool.clients.create(
          { name: "bench-web", allowedScopes: ["openid", "email", "profile"] },
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
