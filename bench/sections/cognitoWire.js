// Section 6 — Cognito's JSON wire API (issue 15): poolgate's `POST /` against cognito-local on
// the same operations with the same bodies and the same load generator — InitiateAuth
// USER_PASSWORD_AUTH, InitiateAuth REFRESH_TOKEN_AUTH, GetUser with an access token — and a
// whole USER_SRP_AUTH sign-in (InitiateAuth → RespondToAuthChallenge PASSWORD_VERIFIER) against
// its crypto floors: the server's three modular exponentiations alone, and the sign-in's whole
// crypto (those, the ID + access token signs and the refresh token's JWE seal), measured in the
// same run on the same core.
//
// Sign-ins (one or two requests) go through the closed-loop generator of bench/lib/signins.js;
// refresh and GetUser through autocannon, as sections 1 and 2. The SRP client's math runs in the
// load generator (this process, pinned to its own core; bench/lib/srpClient.js), never on the
// server's core; its CPU per sign-in is measured and reported next to the server's.
"use strict";
const { join } = require("node:path");
const { serverGroup, startServer } = require("../lib/proc");
const { startPoolgate, PASSWORD, SERVERS } = require("../lib/fixture");
const { measureLoad } = require("../lib/load");
const { jsonClient, measureSignIns } = require("../lib/signins");
const { FastSrpClient, libraryClient } = require("../lib/srpClient");
const { summary } = require("../lib/stats");
const cognito = require("../lib/cognito");

/** Users signed in round-robin (as section 3's rows). */
const USERS = 10;
const CONNECTIONS = 10;
const POOL_ID = "local_bench";
/** What a client's CognitoUserPool.getUserPoolName() gives for POOL_ID: SRP signs with it. */
const POOL_NAME = "bench";

const tokensIn = (j) => j?.AuthenticationResult?.AccessToken && j.AuthenticationResult.IdToken;

/** One JSON request, for the checks before measuring. */
async function expectOk(name, url, target, body, pick) {
  const res = await fetch(url, {
    method: "POST",
    headers: cognito.headers(target),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let ok = res.status === 200;
  try {
    ok = ok && Boolean(pick(JSON.parse(text)));
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`${name}: unexpected answer ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** measureSignIns, plus the load generator's own CPU over the measured window. */
async function measureWithClientCpu(server, options, signIn) {
  if (options.warmupSeconds > 0) {
    await measureSignIns(
      server,
      { ...options, seconds: options.warmupSeconds, warmupSeconds: 0 },
      signIn,
    );
  }
  // measureSignIns waits for a quiet server first: idle polling, next to no CPU here.
  const c0 = process.cpuUsage();
  const r = await measureSignIns(server, { ...options, warmupSeconds: 0 }, signIn);
  const c = process.cpuUsage(c0);
  return {
    ...r,
    clientCpuUsPerReq: (c.user + c.system) / Math.max(1, r.ok),
    // Over the measured window (r.seconds), not the idle wait before it.
    clientCores: (c.user + c.system) / 1e6 / r.seconds,
  };
}

async function run(ctx) {
  const { runs, seconds, warmupSeconds } = ctx.load;
  const servers = serverGroup();
  const start = servers.start;
  try {
    const poolgate = await start(startPoolgate({ env: { POOLGATE_POOL_ID: POOL_ID } }));
    const ceiling = await start(startServer(join(SERVERS, "ceiling.js")));
    // Users through adminCreate (each gets its argon2id hash and its SRP verifier), the access
    // scope GetUser needs, and a signed-in session (its access and refresh tokens).
    const setup = await poolgate.call("setup", {
      users: USERS,
      password: PASSWORD,
      webScopes: ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
    });
    const pgUrl = `${poolgate.url}/`;
    const pg = {
      clientId: setup.webClientId,
      usernames: setup.users,
      refreshToken: setup.sessions[0].refreshToken,
      accessToken: setup.sessions[0].accessToken,
    };
    let cognitoLocal;
    let cl;
    try {
      cognitoLocal = await start(startServer(join(SERVERS, "cognito-local.js")));
      cl = await cognito.setup(cognitoLocal.url, PASSWORD, USERS);
    } catch (err) {
      ctx.warn(`section 6: cognito-local could not be measured: ${err.message}`);
      cognitoLocal = undefined;
    }

    const passwordBody = (s, username) => ({
      ClientId: s.clientId,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: username, PASSWORD },
    });
    const refreshBody = (s) => ({
      ClientId: s.clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: s.refreshToken },
    });
    const getUserBody = (s) => ({ AccessToken: s.accessToken });

    // The fixed-body operations (autocannon), poolgate's and cognito-local's in pairs.
    const stacks = [
      { key: "pg", name: "poolgate", server: poolgate, url: pgUrl, s: pg },
      ...(cognitoLocal
        ? [
            {
              key: "cl",
              name: "cognito-local",
              server: cognitoLocal,
              url: `${cognitoLocal.url}/`,
              s: cl,
            },
          ]
        : []),
    ];
    const ops = [
      { op: "refresh", target: "InitiateAuth", body: refreshBody, pick: tokensIn },
      { op: "getUser", target: "GetUser", body: getUserBody, pick: (j) => j.Username },
    ];
    for (const st of stacks) {
      await expectOk(
        `${st.name} USER_PASSWORD_AUTH`,
        st.url,
        "InitiateAuth",
        passwordBody(st.s, st.s.usernames[0]),
        tokensIn,
      );
      for (const o of ops)
        await expectOk(`${st.name} ${o.target}`, st.url, o.target, o.body(st.s), o.pick);
    }

    // USER_SRP_AUTH: first once with amazon-cognito-identity-js itself, then with the fast
    // client the load uses (bench/lib/srpClient.js); both must get tokens.
    const srp = new FastSrpClient(POOL_NAME);
    /**
     * One USER_SRP_AUTH sign-in of `username` by `client` (FastSrpClient or libraryClient):
     * true with tokens; the PASSWORD_VERIFIER answer's response when `expectTokens` is false.
     */
    const srpSignIn = async (
      post,
      username,
      client = srp,
      password = PASSWORD,
      expectTokens = true,
    ) => {
      const signIn = client.begin();
      const first = await post(
        JSON.stringify({
          ClientId: pg.clientId,
          AuthFlow: "USER_SRP_AUTH",
          AuthParameters: { USERNAME: username, SRP_A: signIn.AHex },
        }),
        cognito.headers("InitiateAuth"),
      );
      if (first.json?.ChallengeName !== "PASSWORD_VERIFIER")
        throw new Error(`USER_SRP_AUTH: expected PASSWORD_VERIFIER: ${first.text.slice(0, 300)}`);
      const r = await post(
        JSON.stringify({
          ClientId: pg.clientId,
          ChallengeName: "PASSWORD_VERIFIER",
          ChallengeResponses: signIn.answer(first.json.ChallengeParameters, password),
        }),
        cognito.headers("RespondToAuthChallenge"),
      );
      if (!expectTokens) return r;
      if (!tokensIn(r.json)) throw new Error(`PASSWORD_VERIFIER: ${r.text.slice(0, 300)}`);
      return true;
    };
    {
      const check = jsonClient(pgUrl, 1);
      try {
        await srpSignIn(check.post, pg.usernames[0], libraryClient(POOL_NAME));
        // The claim is really checked: the fast client's claim for a wrong password is refused
        // (one failure on the lockout; the sign-ins below clear it).
        const wrong = await srpSignIn(check.post, pg.usernames[0], srp, "Wrong-passw0rd!", false);
        if (wrong.json?.__type !== "NotAuthorizedException")
          throw new Error(`a wrong SRP claim: expected NotAuthorizedException: ${wrong.text}`);
        for (const u of pg.usernames) await srpSignIn(check.post, u);
      } finally {
        check.close();
      }
    }

    const signInFlows = {
      pgPassword: { server: poolgate, url: pgUrl, body: (u) => passwordBody(pg, u), s: pg },
      ...(cognitoLocal
        ? {
            clPassword: {
              server: cognitoLocal,
              url: `${cognitoLocal.url}/`,
              body: (u) => passwordBody(cl, u),
              s: cl,
            },
          }
        : {}),
    };
    /**
     * One window of whole sign-ins of `kind` ("pgPassword" | "clPassword" | "pgSrp"), after
     * `warm` seconds of unmeasured ones.
     */
    const measureSignInKind = async (kind, warm) => {
      const isSrp = kind === "pgSrp";
      const flow = isSrp ? { server: poolgate, url: pgUrl, s: pg } : signInFlows[kind];
      const client = jsonClient(flow.url, CONNECTIONS);
      let n = 0;
      const next = () => flow.s.usernames[n++ % flow.s.usernames.length];
      const signIn = isSrp
        ? () => srpSignIn(client.post, next())
        : async () => {
            const r = await client.post(
              JSON.stringify(flow.body(next())),
              cognito.headers("InitiateAuth"),
            );
            if (!tokensIn(r.json)) throw new Error(`USER_PASSWORD_AUTH: ${r.text.slice(0, 300)}`);
            return true;
          };
      try {
        return await measureWithClientCpu(
          flow.server,
          { connections: CONNECTIONS, seconds, warmupSeconds: warm },
          signIn,
        );
      } finally {
        client.close();
      }
    };

    const out = {
      floor: [],
      fullFloor: [],
      steps: [],
      pgPassword: [],
      clPassword: [],
      pgSrp: [],
      pgRefresh: [],
      clRefresh: [],
      pgGetUser: [],
      clGetUser: [],
    };
    const line = (label, i, text) => ctx.progress(`  6. ${label.padEnd(38)} run ${i + 1}: ${text}`);
    const signInLine = (r) =>
      `${r.rps.toFixed(1)} sign-ins/s, p50 ${r.p50.toFixed(1)} ms, ${(r.cpuUsPerReq / 1000).toFixed(2)} ms CPU each (load generator ${(r.clientCpuUsPerReq / 1000).toFixed(2)} ms)`;
    for (let i = 0; i < runs; i++) {
      // Each pair in turns (poolgate first in odd runs, second in even ones), so drift in the
      // machine's load hits both alike.
      const pair = i % 2 === 0 ? stacks : [...stacks].reverse();
      for (const [kind, key, label, concurrency] of [
        ["srpModexp", "floor", "floor: SRP's 3 modexps", 1],
        ["srpSignin", "fullFloor", "floor: 3 modexps + 2 signs + JWE seal", CONNECTIONS],
        ["srpSteps", "steps", "poolgate's SRP math (tokens/srp.ts)", 1],
      ]) {
        // Half a window: CPU work on an idle core, steady within a second. The whole-crypto
        // floor keeps as many sign-ins in flight as the load has connections, so the signs
        // (libuv's thread pool) overlap the next modexps as they do in the gateway.
        const c = await ceiling.call("measure", kind, seconds / 2, concurrency);
        out[key].push(c);
        line(
          label,
          i,
          `${c.opsPerSecond.toFixed(0)} /s, ${(c.cpuUsPerOp / 1000).toFixed(2)} ms CPU each`,
        );
      }
      for (const st of pair) {
        const key = `${st.key}Password`;
        const r = await measureSignInKind(key, i === 0 ? warmupSeconds : 0);
        if (r.bad > 0)
          ctx.warn(`section 6: ${st.name} USER_PASSWORD_AUTH: ${r.bad} failed (${r.firstError})`);
        out[key].push(r);
        line(`${st.name} USER_PASSWORD_AUTH c=${CONNECTIONS}`, i, signInLine(r));
      }
      {
        // A new gateway's SRP sign-ins get cheaper for their first ~10 s of load (measured:
        // 5.7 → 4.7 ms of CPU each, then flat), longer than the other rows take to settle.
        const r = await measureSignInKind("pgSrp", i === 0 ? 3 * warmupSeconds : 0);
        if (r.bad > 0)
          ctx.warn(`section 6: poolgate USER_SRP_AUTH: ${r.bad} failed (${r.firstError})`);
        out.pgSrp.push(r);
        line(`poolgate USER_SRP_AUTH c=${CONNECTIONS}`, i, signInLine(r));
      }
      for (const o of ops) {
        for (const st of pair) {
          const r = await measureLoad(
            {
              url: st.url,
              headers: cognito.headers(o.target),
              body: JSON.stringify(o.body(st.s)),
              server: st.server,
            },
            { connections: CONNECTIONS, seconds, warmupSeconds: i === 0 ? warmupSeconds : 0 },
          );
          const key = `${st.key}${o.op === "refresh" ? "Refresh" : "GetUser"}`;
          if (r.bad > 0) ctx.warn(`section 6: ${st.name} ${o.op} had ${r.bad} failed requests`);
          out[key].push(r);
          line(
            `${st.name} ${o.op === "refresh" ? "REFRESH_TOKEN_AUTH" : "GetUser"}`,
            i,
            `${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(0)} µs CPU/req, ${r.cpuCores.toFixed(2)} cores`,
          );
        }
      }
    }
    const S = (arr, f) => summary(arr.map(f));
    const load = (arr) =>
      arr.length === 0
        ? null
        : {
            rps: S(arr, (r) => r.rps),
            p50: S(arr, (r) => r.p50),
            p99: S(arr, (r) => r.p99),
            cpu: S(arr, (r) => r.cpuUsPerReq),
            cores: S(arr, (r) => r.cpuCores),
            ...(arr[0].clientCpuUsPerReq !== undefined
              ? {
                  clientCpu: S(arr, (r) => r.clientCpuUsPerReq),
                  clientCores: S(arr, (r) => r.clientCores),
                }
              : {}),
          };
    const ceilingOf = (arr) => ({
      rps: S(arr, (c) => c.opsPerSecond),
      cpu: S(arr, (c) => c.cpuUsPerOp),
    });
    return {
      connections: CONNECTIONS,
      users: USERS,
      library: require("amazon-cognito-identity-js/package.json").version,
      floor: ceilingOf(out.floor),
      fullFloor: ceilingOf(out.fullFloor),
      steps: ceilingOf(out.steps),
      ...Object.fromEntries(
        [
          "pgPassword",
          "clPassword",
          "pgSrp",
          "pgRefresh",
          "clRefresh",
          "pgGetUser",
          "clGetUser",
        ].map((k) => [k, load(out[k])]),
      ),
      cognitoLocal: Boolean(cognitoLocal),
    };
  } finally {
    await servers.stopAll();
  }
}

module.exports = { run };
