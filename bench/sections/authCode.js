// Section 7 — the authorization-code round trip: poolgate's GET /oauth2/authorize with a live
// hosted session (a 302 to the callback with a code, no page) and POST /oauth2/token
// grant_type=authorization_code, against oidc-provider's /auth with its session and /token,
// in the same run, on the same core, through the same closed-loop client.
//
// Both sides alike: a confidential client authenticating with client_secret_basic, PKCE S256,
// state and nonce on every authorization, the callback http://127.0.0.1/cb, RS256 with 2048-bit
// RSA keys, scope openid plus one resource-server scope (poolgate bench/read, oidc-provider
// api:read) so both access tokens are RS256 JWTs, and an ID, access and refresh token in every
// token response (oidc-provider's peer is set to issue the refresh token on a code exchange,
// as poolgate always does; bench/servers/oidc.mjs). One browser session per provider, opened
// once before measuring (poolgate: its hosted sign-in form, argon2id once; oidc-provider: the
// peer's bench interaction, login and consent answered without a page), shared by every
// connection as tabs of one browser share their cookies.
"use strict";
const { join } = require("node:path");
const { serverGroup, startServer } = require("../lib/proc");
const { startPoolgate, PASSWORD, SERVERS } = require("../lib/fixture");
const { measureSignIns } = require("../lib/signins");
const { peer } = require("../lib/peers");
const { summary } = require("../lib/stats");
const {
  CALLBACK,
  CookieJar,
  codeFlow,
  describeTokens,
  httpClient,
  openOidcSession,
  openPoolgateSession,
  roundTrip,
} = require("../lib/codeFlow");

const CONCURRENCY = [1, 10];

async function run(ctx) {
  const { runs, seconds, warmupSeconds } = ctx.load;
  const servers = serverGroup();
  const start = servers.start;
  try {
    const poolgate = await start(startPoolgate());
    const setup = await poolgate.call("setup", { users: 1, password: PASSWORD });
    const pgScopes = ["openid", "bench/read"];
    const pgClient = await poolgate.call("codeClient", {
      callbackUrl: CALLBACK,
      scopes: pgScopes,
    });
    const jose = peer("jose");
    const { privateKey } = await jose.generateKeyPair("RS256", {
      modulusLength: 2048,
      extractable: true,
    });
    const oidc = await start(
      startServer(join(SERVERS, "oidc.mjs"), {
        env: { BENCH_PRIVATE_JWK: JSON.stringify(await jose.exportJWK(privateKey)) },
      }),
    );
    const oidcClient = await oidc.call("client");

    const stacks = [
      {
        key: "pg",
        name: "poolgate",
        server: poolgate,
        flow: codeFlow({
          base: poolgate.url,
          authorizePath: "/oauth2/authorize",
          tokenPath: "/oauth2/token",
          scope: pgScopes.join(" "),
          ...pgClient,
        }),
        open: (flow, client, jar) =>
          openPoolgateSession(flow, client, jar, setup.users[0], PASSWORD),
      },
      {
        key: "oidc",
        name: "oidc-provider",
        server: oidc,
        flow: codeFlow({
          base: oidc.url,
          authorizePath: "/auth",
          tokenPath: "/token",
          scope: "openid api:read",
          ...oidcClient,
        }),
        open: openOidcSession,
      },
    ];

    // The session, then one round trip that must get its code straight from the authorization
    // endpoint (roundTrip refuses anything but the redirect to the callback), checked as a
    // relying party would check its ID token.
    for (const st of stacks) {
      st.jar = new CookieJar();
      const client = httpClient(st.flow.base, 1);
      try {
        describeTokens(st.flow, await st.open(st.flow, client, st.jar));
        st.cookies = st.jar.sentTo(st.flow.authorizePath);
        st.shape = describeTokens(st.flow, await roundTrip(st.flow, client, st.jar));
      } finally {
        client.close();
      }
      ctx.progress(
        `  7. ${st.name} session open (cookies sent to authorize: ${st.cookies.join(", ")}); a round trip returns ${st.shape.fields.join(", ")}; ID token ${st.shape.idTokenAlg}, access token ${st.shape.accessToken} (scope ${st.shape.accessScope})`,
      );
    }

    const out = Object.fromEntries(
      stacks.flatMap((st) => CONCURRENCY.map((c) => [`${st.key}C${c}`, []])),
    );
    for (let i = 0; i < runs; i++) {
      // In turns (poolgate first in odd runs, second in even ones): drift hits both alike.
      const pair = i % 2 === 0 ? stacks : [...stacks].reverse();
      for (const c of CONCURRENCY) {
        for (const st of pair) {
          const client = httpClient(st.flow.base, c);
          let r;
          try {
            r = await measureSignIns(
              st.server,
              {
                connections: c,
                seconds,
                warmupSeconds: i === 0 ? 2 * warmupSeconds : warmupSeconds,
              },
              async () => Boolean(await roundTrip(st.flow, client, st.jar)),
            );
          } finally {
            client.close();
          }
          if (r.bad > 0)
            ctx.warn(`section 7: ${st.name} c=${c}: ${r.bad} failed round trips (${r.firstError})`);
          out[`${st.key}C${c}`].push(r);
          ctx.progress(
            `  7. ${`${st.name} code round trip c=${c}`.padEnd(36)} run ${i + 1}: ${r.rps.toFixed(0)} round trips/s, p50 ${r.p50.toFixed(2)} ms, ${r.cpuUsPerReq.toFixed(0)} µs CPU each, ${r.cpuCores.toFixed(2)} cores`,
          );
        }
      }
    }
    const S = (arr, f) => summary(arr.map(f));
    const load = (arr) => ({
      rps: S(arr, (r) => r.rps),
      p50: S(arr, (r) => r.p50),
      p99: S(arr, (r) => r.p99),
      cpu: S(arr, (r) => r.cpuUsPerReq),
      cores: S(arr, (r) => r.cpuCores),
      bad: arr.reduce((n, r) => n + r.bad, 0),
    });
    return {
      concurrency: CONCURRENCY,
      stacks: stacks.map((st) => ({
        key: st.key,
        name: st.name,
        scope: st.flow.scope,
        cookies: st.cookies,
        shape: st.shape,
        ...Object.fromEntries(CONCURRENCY.map((c) => [`c${c}`, load(out[`${st.key}C${c}`])])),
      })),
    };
  } finally {
    await servers.stopAll();
  }
}

module.exports = { run };
