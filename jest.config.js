/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // jose 6 is ESM-only; ts-jest transpiles it to CommonJS for the test runtime.
  transform: { "^.+\\.[tj]s$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  testTimeout: 30000,
};
