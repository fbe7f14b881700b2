// Section 4 — verifier micro-benchmark (tinybench, in this process): poolgate's
// AccessTokenVerifier cold (cache off: every call parses and checks the RS256 signature) and
// cached, versus jose jwtVerify and aws-jwt-verify (JwtRsaVerifier with its JWKS cached), on
// one access token with poolgate's claims.
"use strict";
const { peer } = require("../lib/peers");
const { dist } = require("../lib/root");
const { summary } = require("../lib/stats");

async function run(ctx) {
  const { Bench } = peer("tinybench");
  const { JwtRsaVerifier } = peer("aws-jwt-verify");
  const jose = peer("jose");
  const { AccessTokenVerifier } = dist("tokens/verify.js");
  const issuer = "http://localhost:4000";
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({
    sub: "5f1e3c9a-0a51-4c6e-9d7e-2b1f0c8a7d11",
    iss: issuer,
    version: 2,
    client_id: "xaovf0fw3igl2c066n8te2x3lm",
    origin_jti: "0c3d2f0e-8f7a-4b8e-9a53-1e7c5f2d9b44",
    event_id: "6a0f4d1e-52b3-4c8f-8e1d-7b9c0a2e3f55",
    token_use: "access",
    scope: "aws.cognito.signin.user.admin openid email profile",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d66",
    username: "bench-0",
  })
    .setProtectedHeader({ alg: "RS256", kid: "k", typ: "JWT" })
    .sign(privateKey);
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k", alg: "RS256", use: "sig" };
  const keys = (kid) => (kid === "k" ? publicKey : undefined);
  const cold = new AccessTokenVerifier({ issuer, keys, cacheSize: 0 });
  const cached = new AccessTokenVerifier({ issuer, keys, cacheSize: 10000 });
  const aws = JwtRsaVerifier.create({
    issuer,
    audience: null,
    jwksUri: "http://127.0.0.1:1/jwks.json",
  });
  aws.cacheJwks({ keys: [jwk] });
  const tasks = {
    jose: [
      "jose jwtVerify",
      () => jose.jwtVerify(token, publicKey, { issuer, algorithms: ["RS256"] }),
    ],
    aws: ["aws-jwt-verify (JWKS cached)", () => aws.verify(token)],
    cold: ["poolgate verifier, cold", () => cold.verify(token)],
    cached: ["poolgate verifier, cached", () => cached.verify(token)],
  };
  // Every verifier must accept the token before it is timed.
  for (const [name, fn] of Object.values(tasks)) {
    const claims = await fn();
    if (!claims) throw new Error(`${name} returned nothing`);
  }
  const series = Object.fromEntries(Object.keys(tasks).map((k) => [k, []]));
  for (let i = 0; i < ctx.load.runs; i++) {
    const bench = new Bench({ time: ctx.load.microMs, warmupTime: 100 });
    for (const [key, [, fn]] of Object.entries(tasks)) bench.add(key, fn);
    await bench.run();
    for (const t of bench.tasks) {
      const r = t.result;
      series[t.name].push({
        opsPerSecond: r.throughput.mean,
        micros: r.latency.mean * 1000,
        p99: r.latency.p99 * 1000,
      });
    }
    ctx.progress(
      `  4. run ${i + 1}: ` +
        Object.keys(tasks)
          .map((k) => `${k} ${series[k][i].opsPerSecond.toFixed(0)}/s`)
          .join(", "),
    );
  }
  return {
    rows: Object.entries(tasks).map(([key, [name]]) => ({
      key,
      name,
      ops: summary(series[key].map((s) => s.opsPerSecond)),
      micros: summary(series[key].map((s) => s.micros)),
    })),
  };
}

module.exports = { run };
