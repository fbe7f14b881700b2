"use strict";
/** min / median / max of a series. */
function summary(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

function fmt(x, digits) {
  if (!Number.isFinite(x)) return "—";
  if (digits === undefined) digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** "median (min–max)". */
function mmm(s, digits) {
  if (!s || !s.n) return "—";
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** Summaries of measureLoad results (bench/lib/load.js), one per figure a section reports. */
function loadSummary(results) {
  const S = (f) => summary(results.map(f));
  return {
    rps: S((r) => r.rps),
    p50: S((r) => r.p50),
    p99: S((r) => r.p99),
    cpu: S((r) => r.cpuUsPerReq),
    cores: S((r) => r.cpuCores),
  };
}

module.exports = { summary, loadSummary, fmt, mmm };
