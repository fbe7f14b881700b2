// The issuance floor: a bare node:http server that does the crypto of one response and
// nothing else — no store, no client or session checks, no metrics, no logs. POST /token
// with a form body: grant_type=refresh_token decrypts the refresh token (dir + A256GCM, key
// imported once) and signs two RS256 tokens; grant_type=client_credentials signs one. The
// `claims` command gives it the claim sets poolgate's own tokens carry (section 2 reads them
// off a real refresh and grant), so both sign the same bytes: the same crypto over the same
// tokens, not over shorter ones. It
// shows how close to the crypto ceiling any node:http server on this machine can get, so
// poolgate's ratio to the ceiling can be read against what is reachable at all.
"use strict";
const { createServer } = require("node:http");
const { randomBytes, randomUUID } = require("node:crypto");
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { serveChild } = require("../lib/child");
const { ROOT } = require("../lib/root");

const jose = createRequire(join(ROOT, "package.json"))("jose");

serveChild(async () => {
  const { privateKey } = await jose.generateKeyPair("RS256");
  const raw = randomBytes(32);
  const aes = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const now = () => Math.floor(Date.now() / 1000);
  const refreshToken = await new jose.CompactEncrypt(
    new TextEncoder().encode(
      JSON.stringify({ jti: randomUUID(), sid: randomUUID(), cid: "c", exp: now() + 86400 }),
    ),
  )
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .encrypt(aes);
  const sign = (claims) =>
    new jose.SignJWT({ ...claims, iat: now(), exp: now() + 3600, jti: randomUUID() })
      .setProtectedHeader({ alg: "RS256", kid: "floor", typ: "JWT" })
      .sign(privateKey);
  // Until told otherwise, small claim sets; section 2 replaces them with poolgate's.
  let claims = {
    access: { sub: "u", token_use: "access", scope: "openid email" },
    id: { sub: "u", token_use: "id", aud: "c", email: "u@example.com" },
    client: { sub: "c", token_use: "access", scope: "bench/read" },
  };
  const issue = async (form) => {
    if (form.get("grant_type") === "client_credentials") {
      return { access_token: await sign(claims.client) };
    }
    await jose.compactDecrypt(form.get("refresh_token"), aes, {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    const [access_token, id_token] = await Promise.all([sign(claims.access), sign(claims.id)]);
    return { access_token, id_token };
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      issue(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))).then(
        (tokens) => {
          const body = JSON.stringify({ ...tokens, token_type: "Bearer", expires_in: 3600 });
          res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
          res.end(body);
        },
        () => {
          res.writeHead(400, { "content-type": "application/json" });
          res.end('{"error":"invalid_grant"}');
        },
      );
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    refreshToken,
    commands: {
      refreshToken: () => refreshToken,
      /** { access, id, client }: claim sets to sign from now on (iat, exp, jti fresh each time). */
      claims: (given) => {
        claims = given;
      },
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
});
