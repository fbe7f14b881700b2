// Section 3's second gateway (issue 14): the cost of the TOTP second factor, and forgotPassword's
// response time for a known and an unknown user. A gateway of its own (POOLGATE_MFA=OPTIONAL,
// recovery by email to a local SMTP sink), so the section's first gateway and its rows stay as
// they were (MFA OFF: no MFA lookup after the password).
//
// Both sign-ins go through initiateAuth (USER_PASSWORD_AUTH) on this gateway and the same load
// generator (bench/lib/signins.js): (a) users without MFA get tokens at once; (b) users with an
// authenticator get SOFTWARE_TOKEN_MFA and answer it with respondToAuthChallenge and a code the
// generator computes when it sends it. (b) − (a) is what the second factor costs.
"use strict";
const { performance } = require("node:perf_hooks");
const { randomBytes } = require("node:crypto");
const { startPoolgate, gql, post, PASSWORD } = require("../lib/fixture");
const { jsonClient, measureSignIns } = require("../lib/signins");
const { startSmtpSink } = require("../lib/smtpSink");
const { TotpUsers, codeAt, stepOf, PERIOD_SECONDS } = require("../lib/totpUsers");
const { Secret } = require("otpauth");

const RESULT =
  "authenticationResult { accessToken idToken refreshToken expiresIn } challengeName session";
const INITIATE = `mutation($i: InitiateAuthInput!) { initiateAuth(input: $i) { ${RESULT} } }`;
const RESPOND = `mutation($i: RespondToAuthChallengeInput!) { respondToAuthChallenge(input: $i) { ${RESULT} } }`;
const ASSOCIATE = "mutation { associateSoftwareToken { secretCode } }";
const VERIFY =
  "mutation($i: VerifySoftwareTokenInput!) { verifySoftwareToken(input: $i) { status } }";
const FORGOT =
  "mutation($i: ForgotPasswordInput!) { forgotPassword(input: $i) { destination deliveryMedium } }";

/** Users without MFA for (a), signed in round-robin (like the section's signIn rows). */
const PLAIN_USERS = 10;
/** Created up front (store writes with one shared hash: cheap); enrolled only as many as needed. */
const MAX_TOTP_USERS = 3000;
const ENROL_CONNECTIONS = 10;

/** Runs `work(item)` over `items` with `connections` at a time. */
async function pooled(items, connections, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: connections }, worker));
}

const spread = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
};

/**
 * Starts the sink and the gateway (through `start`, the section's serverGroup, so they stop with
 * the rest), creates the users and enrols the TOTP users through the API. `totpSecondsPerStep`:
 * how many seconds of TOTP sign-ins can fall into one 30-second step (the measured windows and
 * warm-ups of one run): enough users are enrolled for that many at the rate enrolment ran at.
 */
async function startMfaBench(ctx, start, { forgotTries, totpSecondsPerStep }) {
  const sink = await start(startSmtpSink());
  const gateway = await start(
    startPoolgate({
      env: {
        POOLGATE_MFA: "OPTIONAL",
        POOLGATE_ACCOUNT_RECOVERY: "verified_email",
        POOLGATE_SMTP_URL: sink.url,
      },
    }),
  );
  const url = `${gateway.url}/graphql`;
  const setup = await gateway.call("setup", {
    users: 0,
    signIns: 0,
    password: PASSWORD,
    webScopes: ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
  });
  const clientId = setup.webClientId;
  const plain = await gateway.call("addUsers", {
    prefix: "plain",
    count: PLAIN_USERS,
    password: PASSWORD,
  });
  const forgotKnown = await gateway.call("addUsers", {
    prefix: "forgot",
    count: Math.max(1, forgotTries),
    password: PASSWORD,
  });
  // None when nothing is measured (node bench/run.js enumeration).
  const candidates =
    totpSecondsPerStep > 0
      ? await gateway.call("addUsers", {
          prefix: "totp",
          count: MAX_TOTP_USERS,
          password: PASSWORD,
        })
      : [];

  const initiateBody = (username) =>
    gql(INITIATE, {
      i: { clientId, authFlow: "USER_PASSWORD_AUTH", username, password: PASSWORD },
    });
  const tokensOf = (r, field) => r.json?.data?.[field]?.authenticationResult?.accessToken;

  // Enrolment, as a user does it: sign in, associateSoftwareToken with the access token,
  // verifySoftwareToken with a code of the secret. The code is the previous step's (accepted
  // for clock drift, ±1 step), so the step the gateway records is already past and each user's
  // first measured sign-in may come in the current step.
  const totp = new TotpUsers();
  // Kept for top-ups (below); its idle sockets are the gateway's to time out.
  const enrolClient = jsonClient(url, ENROL_CONNECTIONS);
  const enrol = async (username) => {
    const signedIn = await enrolClient.post(initiateBody(username));
    const token = tokensOf(signedIn, "initiateAuth");
    if (!token) throw new Error(`enrolment sign-in: ${signedIn.text.slice(0, 300)}`);
    const auth = { authorization: `Bearer ${token}` };
    const associated = await enrolClient.post(gql(ASSOCIATE), auth);
    const secretCode = associated.json?.data?.associateSoftwareToken?.secretCode;
    if (!secretCode) throw new Error(`associateSoftwareToken: ${associated.text.slice(0, 300)}`);
    const secret = Secret.fromBase32(secretCode);
    let last = "";
    for (let attempt = 0; attempt < 2; attempt++) {
      // A retry covers a step boundary passed between computing the code and its check.
      const at = Date.now() - PERIOD_SECONDS * 1000;
      const verified = await enrolClient.post(
        gql(VERIFY, { i: { userCode: codeAt(secret, at) } }),
        auth,
      );
      if (verified.json?.data?.verifySoftwareToken?.status === "SUCCESS") {
        totp.add(username, secretCode, stepOf(at));
        return;
      }
      last = verified.text.slice(0, 300);
    }
    throw new Error(`verifySoftwareToken: ${last}`);
  };
  /** Enrols `n` more users; resolves with the rate (users per second) it ran at. */
  const enrolMore = async (n) => {
    const t0 = performance.now();
    const from = totp.size;
    await pooled(candidates.slice(from, from + n), ENROL_CONNECTIONS, enrol);
    return (totp.size - from) / ((performance.now() - t0) / 1000);
  };
  const e0 = performance.now();
  let rate = 0;
  let planned = totpSecondsPerStep > 0 ? Math.min(100, candidates.length) : 0;
  while (totp.size < planned) {
    rate = await enrolMore(planned - totp.size);
    // Enrolment is one password sign-in and two light requests per user, about a TOTP
    // sign-in's work (one hash, one more request). The rate of the latest batch (the first
    // one warms the gateway up), and a quarter more for the measured windows' spread.
    const wanted = Math.ceil(rate * totpSecondsPerStep * 1.25);
    planned = Math.min(candidates.length, Math.max(planned, wanted));
  }
  const enrolSeconds = (performance.now() - e0) / 1000;
  if (totp.size > 0)
    ctx.progress(
      `  3. TOTP users enrolled through the API   ${totp.size} in ${enrolSeconds.toFixed(1)} s (sign-in, associate, verify)`,
    );
  /** TOTP sign-ins per second last measured, by concurrency (before any: enrolment's rate). */
  const totpRate = new Map();
  /**
   * Before a TOTP window: enough users still free in this step for it at the last rate, and a
   * fifth more. When runs come faster than one per step (--quick) two runs' windows can share
   * a step; the shortfall is enrolled now, unmeasured (its users are free at once, see above).
   */
  const ensureFree = async (options) => {
    const expected = (totpRate.get(options.connections) ?? rate) * options.seconds;
    const wanted = Math.ceil(expected * 1.2 + (options.warmupSeconds ?? 0) * rate);
    const shortfall = Math.min(candidates.length - totp.size, wanted - totp.free());
    if (shortfall <= 0) {
      if (wanted > totp.free())
        ctx.warn(
          `section 3: all ${candidates.length} TOTP users enrolled; the window may end early`,
        );
      return;
    }
    const t0 = performance.now();
    await enrolMore(shortfall);
    ctx.progress(
      `  3. TOTP users topped up                  ${shortfall} more in ${((performance.now() - t0) / 1000).toFixed(1)} s (${totp.size} in all)`,
    );
  };
  let nextPlain = 0;
  const flows = {
    /** (a) initiateAuth → tokens. */
    plain: (client) => async () => {
      const r = await client.post(initiateBody(plain[nextPlain++ % plain.length]));
      if (!tokensOf(r, "initiateAuth")) throw new Error(`initiateAuth: ${r.text.slice(0, 300)}`);
      return true;
    },
    /** (b) initiateAuth → SOFTWARE_TOKEN_MFA → respondToAuthChallenge with a fresh code → tokens. */
    totp: (client) => async () => {
      const user = totp.take();
      if (!user) return undefined;
      const first = await client.post(initiateBody(user.username));
      const step = first.json?.data?.initiateAuth;
      if (step?.challengeName !== "SOFTWARE_TOKEN_MFA")
        throw new Error(`initiateAuth: expected SOFTWARE_TOKEN_MFA: ${first.text.slice(0, 300)}`);
      const r = await client.post(
        gql(RESPOND, {
          i: {
            clientId,
            challengeName: "SOFTWARE_TOKEN_MFA",
            session: step.session,
            responses: [
              { name: "USERNAME", value: user.username },
              { name: "SOFTWARE_TOKEN_MFA_CODE", value: user.code() },
            ],
          },
        }),
      );
      if (!tokensOf(r, "respondToAuthChallenge"))
        throw new Error(`respondToAuthChallenge: ${r.text.slice(0, 300)}`);
      return true;
    },
  };

  return {
    totpUsers: totp.size,
    enrolSeconds,
    /** One measured window of `kind` ("plain" | "totp"); options as measureSignIns takes them. */
    async measure(kind, options) {
      if (kind === "totp") await ensureFree(options);
      const client = jsonClient(url, options.connections);
      try {
        const r = await measureSignIns(gateway, options, flows[kind](client));
        if (kind === "totp" && r.ok > 0) totpRate.set(options.connections, r.rps);
        return r;
      } finally {
        client.close();
      }
    },
    /**
     * forgotPassword for a known user (verified email: a code is made, stored and mailed) and
     * for a name no user has, interleaved, one call per name (its rate limit never interferes).
     * The gateway answers before the mail work starts; that work is let finish (the sink sees
     * the connection end) before the next call is timed, so every call meets a quiet gateway.
     */
    async forgotPassword(tries) {
      const attempt = async (username, known) => {
        const closed = sink.closed();
        const t0 = performance.now();
        const r = await post(url, gql(FORGOT, { i: { clientId, username } }));
        const ms = performance.now() - t0;
        if (!r.json?.data?.forgotPassword?.destination)
          throw new Error(`forgotPassword: ${r.text.slice(0, 300)}`);
        if (known && !(await sink.waitClosed(closed + 1)))
          throw new Error("forgotPassword: no mail for a known user within 5 s");
        await new Promise((resolve) => setTimeout(resolve, 5));
        return ms;
      };
      const known = [];
      const unknown = [];
      for (let i = 0; i < tries; i++) {
        const stranger = () => attempt(`nobody-${i}-${randomBytes(4).toString("hex")}`, false);
        const user = () => attempt(forgotKnown[i % forgotKnown.length], true);
        // Each goes first in every other pair, so neither always follows the other's work.
        if (i % 2 === 0) {
          unknown.push(await stranger());
          known.push(await user());
        } else {
          known.push(await user());
          unknown.push(await stranger());
        }
      }
      return { tries, known: spread(known), unknown: spread(unknown), mails: sink.received() };
    },
  };
}

module.exports = { startMfaBench };
