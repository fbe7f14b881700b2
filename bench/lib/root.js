"use strict";
// The poolgate under test: this checkout's dist/ (run `npm run build` first), or another
// built copy named by BENCH_POOLGATE_ROOT (e.g. a scratch copy with an experimental change).
const { join, resolve } = require("node:path");
const ROOT = resolve(process.env.BENCH_POOLGATE_ROOT ?? join(__dirname, "..", ".."));
const DIST = join(ROOT, "dist");
module.exports = { ROOT, DIST, dist: (file) => require(join(DIST, file)) };
