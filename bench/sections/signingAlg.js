// Section 10 — signing algorithms (issue 19): poolgate's refresh (POST /oauth2/token
// grant_type=refresh_token) and client-credentials grant on gateways started with
// POOLGATE_SIGNING_ALGORITHM=ES256 and =EdDSA, against the same grants on an RS256 gateway and
// on oidc-provider signing with the same algorithm (its JWKS holds one EC P-256 or Ed25519 key;
// the client's id_token_signed_response_alg and the resource server's JWT access tokens use
// it), all in the same run, on the same core, in turns.
//
// A gateway that does not know the setting signs RS256 whatever it is asked: before measuring,
// the header of a token each gateway issued is decoded, and an algorithm that is not the one
// asked for is a warning and rows marked missing (its gateway is not measured).
"use strict";
const { join } = require("node:path");
const { serverGroup, startServer } = require("../lib/proc");
const { startPoolgate, PASSWORD, SERVERS } = require("../lib/fixture");
const { measureLoad } = require("../lib/load");
const { peer } = require("../lib/peers");
const { loadSummary } = require("../lib/stats");
const { expectOk, basic, FORM } = require("./issuance");

const ALGS = ["ES256", "EdDSA"];
/** Header `alg` values that mean the algorithm asked for (jose also names Ed25519 itself). */
const SAME = { RS256: ["RS256"], ES256: ["ES256"], EdDSA: ["EdDSA", "Ed25519"] };

const headerAlg = (jwt) =>
  JSON.parse(Buffer.from(String(jwt).split(".")[0], "base64url").toString("utf8")).alg;

async function post(url, headers, body) {
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** The refresh and client-credentials targets of one poolgate gateway. */
function poolgateTargets(alg, server, setup) {
  const url = `${server.url}/oauth2/token`;
  return [
    {
      key: `pg${alg}Refresh`,
      stack: "pg",
      alg,
      grant: "refresh",
      name: `poolgate ${alg} refresh (/oauth2/token)`,
      server,
      url,
      headers: FORM,
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: setup.webClientId,
        refresh_token: setup.sessions[0].refreshToken,
      }).toString(),
      pick: (j) => j.access_token && j.id_token,
    },
    {
      key: `pg${alg}Cc`,
      stack: "pg",
      alg,
      grant: "cc",
      name: `poolgate ${alg} client_credentials`,
      server,
      url,
      headers: { ...FORM, authorization: basic(setup.svcClientId, setup.svcSecret) },
      body: "grant_type=client_credentials",
      pick: (j) => j.access_token,
    },
  ];
}

function oidcTargets(alg, server, rt) {
  const headers = { ...FORM, authorization: basic(rt.clientId, rt.clientSecret) };
  return [
    {
      key: `oidc${alg}Refresh`,
      stack: "oidc",
      alg,
      grant: "refresh",
      name: `oidc-provider ${alg} refresh_token`,
      server,
      url: `${server.url}/token`,
      headers,
      body: `grant_type=refresh_token&refresh_token=${rt.refreshToken}`,
      pick: (j) => j.access_token && j.id_token,
    },
    {
      key: `oidc${alg}Cc`,
      stack: "oidc",
      alg,
      grant: "cc",
      name: `oidc-provider ${alg} client_credentials`,
      server,
      url: `${server.url}/token`,
      headers,
      body: "grant_type=client_credentials&scope=api:read",
      pick: (j) => j.access_token,
    },
  ];
}

async function run(ctx) {
  const { runs, seconds, warmupSeconds } = ctx.load;
  const connections = ctx.load.issuanceConnections;
  const servers = serverGroup();
  const start = servers.start;
  const jose = peer("jose");
  try {
    const targets = [];
    /** alg asked → alg the gateway's tokens carry. */
    const used = {};
    for (const alg of ["RS256", ...ALGS]) {
      const server = await start(startPoolgate({ env: { POOLGATE_SIGNING_ALGORITHM: alg } }));
      const setup = await server.call("setup", { users: 1, password: PASSWORD });
      const [refresh, cc] = poolgateTargets(alg, server, setup);
      const a = await post(refresh.url, refresh.headers, refresh.body);
      const b = await post(cc.url, cc.headers, cc.body);
      const algs = [...new Set([a.access_token, a.id_token, b.access_token].map(headerAlg))];
      used[alg] = algs.join(", ");
      if (algs.every((h) => SAME[alg].includes(h))) targets.push(refresh, cc);
      else {
        ctx.warn(
          `section 10: the gateway asked for POOLGATE_SIGNING_ALGORITHM=${alg} signs with ${used[alg]}: its rows are missing (does this build know the setting?)`,
        );
        await server.stop();
      }
    }
    for (const alg of ALGS) {
      const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
      const oidc = await start(
        startServer(join(SERVERS, "oidc.mjs"), {
          env: {
            BENCH_PRIVATE_JWK: JSON.stringify(await jose.exportJWK(privateKey)),
            BENCH_SIGNING_ALG: alg,
          },
        }),
      );
      const ts = oidcTargets(alg, oidc, await oidc.call("refreshToken"));
      const a = await post(ts[0].url, ts[0].headers, ts[0].body);
      const b = await post(ts[1].url, ts[1].headers, ts[1].body);
      const algs = [a.access_token, a.id_token, b.access_token].map(headerAlg);
      if (!algs.every((h) => SAME[alg].includes(h)))
        throw new Error(`oidc-provider asked for ${alg} signs with ${algs.join(", ")}`);
      targets.push(...ts);
    }
    for (const t of targets) {
      await expectOk(t.name, t.url, { method: "POST", headers: t.headers, body: t.body }, t.pick);
    }
    const results = Object.fromEntries(targets.map((t) => [t.key, []]));
    for (let i = 0; i < runs; i++) {
      // Each run starts one target further along, so drift in the machine's load and the
      // position in the run hit every target alike.
      const order = targets.map((_, k) => targets[(k + i) % targets.length]);
      for (const t of order) {
        const r = await measureLoad(
          { url: t.url, headers: t.headers, body: t.body, server: t.server },
          { connections, seconds, warmupSeconds: i === 0 ? warmupSeconds : 0 },
        );
        if (r.bad > 0) ctx.warn(`section 10: ${t.name} had ${r.bad} failed requests`);
        results[t.key].push(r);
        ctx.progress(
          `  10. ${t.name.padEnd(38)} run ${i + 1}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(0)} µs CPU/req`,
        );
      }
    }
    return {
      connections,
      algs: ALGS,
      used,
      targets: targets.map((t) => ({
        key: t.key,
        stack: t.stack,
        alg: t.alg,
        grant: t.grant,
        name: t.name,
        ...loadSummary(results[t.key]),
      })),
    };
  } finally {
    await servers.stopAll();
  }
}

module.exports = { run };
