import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app";
import type { ServerConfig } from "./config";
import { createGateway, type Gateway } from "./gateway";
import type { LocalCognito } from "./local/emulator";
import { assertNoEmulatorKeyOutsideLocal, assertPinnedEmulatorKeyCurrent } from "./local/guard";
import { createLogger, type Logger } from "./logger";
import type { GatewayOptions } from "./options";

/** A started standalone gateway. */
export interface RunningGateway {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly gateway: Gateway;
  readonly server: Server;
  /** The embedded emulator, in local mode. */
  readonly local: LocalCognito | undefined;
  /** Re-reads jwks.json (SIGHUP), re-checking the production guard. */
  reloadKeys(): void;
  close(): Promise<void>;
}

/**
 * Starts the standalone gateway: in local mode the embedded emulator first (loopback only),
 * then the gateway, refusing to run with the emulator's public key outside local mode.
 */
export async function startGateway(
  config: ServerConfig,
  logger: Logger = createLogger({ level: config.logLevel }),
): Promise<RunningGateway> {
  // Local mode in production is refused before anything starts.
  assertNoEmulatorKeyOutsideLocal({ mode: config.mode, nodeEnv: config.nodeEnv, kids: [] });
  const local = config.mode === "local" ? await startLocal(config, logger) : undefined;
  try {
    const gateway = createGateway({ ...gatewayOptions(config, local), logger });
    const guard = () => {
      assertNoEmulatorKeyOutsideLocal({
        mode: config.mode,
        nodeEnv: config.nodeEnv,
        kids: gateway.keys.kids,
      });
    };
    guard();
    const app = createApp(gateway, {
      basePath: config.basePath,
      trustProxy: config.trustProxy,
      corsOrigins: config.corsOrigins,
      servePage: config.servePage,
      ...(local
        ? { localCodes: (email: string): string | undefined => local.latestCode(email) }
        : {}),
    });
    // Explicit limits: 16 KiB of headers (431 beyond), and slow clients cannot hold sockets.
    const server = createServer(
      { maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000 },
      app,
    );
    server.listen(config.port, config.host);
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    return {
      url: `http://${host}:${port}`,
      gateway,
      server,
      local,
      reloadKeys() {
        gateway.reloadKeys();
        guard();
      },
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
        await local?.close();
      },
    };
  } catch (error) {
    await local?.close();
    throw error;
  }
}

async function startLocal(config: ServerConfig, logger: Logger): Promise<LocalCognito> {
  // Loaded only in local mode: cognito-local is a dev dependency, absent from production installs.
  const { startLocalCognito, EMULATOR_PUBLIC_JWK } = await import("./local/emulator");
  const keysPath = config.gateway.keys;
  if (typeof keysPath === "string") {
    // Catch a stale or replaced jwks.json now, not as a 401 on every request.
    const pinned = JSON.parse(readFileSync(keysPath, "utf8")) as { keys?: unknown };
    assertPinnedEmulatorKeyCurrent(
      Array.isArray(pinned.keys) ? pinned.keys : [],
      EMULATOR_PUBLIC_JWK,
    );
  }
  const local = await startLocalCognito({
    port: config.local.port,
    dataDir: config.local.dataDir,
    logger,
    ...(config.local.fixedCode === undefined ? {} : { fixedCode: config.local.fixedCode }),
  });
  logger.warn(
    { mode: "local", emulator: local.endpoint, userPoolId: local.userPoolId },
    "LOCAL MODE: embedded Cognito emulator on loopback, for development only. Confirmation codes are printed to this log. Set COGNITO_USER_POOL_ID (see .env.example) to use real Cognito.",
  );
  return local;
}

function gatewayOptions(config: ServerConfig, local: LocalCognito | undefined): GatewayOptions {
  if (local === undefined) {
    return {
      ...config.gateway,
      userPoolId: config.gateway.userPoolId ?? "",
      clientId: config.gateway.clientId ?? "",
      clientSecret: config.gateway.clientSecret ?? "",
    };
  }
  return {
    ...config.gateway,
    userPoolId: local.userPoolId,
    clientId: local.clientId,
    clientSecret: local.clientSecret,
    region: local.region,
    endpoint: local.endpoint,
    issuer: local.issuer,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
}
