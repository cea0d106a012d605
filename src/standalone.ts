import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, type AppOptions } from "./app";
import type { ServerConfig } from "./config";
import { createGateway, type Gateway } from "./gateway";
import type { LocalCognito } from "./local/types";
import type { LocalCognitoLink } from "./local/link";
import { assertNoEmulatorKeyOutsideLocal, assertPinnedEmulatorKeyCurrent } from "./local/guard";
import { DEFAULT_LOCAL_DATA_DIR } from "./local/link";
import { loadEmulator, loadEmulatorTokens } from "./local/lazy";
import { localSessionSecret } from "./local/session-secret";
import { ConfigError } from "./errors";
import { createLogger, type Logger } from "./logger";
import type { PrometheusMetrics } from "./observability/prometheus";
import { startMetricsServer, type MetricsServer } from "./observability/server";
import { DEFAULT_JWKS_PATH, type GatewayOptions } from "./options";
import { DEFAULT_CLOCK_SKEW_SECONDS } from "./auth/verifier-options";
import { JournalRevocationStore } from "./stores/revocation-journal";
import { drainServer } from "./shutdown";
import { DEFAULT_SIGN_IN_OPTIONS } from "./routes/sign-in-options";

/** A started standalone gateway. */
export interface RunningGateway {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly gateway: Gateway;
  readonly server: Server;
  /** The embedded emulator, in local mode without LOCAL_COGNITO_URL. */
  readonly local: LocalCognito | undefined;
  /** The emulator in use in local mode: the embedded one, or the shared one at LOCAL_COGNITO_URL. */
  readonly emulator: LocalCognitoLink | undefined;
  /** The `/metrics` listener's URL, when METRICS_PORT turned it on. */
  readonly metricsUrl: string | undefined;
  /** Re-reads jwks.json (SIGHUP), re-checking the production guard. */
  reloadKeys(): void;
  /**
   * Stops gracefully: no new connections, requests in flight answered (at most
   * `shutdownTimeoutMs`, then cut), the gateway's stores flushed and closed, then the metrics
   * listener and the embedded emulator.
   */
  close(): Promise<void>;
}

/** Loaded only when `METRICS_PORT` is set: prom-client and its registry cost ~5 MB at idle. */
async function prometheusMetrics(): Promise<PrometheusMetrics> {
  const { createPrometheusMetrics } = await import("./observability/prometheus");
  return createPrometheusMetrics();
}

/**
 * Starts the standalone gateway: in local mode the embedded emulator first (loopback only),
 * then the gateway, refusing to run with the emulator's public key outside local mode.
 */
export async function startGateway(
  config: ServerConfig,
  logger: Logger = createLogger({ level: config.logLevel }),
): Promise<RunningGateway> {
  refuseBeforeStart(config);
  const { local, emulator } = await startEmulator(config, logger);
  let journal: JournalRevocationStore | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    journal = await openJournal(config, logger);
    const metrics = config.metrics === undefined ? undefined : await prometheusMetrics();
    const gateway = createGateway(gatewayOptions(config, emulator, { journal, metrics, logger }));
    const guard = emulatorKeyGuard(config, gateway);
    guard();
    const server = await listenHttp(
      config,
      createApp(gateway, appOptions(config, local, emulator)),
    );
    if (metrics && config.metrics) {
      metricsServer = await startMetricsServer(metrics, config.metrics, logger);
    }
    const parts: StopParts = { server, gateway, journal, metricsServer, emulator };
    return {
      url: urlOf(server, config.host),
      gateway,
      server,
      local,
      emulator,
      metricsUrl: metricsServer?.url,
      reloadKeys() {
        gateway.reloadKeys();
        guard();
      },
      close: () => stopInOrder(parts, config, logger),
    };
  } catch (error) {
    await metricsServer?.close();
    await journal?.close();
    await emulator?.close();
    throw error;
  }
}

/** What is refused before anything starts: local mode in production, a page without sessions. */
function refuseBeforeStart(config: ServerConfig): void {
  assertNoEmulatorKeyOutsideLocal({ mode: config.mode, nodeEnv: config.nodeEnv, kids: [] });
  if (config.servePage && config.gateway.session === undefined) {
    throw new ConfigError(
      "conflict",
      "SERVE_PAGE",
      "The account page signs in with browser sessions: set SESSION_SECRET (and keep SESSIONS on), or SERVE_PAGE=false.",
    );
  }
}

/** Refuses the emulator's public key outside local mode: at start and after every key reload. */
function emulatorKeyGuard(config: ServerConfig, gateway: Gateway): () => void {
  return function guard() {
    assertNoEmulatorKeyOutsideLocal({
      mode: config.mode,
      nodeEnv: config.nodeEnv,
      kids: gateway.keys.kids,
    });
  };
}

/** Local mode: the embedded emulator, or the shared one at LOCAL_COGNITO_URL. Else neither. */
async function startEmulator(
  config: ServerConfig,
  logger: Logger,
): Promise<{ local: LocalCognito | undefined; emulator: LocalCognitoLink | undefined }> {
  if (config.mode !== "local") return { local: undefined, emulator: undefined };
  if (config.local.url !== undefined) {
    return { local: undefined, emulator: await connectShared(config.local.url, config, logger) };
  }
  const local = await startLocal(config, logger);
  return { local, emulator: local };
}

/** The app around the gateway; in local mode with the emulator's codes (and, embedded, more). */
function appOptions(
  config: ServerConfig,
  local: LocalCognito | undefined,
  emulator: LocalCognitoLink | undefined,
): AppOptions {
  return {
    basePath: config.basePath,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    hosts: { allowedHosts: config.allowedHosts, local: config.mode === "local" },
    servePage: config.servePage,
    ...(emulator ? { localCodes: (email: string) => emulator.codeFor(email) } : {}),
    // The invitation needs the emulator's data, so only the embedded one offers it.
    ...(local ? { localInvite: (email: string): Promise<string> => local.invite(email) } : {}),
    ...(local
      ? {
          localMfa: (...args: Parameters<typeof local.setCodeMfa>) => local.setCodeMfa(...args),
        }
      : {}),
  };
}

/** The HTTP server, listening on HOST:PORT. */
async function listenHttp(config: ServerConfig, app: RequestListener): Promise<Server> {
  // Explicit limits: 16 KiB of headers (431 beyond), and slow clients cannot hold sockets.
  const server = createServer(
    { maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000 },
    app,
  );
  server.listen(config.port, config.host);
  await once(server, "listening");
  return server;
}

function urlOf(server: Server, configuredHost: string): string {
  const { port } = server.address() as AddressInfo;
  const host = configuredHost.includes(":") ? `[${configuredHost}]` : configuredHost;
  return `http://${host}:${port}`;
}

/** What {@link RunningGateway.close} stops, in this order. */
interface StopParts {
  readonly server: Server;
  readonly gateway: Gateway;
  readonly journal: JournalRevocationStore | undefined;
  readonly metricsServer: MetricsServer | undefined;
  readonly emulator: LocalCognitoLink | undefined;
}

async function stopInOrder(parts: StopParts, config: ServerConfig, logger: Logger): Promise<void> {
  const drained = await drainServer(parts.server, config.shutdownTimeoutMs);
  if (!drained) {
    logger.warn(
      { shutdownTimeoutMs: config.shutdownTimeoutMs },
      "shutdown: requests still in flight were cut",
    );
  }
  await parts.gateway.close(); // flushes and closes the stores, the journal included
  await parts.journal?.close();
  await parts.metricsServer?.close();
  await parts.emulator?.close();
}

async function startLocal(config: ServerConfig, logger: Logger): Promise<LocalCognito> {
  // Loaded only in local mode: cognito-local is a dev dependency, absent from installed packages.
  const { startLocalCognito } = await loadEmulator();
  await checkPinnedEmulatorKey(config);
  const local = await startLocalCognito({
    ...config.local,
    logger,
    refreshRotation:
      config.gateway.signIn?.refreshRotation ?? DEFAULT_SIGN_IN_OPTIONS.refreshRotation,
  });
  logger.warn(
    { mode: "local", emulator: local.origin, userPoolId: local.userPoolId },
    "LOCAL MODE: embedded Cognito emulator on loopback, for development only. Confirmation codes are printed to this log. Set COGNITO_USER_POOL_ID (see .env.example) to use real Cognito.",
  );
  return local;
}

/** Catches a stale or replaced jwks.json at start, not as a 401 on every request. */
async function checkPinnedEmulatorKey(config: ServerConfig): Promise<void> {
  const keysPath = config.gateway.keys ?? DEFAULT_JWKS_PATH;
  if (typeof keysPath !== "string") return;
  const { EMULATOR_PUBLIC_JWK } = await loadEmulatorTokens();
  const pinned = JSON.parse(readFileSync(keysPath, "utf8")) as { keys?: unknown };
  assertPinnedEmulatorKeyCurrent(
    Array.isArray(pinned.keys) ? pinned.keys : [],
    EMULATOR_PUBLIC_JWK,
  );
}

/** LOCAL_STATE_DIR: the revocation journal, so an acknowledged logout survives a restart. */
async function openJournal(
  config: ServerConfig,
  logger: Logger,
): Promise<JournalRevocationStore | undefined> {
  // With REDIS_URL revocations live in Redis (mirrored in memory): no journal, no lock file.
  if (config.stateDir === undefined || config.gateway.redis !== undefined) return undefined;
  const journal = await JournalRevocationStore.open({
    dir: config.stateDir,
    clockSkewSeconds: config.gateway.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    logger,
  });
  logger.info(
    { stateDir: config.stateDir, entries: journal.size },
    "revocations journaled to disk (LOCAL_STATE_DIR)",
  );
  return journal;
}

/** LOCAL_COGNITO_URL: the emulator started by `npm run local:cognito`, shared by instances. */
async function connectShared(
  url: string,
  config: ServerConfig,
  logger: Logger,
): Promise<LocalCognitoLink> {
  const { connectLocalCognito } = await import("./local/link");
  await checkPinnedEmulatorKey(config);
  const link = await connectLocalCognito(url, config.local.dataDir ?? DEFAULT_LOCAL_DATA_DIR);
  logger.warn(
    { mode: "local", emulator: new URL(link.endpoint).origin, userPoolId: link.userPoolId },
    "LOCAL MODE: using the shared Cognito emulator at LOCAL_COGNITO_URL, for development only. Confirmation codes are printed to the emulator's log.",
  );
  return link;
}

/** Local mode with sessions and no SESSION_SECRET: a secret generated once in the data folder. */
function localSecret(config: ServerConfig): Pick<GatewayOptions, "sessionSecret"> {
  if (config.gateway.session === undefined || config.gateway.sessionSecret !== undefined) return {};
  return { sessionSecret: localSessionSecret(config.local.dataDir ?? DEFAULT_LOCAL_DATA_DIR) };
}

/** The gateway's options: the environment's, the emulator's in local mode, and the runtime's. */
function gatewayOptions(
  config: ServerConfig,
  emulator: LocalCognitoLink | undefined,
  runtime: {
    journal: JournalRevocationStore | undefined;
    metrics: PrometheusMetrics | undefined;
    logger: Logger;
  },
): GatewayOptions {
  const options: GatewayOptions =
    emulator === undefined
      ? {
          ...config.gateway,
          userPoolId: config.gateway.userPoolId ?? "",
          clientId: config.gateway.clientId ?? "",
          clientSecret: config.gateway.clientSecret ?? "",
        }
      : { ...config.gateway, ...localSecret(config), ...emulatorOptions(emulator) };
  const { journal, metrics, logger } = runtime;
  return {
    ...options,
    ...(journal ? { revocations: journal } : {}),
    logger,
    ...(metrics ? { observability: { ...options.observability, metrics } } : {}),
  };
}

/**
 * What points a gateway at an emulator (embedded or shared): its pool, app client, endpoint and
 * issuer, and placeholder credentials (the SDK wants some; the emulator checks none).
 */
export function emulatorOptions(
  link: LocalCognitoLink,
): Required<
  Pick<
    GatewayOptions,
    "userPoolId" | "clientId" | "clientSecret" | "region" | "endpoint" | "issuer" | "credentials"
  >
> {
  return {
    userPoolId: link.userPoolId,
    clientId: link.clientId,
    clientSecret: link.clientSecret,
    region: link.region,
    endpoint: link.endpoint,
    issuer: link.issuer,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
}
