// Section 1 — the authenticated request: `{ me { sub username email groups } }` through
// poolgate versus (a) bare Apollo, (b) Apollo + jose jwtVerify, (c) Yoga + JWT + generic-auth.
"use strict";
const { join } = require("node:path");
const { startServer } = require("../lib/proc");
const { startPoolgate, gql, post, PASSWORD, ISSUER, SERVERS } = require("../lib/fixture");
const { measureLoad } = require("../lib/load");
const { peer } = require("../lib/peers");
const { summary } = require("../lib/stats");

const QUERY = "{ me { sub username email groups } }";

/** A key pair for the baselines and an access token with poolgate's claims, signed by it. */
async function baselineToken(poolgateToken) {
  const { generateKeyPair, exportJWK, exportSPKI, SignJWT, decodeJwt } = peer("jose");
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const claims = decodeJwt(poolgateToken);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "bench", typ: "JWT" })
    .sign(privateKey);
  return {
    token,
    claims,
    env: {
      BENCH_PUBLIC_JWK: JSON.stringify(await exportJWK(publicKey)),
      BENCH_PUBLIC_PEM: await exportSPKI(publicKey),
      BENCH_ISSUER: ISSUER,
      BENCH_SUB: claims.sub,
      BENCH_USERNAME: claims.username,
    },
  };
}

async function check(name, url, token) {
  const r = await post(url, gql(QUERY), { authorization: `Bearer ${token}` });
  const me = r.json?.data?.me;
  if (r.status !== 200 || !me || !me.sub || !Array.isArray(me.groups)) {
    throw new Error(`${name}: unexpected answer ${r.status} ${r.text.slice(0, 300)}`);
  }
  return me;
}

async function run(ctx) {
  const { runs, seconds, warmupSeconds, connections } = ctx.load;
  const poolgate = await startPoolgate();
  const servers = [];
  try {
    const setup = await poolgate.call("setup", { users: 1, password: PASSWORD });
    const pgToken = setup.sessions[0].accessToken;
    const base = await baselineToken(pgToken);
    const stacks = [
      { key: "poolgate", name: "poolgate", server: poolgate, token: pgToken },
      { key: "a", name: "(a) Apollo, no auth", script: "apollo-bare.js", token: null },
      {
        key: "b",
        name: "(b) Apollo + jose jwtVerify",
        script: "apollo-jose.js",
        token: base.token,
      },
      { key: "c", name: "(c) Yoga + jwt + generic-auth", script: "yoga.js", token: base.token },
    ];
    for (const s of stacks) {
      if (!s.server) {
        s.server = await startServer(join(SERVERS, s.script), { env: base.env });
        servers.push(s.server);
      }
      s.url = `${s.server.url}/graphql`;
      s.headers = { "content-type": "application/json" };
      if (s.token) s.headers.authorization = `Bearer ${s.token}`;
      const me = await check(s.name, s.url, s.token ?? "none");
      if (s.key === "poolgate") s.me = me;
    }
    const results = Object.fromEntries(stacks.map((s) => [s.key, []]));
    for (let i = 0; i < runs; i++) {
      // Interleaved rounds: drift in the machine's load hits every stack alike.
      for (const s of stacks) {
        const r = await measureLoad(
          { url: s.url, headers: s.headers, body: gql(QUERY), server: s.server },
          { connections, seconds, warmupSeconds: i === 0 ? warmupSeconds * 2 : warmupSeconds },
        );
        if (r.bad > 0) ctx.warn(`section 1: ${s.name} had ${r.bad} failed requests`);
        results[s.key].push(r);
        ctx.progress(
          `  1. ${s.name.padEnd(32)} run ${i + 1}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(0)} µs CPU/req`,
        );
      }
    }
    const stats = await poolgate.call("stats");
    return {
      stacks: stacks.map((s) => ({
        key: s.key,
        name: s.name,
        rps: summary(results[s.key].map((r) => r.rps)),
        p50: summary(results[s.key].map((r) => r.p50)),
        p99: summary(results[s.key].map((r) => r.p99)),
        cpu: summary(results[s.key].map((r) => r.cpuUsPerReq)),
        raw: results[s.key],
      })),
      poolgateStats: stats,
      connections,
    };
  } finally {
    for (const s of servers) await s.stop();
    await poolgate.stop();
  }
}

module.exports = { run, QUERY, baselineToken };
