#!/usr/bin/env node
/**
 * `npm test`'s pre-test step: test/browser drives Debian's Chromium, so the README's two
 * commands (`npm ci && npm test`) are the whole set-up only if the test run brings it. When
 * the browser is missing, install Debian's `chromium` package as root, or else stop before
 * the suite with the one command that installs it (a suite that fails at its last file after
 * minutes says less).
 *
 *   POOLGATE_TEST_CHROMIUM_PATH  the browser to check (default /usr/bin/chromium; the browser
 *                                test drives the same path)
 *   --dry-run                    print what would be run instead of running it
 */
"use strict";
const { accessSync, constants } = require("node:fs");
const { spawnSync } = require("node:child_process");

const PATH = process.env.POOLGATE_TEST_CHROMIUM_PATH || "/usr/bin/chromium";
const INSTALL = "apt-get update && apt-get install -y chromium";
const dryRun = process.argv.includes("--dry-run");

function present() {
  try {
    accessSync(PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasAptGet() {
  return spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
}

function fail(message) {
  process.stderr.write(`ensure-chromium: ${message}\n`);
  process.exit(1);
}

function main() {
  if (present()) return;
  if (!hasAptGet()) {
    fail(
      `the browser tests need Chromium at ${PATH} and this machine has no apt-get: ` +
        `install Chromium there, or point POOLGATE_TEST_CHROMIUM_PATH at one`,
    );
  }
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root) {
    fail(
      `the browser tests need Debian's Chromium at ${PATH}; install it with:\n\n` +
        `  sudo sh -c '${INSTALL}'\n`,
    );
  }
  if (dryRun) {
    process.stdout.write(`ensure-chromium: ${PATH} is missing; would run (as root): ${INSTALL}\n`);
    return;
  }
  process.stdout.write(`ensure-chromium: ${PATH} is missing; running: ${INSTALL}\n`);
  const run = spawnSync("sh", ["-c", INSTALL], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (run.status !== 0) fail(`\`${INSTALL}\` failed (exit ${run.status ?? run.signal})`);
  if (!present()) fail(`installed Debian's chromium, but ${PATH} is still missing`);
}

main();
