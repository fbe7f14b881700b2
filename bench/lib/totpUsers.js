// Users with an authenticator (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps, Cognito's
// parameters) for the load generator, which computes each code when it sends it, as an app
// shows it. The gateway accepts a code once per user: its time step must be later than the
// last step accepted for that user (src/identity/mfa.ts). So a user signs in at most once per
// step, and take() hands out, round-robin, only users not yet used in the current step.
"use strict";
const { Secret, TOTP } = require("otpauth");

const PERIOD_SECONDS = 30;
const stepOf = (ms) => Math.floor(ms / 1000 / PERIOD_SECONDS);

/** The code an authenticator app shows for `secret` (a Secret) at `ms`. */
function codeAt(secret, ms) {
  return TOTP.generate({
    secret,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD_SECONDS,
    timestamp: ms,
  });
}

class TotpUsers {
  constructor() {
    this.users = [];
    this.cursor = 0;
  }

  get size() {
    return this.users.length;
  }

  /** A user whose authenticator has `secretBase32`; `lastStep`: the last step the gateway took. */
  add(username, secretBase32, lastStep) {
    this.users.push({ username, secret: Secret.fromBase32(secretBase32), lastStep });
  }

  /**
   * The next user not yet used in the current step, reserved for it, or undefined when every
   * user has had their sign-in of this step. user.code() is the code to send, computed when
   * called (the step may have moved on since take(): the reservation follows it).
   */
  take() {
    const step = stepOf(Date.now());
    const n = this.users.length;
    for (let k = 0; k < n; k++) {
      const u = this.users[(this.cursor + k) % n];
      if (u.lastStep >= step) continue;
      this.cursor = (this.cursor + k + 1) % n;
      u.lastStep = step;
      return {
        username: u.username,
        code() {
          const now = Date.now();
          u.lastStep = Math.max(u.lastStep, stepOf(now));
          return codeAt(u.secret, now);
        },
      };
    }
    return undefined;
  }

  /** Users not yet used in the current step. */
  free() {
    const step = stepOf(Date.now());
    return this.users.filter((u) => u.lastStep < step).length;
  }
}

module.exports = { TotpUsers, codeAt, stepOf, PERIOD_SECONDS };
