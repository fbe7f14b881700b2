#!/usr/bin/env node
"use strict";
// The CLI entry point: runs the compiled CLI (built by `npm ci` through the `prepare` script).
require("../dist/cli.js").main(process.argv.slice(2)).then(
  (code) => { if (typeof code === "number") process.exitCode = code; },
  (err) => { process.stderr.write(`poolgate: ${err && err.message ? err.message : String(err)}\n`); process.exitCode = 1; },
);
