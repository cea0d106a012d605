/**
 * Local mode: an embedded Amazon Cognito emulator (cognito-local) for `npm start` without a real
 * user pool. cognito-local is a dev dependency, so import this module lazily (`await import`)
 * and only in local mode; production installs without dev dependencies never load it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Config } from "cognito-local/lib/server/config";
import { Router } from "cognito-local/lib/server/Router";
import * as emulatorServer from "cognito-local/lib/server/server";
import type { Services } from "cognito-local/lib/services";
import { DateClock } from "cognito-local/lib/services/clock";
import { CognitoServiceFactoryImpl } from "cognito-local/lib/services/cognitoService";
import type { Context } from "cognito-local/lib/services/context";
import { StormDBDataStoreFactory } from "cognito-local/lib/services/dataStore/stormDb";
import { MessageDeliveryService } from "cognito-local/lib/services/messageDelivery/messageDelivery";
import { MessagesService } from "cognito-local/lib/services/messages";
import { JwtTokenGenerator } from "cognito-local/lib/services/tokenGenerator";
import type { Triggers } from "cognito-local/lib/services/triggers";
import { UserPoolServiceFactoryImpl } from "cognito-local/lib/services/userPoolService";
import { ConfigError } from "../errors";
import type { Logger } from "../logger";
import { guardEmulator, randomPathKey } from "./access";
import { ChallengeFidelity } from "./challenges";
import type { LocalMfa } from "./mfa";
import type { LocalCognito, LocalCognitoOptions } from "./types";
import { createOtp, LocalCodeSender } from "./codes";
import { withCognitoFidelity } from "./fidelity";
import { createLinkRoutes, DEFAULT_LOCAL_COGNITO_PORT, DEFAULT_LOCAL_DATA_DIR } from "./link";
import { DEFAULT_LOCAL_MFA, LOCAL_REFRESH_GRACE_RULE } from "./options";
import { numberOption } from "../option-rules";
import { DEFAULT_SIGN_IN_OPTIONS } from "../routes/sign-in-options";
import { seedPoolAndClient, type SeededPool } from "./seed";
import { OriginJtiTokenGenerator } from "./tokens";

export { LOCAL_CLIENT_NAME, LOCAL_POOL_NAME } from "./seed";
export { EMULATOR_PUBLIC_JWK } from "./tokens";
export type { LocalCognito, LocalCognitoOptions } from "./types";

/** Loopback only: its signing key is public (and only gateways given its endpoint key may call it). */
export const LOCAL_COGNITO_HOST = "127.0.0.1";

export { DEFAULT_LOCAL_COGNITO_PORT, DEFAULT_LOCAL_DATA_DIR } from "./link";

/**
 * Region to give the AWS SDK. The SDK only needs a syntactically valid region when an endpoint
 * is set (nothing is signed for real); `local` matches the emulator's `local_…` pool ids.
 */
export const LOCAL_REGION = "local";

/**
 * Starts cognito-local in-process on 127.0.0.1, composed by hand rather than through its
 * `createDefaultServer`: that one reads PORT/HOST/CODE from the environment (the gateway's own
 * PORT would leak in), prints codes in multi-line boxes, and loads aws-sdk v2 and
 * @aws-crypto for Lambda triggers and KMS we never use (about 300 ms).
 */
export async function startLocalCognito(options: LocalCognitoOptions): Promise<LocalCognito> {
  const started = performance.now();
  const port = emulatorPort(options.port);
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_LOCAL_DATA_DIR);
  const logger = options.logger.child({ component: "local-cognito" });
  const otp = createOtp(options.fixedCode);
  // Bind first: with port 0 the issuer (which needs the real port) is only known afterwards,
  // and every service below is built once, with the final issuer.
  const listener = await bindEmulator(port);
  try {
    const emulator = await composeEmulator(options, listener, { dataDir, logger, otp });
    listener.serve(emulator.handle);
    const startupMs = Math.round(performance.now() - started);
    const { seeded } = emulator;
    logger.info(
      {
        emulator: listener.origin,
        userPoolId: seeded.userPoolId,
        clientId: seeded.clientId,
        dataDir,
        startupMs,
      },
      "LOCAL MODE: Cognito emulator ready (loopback only, not for production)",
    );
    return runningEmulator(listener, emulator, startupMs);
  } catch (err: unknown) {
    await closeServer(listener.server);
    throw err;
  }
}

/** The port to bind (default 9229), checked: 0 asks for a free one. */
function emulatorPort(port: number | undefined): number {
  const chosen = port ?? DEFAULT_LOCAL_COGNITO_PORT;
  if (!Number.isInteger(chosen) || chosen < 0 || chosen > 65535) {
    throw new ConfigError(
      "out_of_range",
      "LOCAL_COGNITO_PORT",
      `The local Cognito emulator port must be 0–65535, got ${String(chosen)}.`,
    );
  }
  return chosen;
}

/** The bound loopback server; it answers 503 until {@link serve} gives it the emulator. */
interface EmulatorListener {
  readonly server: http.Server;
  /** The random path segment callers must present (see ./access). */
  readonly pathKey: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`: the issuer's origin. */
  readonly origin: string;
  serve(handle: http.RequestListener): void;
}

async function bindEmulator(port: number): Promise<EmulatorListener> {
  let handle: http.RequestListener = (_req, res) => {
    // Only reachable in the few milliseconds between bind and seeding; nobody knows the port yet.
    res.writeHead(503, { "retry-after": "1" }).end();
  };
  const pathKey = randomPathKey();
  const server = http.createServer(
    guardEmulator(pathKey, (req, res) => {
      handle(req, res);
    }),
  );
  await listen(server, port);
  const boundPort = (server.address() as AddressInfo).port;
  return {
    server,
    pathKey,
    port: boundPort,
    origin: `http://${LOCAL_COGNITO_HOST}:${boundPort}`,
    serve(emulator) {
      handle = emulator;
    },
  };
}

/** What {@link startLocalCognito} settled before binding. */
interface EmulatorSettings {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly otp: () => string;
}

/** The composed emulator: its seeded pool, its code sender and challenge layer, its handler. */
interface ComposedEmulator {
  readonly ctx: Context;
  readonly seeded: SeededPool;
  readonly codes: LocalCodeSender;
  readonly challenges: ChallengeFidelity;
  readonly handle: http.RequestListener;
}

/** Builds the services, seeds the pool, and wraps cognito-local's router in the fidelity layer. */
async function composeEmulator(
  options: LocalCognitoOptions,
  listener: EmulatorListener,
  { dataDir, logger, otp }: EmulatorSettings,
): Promise<ComposedEmulator> {
  const emulatorLogger = options.logger.child({ component: "cognito-local" }, { level: "error" });
  const ctx: Context = { logger: emulatorLogger };
  const config = emulatorConfig(listener);
  const clock = new DateClock();
  const cognito = await loadCognitoService(ctx, dataDir, config, clock);
  const codes = new LocalCodeSender({ logger, onCode: options.onCode });
  const services = assembleServices({ clock, cognito, config, otp }, codes);
  const seeded = await seedPoolAndClient(ctx, services, logger);
  const challenges = new ChallengeFidelity(services, {
    refreshRotation: options.refreshRotation ?? DEFAULT_SIGN_IN_OPTIONS.refreshRotation,
    refreshGraceSeconds: numberOption(
      options.refreshGraceSeconds,
      LOCAL_REFRESH_GRACE_RULE,
      "refreshGraceSeconds",
    ),
  });
  await applyLocalMfa(ctx, services, seeded.userPoolId, options.mfa ?? DEFAULT_LOCAL_MFA);
  const router = withCognitoFidelity(Router(services), services, (layer) => challenges.bind(layer));
  const { application } = createEmulatorApp(router, emulatorLogger, config.ServerConfig, services);
  const linkRoutes =
    options.linkToken === undefined
      ? undefined
      : createLinkRoutes({
          linkToken: options.linkToken,
          userPoolId: seeded.userPoolId,
          clientId: seeded.clientId,
          latestCode: (email) => codes.latestCode(email),
        });
  const handle = emulatorHandler(application, listener.origin, linkRoutes);
  return { ctx, seeded, codes, challenges, handle };
}

/** cognito-local's configuration: e-mail sign-in, tokens issued by the bound origin. */
function emulatorConfig({ origin, port }: EmulatorListener): Config {
  return {
    // Never read: local mode constructs no Lambda client (see NO_TRIGGERS). Its type is a plain
    // options bag declared as a class in aws-sdk v2's typings, which we deliberately never load.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    LambdaClient: {},
    TriggerFunctions: {},
    UserPoolDefaults: { UsernameAttributes: ["email"] },
    TokenConfig: { IssuerDomain: origin },
    ServerConfig: { port, hostname: LOCAL_COGNITO_HOST, development: true, https: false },
  };
}

/** Pools, clients and users from `dataDir`; an unreadable folder says how to start afresh. */
function loadCognitoService(
  ctx: Context,
  dataDir: string,
  config: Config,
  clock: Services["clock"],
): Promise<Services["cognito"]> {
  const dataStores = new StormDBDataStoreFactory(dataDir);
  return new CognitoServiceFactoryImpl(
    dataDir,
    dataStores,
    new UserPoolServiceFactoryImpl(clock, dataStores),
  )
    .create(ctx, config.UserPoolDefaults)
    .catch((err: unknown) => {
      throw new ConfigError(
        "unreadable",
        "LOCAL_DATA_DIR",
        `Could not load the local Cognito data in ${dataDir}; delete that folder to start afresh.`,
        { cause: err },
      );
    });
}

/** cognito-local's services: no triggers, codes to our sender, tokens with an origin_jti. */
function assembleServices(
  { clock, cognito, config, otp }: Pick<Services, "clock" | "cognito" | "config" | "otp">,
  codes: LocalCodeSender,
): Services {
  const triggers = NO_TRIGGERS;
  return {
    clock,
    cognito,
    config,
    messages: new MessagesService(triggers, new MessageDeliveryService(codes)),
    otp,
    tokenGenerator: new OriginJtiTokenGenerator(
      new JwtTokenGenerator(clock, triggers, config.TokenConfig),
    ),
    triggers,
  };
}

/** The link routes first, then the discovery document, then cognito-local itself. */
function emulatorHandler(
  app: http.RequestListener,
  origin: string,
  linkRoutes: ReturnType<typeof createLinkRoutes> | undefined,
): http.RequestListener {
  return function handle(req, res) {
    if (linkRoutes?.(req, res) === true) return;
    // cognito-local hard-codes localhost:9229 in its discovery document; answer it ourselves.
    const discovery = req.method === "GET" ? DISCOVERY_PATH.exec(req.url ?? "") : null;
    if (discovery?.[1] === undefined) {
      app(req, res);
      return;
    }
    const poolIssuer = `${origin}/${discovery[1]}`;
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        issuer: poolIssuer,
        jwks_uri: `${poolIssuer}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ["RS256"],
      }),
    );
  };
}

/** The handle {@link startLocalCognito} returns. */
function runningEmulator(
  listener: EmulatorListener,
  { ctx, seeded, codes, challenges }: ComposedEmulator,
  startupMs: number,
): LocalCognito {
  const { origin, server } = listener;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `${origin}/${listener.pathKey}`,
    origin,
    region: LOCAL_REGION,
    port: listener.port,
    userPoolId: seeded.userPoolId,
    clientId: seeded.clientId,
    clientSecret: seeded.clientSecret,
    issuer: `${origin}/${seeded.userPoolId}`,
    startupMs,
    latestCode: (email) => codes.latestCode(email),
    codeFor: (email) => Promise.resolve(codes.latestCode(email)),
    invite: (email) => challenges.invite(ctx, seeded.userPoolId, email),
    setCodeMfa: (email, methods, phoneNumber) =>
      challenges.setCodeMfa(ctx, seeded.userPoolId, email, methods, phoneNumber),
    close: () => (closing ??= closeServer(server)),
  };
}

/**
 * cognito-local's createServer, typed for our logger. Its declaration names the Logger of its own
 * nested pino 7, which differs from our pino 10 in type only: it just calls child()/debug()/
 * info()/warn()/error() on it (through pino-http), all of which pino 10 has.
 */
const createEmulatorApp = emulatorServer.createServer as unknown as (
  router: ReturnType<typeof Router>,
  logger: Logger,
  options: Config["ServerConfig"],
  services: Services,
) => { application: http.RequestListener };

/** Sets the seeded pool's MfaConfiguration from `LOCAL_MFA` on every start. */
async function applyLocalMfa(
  ctx: Context,
  services: Services,
  userPoolId: string,
  mfa: LocalMfa,
): Promise<void> {
  const pool = await services.cognito.getUserPool(ctx, userPoolId);
  const setting = ({ off: "OFF", optional: "OPTIONAL", on: "ON" } as const)[mfa];
  if (pool.options.MfaConfiguration !== setting) {
    await pool.updateOptions(ctx, { ...pool.options, MfaConfiguration: setting });
  }
}

const DISCOVERY_PATH = /^\/([\w-]+)\/\.well-known\/openid-configuration(?:\?.*)?$/;

/**
 * No Lambda triggers in local mode. cognito-local only calls a trigger after `enabled()` says
 * yes, so these are never reached. Replacing its TriggersService also keeps its Lambda and KMS
 * services (aws-sdk v2 and @aws-crypto, about 300 ms to load) out of the process.
 */
const NO_TRIGGERS: Triggers = {
  enabled: () => false,
  customEmailSender: triggerUnavailable,
  customMessage: triggerUnavailable,
  postAuthentication: triggerUnavailable,
  postConfirmation: triggerUnavailable,
  preSignUp: triggerUnavailable,
  preTokenGeneration: triggerUnavailable,
  userMigration: triggerUnavailable,
};

function triggerUnavailable(): Promise<never> {
  return Promise.reject(new Error("Lambda triggers are not available in local mode"));
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      reject(
        err.code === "EADDRINUSE"
          ? new ConfigError(
              "unavailable",
              "LOCAL_COGNITO_PORT",
              `Port ${port} on ${LOCAL_COGNITO_HOST} is already in use, so the local Cognito emulator cannot start. Stop the other process (another \`npm start\`?) or choose another emulator port.`,
              { cause: err },
            )
          : err,
      );
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, LOCAL_COGNITO_HOST);
  });
}

function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((err) => {
      if (err) reject(err);
      else resolve();
    });
    // SDK clients keep connections alive; without this, close() waits for them to time out.
    server.closeAllConnections();
  });
}
