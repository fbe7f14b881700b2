"use strict";
/**
 * A supergraph over poolgate and orders: @apollo/gateway composes the two subgraphs at start
 * (IntrospectAndCompose reads each one's `_service { sdl }`) and forwards the caller's
 * Authorization header to every subgraph fetch.
 *
 * The gateway does not enforce @authenticated / @requiresScopes: the composed supergraph
 * links them `for: SECURITY`, and @apollo/gateway refuses to run a supergraph with a
 * SECURITY feature it does not implement. We compose as usual and then drop the `for:
 * SECURITY` purpose from those two links, so the gateway accepts the supergraph and leaves
 * the directives to the subgraphs — each of which enforces them on every request it receives
 * with poolgate's library (docs/federation.md). This is safe only because every subgraph
 * verifies the token itself; the gateway is not a trust boundary here.
 *
 * Run (from the repository root):
 *   POOLGATE_URL=http://127.0.0.1:4000/graphql ORDERS_URL=http://127.0.0.1:4001/ \
 *     node examples/supergraph/index.js
 * Settings: PORT (default 4002; 0: any free port), HOST (default 127.0.0.1), POOLGATE_URL,
 * ORDERS_URL. It logs one JSON line `{"msg":"listening","url":"http://…/"}` when it is ready.
 */
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } = require("@apollo/gateway");

/** The two authorization specs whose `for: SECURITY` the gateway would refuse. */
const SECURITY_LINK =
  /(@link\(\s*url:\s*"https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes)\/v[0-9.]+")\s*,\s*for:\s*SECURITY\s*\)/g;

/** The supergraph SDL with the authorization links kept but no longer marked SECURITY. */
function withoutSecurityPurpose(supergraphSdl) {
  return supergraphSdl.replace(SECURITY_LINK, "$1)");
}

/** IntrospectAndCompose, with every supergraph it produces passed through withoutSecurityPurpose. */
function composeForGateway(subgraphs) {
  const inner = new IntrospectAndCompose({ subgraphs });
  return {
    async initialize(options) {
      const result = await inner.initialize({
        ...options,
        update: (sdl) => options.update(withoutSecurityPurpose(sdl)),
        healthCheck: (sdl) => options.healthCheck(withoutSecurityPurpose(sdl)),
      });
      return { ...result, supergraphSdl: withoutSecurityPurpose(result.supergraphSdl) };
    },
  };
}

/** Forwards the caller's Authorization header, and nothing else of identity. */
class AuthForwardingDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context && typeof context.authorization === "string") {
      request.http.headers.set("authorization", context.authorization);
    }
  }
}

function required(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`supergraph: ${name} is required\n`);
    process.exit(1);
  }
  return value;
}

async function main() {
  const gateway = new ApolloGateway({
    supergraphSdl: composeForGateway([
      { name: "poolgate", url: required("POOLGATE_URL") },
      { name: "orders", url: required("ORDERS_URL") },
    ]),
    buildService: ({ url }) => new AuthForwardingDataSource({ url }),
  });
  const server = new ApolloServer({
    gateway,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // A subgraph's error keeps its code and path; the gateway's copy of the subgraph's raw
    // response (its URL, status and body) stays here.
    formatError: (formatted) => ({
      message: formatted.message,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: formatted.extensions?.code ?? "INTERNAL_SERVER_ERROR" },
    }),
  });
  const { url } = await startStandaloneServer(server, {
    listen: {
      port: Number(process.env.PORT ?? 4002),
      host: process.env.HOST ?? "127.0.0.1",
    },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  process.stdout.write(`${JSON.stringify({ service: "supergraph", msg: "listening", url })}\n`);
}

module.exports = { withoutSecurityPurpose };

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`supergraph: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
