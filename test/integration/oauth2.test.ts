/**
 * The OAuth 2.0 / OpenID endpoints (DESIGN §6, issue 5) over real HTTP with fetch, against a
 * real gateway on a real SQLite file: discovery, resource servers and custom scopes,
 * /oauth2/token (client_credentials, refresh_token), /oauth2/revoke (RFC 7009),
 * /oauth2/userInfo and /oauth2/introspect (RFC 7662), and the GraphQL clientCredentials
 * mutation. Every answer of an /oauth2 endpoint must carry `Cache-Control: no-store`
 * (RFC 6749 §5.1); the helpers below check it on each one.
 */
import {
  claimsOf,
  codeOf,
  createClient,
  createUser,
  expectCode,
  frozenClock,
  ME,
  REFRESH,
  REVOKE,
  signInAs,
  startGateway,
  type GqlResult,
  type TestClock,
  type TestGateway,
} from "../harness";

type Client = { clientId: string; clientSecret: string | undefined };

interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: any;
}

interface PostOptions {
  /** HTTP Basic client authentication (RFC 6749 §2.3.1: id and secret form-encoded first). */
  basic?: { id: string; secret: string };
  contentType?: string;
  headers?: Record<string, string>;
  method?: string;
}

const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");

function basicHeader(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString("base64")}`;
}

async function readResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let body: unknown = null;
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
    }
  }
  return { status: res.status, headers: res.headers, body };
}

/** POSTs a form (an object, or raw URLSearchParams for repeated names) to an /oauth2 endpoint. */
async function postForm(
  gw: TestGateway,
  path: string,
  form: Record<string, string> | URLSearchParams,
  options: PostOptions = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/x-www-form-urlencoded",
    ...options.headers,
  };
  if (options.basic) headers["authorization"] = basicHeader(options.basic.id, options.basic.secret);
  const body = form instanceof URLSearchParams ? form : new URLSearchParams(form);
  const res = await fetch(`${gw.url}${path}`, {
    method: options.method ?? "POST",
    headers,
    body: body.toString(),
  });
  const result = await readResult(res);
  expect({ path, cacheControl: result.headers.get("cache-control") }).toEqual({
    path,
    cacheControl: "no-store",
  });
  return result;
}

/** Client authentication in the form body: client_secret_post, or `none` for a public client. */
function postAuth(client: Client): Record<string, string> {
  return {
    client_id: client.clientId,
    ...(client.clientSecret !== undefined ? { client_secret: client.clientSecret } : {}),
  };
}

function basicAuth(client: Client): { basic: { id: string; secret: string } } {
  if (client.clientSecret === undefined) throw new Error("a public client has no secret");
  return { basic: { id: client.clientId, secret: client.clientSecret } };
}

/** An RFC 6749 §5.2 error: status, `error`, a description, and no-store (checked by postForm). */
function expectOAuthError(res: HttpResult, status: number, error: string): void {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status, error });
  expect(res.body.error_description).toEqual(expect.any(String));
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
}

async function getUserInfo(
  gw: TestGateway,
  token: string | undefined,
  method: "GET" | "POST" = "GET",
): Promise<HttpResult> {
  const res = await fetch(`${gw.url}/oauth2/userInfo`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const result = await readResult(res);
  expect(result.headers.get("cache-control")).toBe("no-store");
  return result;
}

const CLIENT_CREDENTIALS = `mutation ClientCredentials($input: ClientCredentialsInput!) {
  clientCredentials(input: $input) { accessToken expiresIn tokenType scope }
}`;
const ADMIN_CREATE_RESOURCE_SERVER = `mutation AdminCreateResourceServer($input: ResourceServerInput!) {
  adminCreateResourceServer(input: $input) { id name scopes }
}`;
const ADMIN_RESOURCE_SERVERS = `{ adminResourceServers { id scopes } }`;

describe("OAuth 2.0 endpoints", () => {
  let gw: TestGateway;
  let clock: TestClock;
  /** Confidential, allowed orders/read, orders/write and openid (the last is no M2M scope). */
  let machine: Client;
  /** Confidential, allowed the built-in poolgate/admin scope as well. */
  let adminMachine: Client;
  /** Public, for user sign-ins. */
  let web: Client;
  /** Confidential, for user sign-ins. */
  let confidentialWeb: Client;

  beforeAll(async () => {
    clock = frozenClock();
    gw = await startGateway({ clock });
    const now = clock.now();
    await gw.pool.resourceServers.create({ id: "orders", scopes: ["read", "write"] }, now);
    await gw.pool.resourceServers.create({ id: "billing", scopes: ["charge"] }, now);
    machine = await createClient(gw, {
      generateSecret: true,
      allowedScopes: ["orders/read", "orders/write", "openid"],
    });
    adminMachine = await createClient(gw, {
      generateSecret: true,
      allowedScopes: ["orders/read", "poolgate/admin"],
    });
    web = await createClient(gw, { allowedScopes: ["openid", "email", "profile", "orders/read"] });
    confidentialWeb = await createClient(gw, {
      generateSecret: true,
      allowedScopes: ["openid", "email", "profile", "orders/read"],
    });
  });
  afterAll(() => gw.close());

  async function m2mToken(client: Client, scope?: string): Promise<string> {
    const res = await postForm(
      gw,
      "/oauth2/token",
      { grant_type: "client_credentials", ...(scope !== undefined ? { scope } : {}) },
      basicAuth(client),
    );
    if (res.status !== 200)
      throw new Error(`client_credentials failed: ${JSON.stringify(res.body)}`);
    return res.body.access_token;
  }

  function refreshViaGraphQL(client: Client, refreshToken: string): Promise<GqlResult> {
    return gw.gql(REFRESH, { input: { ...clientInput(client), refreshToken } });
  }

  function clientInput(client: Client): { clientId: string; clientSecret?: string } {
    return {
      clientId: client.clientId,
      ...(client.clientSecret !== undefined ? { clientSecret: client.clientSecret } : {}),
    };
  }

  describe("discovery", () => {
    it("derives every URL from POOLGATE_ISSUER and lists the capabilities of a user-pool domain", async () => {
      const issuer = "https://auth.example.test";
      const other = await startGateway({ env: { POOLGATE_ISSUER: issuer } });
      try {
        await other.pool.resourceServers.create({ id: "orders", scopes: ["read"] }, Date.now());
        const res = await fetch(`${other.url}/.well-known/openid-configuration`);
        expect(res.status).toBe(200);
        const doc = (await res.json()) as Record<string, any>;
        expect(doc).toMatchObject({
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks.json`,
          token_endpoint: `${issuer}/oauth2/token`,
          revocation_endpoint: `${issuer}/oauth2/revoke`,
          userinfo_endpoint: `${issuer}/oauth2/userInfo`,
          introspection_endpoint: `${issuer}/oauth2/introspect`,
          response_types_supported: expect.any(Array),
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
        });
        expect([...doc["token_endpoint_auth_methods_supported"]].sort()).toEqual([
          "client_secret_basic",
          "client_secret_post",
          "none",
        ]);
        expect([...doc["grant_types_supported"]].sort()).toEqual([
          "authorization_code",
          "client_credentials",
          "refresh_token",
        ]);
        expect(doc["scopes_supported"]).toEqual(
          expect.arrayContaining([
            "openid",
            "email",
            "profile",
            "aws.cognito.signin.user.admin",
            "orders/read",
          ]),
        );
        // No URL of the document points anywhere but under the issuer.
        for (const [name, value] of Object.entries(doc)) {
          if (typeof value === "string" && /^https?:/.test(value)) {
            expect({
              name,
              underIssuer: value === issuer || value.startsWith(`${issuer}/`),
            }).toEqual({ name, underIssuer: true });
          }
        }
        // The tokens carry the same issuer.
        const client = await createClient(other, {
          generateSecret: true,
          allowedScopes: ["orders/read"],
        });
        const token = await postForm(
          other,
          "/oauth2/token",
          { grant_type: "client_credentials" },
          basicAuth(client),
        );
        expect(claimsOf(token.body.access_token)["iss"]).toBe(issuer);
      } finally {
        await other.close();
      }
    });

    it("lists a resource server's scopes as soon as it exists", async () => {
      const before = (await (
        await fetch(`${gw.url}/.well-known/openid-configuration`)
      ).json()) as any;
      expect(before.scopes_supported).not.toContain("inventory/count");
      await gw.pool.resourceServers.create({ id: "inventory", scopes: ["count"] }, clock.now());
      const after = (await (
        await fetch(`${gw.url}/.well-known/openid-configuration`)
      ).json()) as any;
      expect(after.scopes_supported).toContain("inventory/count");
    });
  });

  describe("resource servers and custom scopes", () => {
    it("refuses a client allowed a custom scope that no resource server defines with INVALID_SCOPE", async () => {
      await expect(
        gw.pool.clients.create({ name: "early", allowedScopes: ["shipping/track"] }, clock.now()),
      ).rejects.toMatchObject({ code: "INVALID_SCOPE" });
      await gw.pool.resourceServers.create({ id: "shipping", scopes: ["track"] }, clock.now());
      const { client } = await gw.pool.clients.create(
        { name: "later", generateSecret: true, allowedScopes: ["shipping/track"] },
        clock.now(),
      );
      expect(client.allowedScopes).toEqual(["shipping/track"]);
    });

    it("lets an admin create resource servers through GraphQL, and nobody else", async () => {
      const admin = await m2mToken(adminMachine, "poolgate/admin");
      const plain = await m2mToken(machine);
      const input = { id: "catalog", scopes: ["browse"] };

      const denied = await gw.gql(ADMIN_CREATE_RESOURCE_SERVER, { input }, plain);
      expectCode(denied, "FORBIDDEN");
      expect(denied.body.data?.["adminCreateResourceServer"] ?? null).toBeNull();

      const created = await gw.gql(ADMIN_CREATE_RESOURCE_SERVER, { input }, admin);
      expect(created.body.errors).toBeUndefined();
      expect(created.body.data?.["adminCreateResourceServer"]).toEqual({
        id: "catalog",
        name: "catalog",
        scopes: ["browse"],
      });
      const list = await gw.gql(ADMIN_RESOURCE_SERVERS, {}, admin);
      expect(list.body.data?.["adminResourceServers"]).toContainEqual({
        id: "catalog",
        scopes: ["browse"],
      });
    });
  });

  describe("POST /oauth2/token with grant_type=client_credentials", () => {
    it("happy flow: HTTP Basic gets an access token with every allowed custom scope by default", async () => {
      const res = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "client_credentials" },
        basicAuth(machine),
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
      expect(res.body.access_token).toEqual(expect.any(String));
      // Access token only: no ID token, no refresh token (RFC 6749 §4.4.3).
      expect(res.body.id_token).toBeUndefined();
      expect(res.body.refresh_token).toBeUndefined();
      expect(claimsOf(res.body.access_token)["scope"].split(" ").sort()).toEqual([
        "orders/read",
        "orders/write",
      ]);
    });

    it("happy flow: client_secret_post works the same", async () => {
      const res = await postForm(gw, "/oauth2/token", {
        grant_type: "client_credentials",
        ...postAuth(machine),
      });
      expect(res.status).toBe(200);
      expect(claimsOf(res.body.access_token)["client_id"]).toBe(machine.clientId);
    });

    it("grants an explicit subset of the allowed scopes", async () => {
      const token = await m2mToken(machine, "orders/read");
      expect(claimsOf(token)["scope"]).toBe("orders/read");
    });

    it("issues a machine token: sub = client_id, token_use access, no username, no origin_jti", async () => {
      const now = Math.floor(clock.now() / 1000);
      const claims = claimsOf(await m2mToken(machine, "orders/write"));
      expect(claims).toMatchObject({
        sub: machine.clientId,
        client_id: machine.clientId,
        token_use: "access",
        scope: "orders/write",
        iss: gw.config.issuer,
        iat: now,
        exp: now + 3600,
      });
      expect(claims).not.toHaveProperty("username");
      expect(claims).not.toHaveProperty("origin_jti");
      expect(claims).not.toHaveProperty("aud");
      expect(claims).not.toHaveProperty("cognito:groups");
    });

    it("error flow: a scope the client is not allowed is invalid_scope", async () => {
      for (const scope of ["billing/charge", "nobody/defines-this", "orders/read billing/charge"]) {
        const res = await postForm(
          gw,
          "/oauth2/token",
          { grant_type: "client_credentials", scope },
          basicAuth(machine),
        );
        expectOAuthError(res, 400, "invalid_scope");
      }
    });

    it("error flow: openid (or any non-custom scope) is invalid_scope for a machine, even when allowed", async () => {
      for (const scope of ["openid", "orders/read openid", "aws.cognito.signin.user.admin"]) {
        const res = await postForm(
          gw,
          "/oauth2/token",
          { grant_type: "client_credentials", scope },
          basicAuth(machine),
        );
        expectOAuthError(res, 400, "invalid_scope");
      }
    });

    it("error flow: a public client (client_id only) is unauthorized_client", async () => {
      const res = await postForm(gw, "/oauth2/token", {
        grant_type: "client_credentials",
        client_id: web.clientId,
      });
      expectOAuthError(res, 400, "unauthorized_client");
    });

    it("error flow: a confidential client whose allowedOAuthFlows lack client_credentials is unauthorized_client", async () => {
      const webApp = await createClient(gw, {
        generateSecret: true,
        allowedScopes: ["openid", "orders/read"],
        callbackUrls: ["https://app.example.com/callback"],
        allowedOAuthFlows: ["code"],
      });
      const basic = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "client_credentials" },
        basicAuth(webApp),
      );
      expectOAuthError(basic, 400, "unauthorized_client");
      const post = await postForm(gw, "/oauth2/token", {
        grant_type: "client_credentials",
        ...postAuth(webApp),
      });
      expectOAuthError(post, 400, "unauthorized_client");
    });

    it("error flow: taking client_credentials out of a client's flows refuses its next grant", async () => {
      const worker = await createClient(gw, {
        generateSecret: true,
        allowedScopes: ["orders/read"],
      });
      expect(await m2mToken(worker)).toEqual(expect.any(String));
      await gw.pool.clients.update(worker.clientId, { allowedOAuthFlows: [] }, clock.now());
      const res = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "client_credentials" },
        basicAuth(worker),
      );
      expectOAuthError(res, 400, "unauthorized_client");
    });

    it("error flow: a wrong secret is 401 invalid_client with a Basic challenge, by either method", async () => {
      const basic = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "client_credentials" },
        { basic: { id: machine.clientId, secret: "wrong-secret" } },
      );
      const post = await postForm(gw, "/oauth2/token", {
        grant_type: "client_credentials",
        client_id: machine.clientId,
        client_secret: "wrong-secret",
      });
      const unknown = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "client_credentials" },
        { basic: { id: "nosuchclient0000000000000", secret: "x" } },
      );
      const missing = await postForm(gw, "/oauth2/token", {
        grant_type: "client_credentials",
        client_id: machine.clientId,
      });
      for (const res of [basic, post, unknown, missing]) {
        expectOAuthError(res, 401, "invalid_client");
        expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
      }
    });

    it("error flow: no client authentication at all is 401 invalid_client", async () => {
      const res = await postForm(gw, "/oauth2/token", { grant_type: "client_credentials" });
      expectOAuthError(res, 401, "invalid_client");
    });

    it("error flow: Basic and client_secret in the form together is invalid_request", async () => {
      const res = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "client_credentials", client_secret: machine.clientSecret! },
        basicAuth(machine),
      );
      expectOAuthError(res, 400, "invalid_request");
    });

    it("error flow: a parameter given twice is invalid_request (RFC 6749 §3.2)", async () => {
      const twiceGrant = new URLSearchParams([
        ["grant_type", "client_credentials"],
        ["grant_type", "client_credentials"],
      ]);
      const twiceScope = new URLSearchParams([
        ["grant_type", "client_credentials"],
        ["scope", "orders/read"],
        ["scope", "orders/write"],
      ]);
      for (const form of [twiceGrant, twiceScope]) {
        expectOAuthError(
          await postForm(gw, "/oauth2/token", form, basicAuth(machine)),
          400,
          "invalid_request",
        );
      }
    });

    it("error flow: a parameter given twice is invalid_request even when the first value is empty", async () => {
      const form = new URLSearchParams([
        ["grant_type", ""],
        ["grant_type", "client_credentials"],
      ]);
      expectOAuthError(
        await postForm(gw, "/oauth2/token", form, basicAuth(machine)),
        400,
        "invalid_request",
      );
    });

    it("error flow: a body that is not form-encoded is invalid_request", async () => {
      const res = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "client_credentials" },
        { ...basicAuth(machine), contentType: "application/json" },
      );
      expectOAuthError(res, 400, "invalid_request");
    });

    it("error flow: a missing grant_type is invalid_request", async () => {
      const res = await postForm(gw, "/oauth2/token", { scope: "orders/read" }, basicAuth(machine));
      expectOAuthError(res, 400, "invalid_request");
    });

    it("error flow: the password and jwt-bearer grants are unsupported_grant_type; authorization_code is unauthorized_client for a client without the code flow", async () => {
      const code = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "authorization_code", code: "c" },
        basicAuth(machine),
      );
      expectOAuthError(code, 400, "unauthorized_client");
      for (const grant_type of ["password", "urn:ietf:params:oauth:grant-type:jwt-bearer"]) {
        const res = await postForm(
          gw,
          "/oauth2/token",
          { grant_type, username: "u", password: "p", code: "c" },
          basicAuth(machine),
        );
        expectOAuthError(res, 400, "unsupported_grant_type");
      }
    });

    it("error flow: GET is refused (the token endpoint takes POST only)", async () => {
      const res = await fetch(`${gw.url}/oauth2/token?grant_type=client_credentials`, {
        headers: { authorization: basicHeader(machine.clientId, machine.clientSecret!) },
      });
      expect(res.status).toBe(405);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(((await res.json()) as any).error).toBe("invalid_request");
    });
  });

  describe("a machine-to-machine access token on GraphQL", () => {
    it("authenticates GraphQL requests: me is null (no user) and there is no error", async () => {
      const res = await gw.gql(`{ me { sub } }`, {}, await m2mToken(machine));
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual({ me: null });
    });

    it("cannot run admin operations without poolgate/admin, and can with it", async () => {
      const user = await createUser(gw);
      const query = `query ($u: String!) { adminGetUser(username: $u) { sub } }`;

      const denied = await gw.gql(query, { u: user.username }, await m2mToken(machine));
      expectCode(denied, "FORBIDDEN");

      // poolgate/admin is never in the default set: the admin client must ask for it.
      expect(claimsOf(await m2mToken(adminMachine))["scope"]).toBe("orders/read");
      const adminToken = await m2mToken(adminMachine, "orders/read poolgate/admin");
      expect(claimsOf(adminToken)["scope"].split(" ").sort()).toEqual([
        "orders/read",
        "poolgate/admin",
      ]);
      const allowed = await gw.gql(query, { u: user.username }, adminToken);
      expect(allowed.body.errors).toBeUndefined();
      expect(allowed.body.data?.["adminGetUser"]).toEqual({ sub: user.sub });
    });

    it("cannot run a user's own operations (globalSignOut) — there is no user", async () => {
      const res = await gw.gql(`mutation { globalSignOut }`, {}, await m2mToken(machine));
      expectCode(res, "FORBIDDEN");
    });

    it("is rejected once its client is disabled", async () => {
      const client = await createClient(gw, {
        generateSecret: true,
        allowedScopes: ["orders/read"],
      });
      const token = await m2mToken(client);
      expect((await gw.gql(ME, {}, token)).status).toBe(200);
      await gw.pool.clients.setEnabled(client.clientId, false, clock.now());
      const res = await gw.gql(ME, {}, token);
      expect({ status: res.status, code: codeOf(res) }).toEqual({
        status: 401,
        code: "UNAUTHENTICATED",
      });
    });
  });

  describe("POST /oauth2/token with grant_type=refresh_token", () => {
    it("happy flow: a public client refreshes a GraphQL sign-in's session (same origin_jti, no new refresh token)", async () => {
      const user = await createUser(gw, { attributes: { email: "r@example.com" } });
      const tokens = await signInAs(gw, web, user);
      clock.advance(2_000);
      const res = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: tokens.refreshToken,
        client_id: web.clientId,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
      expect(res.body.refresh_token).toBeUndefined();
      const [before, after] = [claimsOf(tokens.accessToken), claimsOf(res.body.access_token)];
      expect(after["origin_jti"]).toBe(before["origin_jti"]);
      expect(after["auth_time"]).toBe(before["auth_time"]);
      expect(after["iat"]).toBe(before["iat"] + 2);
      expect(after["scope"]).toBe(before["scope"]);
      expect(claimsOf(res.body.id_token)).toMatchObject({
        sub: user.sub,
        aud: web.clientId,
        token_use: "id",
        origin_jti: before["origin_jti"],
        email: "r@example.com",
      });
      expect((await gw.gql(ME, {}, res.body.access_token)).body.data?.["me"]?.sub).toBe(user.sub);
    });

    it("happy flow: a confidential client refreshes with HTTP Basic and with client_secret_post", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, confidentialWeb, user);
      const basic = await postForm(
        gw,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: tokens.refreshToken },
        basicAuth(confidentialWeb),
      );
      const post = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: tokens.refreshToken,
        ...postAuth(confidentialWeb),
      });
      for (const res of [basic, post]) {
        expect(res.status).toBe(200);
        expect(claimsOf(res.body.access_token)["sub"]).toBe(user.sub);
      }
    });

    it("happy flow: a rotating client gets a new refresh token, and reuse after the grace revokes the session", async () => {
      const rotating = await createClient(gw, {
        allowedScopes: ["openid"],
        rotateRefreshTokens: true,
        refreshTokenReuseGraceSeconds: 10,
      });
      const user = await createUser(gw);
      const tokens = await signInAs(gw, rotating, user);
      const first = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: tokens.refreshToken,
        client_id: rotating.clientId,
      });
      expect(first.status).toBe(200);
      expect(first.body.refresh_token).toEqual(expect.any(String));
      expect(first.body.refresh_token).not.toBe(tokens.refreshToken);

      const second = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: first.body.refresh_token,
        client_id: rotating.clientId,
      });
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).toEqual(expect.any(String));

      clock.advance(11_000);
      const reused = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: first.body.refresh_token,
        client_id: rotating.clientId,
      });
      expectOAuthError(reused, 400, "invalid_grant");
      expect(reused.body.poolgate_code).toBe("REFRESH_TOKEN_REVOKED");
      const current = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: second.body.refresh_token,
        client_id: rotating.clientId,
      });
      expect(current.body.poolgate_code).toBe("REFRESH_TOKEN_REVOKED");
    });

    it("error flow: each refresh failure is invalid_grant with the same poolgate_code as GraphQL refresh", async () => {
      const shortLived = await createClient(gw, {
        allowedScopes: ["openid"],
        refreshTokenValiditySeconds: 3600,
      });
      const user = await createUser(gw);
      const other = await createClient(gw, { allowedScopes: ["openid"] });

      const revoked = await signInAs(gw, web, user);
      expect(
        (await gw.gql(REVOKE, { input: { clientId: web.clientId, token: revoked.refreshToken } }))
          .body.data,
      ).toEqual({ revoke: true });
      const othersToken = await signInAs(gw, other, user);
      const expiring = await signInAs(gw, shortLived, user);

      const cases: { name: string; client: Client; token: string; code: string }[] = [
        {
          name: "garbage",
          client: web,
          token: "not-a-refresh-token",
          code: "INVALID_REFRESH_TOKEN",
        },
        {
          name: "JWE-shaped garbage",
          client: web,
          token: "a.b.c.d.e",
          code: "INVALID_REFRESH_TOKEN",
        },
        {
          name: "another client's",
          client: web,
          token: othersToken.refreshToken,
          code: "INVALID_REFRESH_TOKEN",
        },
        {
          name: "revoked",
          client: web,
          token: revoked.refreshToken,
          code: "REFRESH_TOKEN_REVOKED",
        },
      ];
      const check = async (c: (typeof cases)[number]) => {
        const graphql = await refreshViaGraphQL(c.client, c.token);
        const http = await postForm(gw, "/oauth2/token", {
          grant_type: "refresh_token",
          refresh_token: c.token,
          ...postAuth(c.client),
        });
        expectOAuthError(http, 400, "invalid_grant");
        expect({ name: c.name, graphql: codeOf(graphql), http: http.body.poolgate_code }).toEqual({
          name: c.name,
          graphql: c.code,
          http: c.code,
        });
      };
      for (const c of cases) await check(c);

      clock.advance(3_601_000);
      await check({
        name: "expired",
        client: shortLived,
        token: expiring.refreshToken,
        code: "REFRESH_TOKEN_EXPIRED",
      });
    });

    it("error flow: a missing refresh_token is invalid_request", async () => {
      const res = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        client_id: web.clientId,
      });
      expectOAuthError(res, 400, "invalid_request");
    });

    it("error flow: a confidential client's refresh without its secret is 401 invalid_client", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, confidentialWeb, user);
      const res = await postForm(gw, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: tokens.refreshToken,
        client_id: confidentialWeb.clientId,
      });
      expectOAuthError(res, 401, "invalid_client");
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
    });
  });

  describe("POST /oauth2/revoke (RFC 7009)", () => {
    it("happy flow: revokes the session exactly as the revoke mutation: its access tokens then get 401", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, web, user);
      expect((await gw.gql(ME, {}, tokens.accessToken)).body.data?.["me"]?.sub).toBe(user.sub);

      const res = await postForm(gw, "/oauth2/revoke", {
        token: tokens.refreshToken,
        client_id: web.clientId,
      });
      expect(res.status).toBe(200);
      expect(res.body).toBeNull();

      const me = await gw.gql(ME, {}, tokens.accessToken);
      expect({ status: me.status, code: codeOf(me) }).toEqual({
        status: 401,
        code: "UNAUTHENTICATED",
      });
      expectCode(await refreshViaGraphQL(web, tokens.refreshToken), "REFRESH_TOKEN_REVOKED");
    });

    it("happy flow: a confidential client revokes with HTTP Basic", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, confidentialWeb, user);
      const res = await postForm(
        gw,
        "/oauth2/revoke",
        { token: tokens.refreshToken },
        basicAuth(confidentialWeb),
      );
      expect(res.status).toBe(200);
      expect((await gw.gql(ME, {}, tokens.accessToken)).status).toBe(401);
    });

    it("answers 200 for an unknown, garbage or already revoked token (§2.2)", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, web, user);
      await postForm(gw, "/oauth2/revoke", { token: tokens.refreshToken, client_id: web.clientId });
      for (const token of [tokens.refreshToken, "garbage", "a.b.c.d.e", "x".repeat(20_000)]) {
        const res = await postForm(gw, "/oauth2/revoke", { token, client_id: web.clientId });
        expect({ token: token.slice(0, 20), status: res.status }).toEqual({
          token: token.slice(0, 20),
          status: 200,
        });
      }
    });

    it("refuses an access token with unsupported_token_type (Cognito's rule) and leaves the session alive", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, web, user);
      for (const extra of [{}, { token_type_hint: "access_token" }] as Record<string, string>[]) {
        const res = await postForm(gw, "/oauth2/revoke", {
          token: tokens.accessToken,
          client_id: web.clientId,
          ...extra,
        });
        expectOAuthError(res, 400, "unsupported_token_type");
      }
      expect((await gw.gql(ME, {}, tokens.accessToken)).body.data?.["me"]?.sub).toBe(user.sub);
    });

    it("refuses another client's refresh token with unauthorized_client and leaves that session alive", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, web, user);
      const res = await postForm(
        gw,
        "/oauth2/revoke",
        { token: tokens.refreshToken },
        basicAuth(confidentialWeb),
      );
      expectOAuthError(res, 400, "unauthorized_client");
      expect((await gw.gql(ME, {}, tokens.accessToken)).body.data?.["me"]?.sub).toBe(user.sub);
    });

    it("error flow: a wrong secret is 401 invalid_client; a missing token is invalid_request", async () => {
      const user = await createUser(gw);
      const tokens = await signInAs(gw, confidentialWeb, user);
      const wrong = await postForm(
        gw,
        "/oauth2/revoke",
        { token: tokens.refreshToken },
        { basic: { id: confidentialWeb.clientId, secret: "nope" } },
      );
      expectOAuthError(wrong, 401, "invalid_client");
      expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic /);
      expectOAuthError(
        await postForm(gw, "/oauth2/revoke", { client_id: web.clientId }),
        400,
        "invalid_request",
      );
      expect((await gw.gql(ME, {}, tokens.accessToken)).status).toBe(200);
    });
  });

  describe("GET|POST /oauth2/userInfo", () => {
    let user: { sub: string; username: string; password: string };

    beforeAll(async () => {
      user = await createUser(gw, {
        attributes: {
          email: "ui@example.com",
          email_verified: "true",
          name: "User Info",
          "custom:tier": "gold",
        },
        groups: ["readers"],
      });
    });

    it("happy flow: GET and POST answer the ID token's claims for a token with openid", async () => {
      const tokens = await signInAs(gw, web, user);
      const id = claimsOf(tokens.idToken);
      for (const method of ["GET", "POST"] as const) {
        const res = await getUserInfo(gw, tokens.accessToken, method);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          sub: user.sub,
          username: user.username,
          email: "ui@example.com",
          email_verified: true,
          name: "User Info",
          "custom:tier": "gold",
        });
        for (const claim of [
          "sub",
          "email",
          "email_verified",
          "name",
          "custom:tier",
          "cognito:groups",
        ]) {
          expect({ claim, value: res.body[claim] }).toEqual({ claim, value: id[claim] });
        }
        expect(res.body.username).toBe(id["cognito:username"]);
      }
    });

    it("reads the claims fresh from the store, not from the token", async () => {
      const other = await createUser(gw, { attributes: { email: "fresh@example.com" } });
      const tokens = await signInAs(gw, web, other);
      expect(claimsOf(tokens.idToken)["cognito:groups"]).toBeUndefined();
      await gw.pool.users.addToGroup(other.username, "latecomers");
      const res = await getUserInfo(gw, tokens.accessToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: other.sub, "cognito:groups": ["latecomers"] });
    });

    it("error flow: a token without openid is 403 insufficient_scope", async () => {
      const tokens = await signInAs(gw, web, user, ["email", "orders/read"]);
      expect(claimsOf(tokens.accessToken)["scope"]).not.toContain("openid");
      const res = await getUserInfo(gw, tokens.accessToken);
      expectOAuthError(res, 403, "insufficient_scope");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer .*error="insufficient_scope"/);
    });

    it("error flow: a machine token is 403 (no user, and no openid)", async () => {
      const res = await getUserInfo(gw, await m2mToken(machine));
      expectOAuthError(res, 403, "insufficient_scope");
    });

    it("error flow: a revoked token is 401 with WWW-Authenticate Bearer error=invalid_token", async () => {
      const tokens = await signInAs(gw, web, user);
      await postForm(gw, "/oauth2/revoke", { token: tokens.refreshToken, client_id: web.clientId });
      const res = await getUserInfo(gw, tokens.accessToken);
      expectOAuthError(res, 401, "invalid_token");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    });

    it("error flow: an expired token is 401 with WWW-Authenticate Bearer error=invalid_token", async () => {
      const tokens = await signInAs(gw, web, user);
      expect((await getUserInfo(gw, tokens.accessToken)).status).toBe(200);
      clock.advance(3_601_000);
      const res = await getUserInfo(gw, tokens.accessToken);
      expectOAuthError(res, 401, "invalid_token");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    });

    it("error flow: no token is 401 with a Bearer challenge; garbage and ID tokens are invalid_token", async () => {
      const none = await getUserInfo(gw, undefined);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
      const tokens = await signInAs(gw, web, user);
      for (const token of ["garbage", tokens.idToken]) {
        const res = await getUserInfo(gw, token);
        expectOAuthError(res, 401, "invalid_token");
      }
    });
  });

  describe("POST /oauth2/introspect (RFC 7662)", () => {
    let foreign: TestGateway;
    let user: { sub: string; username: string; password: string };

    beforeAll(async () => {
      // Another instance with its own database and master key: same issuer, other keys.
      foreign = await startGateway();
      user = await createUser(gw, { groups: ["readers"] });
    });
    afterAll(() => foreign.close());

    const introspect = (token: string, caller: Client = machine) =>
      postForm(gw, "/oauth2/introspect", { token }, basicAuth(caller));

    it("happy flow: a live access token is active with its claims", async () => {
      const tokens = await signInAs(gw, web, user);
      const res = await introspect(tokens.accessToken);
      expect(res.status).toBe(200);
      const access = claimsOf(tokens.accessToken);
      expect(res.body).toMatchObject({
        active: true,
        sub: user.sub,
        username: user.username,
        client_id: web.clientId,
        scope: access["scope"],
        token_use: "access",
        iss: gw.config.issuer,
        exp: access["exp"],
        iat: access["iat"],
        jti: access["jti"],
      });
    });

    it("happy flow: a machine token is active, with sub = client_id; client_secret_post works too", async () => {
      const token = await m2mToken(machine, "orders/read");
      const res = await postForm(gw, "/oauth2/introspect", { token, ...postAuth(adminMachine) });
      expect(res.body).toMatchObject({
        active: true,
        sub: machine.clientId,
        client_id: machine.clientId,
        scope: "orders/read",
      });
      expect(res.body.username).toBeUndefined();
    });

    it("happy flow: a refresh token is active until its session is revoked", async () => {
      const tokens = await signInAs(gw, web, user);
      const live = await introspect(tokens.refreshToken);
      expect(live.body).toMatchObject({
        active: true,
        client_id: web.clientId,
        sub: user.sub,
        username: user.username,
        scope: claimsOf(tokens.accessToken)["scope"],
        exp: expect.any(Number),
      });
      await postForm(gw, "/oauth2/revoke", { token: tokens.refreshToken, client_id: web.clientId });
      expect((await introspect(tokens.refreshToken)).body).toEqual({ active: false });
      expect((await introspect(tokens.accessToken)).body).toEqual({ active: false });
    });

    it("answers only active:false for a revoked access token (global sign-out)", async () => {
      const tokens = await signInAs(gw, web, user);
      expect(
        (await gw.gql(`mutation { globalSignOut }`, {}, tokens.accessToken)).body.data,
      ).toEqual({
        globalSignOut: true,
      });
      expect((await introspect(tokens.accessToken)).body).toEqual({ active: false });
      expect((await introspect(tokens.refreshToken)).body).toEqual({ active: false });
    });

    it("answers active:false for expired tokens", async () => {
      const shortLived = await createClient(gw, {
        allowedScopes: ["openid"],
        refreshTokenValiditySeconds: 3600,
      });
      const tokens = await signInAs(gw, shortLived, user);
      const m2m = await m2mToken(machine);
      clock.advance(3_601_000);
      for (const token of [tokens.accessToken, tokens.refreshToken, m2m]) {
        expect((await introspect(token)).body).toEqual({ active: false });
      }
    });

    it("answers active:false for another gateway's tokens (different master key, same issuer)", async () => {
      const foreignClient = await createClient(foreign, { allowedScopes: ["openid"] });
      const foreignUser = await createUser(foreign);
      const tokens = await signInAs(foreign, foreignClient, foreignUser);
      expect(claimsOf(tokens.accessToken)["iss"]).toBe(gw.config.issuer);
      for (const token of [tokens.accessToken, tokens.idToken, tokens.refreshToken]) {
        expect((await introspect(token)).body).toEqual({ active: false });
      }
    });

    it("answers active:false for malformed tokens and for ID tokens", async () => {
      const tokens = await signInAs(gw, web, user);
      const tampered =
        tokens.accessToken.slice(0, -4) + (tokens.accessToken.endsWith("AAAA") ? "BBBB" : "AAAA");
      for (const token of [
        "garbage",
        "a.b.c",
        "a.b.c.d.e",
        tampered,
        tokens.idToken,
        "x".repeat(20_000),
      ]) {
        const res = await introspect(token);
        expect({ token: token.slice(0, 12), status: res.status, body: res.body }).toEqual({
          token: token.slice(0, 12),
          status: 200,
          body: { active: false },
        });
      }
    });

    it("answers active:false for the tokens of a disabled or deleted app client", async () => {
      const disabled = await createClient(gw, { allowedScopes: ["openid"] });
      const deleted = await createClient(gw, { allowedScopes: ["openid"] });
      const fromDisabled = await signInAs(gw, disabled, user);
      const fromDeleted = await signInAs(gw, deleted, user);
      expect((await introspect(fromDisabled.refreshToken)).body.active).toBe(true);
      expect((await introspect(fromDeleted.refreshToken)).body.active).toBe(true);

      await gw.pool.clients.setEnabled(disabled.clientId, false, clock.now());
      await gw.pool.clients.delete(deleted.clientId, clock.now());
      // A refresh with these tokens now fails client authentication: they are not active.
      for (const token of [
        fromDisabled.accessToken,
        fromDisabled.refreshToken,
        fromDeleted.accessToken,
        fromDeleted.refreshToken,
      ]) {
        expect((await introspect(token)).body).toEqual({ active: false });
      }
    });

    it("error flow: a public client may not introspect (401 invalid_client)", async () => {
      const tokens = await signInAs(gw, web, user);
      const res = await postForm(gw, "/oauth2/introspect", {
        token: tokens.accessToken,
        client_id: web.clientId,
      });
      expectOAuthError(res, 401, "invalid_client");
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
    });

    it("error flow: a wrong secret is 401 invalid_client; a missing token is invalid_request", async () => {
      const wrong = await postForm(
        gw,
        "/oauth2/introspect",
        { token: "x" },
        { basic: { id: machine.clientId, secret: "nope" } },
      );
      expectOAuthError(wrong, 401, "invalid_client");
      expectOAuthError(
        await postForm(gw, "/oauth2/introspect", {}, basicAuth(machine)),
        400,
        "invalid_request",
      );
    });
  });

  describe("the GraphQL clientCredentials mutation", () => {
    const grant = (input: Record<string, unknown>) => gw.gql(CLIENT_CREDENTIALS, { input });

    it("happy flow: returns a machine access token with the default or the requested scopes", async () => {
      const all = await grant({ clientId: machine.clientId, clientSecret: machine.clientSecret });
      expect(all.body.errors).toBeUndefined();
      const result = all.body.data?.["clientCredentials"];
      expect(result).toMatchObject({ expiresIn: 3600, tokenType: "Bearer" });
      expect(result.scope.split(" ").sort()).toEqual(["orders/read", "orders/write"]);
      expect(claimsOf(result.accessToken)).toMatchObject({
        sub: machine.clientId,
        client_id: machine.clientId,
        token_use: "access",
        scope: result.scope,
      });
      expect(claimsOf(result.accessToken)).not.toHaveProperty("username");

      const some = await grant({
        clientId: machine.clientId,
        clientSecret: machine.clientSecret,
        scopes: ["orders/write"],
      });
      expect(some.body.data?.["clientCredentials"]?.scope).toBe("orders/write");
      const me = await gw.gql(ME, {}, some.body.data?.["clientCredentials"]?.accessToken);
      expect({ status: me.status, data: me.body.data }).toEqual({
        status: 200,
        data: { me: null },
      });
    });

    it("error flow: a wrong secret is NOT_AUTHORIZED", async () => {
      expectCode(
        await grant({ clientId: machine.clientId, clientSecret: "wrong" }),
        "NOT_AUTHORIZED",
      );
      expectCode(
        await grant({ clientId: "nosuchclient", clientSecret: "wrong" }),
        "NOT_AUTHORIZED",
      );
    });

    it("error flow: a public client is UNAUTHORIZED_CLIENT", async () => {
      expectCode(await grant({ clientId: web.clientId, clientSecret: "" }), "UNAUTHORIZED_CLIENT");
    });

    it("error flow: a client whose allowedOAuthFlows lack client_credentials is UNAUTHORIZED_CLIENT", async () => {
      const webApp = await createClient(gw, {
        generateSecret: true,
        allowedScopes: ["orders/read"],
        allowedOAuthFlows: [],
      });
      const res = await grant({ clientId: webApp.clientId, clientSecret: webApp.clientSecret });
      expectCode(res, "UNAUTHORIZED_CLIENT");
      expect(res.body.data?.["clientCredentials"] ?? null).toBeNull();
    });

    it("error flow: a scope that is not allowed, or openid, is INVALID_SCOPE", async () => {
      for (const scopes of [
        ["billing/charge"],
        ["openid"],
        ["orders/read", "nobody/defines-this"],
      ]) {
        expectCode(
          await grant({ clientId: machine.clientId, clientSecret: machine.clientSecret, scopes }),
          "INVALID_SCOPE",
        );
      }
    });

    it("counts as a credential-checking field: two in one operation is BAD_USER_INPUT", async () => {
      const input = { clientId: machine.clientId, clientSecret: machine.clientSecret };
      const twice = await gw.gql(
        `mutation ($i: ClientCredentialsInput!) {
          a: clientCredentials(input: $i) { accessToken }
          b: clientCredentials(input: $i) { accessToken }
        }`,
        { i: input },
      );
      expectCode(twice, "BAD_USER_INPUT");
      expect(twice.body.data ?? null).toBeNull();
      const mixed = await gw.gql(
        `mutation ($i: ClientCredentialsInput!, $s: SignInInput!) {
          clientCredentials(input: $i) { accessToken }
          signIn(input: $s) { accessToken }
        }`,
        { i: input, s: { clientId: web.clientId, username: "nobody", password: "x" } },
      );
      expectCode(mixed, "BAD_USER_INPUT");
    });
  });
});
