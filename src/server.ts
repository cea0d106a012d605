/**
 * Standalone entry: `npm start`. Reads `.env` and the environment, starts the gateway (with the
 * embedded emulator when no user pool is configured), reloads keys on SIGHUP, and stops cleanly
 * on SIGINT/SIGTERM.
 */
import { performance } from "node:perf_hooks";
import { loadConfig } from "./config";
import { ConfigError } from "./errors";
import { createLogger } from "./logger";
import { startGateway } from "./standalone";

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const running = await startGateway(config, logger);
  logger.info(
    {
      url: running.url,
      mode: config.mode,
      metrics: running.metricsUrl,
      startupMs: Math.round(performance.now()),
    },
    `cognito-gateway ready on ${running.url}`,
  );
  process.on("SIGHUP", () => {
    try {
      running.reloadKeys();
      logger.info({ kids: running.gateway.keys.kids }, "keys reloaded");
    } catch (error) {
      logger.error({ err: error }, "key reload failed; previous keys stay in use");
    }
  });
  // Graceful: no new connections, requests in flight answered (SHUTDOWN_TIMEOUT_MS at most),
  // stores flushed; then exit 0. A second signal exits at once.
  const stop = (signal: string) => {
    logger.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, "stopping");
    process.once(signal, () => process.exit(1));
    running.close().then(
      () => {
        logger.info({ signal }, "stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : "startup failed";
  console.error(`cognito-gateway: ${message}`);
  if (!(error instanceof ConfigError)) console.error(error);
  process.exit(1);
});
