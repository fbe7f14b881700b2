// A mail server for a gateway that sends mail (section 3's, with recovery by email): accepts
// every message on 127.0.0.1 and keeps only counts. smtp-server is the one the tests use
// (test/support/smtp.ts), from the product's devDependencies: the bench runs from a checkout.
"use strict";
const { SMTPServer } = require("smtp-server");

async function startSmtpSink() {
  let received = 0;
  let closed = 0;
  const waiters = new Set();
  const notify = () => {
    for (const w of waiters) w();
  };
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    closeTimeout: 100,
    onData(stream, _session, callback) {
      stream.on("data", () => undefined);
      stream.on("end", () => {
        received++;
        callback();
      });
    },
    onClose() {
      closed++;
      notify();
    },
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  server.on("error", () => undefined);
  const { port } = server.server.address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => received,
    /** SMTP connections ended so far (the gateway opens one per message). */
    closed: () => closed,
    /** Resolves once `n` connections have ended, or after `timeoutMs` with false. */
    waitClosed(n, timeoutMs = 5000) {
      if (closed >= n) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(ok);
        };
        const check = () => closed >= n && done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        waiters.add(check);
      });
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { startSmtpSink };
