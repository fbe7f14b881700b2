// Peer: oidc-provider (panva), the reference OAuth 2.0 / OpenID Provider for Node.js, on
// node:http with its default in-memory adapter. One confidential client with the
// client_credentials, refresh_token and authorization_code grants; access tokens are RS256 JWTs (resource
// indicators, accessTokenFormat "jwt"); a refresh also returns an RS256 ID token (scope
// openid), as poolgate's does. Refresh tokens are not rotated (poolgate's default).
// BENCH_SIGNING_ALG (default RS256; section 10: ES256 or EdDSA) is the algorithm of the key in
// BENCH_PRIVATE_JWK and of both tokens (the client's id_token_signed_response_alg and the
// resource server's JWT access-token format).
//
// The authorization-code round trip (section 7): devInteractions stay off; interactions.url
// points at /interaction/<uid> on this same server, where a bench-only handler completes the
// login prompt as "bench-user" and the consent prompt with a Grant of exactly what is missing,
// with no page. That happens once, when the bench opens its session; the session cookie then
// lets every later /auth answer with the code straight away. A code exchange also issues a
// refresh token (issueRefreshToken below), as poolgate's always does: oidc-provider's default
// issues one only for offline_access, which it keeps only with prompt=consent, an interaction
// on every authorization.
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
  const alg = process.env.BENCH_SIGNING_ALG ?? "RS256";
  const RESOURCE = "urn:bench:api";
  const client = {
    client_id: "bench",
    client_secret: "bench-secret-bench-secret-bench-secret",
    grant_types: ["client_credentials", "refresh_token", "authorization_code"],
    redirect_uris: ["http://127.0.0.1/cb"],
    response_types: ["code"],
    scope: "openid offline_access api:read",
    id_token_signed_response_alg: alg,
  };
  const provider = new Provider("http://127.0.0.1", {
    clients: [client],
    jwks: { keys: [{ ...jwk, alg, use: "sig", kid: "bench" }] },
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
          jwt: { sign: { alg } },
        }),
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    issueRefreshToken: (_ctx, c, source) =>
      c.grantTypeAllowed("refresh_token") &&
      (source.kind === "AuthorizationCode" || source.scopes.has("offline_access")),
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
  const callback = provider.callback();
  /** The bench's own interaction: no page, the prompt answered at once. */
  const interact = async (req, res) => {
    const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
    if (prompt.name === "login") {
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: "bench-user" } },
        { mergeWithLastSubmission: false },
      );
    }
    if (prompt.name !== "consent") throw new Error(`unexpected prompt ${prompt.name}`);
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(resource, scopes.join(" "));
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } });
  };
  const server = createServer((req, res) => {
    if (!req.url.startsWith("/interaction/")) return callback(req, res);
    interact(req, res).catch((err) => {
      console.error(err);
      res.statusCode = 500;
      res.end(String(err.message));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
    commands: {
      /** The confidential client's credentials (section 7 signs in through it). */
      client: () => ({ clientId: client.client_id, clientSecret: client.client_secret }),
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
