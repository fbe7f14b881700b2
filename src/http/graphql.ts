/**
 * GraphQL over HTTP at /graphql (DESIGN §6): the one request path of every GraphQL call.
 * The method, the body (bounded, JSON or not), the refresh-token cookie jar, then the
 * prepared path for an operation Apollo has answered before (src/graphql/prepared.ts) and
 * Apollo Server for everything else, both answers written by the same `writeHead`.
 *
 * What runs a request is handed in (server.ts wires src/graphql/apollo.ts), so this module
 * knows HTTP and Apollo's HTTP types only, never the gateway's GraphQL code.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { BodyTooLargeError, readBody } from "./body";
import { cookieJar, originTrusted, type CookieJar } from "./cookies";
import { appendVary, type CorsPolicy } from "./cors";
import { sendGraphQLError } from "./respond";

/** The prepared-operation path, as this module drives it (PreparedOperations). */
export interface FastPath<C, R> {
  /** The prepared request for a parsed JSON body, or undefined when Apollo must answer. */
  match(body: unknown, accept: string | undefined): R | undefined;
  /** The answer, or undefined when Apollo must answer (before anything ran). */
  run(
    request: R,
    context: C,
  ): Promise<{ status: number; headers: Iterable<[string, string]>; body: string } | undefined>;
  /** The content type Apollo negotiated for an `Accept` header (a 200 it answered). */
  rememberContentType(accept: string | undefined, contentType: string): void;
}

export interface GraphQLEndpointOptions<C extends BaseContext, R> {
  apollo: ApolloServer<C>;
  prepared: FastPath<C, R>;
  maxBodyBytes: number;
  /** POOLGATE_DANGEROUSLY_INSECURE_COOKIES. */
  insecureCookies: boolean;
  /** The issuer's origin, for the cookie's origin check (parsed once). */
  issuerOrigin: string;
  cors: CorsPolicy;
}

/** Builds one request's context with its cookie jar; called at most once per request. */
export type ContextBuilder<C> = (cookies: CookieJar) => Promise<C>;

export type GraphQLEndpoint<C> = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  context: ContextBuilder<C>,
) => Promise<void>;

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

/**
 * The head both paths end with: the answer's own headers (one value per name, as in
 * Apollo's HeaderMap; Vary joins what CORS set), the cookie jar's, no-store.
 */
function writeHead(
  res: ServerResponse,
  status: number,
  headers: Iterable<[string, string]>,
  cookies: CookieJar,
): void {
  for (const [name, value] of headers) {
    if (name === "vary") appendVary(res, value);
    else res.setHeader(name, value);
  }
  const setCookies = cookies.setCookieHeaders();
  if (setCookies.length > 0) res.setHeader("set-cookie", setCookies);
  res.setHeader("cache-control", "no-store");
  res.statusCode = status;
}

export function graphqlEndpoint<C extends BaseContext, R>(
  options: GraphQLEndpointOptions<C, R>,
): GraphQLEndpoint<C> {
  const { apollo, prepared, maxBodyBytes, insecureCookies, issuerOrigin, cors } = options;
  return async (req, res, url, buildContext) => {
    if (req.method !== "GET" && req.method !== "POST") {
      sendGraphQLError(res, 405, "BAD_REQUEST", "Use GET or POST");
      return;
    }
    let body: unknown = undefined;
    let preparable = false;
    if (req.method === "POST") {
      let raw: Buffer;
      try {
        raw = await readBody(req, maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          res.setHeader("connection", "close");
          sendGraphQLError(
            res,
            413,
            "BAD_REQUEST",
            `Request body larger than ${maxBodyBytes} bytes`,
          );
          return;
        }
        throw err;
      }
      const type = (req.headers["content-type"] ?? "").toLowerCase();
      if (
        type.startsWith("application/json") ||
        type.startsWith("application/graphql-response+json")
      ) {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          sendGraphQLError(res, 400, "BAD_REQUEST", "Request body is not valid JSON");
          return;
        }
        preparable = type === "application/json" || type.startsWith("application/json;");
      } else {
        body = raw.toString("utf8");
      }
    }
    // Cookie mode: resolvers read and set the refresh-token cookie through the jar.
    const cookies = cookieJar(req, {
      insecure: insecureCookies,
      trusted: originTrusted(req, issuerOrigin, cors.isListed),
    });
    const accept = req.headers.accept;
    const newContext = () => buildContext(cookies);

    // An operation Apollo has answered before runs without its pipeline; whatever that path
    // declines, Apollo answers below with the context already built.
    const match = preparable ? prepared.match(body, accept) : undefined;
    let context: (() => Promise<C>) | undefined;
    if (match) {
      let built: C | undefined;
      try {
        built = await newContext();
      } catch (err) {
        context = () => Promise.reject(err);
      }
      if (built) {
        const answer = await prepared.run(match, built);
        if (answer !== undefined) {
          writeHead(res, answer.status, answer.headers, cookies);
          res.end(answer.body);
          return;
        }
        // Declined before anything ran: Apollo answers with the same context.
        context = () => Promise.resolve(built);
      }
    }

    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method,
        headers: toHeaderMap(req),
        search: url.search,
        body,
      },
      context: context ?? newContext,
    });
    writeHead(res, result.status ?? 200, result.headers, cookies);
    if (result.body.kind === "complete") {
      // Only from an answer without errors: an error's `extensions.http` may set the content
      // type (Apollo keeps it and skips negotiation), and none of the gateway's plugins does.
      // Apollo writes `errors` first, so such an answer starts with its data.
      if (preparable && res.statusCode === 200 && result.body.string.startsWith('{"data"')) {
        const contentType = result.headers.get("content-type");
        if (contentType !== undefined) prepared.rememberContentType(accept, contentType);
      }
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
