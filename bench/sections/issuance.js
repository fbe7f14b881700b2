// Section 2 — token issuance: poolgate's refresh (GraphQL and /oauth2/token) and
// client-credentials grant versus the node:http floor (bench/servers/floor.js: the same crypto
// behind a bare server; the targets since issue 19), oidc-provider, cognito-local's
// REFRESH_TOKEN_AUTH, and the crypto ceiling (the signing work one response needs, measured
// alone on the same core).
"use strict";
const { join } = require("node:path");
const { serverGroup, startServer } = require("../lib/proc");
const { startPoolgate, gql, post, PASSWORD, SERVERS } = require("../lib/fixture");
const { measureLoad } = require("../lib/load");
const { peer } = require("../lib/peers");
const { loadSummary, summary } = require("../lib/stats");
const cognito = require("../lib/cognito");

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const basic = (id, secret) =>
  "Basic " +
  Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");

async function expectOk(name, url, init, pick) {
  const res = await fetch(url, init);
  const text = await res.text();
  let ok = res.status === 200;
  try {
    ok = ok && Boolean(pick(JSON.parse(text)));
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`${name}: unexpected answer ${res.status} ${text.slice(0, 300)}`);
}

const claimsOf = (jwt) => {
  const { iat, exp, jti, ...rest } = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url"));
  return rest;
};

/** The claims of a poolgate refresh's two tokens and of a client-credentials token. */
async function poolgateClaims(url, setup, refreshToken) {
  const token = async (headers, body) => {
    const res = await fetch(`${url}/oauth2/token`, { method: "POST", headers, body });
    if (res.status !== 200) throw new Error(`poolgate /oauth2/token: ${res.status}`);
    return res.json();
  };
  const refreshed = await token(
    FORM,
    new URLSearchParams({
      grant_type: "refresh_token",
      client_id: setup.webClientId,
      refresh_token: refreshToken,
    }).toString(),
  );
  const granted = await token(
    { ...FORM, authorization: basic(setup.svcClientId, setup.svcSecret) },
    "grant_type=client_credentials",
  );
  return {
    access: claimsOf(refreshed.access_token),
    id: claimsOf(refreshed.id_token),
    client: claimsOf(granted.access_token),
  };
}

async function run(ctx) {
  const { runs, seconds, warmupSeconds } = ctx.load;
  const connections = ctx.load.issuanceConnections;
  const servers = serverGroup();
  const start = servers.start;
  try {
    const poolgate = await start(startPoolgate());
    const setup = await poolgate.call("setup", { users: 1, password: PASSWORD });
    const refreshToken = setup.sessions[0].refreshToken;
    const jose = peer("jose");
    const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
    const oidc = await start(
      startServer(join(SERVERS, "oidc.mjs"), {
        env: { BENCH_PRIVATE_JWK: JSON.stringify(await jose.exportJWK(privateKey)) },
      }),
    );
    const oidcRt = await oidc.call("refreshToken");
    const ceiling = await start(startServer(join(SERVERS, "ceiling.js")));
    const floor = await start(startServer(join(SERVERS, "floor.js")));
    const floorRt = await floor.call("refreshToken");
    // The floor signs the claim sets poolgate's tokens carry, so both sign the same bytes.
    await floor.call("claims", await poolgateClaims(poolgate.url, setup, refreshToken));

    let cognitoLocal;
    let cognitoSetup;
    try {
      cognitoLocal = await start(startServer(join(SERVERS, "cognito-local.js")));
      cognitoSetup = await cognito.setup(cognitoLocal.url, PASSWORD);
    } catch (err) {
      ctx.warn(`section 2: cognito-local could not be measured: ${err.message}`);
      cognitoLocal = undefined;
    }

    const refreshQuery =
      "mutation($i: RefreshInput!) { refresh(input: $i) { accessToken idToken expiresIn } }";
    const ccQuery =
      "mutation($i: ClientCredentialsInput!) { clientCredentials(input: $i) { accessToken expiresIn } }";
    const targets = [
      {
        key: "pgRefreshGql",
        group: "refresh",
        name: "poolgate refresh (GraphQL)",
        server: poolgate,
        url: `${poolgate.url}/graphql`,
        headers: { "content-type": "application/json" },
        body: gql(refreshQuery, { i: { clientId: setup.webClientId, refreshToken } }),
        pick: (j) => j.data?.refresh?.accessToken && j.data.refresh.idToken,
      },
      {
        key: "pgRefreshOauth",
        group: "refresh",
        name: "poolgate refresh (/oauth2/token)",
        server: poolgate,
        url: `${poolgate.url}/oauth2/token`,
        headers: FORM,
        body: new URLSearchParams({
          grant_type: "refresh_token",
          client_id: setup.webClientId,
          refresh_token: refreshToken,
        }).toString(),
        pick: (j) => j.access_token && j.id_token,
      },
      {
        key: "oidcRefresh",
        group: "refresh",
        name: "oidc-provider refresh_token",
        server: oidc,
        url: `${oidc.url}/token`,
        headers: { ...FORM, authorization: basic(oidcRt.clientId, oidcRt.clientSecret) },
        body: `grant_type=refresh_token&refresh_token=${oidcRt.refreshToken}`,
        pick: (j) => j.access_token && j.id_token,
      },
      {
        key: "floorRefresh",
        group: "refresh",
        name: "floor: node:http + this crypto only",
        server: floor,
        url: `${floor.url}/token`,
        headers: FORM,
        body: `grant_type=refresh_token&refresh_token=${floorRt}`,
        pick: (j) => j.access_token && j.id_token,
      },
      ...(cognitoLocal
        ? [
            {
              key: "cognitoRefresh",
              group: "refresh",
              name: "cognito-local REFRESH_TOKEN_AUTH",
              server: cognitoLocal,
              url: `${cognitoLocal.url}/`,
              headers: cognito.headers("InitiateAuth"),
              body: JSON.stringify({
                ClientId: cognitoSetup.clientId,
                AuthFlow: "REFRESH_TOKEN_AUTH",
                AuthParameters: { REFRESH_TOKEN: cognitoSetup.refreshToken },
              }),
              pick: (j) => j.AuthenticationResult?.AccessToken && j.AuthenticationResult.IdToken,
            },
          ]
        : []),
      {
        key: "pgCcOauth",
        group: "cc",
        name: "poolgate client_credentials (/oauth2/token)",
        server: poolgate,
        url: `${poolgate.url}/oauth2/token`,
        headers: { ...FORM, authorization: basic(setup.svcClientId, setup.svcSecret) },
        body: "grant_type=client_credentials",
        pick: (j) => j.access_token,
      },
      {
        key: "pgCcGql",
        group: "cc",
        name: "poolgate clientCredentials (GraphQL)",
        server: poolgate,
        url: `${poolgate.url}/graphql`,
        headers: { "content-type": "application/json" },
        body: gql(ccQuery, { i: { clientId: setup.svcClientId, clientSecret: setup.svcSecret } }),
        pick: (j) => j.data?.clientCredentials?.accessToken,
      },
      {
        key: "floorCc",
        group: "cc",
        name: "floor: node:http + this crypto only",
        server: floor,
        url: `${floor.url}/token`,
        headers: FORM,
        body: "grant_type=client_credentials",
        pick: (j) => j.access_token,
      },
      {
        key: "oidcCc",
        group: "cc",
        name: "oidc-provider client_credentials",
        server: oidc,
        url: `${oidc.url}/token`,
        headers: { ...FORM, authorization: basic(oidcRt.clientId, oidcRt.clientSecret) },
        body: "grant_type=client_credentials&scope=api:read",
        pick: (j) => j.access_token,
      },
    ];
    for (const t of targets) {
      await expectOk(t.name, t.url, { method: "POST", headers: t.headers, body: t.body }, t.pick);
    }
    const results = Object.fromEntries(targets.map((t) => [t.key, []]));
    const ceilings = { refresh: [], sign1: [] };
    for (let i = 0; i < runs; i++) {
      for (const kind of ["refresh", "sign1"]) {
        const c = await ceiling.call("measure", kind, seconds, connections);
        ceilings[kind].push(c);
        ctx.progress(
          `  2. ceiling ${kind.padEnd(27)} run ${i + 1}: ${c.opsPerSecond.toFixed(0)} responses/s, ${c.cpuUsPerOp.toFixed(0)} µs CPU each`,
        );
      }
      for (const t of targets) {
        const r = await measureLoad(
          { url: t.url, headers: t.headers, body: t.body, server: t.server },
          { connections, seconds, warmupSeconds: i === 0 ? warmupSeconds * 2 : warmupSeconds },
        );
        if (r.bad > 0) ctx.warn(`section 2: ${t.name} had ${r.bad} failed requests`);
        results[t.key].push(r);
        ctx.progress(
          `  2. ${t.name.padEnd(36)} run ${i + 1}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(0)} µs CPU/req, ${r.cpuCores.toFixed(2)} cores`,
        );
      }
    }
    const S = (arr, f) => summary(arr.map(f));
    return {
      connections,
      ceilings: Object.fromEntries(
        Object.entries(ceilings).map(([k, v]) => [
          k,
          { rps: S(v, (c) => c.opsPerSecond), cpu: S(v, (c) => c.cpuUsPerOp) },
        ]),
      ),
      targets: targets.map((t) => ({
        key: t.key,
        group: t.group,
        name: t.name,
        ...loadSummary(results[t.key]),
      })),
      cognitoLocal: Boolean(cognitoLocal),
    };
  } finally {
    await servers.stopAll();
  }
}

module.exports = { run, expectOk, basic, FORM };
