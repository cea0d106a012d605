/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": "ts-jest",
    // cognito-local (local mode) pulls ESM-only packages through otplib; Jest's CommonJS
    // runtime needs them compiled. Node itself loads them natively.
    "^.+/node_modules/(@scure|@noble|@otplib|otplib)/.+\\.m?js$": [
      "ts-jest",
      {
        tsconfig: { allowJs: true, module: "commonjs", esModuleInterop: true },
        diagnostics: false,
      },
    ],
  },
  transformIgnorePatterns: ["/node_modules/(?!(@scure|@noble|@otplib|otplib)/)"],
  testTimeout: 30000,
  reporters: ["default", "<rootDir>/test/summary-reporter.js"],
};
