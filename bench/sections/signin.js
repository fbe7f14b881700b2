// Section 3 — sign-in (USER_PASSWORD_AUTH) at concurrency 1 and 10 versus the argon2id
// ceiling at the configured cost, cognito-local's USER_PASSWORD_AUTH (which stores passwords
// in plain text: no hash at all), and the unknown-user vs wrong-password timing comparison (no user enumeration by timing). On a second
// gateway with MFA OPTIONAL (./signinMfa.js): a sign-in with a TOTP second factor against one
// without, and forgotPassword's response time for a known and an unknown user. (`me` during a
// sign-in storm is section 11, ./meStorm.js.)
"use strict";
const { join } = require("node:path");
const { randomBytes } = require("node:crypto");
const { performance } = require("node:perf_hooks");
const { serverGroup, startServer } = require("../lib/proc");
const { startPoolgate, gql, post, PASSWORD, SERVERS } = require("../lib/fixture");
const { measureLoad } = require("../lib/load");
const { summary } = require("../lib/stats");
const cognito = require("../lib/cognito");
const { startMfaBench } = require("./signinMfa");

const SIGN_IN =
  "mutation($i: SignInInput!) { signIn(input: $i) { accessToken idToken refreshToken expiresIn } }";
const USERS = 10;

/** autocannon request list: each request signs in the next user (one connection, one user). */
function rotating(bodies) {
  let n = 0;
  return [{ setupRequest: (req) => ({ ...req, body: bodies[n++ % bodies.length] }) }];
}

async function enumeration(ctx, poolgate, setup, tries) {
  const url = `${poolgate.url}/graphql`;
  const attempt = async (username) => {
    const started = performance.now();
    const r = await post(
      url,
      gql(SIGN_IN, { i: { clientId: setup.webClientId, username, password: "Wrong-passw0rd!" } }),
    );
    const code = r.json?.errors?.[0]?.extensions?.code;
    if (code !== "NOT_AUTHORIZED") throw new Error(`expected NOT_AUTHORIZED, got ${code}`);
    return performance.now() - started;
  };
  const unknown = [];
  const wrong = [];
  // Interleaved, so drift in machine load hits both series alike; one attempt per user so
  // the lockout (5 failures) never interferes.
  for (let i = 0; i < tries; i++) {
    unknown.push(await attempt(`nobody-${i}-${randomBytes(4).toString("hex")}`));
    wrong.push(await attempt(setup.users[USERS + i]));
  }
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return { median: q(0.5), p90: q(0.9), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
  };
  return { tries, unknown: stats(unknown), wrong: stats(wrong) };
}

async function run(ctx) {
  const { runs, seconds, warmupSeconds } = ctx.load;
  const tries = ctx.load.enumerationTries;
  const servers = serverGroup();
  const start = servers.start;
  try {
    const poolgate = await start(startPoolgate());
    const ceiling = await start(startServer(join(SERVERS, "ceiling.js")));
    // USERS for the c=1 and c=10 rows, then one per enumeration attempt (each fails once at most).
    const setup = await poolgate.call("setup", { users: USERS + tries, password: PASSWORD });
    const token = setup.sessions[0].accessToken;
    const bodies = setup.users
      .slice(0, USERS)
      .map((username) =>
        gql(SIGN_IN, { i: { clientId: setup.webClientId, username, password: PASSWORD } }),
      );
    const first = await post(`${poolgate.url}/graphql`, bodies[0]);
    if (!first.json?.data?.signIn?.accessToken)
      throw new Error(`poolgate signIn: ${first.text.slice(0, 300)}`);

    let cognitoLocal;
    let cognitoBodies;
    try {
      cognitoLocal = await start(startServer(join(SERVERS, "cognito-local.js")));
      const cs = await cognito.setup(cognitoLocal.url, PASSWORD, USERS);
      cognitoBodies = cs.usernames.map((u) =>
        JSON.stringify({
          ClientId: cs.clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: u, PASSWORD: PASSWORD },
        }),
      );
    } catch (err) {
      ctx.warn(`section 3: cognito-local could not be measured: ${err.message}`);
      cognitoLocal = undefined;
    }

    let mfa;
    try {
      mfa = await startMfaBench(ctx, start, {
        forgotTries: tries,
        // One run's TOTP windows (c=1 and c=10) and the first run's warm-up.
        totpSecondsPerStep: runs > 0 ? 2 * seconds + warmupSeconds : 0,
      });
    } catch (err) {
      ctx.warn(`section 3: the MFA gateway could not be set up: ${err.stack ?? err}`);
      mfa = undefined;
    }

    const params = await ceiling.call("params");
    const out = {
      params,
      c1: [],
      c10: [],
      ceiling: [],
      fullCeiling: [],
      cognito: [],
      mfa: { plain: { c1: [], c10: [] }, totp: { c1: [], c10: [] } },
    };
    for (let i = 0; i < runs; i++) {
      // The best concurrency for a memory-hard hash is one job per core: more only thrash the
      // cache (measured: 4 at once on one core gave ~20 % fewer hashes/s). poolgate gates its
      // hashing the same way (src/identity/passwords.ts).
      const c = await ceiling.call("measure", "argon2", seconds, params.cores);
      out.ceiling.push(c);
      const full = await ceiling.call("measure", "signin", seconds, params.cores);
      out.fullCeiling.push(full);
      ctx.progress(
        `  3. sign-in crypto ceiling                run ${i + 1}: ${full.opsPerSecond.toFixed(1)} /s, ${(full.cpuUsPerOp / 1000).toFixed(1)} ms CPU each`,
      );
      ctx.progress(
        `  3. argon2id ceiling                      run ${i + 1}: ${c.opsPerSecond.toFixed(1)} verifications/s, ${(c.cpuUsPerOp / 1000).toFixed(1)} ms CPU each`,
      );
      for (const [key, connections] of [
        ["c1", 1],
        ["c10", 10],
      ]) {
        const r = await measureLoad(
          {
            url: `${poolgate.url}/graphql`,
            headers: { "content-type": "application/json" },
            requests: rotating(bodies),
            server: poolgate,
          },
          { connections, seconds, warmupSeconds: i === 0 ? warmupSeconds : 0 },
        );
        if (r.bad > 0)
          ctx.warn(`section 3: poolgate signIn c=${connections} had ${r.bad} failed requests`);
        out[key].push(r);
        ctx.progress(
          `  3. poolgate signIn c=${String(connections).padEnd(20)} run ${i + 1}: ${r.rps.toFixed(1)} req/s, p99 ${r.p99} ms`,
        );
      }
      if (cognitoLocal) {
        const r = await measureLoad(
          {
            url: `${cognitoLocal.url}/`,
            headers: cognito.headers("InitiateAuth"),
            requests: rotating(cognitoBodies),
            server: cognitoLocal,
          },
          { connections: 10, seconds, warmupSeconds: i === 0 ? warmupSeconds : 0 },
        );
        if (r.bad > 0) ctx.warn(`section 3: cognito-local had ${r.bad} failed requests`);
        out.cognito.push(r);
        ctx.progress(
          `  3. cognito-local USER_PASSWORD_AUTH c=10 run ${i + 1}: ${r.rps.toFixed(0)} req/s`,
        );
      }
      if (mfa) {
        // (a) and (b) back to back at each concurrency, in turns (a first in odd runs, b first
        // in even ones), so drift in the machine's load hits both alike. The first run warms
        // the TOTP answer's path up at c=1; enrolment has run (a)'s path hundreds of times.
        for (const [key, connections] of [
          ["c1", 1],
          ["c10", 10],
        ]) {
          const order = i % 2 === 0 ? ["plain", "totp"] : ["totp", "plain"];
          for (const kind of order) {
            const r = await mfa.measure(kind, {
              connections,
              seconds,
              warmupSeconds: i === 0 && connections === 1 && kind === "totp" ? warmupSeconds : 0,
            });
            out.mfa[kind][key].push(r);
            if (r.bad > 0)
              ctx.warn(
                `section 3: ${kind} initiateAuth c=${connections} had ${r.bad} failed sign-ins: ${r.firstError}`,
              );
            if (r.short)
              ctx.warn(
                `section 3: TOTP c=${connections} run ${i + 1} ended after ${r.seconds.toFixed(1)} s: every TOTP user had signed in during this 30-second step`,
              );
            ctx.progress(
              `  3. ${`${kind === "totp" ? "initiateAuth + TOTP" : "initiateAuth, no MFA"} c=${connections}`.padEnd(38)} run ${i + 1}: ${r.rps.toFixed(1)} sign-ins/s, p50 ${r.p50.toFixed(1)} ms, ${(r.cpuUsPerReq / 1000).toFixed(2)} ms CPU each`,
            );
          }
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
    });
    const result = {
      params,
      ceiling: {
        rps: S(out.ceiling, (c) => c.opsPerSecond),
        cpu: S(out.ceiling, (c) => c.cpuUsPerOp),
      },
      fullCeiling: {
        rps: S(out.fullCeiling, (c) => c.opsPerSecond),
        cpu: S(out.fullCeiling, (c) => c.cpuUsPerOp),
      },
      c1: load(out.c1),
      c10: load(out.c10),
      cognito: out.cognito.length ? load(out.cognito) : null,
    };
    if (mfa && out.mfa.totp.c1.length > 0) {
      // (b − a) ÷ a per run, paired: the TOTP step's share of a password sign-in.
      const extra = (key, f) =>
        summary(
          out.mfa.totp[key].map((b, k) => {
            const a = out.mfa.plain[key][k];
            return (f(b) - f(a)) / f(a);
          }),
        );
      result.mfa = {
        totpUsers: mfa.totpUsers,
        enrolSeconds: mfa.enrolSeconds,
        plain: { c1: load(out.mfa.plain.c1), c10: load(out.mfa.plain.c10) },
        totp: { c1: load(out.mfa.totp.c1), c10: load(out.mfa.totp.c10) },
        extra: {
          cpuC1: extra("c1", (r) => r.cpuUsPerReq),
          cpuC10: extra("c10", (r) => r.cpuUsPerReq),
          p50C1: extra("c1", (r) => r.p50),
        },
      };
    }
    if (tries > 0) {
      result.enumeration = await enumeration(ctx, poolgate, setup, tries);
      const e = result.enumeration;
      ctx.progress(
        `  3. enumeration: unknown ${e.unknown.median.toFixed(2)} ms vs wrong password ${e.wrong.median.toFixed(2)} ms (median of ${tries})`,
      );
      if (mfa) {
        result.forgotPassword = await mfa.forgotPassword(tries);
        const f = result.forgotPassword;
        ctx.progress(
          `  3. forgotPassword: known user ${f.known.median.toFixed(2)} ms (p95 ${f.known.p95.toFixed(2)}) vs unknown ${f.unknown.median.toFixed(2)} ms (p95 ${f.unknown.p95.toFixed(2)}) (${tries} each)`,
        );
      }
    }
    return result;
  } finally {
    await servers.stopAll();
  }
}

module.exports = { run, rotating, SIGN_IN, USERS };
