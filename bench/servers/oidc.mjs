// Peer: oidc-provider (panva), the reference OAuth 2.0 / OpenID Provider for Node.js, on
// node:http with its default in-memory adapter. One confidential client with the
// client_credentials and refresh_token grants; access tokens are RS256 JWTs (resource
// indicators, accessTokenFormat "jwt"); a refresh also returns an RS256 ID token (scope
// openid), as poolgate's does. Refresh tokens are not rotated (poolgate's default).
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const { serveChild } = require("../lib/child.js");
const { PEERS } = require("../lib/peers.js");
const peerImport = (name) => import(createRequire(join(PEERS, "package.json")).resolve(name));

serveChild(async () => {
  const { default: Provider } = await peerImport("oidc-provider");
  const jwk = JSON.parse(process.env.BENCH_PRIVATE_JWK);
  const RESOURCE = "urn:bench:api";
  const client = {
    client_id: "bench",
    client_secret: "bench-secret-bench-secret-bench-secret",
    grant_types: ["client_credentials", "refresh_token", "authorization_code"],
    redirect_uris: ["http://127.0.0.1/cb"],
    response_types: ["code"],
    scope: "openid offline_access api:read",
  };
  const provider = new Provider("http://127.0.0.1", {
    clients: [client],
    jwks: { keys: [{ ...jwk, alg: "RS256", use: "sig", kid: "bench" }] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@example.com`, email_verified: true }),
    }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: "api:read",
          accessTokenFormat: "jwt",
          accessTokenTTL: 3600,
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    scopes: ["openid", "offline_access", "api:read"],
    rotateRefreshToken: false,
    ttl: {
      RefreshToken: 30 * 86400,
      AccessToken: 3600,
      IdToken: 3600,
      Grant: 30 * 86400,
      ClientCredentials: 3600,
    },
  });
  provider.on("server_error", (_ctx, err) => console.error(err));
  const server = createServer(provider.callback());
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
    commands: {
      /** A refresh token as an authorization-code flow would have left it (not measured). */
      async refreshToken() {
        const sub = "bench-user";
        const grant = new provider.Grant({ accountId: sub, clientId: client.client_id });
        grant.addOIDCScope("openid offline_access");
        grant.addResourceScope(RESOURCE, "api:read");
        const grantId = await grant.save();
        const clientObj = await provider.Client.find(client.client_id);
        const rt = new provider.RefreshToken({
          accountId: sub,
          client: clientObj,
          grantId,
          gty: "authorization_code",
          scope: "openid offline_access api:read",
          resource: RESOURCE,
          authTime: Math.floor(Date.now() / 1000),
        });
        return {
          refreshToken: await rt.save(),
          clientId: client.client_id,
          clientSecret: client.client_secret,
        };
      },
    },
  };
});
