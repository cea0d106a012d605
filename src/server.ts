/**
 * `cognito-gateway/server`, the standalone server: {@link serve} is what `npm start` and
 * `cognito-gateway serve` run. It reads `.env` and the environment, starts the gateway (with the
 * embedded emulator when no user pool is configured), reloads keys on SIGHUP, and stops cleanly
 * on SIGINT/SIGTERM. Run as a program (`node dist/cjs/server.js`), it serves at once.
 */
import { performance } from "node:perf_hooks";
import { loadConfig, processStart, type ServerConfig } from "./config";
import { ConfigError } from "./errors";
import { createLogger, type Logger } from "./logger";
import { memoryProfileState } from "./memory-profile";
import { startGateway, type RunningGateway } from "./standalone";

export { loadConfig, type ServerConfig } from "./config";
export { startGateway, type RunningGateway } from "./standalone";

/**
 * Logs for people at a terminal in local mode (pino-pretty, when installed: a development
 * dependency), JSON lines everywhere else — what log collectors read.
 */
export async function serverLogger(
  config: Pick<ServerConfig, "mode" | "logLevel">,
  isTTY: boolean = process.stdout.isTTY,
  output: NodeJS.WritableStream = process.stdout,
): Promise<Logger> {
  if (config.mode === "local" && isTTY) {
    try {
      const { default: pretty } = await import("pino-pretty");
      const destination = pretty({
        sync: true,
        colorize: isTTY,
        ignore: "pid,hostname,service",
        destination: output,
      });
      return createLogger({ level: config.logLevel, destination });
    } catch {
      // not installed (an installed package without dev dependencies): JSON lines
    }
  }
  // Standard output through pino's own fast writer, unless another stream was asked for.
  if (output === process.stdout) return createLogger({ level: config.logLevel });
  return createLogger({ level: config.logLevel, destination: output });
}

/**
 * Starts the standalone server from the environment and `.env` and installs the signal handlers
 * (SIGHUP reloads jwks.json; SIGINT/SIGTERM stop gracefully, then exit).
 * @throws ConfigError on a bad setting (nothing is started)
 */
export async function serve(): Promise<RunningGateway> {
  const config = loadConfig();
  const logger = await serverLogger(config);
  const running = await startGateway(config, logger);
  logger.info(
    {
      url: running.url,
      mode: config.mode,
      metrics: running.metricsUrl,
      startupMs: Math.round(performance.now()),
      memoryProfile: memoryProfileState(processStart()),
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
  return running;
}

/** {@link serve}, exiting with 1 and one line on stderr (the whole error only if unexpected). */
export function serveOrExit(): void {
  serve().catch((error: unknown) => {
    const message = error instanceof ConfigError ? error.message : "startup failed";
    console.error(`cognito-gateway: ${message}`);
    if (!(error instanceof ConfigError)) console.error(error);
    process.exit(1);
  });
}

if (require.main === module) serveOrExit();
