/**
 * The files of the consumer project the package tests install the tarball into: the package
 * imported four ways (CommonJS and ESM, JavaScript and strict TypeScript) and the ten-line
 * Express app of the README protecting a route with requireAuth.
 */

/** Checks the runtime exports; prints one JSON line. */
const CJS = `const gateway = require("cognito-gateway");
const server = require("cognito-gateway/server");
const local = require("cognito-gateway/local");
console.log(JSON.stringify({
  createGateway: typeof gateway.createGateway,
  requireAuth: typeof gateway.requireAuth,
  GatewayError: typeof gateway.GatewayError,
  serve: typeof server.serve,
  sameStartGateway: server.startGateway === gateway.startGateway,
  startLocalCognito: typeof local.startLocalCognito,
}));
`;

/** The same through ESM, plus: one copy of the code, and ./local's clear error. */
const ESM = `import { createRequire } from "node:module";
import { createGateway, requireAuth, GatewayError } from "cognito-gateway";
import { serve, startGateway } from "cognito-gateway/server";
import { startLocalCognito, EMULATOR_MISSING } from "cognito-gateway/local";
const cjs = createRequire(import.meta.url)("cognito-gateway");
let localError = "none";
try {
  await startLocalCognito({ port: 0, logger: cjs.createLogger({ level: "silent" }) });
} catch (error) {
  localError = error.message === EMULATOR_MISSING ? "EMULATOR_MISSING" : error.message;
}
console.log(JSON.stringify({
  createGateway: typeof createGateway,
  requireAuth: typeof requireAuth,
  serve: typeof serve,
  oneGatewayError: GatewayError === cjs.GatewayError,
  sameStartGateway: startGateway === cjs.startGateway,
  localError,
}));
`;

/** Typed use of the public API; compiled with strict `tsc --noEmit` as .cts and .mts. */
const TYPED = `import express from "express";
import {
  createErrorHandler,
  createGateway,
  createLogger,
  FileKeyStore,
  GatewayError,
  requireAuth,
  type CognitoClaims,
  type Gateway,
  type GatewayOptions,
  type RequireAuthOptions,
} from "cognito-gateway";
import { startGateway, type RunningGateway, type ServerConfig } from "cognito-gateway/server";
import type { LocalCognito, LocalCognitoOptions } from "cognito-gateway/local";

const options: GatewayOptions = {
  userPoolId: "eu-west-1_AbCdEf123",
  clientId: "client",
  clientSecret: "secret",
  keys: "jwks.json",
};
export function build(): Gateway {
  return createGateway(options);
}
const protect: RequireAuthOptions = {
  userPoolId: "eu-west-1_AbCdEf123",
  clientId: "client",
  tokenUse: "access",
  keys: new FileKeyStore("jwks.json"),
  revocations: false,
};
const app = express();
app.get("/orders", requireAuth(protect), (req, res) => {
  const claims: CognitoClaims | undefined = req.auth;
  res.json({ owner: claims?.sub });
});
app.use(createErrorHandler(createLogger({ level: "silent" })));
export const start: (config: ServerConfig) => Promise<RunningGateway> = startGateway;
export type Local = [LocalCognito, LocalCognitoOptions];
export const isGatewayError = (e: unknown): boolean => e instanceof GatewayError;
`;

/** Strict, with Node's own module rules (.cts is CommonJS, .mts is ESM). */
const TSCONFIG_NODE = JSON.stringify({
  compilerOptions: {
    strict: true,
    noUncheckedIndexedAccess: true,
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    esModuleInterop: true,
    skipLibCheck: false,
    noEmit: true,
    types: ["node"],
  },
  files: ["typed.cts", "typed.mts"],
});

/** Strict, as a bundler-based project resolves it. */
const TSCONFIG_BUNDLER = JSON.stringify({
  compilerOptions: {
    strict: true,
    module: "esnext",
    moduleResolution: "bundler",
    target: "es2022",
    esModuleInterop: true,
    skipLibCheck: false,
    noEmit: true,
    types: ["node"],
  },
  files: ["typed.ts"],
});

/**
 * The README's ten-line app: one route behind requireAuth with the keys pinned in this
 * project's jwks.json, errors in the gateway's JSON envelope.
 */
export const TEN_LINE_APP = `import express from "express";
import { createErrorHandler, createLogger, FileKeyStore, requireAuth } from "cognito-gateway";

const app = express();
const keys = new FileKeyStore("jwks.json");
const auth = requireAuth({ userPoolId: process.env.POOL_ID, clientId: process.env.CLIENT_ID, tokenUse: "access", keys, revocations: false });
app.get("/orders", auth, (req, res) => res.json({ owner: req.auth.sub }));
app.use(createErrorHandler(createLogger({ level: "warn" })));
const server = app.listen(0, "127.0.0.1", () => console.log(\`listening on \${server.address().port}\`));
`;

/** Every file of the consumer project but jwks.json (written per test). */
export const CONSUMER_FILES: Record<string, string> = {
  "use.cjs": CJS,
  "use.mjs": ESM,
  "typed.cts": TYPED,
  "typed.mts": TYPED,
  "typed.ts": TYPED,
  "tsconfig.json": TSCONFIG_NODE,
  "tsconfig.bundler.json": TSCONFIG_BUNDLER,
  "app.mjs": TEN_LINE_APP,
};
