/**
 * `npm run local:cognito`: the local Cognito emulator on its own, for several gateway instances
 * on one machine. Starts on LOCAL_COGNITO_PORT (default 9229, 0 picks a free port) with
 * LOCAL_DATA_DIR (default `.local/cognito`), writes the link file gateways read (see ./link),
 * prints `LOCAL_COGNITO_URL=<endpoint>` on a line of its own, and logs every confirmation code.
 * Start gateways with that variable and the same LOCAL_DATA_DIR. Stops on SIGINT/SIGTERM.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { loadConfig } from "../config";
import { ConfigError } from "../errors";
import { createLogger } from "../logger";
import { startLocalCognito } from "./emulator";
import { assertNoEmulatorKeyOutsideLocal } from "./guard";
import { DEFAULT_LOCAL_DATA_DIR, linkFilePath, liveLinkOwner, writeLinkFile } from "./link";

async function main(): Promise<void> {
  const config = loadConfig();
  assertNoEmulatorKeyOutsideLocal({ mode: "local", nodeEnv: config.nodeEnv, kids: [] });
  const dataDir = config.local.dataDir ?? DEFAULT_LOCAL_DATA_DIR;
  const owner = liveLinkOwner(dataDir);
  if (owner !== undefined) {
    // Two emulators on one data directory would overwrite each other's users.
    throw new ConfigError(
      "conflict",
      "LOCAL_DATA_DIR",
      `An emulator (process ${String(owner)}) already serves ${dataDir}. Stop it, or give this one another LOCAL_DATA_DIR.`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const logger = createLogger({ level: config.logLevel });
  const linkToken = randomBytes(32).toString("base64url");
  const local = await startLocalCognito({
    port: config.local.port,
    dataDir,
    logger,
    linkToken,
    ...(config.local.fixedCode === undefined ? {} : { fixedCode: config.local.fixedCode }),
    mfa: config.local.mfa,
    refreshRotation: config.gateway.signIn?.refreshRotation ?? false,
    refreshGraceSeconds: config.local.refreshGraceSeconds,
  });
  const removeLink = writeLinkFile(dataDir, {
    endpoint: local.endpoint,
    region: local.region,
    userPoolId: local.userPoolId,
    clientId: local.clientId,
    clientSecret: local.clientSecret,
    issuer: local.issuer,
    linkToken,
    pid: process.pid,
  });
  logger.warn(
    { emulator: local.origin, linkFile: linkFilePath(dataDir) },
    "LOCAL MODE: shared Cognito emulator on loopback, for development only. Start gateways with LOCAL_COGNITO_URL and the same LOCAL_DATA_DIR; confirmation codes are printed to this log.",
  );
  process.stdout.write(`LOCAL_COGNITO_URL=${local.origin}\n`);
  const stop = (signal: string) => {
    logger.info({ signal }, "stopping");
    removeLink();
    void local.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : "startup failed";
  console.error(`local-cognito: ${message}`);
  if (!(error instanceof ConfigError)) console.error(error);
  process.exit(1);
});
