/**
 * createGateway(config): the HTTP server, Apollo and the routes of DESIGN §6, on one store.
 * Data flows one way: HTTP → context (verify once) → resolvers → identity → store.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ApolloServerPlugin } from "@apollo/server";
import type { Logger } from "pino";
import type { Config } from "./config";
import { createSender, type GatewaySender } from "./delivery/createSender";
import type { MessageSender } from "./delivery/message";
import { cognitoApi } from "./cognito/api";
import { createApollo } from "./graphql/apollo";
import { buildContext, type GatewayContext } from "./graphql/context";
import { logGraphQLError } from "./graphql/errors";
import type { PreparedOperations } from "./graphql/prepared";
import { corsPolicy, isCorsRoute } from "./http/cors";
import { graphqlEndpoint } from "./http/graphql";
import { serveLogin } from "./http/login";
import { Hooks } from "./identity/hooks";
import { serveAuthorize, type OidcContext } from "./oidc/authorize";
import { HostedPage } from "./oidc/hosted";
import { serveLogout } from "./oidc/logout";
import { createMetrics, serveMetrics, timed, type GatewayMetrics } from "./http/metrics";
import { oauth2Routes } from "./http/oauth2";
import { revocationStreams, type RevocationStreamOptions } from "./http/revocations";
import { jwksBody, openidConfiguration } from "./http/oidc";
import { sendGraphQLError, sendJson } from "./http/respond";
import { requestPath } from "./http/target";
import { MAX_TOKEN_LIFETIME_MS, UserPool } from "./identity/pool";
import { RevocationFeed } from "./identity/revocationFeed";
import { createLogger, errorSummary, lazyChild } from "./log";
import { resolveMasterKey } from "./masterKey";
import { openStore, storeTimeouts } from "./store/open";
import type { Store } from "./store/store";

export interface GatewayOptions {
  config: Readonly<Config>;
  logger?: Logger;
  /** An already-open store (tests, embedding); otherwise POOLGATE_DATABASE_URL is opened. */
  store?: Store;
  /**
   * Where codes and invitations go; the caller keeps it and closes it. Otherwise the gateway
   * makes its own from the configuration (SMTP, or the log in development) and closes it on stop.
   */
  sender?: MessageSender;
  now?: () => number;
  /**
   * Apollo plugins added after the gateway's own (embedding, tests). Apollo then runs plugins
   * outside the gateway's list, so the prepared path stays off and they see every request.
   */
  apolloPlugins?: readonly ApolloServerPlugin<GatewayContext>[];
  /** GET /revocations: heartbeat interval and stream limit (tests, embedding). */
  revocationStreams?: RevocationStreamOptions;
}

export interface Gateway {
  readonly pool: UserPool;
  readonly logger: Logger;
  /** This gateway's Prometheus metrics (its own registry). */
  readonly metrics: GatewayMetrics;
  /** Listens on config.host:config.port; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, drains in-flight requests, then closes the pool and the store. */
  stop(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The path of a request target, for metrics labels ("" when it is not a path). */
function pathOf(target: string | undefined): string {
  if (target === undefined || !target.startsWith("/")) return "";
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config);
  const store = options.store ?? (await openStore(config.databaseUrl, storeTimeouts(config)));
  let pool: UserPool | undefined;
  let prepared: PreparedOperations | undefined;
  const metrics = createMetrics(
    {
      tokenCache: () => pool?.verifier.stats() ?? { hits: 0, misses: 0, size: 0 },
      prepared: () => prepared?.stats() ?? { served: 0, documents: 0 },
    },
    { operationNames: config.metricsOperationNames },
  );
  // Without a given sender the gateway makes its own, checks it at start and closes it on stop.
  let ownSender: GatewaySender | undefined;
  const sender = options.sender ?? (ownSender = createSender(config, logger));
  try {
    // Every store call is timed (poolgate_store_operation_duration_seconds).
    const gateway = await startOn(
      timed(store, metrics.storeCall),
      options,
      sender,
      ownSender,
      logger,
      metrics,
      (p, q) => {
        pool = p;
        prepared = q;
      },
    );
    // In the background: a mail server that is down is a warning, never a failed start.
    void ownSender?.verify();
    return gateway;
  } catch (err) {
    // A failed start (wrong master key, unreachable keys) must not leave the store open.
    await ownSender?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** The sender, with every message counted (poolgate_messages_total) by kind and outcome. */
function counted(sender: MessageSender, metrics: GatewayMetrics): MessageSender {
  return {
    async send(message) {
      try {
        await sender.send(message);
      } catch (err) {
        metrics.message(message.kind, false);
        throw err;
      }
      metrics.message(message.kind, true);
    },
  };
}

async function startOn(
  store: Store,
  options: GatewayOptions,
  sender: MessageSender,
  /** The sender this gateway made, closed on stop (a given one belongs to its caller). */
  ownSender: GatewaySender | undefined,
  logger: Logger,
  metrics: GatewayMetrics,
  opened: (pool: UserPool, prepared: PreparedOperations) => void,
): Promise<Gateway> {
  const { config } = options;
  const master = resolveMasterKey(config);
  if (master.generatedAt)
    logger.warn(
      { file: master.generatedAt },
      "development master key generated; set POOLGATE_MASTER_KEY in production",
    );
  const hooks = config.hooksModule
    ? await Hooks.load(config.hooksModule, config.hookTimeoutMs, logger, (hook, outcome, s) =>
        metrics.hookCall(hook, outcome, s),
      )
    : undefined;
  const pool = await UserPool.open({
    store,
    config,
    masterKey: master.key,
    logger,
    sender: counted(sender, metrics),
    ...(hooks ? { hooks } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  if (config.metricsToken === undefined && !LOOPBACK.has(config.host))
    logger.warn(
      { host: config.host },
      "GET /metrics is open on a non-loopback interface; set POOLGATE_METRICS_TOKEN",
    );
  const graphql = createApollo(config, logger);
  const { apollo, prepared } = graphql;
  for (const plugin of options.apolloPlugins ?? []) apollo.addPlugin(plugin);
  opened(pool, prepared);
  await graphql.start();
  const oauth2 = oauth2Routes(pool, config.maxBodyBytes, metrics);
  const oidc: OidcContext = {
    pool,
    issuer: config.issuer,
    insecureCookies: config.dangerouslyInsecureCookies,
    maxBodyBytes: config.maxBodyBytes,
    signUp: config.selfSignUp,
    forgotPassword: config.accountRecovery === "verified_email",
  };
  const hosted = new HostedPage(oidc);
  const cognito = cognitoApi(pool, config, metrics);
  // Started by the first GET /revocations: a gateway nobody streams from reads no more feed.
  const feed = new RevocationFeed(pool.store, {
    windowMs: MAX_TOKEN_LIFETIME_MS,
    syncIntervalMs: config.syncIntervalMs,
    pullTimeoutMs: config.databaseQueryTimeoutMs,
    now: pool.deps.now,
    onSyncError: (err) => logger.error({ err: errorSummary(err) }, "revocation feed sync failed"),
  });
  const streams = revocationStreams(pool, feed, options.revocationStreams);
  const cors = corsPolicy(config.corsOrigins);
  const serveGraphQL = graphqlEndpoint({
    apollo,
    prepared,
    maxBodyBytes: config.maxBodyBytes,
    insecureCookies: config.dangerouslyInsecureCookies,
    issuerOrigin: new URL(config.issuer).origin,
    cors,
  });

  let inFlight = 0;
  let draining = false;
  const open = new Set<ServerResponse>();
  let drained: (() => void) | undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headerId = req.headers["x-request-id"];
    const requestId =
      typeof headerId === "string" && REQUEST_ID.test(headerId) ? headerId : randomUUID();
    res.setHeader("x-request-id", requestId);
    const log = lazyChild(logger, { requestId });
    const started = process.hrtime.bigint();
    // Routed on the path exactly as sent; a spelling a URL parser would normalise is 404
    // (src/http/target.ts).
    const target = requestPath(req.url);
    try {
      if (target === undefined) {
        sendJson(res, 404, { error: "not_found" });
        return;
      }
      const { url } = target;
      // Browsers' cross-origin calls: CORS headers, and preflights answered here.
      if (isCorsRoute(target.path) && cors.apply(req, res)) return;
      switch (target.path) {
        case "/graphql":
          await serveGraphQL(req, res, url, (cookies) =>
            buildContext(pool, req.headersDistinct.authorization, requestId, log, {
              cookies,
              metrics,
            }).catch((err: unknown) => {
              // An unexpected failure is logged here, with the request's id; Apollo answers it.
              logGraphQLError(log, err);
              throw err;
            }),
          );
          break;
        case "/.well-known/jwks.json": {
          const ring = pool.keys.ring();
          const now = pool.deps.now();
          const body = jwksBody(ring.jwks(now));
          res.writeHead(200, {
            "content-type": "application/json",
            "cache-control": `public, max-age=${ring.jwksMaxAgeSeconds(now)}`,
          });
          res.end(body);
          break;
        }
        case "/.well-known/openid-configuration": {
          // Scopes include every resource server's, so the document is built per request.
          const scopes = [...(await pool.resourceServers.knownScopes())];
          res.writeHead(200, {
            "content-type": "application/json",
            "cache-control": "public, max-age=300",
          });
          const algorithms = pool.keys.ring().algorithms(pool.deps.now());
          res.end(JSON.stringify(openidConfiguration(config.issuer, scopes, algorithms)));
          break;
        }
        case "/healthz":
          sendJson(res, 200, { status: "ok" });
          break;
        case "/readyz": {
          const ready = await pool.ready();
          sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable" });
          break;
        }
        case "/metrics":
          await serveMetrics(req, res, metrics, config.metricsToken);
          break;
        case "/login":
          // With an authorization request (from /oauth2/authorize), the server-rendered
          // conversation of the OpenID provider; without, the scripted page of cookie mode.
          if (req.method === "POST") await hosted.submit(req, res, log);
          else if (url.searchParams.has("response_type") || url.searchParams.has("redirect_uri"))
            await hosted.start(req, res, url, log);
          else await serveLogin(req, res, url, config, pool);
          break;
        case "/oauth2/authorize":
          await serveAuthorize(oidc, req, res, url, log);
          break;
        case "/logout":
          await serveLogout(oidc, req, res, url, log);
          break;
        case "/revocations":
          await streams.serve(req, res, log);
          break;
        case "/":
          // Cognito's JSON wire API (POST with X-Amz-Target); nothing else lives at the root.
          if (req.method === "POST") await cognito(req, res, log);
          else sendJson(res, 404, { error: "not_found" });
          break;
        default: {
          const route = oauth2[target.path];
          if (route) await route(req, res, log);
          else sendJson(res, 404, { error: "not_found" });
        }
      }
    } catch (err) {
      log.error({ err: errorSummary(err) }, "request failed");
      if (!res.headersSent)
        sendGraphQLError(res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
      else res.destroy();
    } finally {
      if (logger.isLevelEnabled("debug")) {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        log.debug(
          { method: req.method, path: pathOf(req.url), status: res.statusCode, durationMs },
          "request",
        );
      }
    }
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    open.add(res);
    metrics.requestStarted();
    const started = process.hrtime.bigint();
    // While draining, every answer closes its connection, so keep-alive clients go elsewhere.
    if (draining) res.setHeader("connection", "close");
    handle(req, res)
      .catch((err: unknown) => {
        // handle() answers its own errors; this is the last line of defence for the process.
        logger.error({ err: errorSummary(err) }, "request handler failed");
        if (!res.headersSent)
          sendGraphQLError(res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
        else res.destroy();
      })
      .finally(() => {
        inFlight--;
        open.delete(res);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.requestFinished(pathOf(req.url), req.method, res.statusCode, seconds);
        if (inFlight === 0) drained?.();
      });
  });
  // Every connection, including one still sending its headers, so the drain deadline can end
  // it (server.closeAllConnections() leaves that to the HTTP layer's own bookkeeping).
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;

  let stopped: Promise<void> | undefined;
  return {
    pool,
    logger,
    metrics,
    listen() {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          const host = config.host.includes(":") ? `[${config.host}]` : config.host;
          resolve(`http://${host}:${port}`);
        });
      });
    },
    stop() {
      stopped ??= (async () => {
        // 1. No new connections; idle keep-alive connections close now.
        draining = true;
        // Revocation streams never finish by themselves: they end now, and readers reconnect
        // (to another instance) resuming where they were.
        streams.closeAll();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // 2. In-flight requests finish until the drain deadline; each answer closes its
        //    connection. server.close() also ends Node's headersTimeout/requestTimeout checks,
        //    so without the deadline one client sending a byte a second holds the stop forever.
        for (const res of open) if (!res.headersSent) res.setHeader("connection", "close");
        const inFlightAtStop = inFlight;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<"deadline">((resolve) => {
          timer = setTimeout(() => resolve("deadline"), config.shutdownDrainSeconds * 1000);
        });
        const answered =
          inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
        let outcome: "answered" | "closed" | "deadline" = await Promise.race([
          answered.then(() => "answered" as const),
          deadline,
        ]);
        if (outcome === "answered") {
          // Answers already under way when the drain began may have left a connection idle;
          // a connection still sending its first request keeps `closed` pending.
          server.closeIdleConnections();
          outcome = await Promise.race([closed.then(() => "closed" as const), deadline]);
        }
        clearTimeout(timer);
        let cut = 0;
        if (outcome === "deadline") {
          cut = inFlight;
          logger.warn(
            {
              drainSeconds: config.shutdownDrainSeconds,
              unfinishedRequests: cut,
              connections: sockets.size,
            },
            "drain deadline reached: closing the connections still open",
          );
          for (const socket of sockets) socket.destroy();
        }
        await closed;
        // 3. Then the GraphQL server, the background sync, the mail transport and the store.
        await apollo.stop();
        await feed.stop();
        await pool.close();
        await ownSender?.close();
        await store.close();
        logger.info(
          { drainedRequests: Math.max(0, inFlightAtStop - cut), unfinishedRequests: cut },
          "gateway stopped: store closed",
        );
      })();
      return stopped;
    },
  };
}
