import { createHmac } from "node:crypto";
import express, { type RequestHandler, type Router } from "express";
import { FileKeyStore, type KeyStore } from "./auth/keys";
import {
  concluder,
  requireAuth as requireAuthWith,
  type RejectionReporting,
} from "./auth/require-auth";
import { MemoryRevocationStore, type RevocationStore } from "./auth/revocation";
import { createVerifier, type TokenVerifier } from "./auth/verifier";
import { CognitoAdapter } from "./cognito/adapter";
import { createCognitoClient } from "./cognito/client";
import { jsonBody } from "./http/body";
import { methodGuard } from "./http/methods";
import { createCallerContextReader } from "./http/caller-context";
import { createErrorHandler } from "./http/error-handler";
import { createResponseFloor, realSleep } from "./http/floor";
import { acceptsWhen, createRateLimits, NO_RATE_LIMITS, type RateLimits } from "./http/rate-limit";
import { forgotBody, loginBody, parseBody, resendBody } from "./http/schemas";
import type { ZodType } from "zod";
import { createAudit } from "./observability/audit";
import { lifecycleOutcomes } from "./observability/http";
import { countRevocations, instrumentCognitoClient } from "./observability/instrument";
import type { Metrics } from "./observability/metrics";
import type { OnReject } from "./observability/options";
import { keysOf, refuseUnknownKeys } from "./option-rules";
import { resolveGatewayOptions, type GatewayConfig, type GatewayOptions } from "./options";
import { changePasswordRoute, deleteAccountRoute } from "./routes/account";
import { confirmCheck, confirmRoute, resendRoute } from "./routes/confirm";
import type { RouteDeps } from "./routes/deps";
import { challengeRoute, loginRoute } from "./routes/login";
import { logoutRoute } from "./routes/logout";
import { meRoute } from "./routes/me";
import { mfaDisableRoute, totpAssociateRoute, totpVerifyRoute } from "./routes/mfa";
import { refreshRoute } from "./routes/refresh";
import { forgotRoute, resetCheck, resetRoute } from "./routes/password";
import { registerCheck, registerRoute } from "./routes/register";
import { cookieOrBearer } from "./session/require-session";
import {
  addSessionRoutes,
  createSessionRuntime,
  sessionCsrfGuard,
  type SessionRuntime,
} from "./session/routes";
import { createSealer, type Sealer } from "./session/seal";
import { openSharedState, withSharedState, type SharedState } from "./stores/shared";
import { ConfigError } from "./errors";

/** What a protected route requires. */
export interface ProtectOptions {
  /** Which token kind is accepted. Required. */
  tokenUse: "access" | "id";
  /** Scopes that must all be present (access tokens). */
  scopes?: readonly string[];
  /** Groups of which one must be present. */
  groups?: readonly string[];
  /**
   * Also accept the browser-session cookie (needs the `session` option). Unsafe methods then need
   * `X-CSRF: 1` and an allowed `Origin`, else `403 csrf_failed`. Default false: bearer only.
   */
  cookies?: boolean;
  /** Called with the coded reason of each refusal on this route. Default: the gateway's `onReject`. */
  onReject?: OnReject;
}

/**
 * Something the gateway closes on {@link Gateway.close}: a store with queued writes to flush, a
 * connection to end. Both methods are optional; `close` is preferred, `shutdown` is
 * express-rate-limit's name for it.
 */
export interface Closable {
  close?(): void | Promise<void>;
  shutdown?(): void | Promise<void>;
}

/** A configured gateway: the lifecycle router and the verification middleware share state. */
export interface Gateway {
  /**
   * POST register, confirm, confirm/resend, login, login/challenge, refresh, logout,
   * password/forgot, password/reset, password/change, account/delete, the MFA routes and GET me
   * — plus the browser-session routes (`/session/*`) when the `session` option is on. Mount it
   * at `/auth`.
   */
  readonly router: Router;
  /** Middleware that puts verified claims on `req.auth` or answers 401/403. */
  requireAuth(options: ProtectOptions): RequestHandler;
  /** The pinned keys. */
  readonly keys: KeyStore;
  /** Revocations written by logout and read by every requireAuth of this gateway. */
  readonly revocations: RevocationStore;
  /**
   * The per-IP limiter. The router applies it; apply it to the app's other routes too (a
   * request is counted once however often it passes). A no-op when limits are off.
   */
  readonly ipLimit: RequestHandler;
  /** Re-reads a file key store (SIGHUP); verified-token caches are dropped. */
  reloadKeys(): void;
  /** Keys loaded and Cognito answering. */
  ready(): Promise<boolean>;
  /** Where this gateway records (no-op unless `observability.metrics` was given). */
  readonly metrics: Metrics;
  /** Adds a resource for {@link close} to close (e.g. a shared store built outside the options). */
  closeWith(resource: Closable): void;
  /**
   * Flushes and closes what the gateway holds: rate-limit stores, the revocation and state stores
   * (whichever have `close`), then resources given to {@link closeWith}. Call it after the HTTP
   * server stopped taking requests. Failures are logged, never thrown; calling again is a no-op.
   */
  close(): Promise<void>;
  /**
   * The shared state on Redis (option `redis`), else undefined: its health for `/readyz`, and
   * `close()` (writes queued revocations, then disconnects) for a graceful shutdown.
   */
  readonly shared: SharedState | undefined;
}

const PROTECT_KEYS = keysOf<ProtectOptions>({
  tokenUse: true,
  scopes: true,
  groups: true,
  cookies: true,
  onReject: true,
});

/** Each gateway's filled-in options, for this package's own modules (never exported). */
const configs = new WeakMap<Gateway, Readonly<GatewayConfig>>();

/** The options `gateway` was built with, defaults filled in. Internal. */
export function configOf(gateway: Gateway): Readonly<GatewayConfig> {
  const config = configs.get(gateway);
  if (config === undefined) throw new TypeError("not a gateway built by createGateway");
  return config;
}

/**
 * Builds a gateway. Options are checked once here; a missing client id, a malformed pool id or
 * an empty jwks.json throws a ConfigError that says what to do.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const resolved = resolveGatewayOptions(options);
  const keys = typeof resolved.keys === "string" ? new FileKeyStore(resolved.keys) : resolved.keys;
  if (resolved.redis === undefined) return buildGateway(resolved, keys, undefined);
  const shared = openSharedState(resolved.redis, resolved);
  try {
    return buildGateway(withSharedState(resolved, options, shared), keys, shared);
  } catch (error) {
    void shared.close();
    throw error;
  }
}

/** Assembles the gateway: stores, verifiers, the Cognito adapter, sessions, routes and controls. */
function buildGateway(
  config: GatewayConfig,
  keys: KeyStore,
  shared: SharedState | undefined,
): Gateway {
  const { metrics } = config.observability;
  metrics.watchKeys(() => keys.kids.length);
  const store =
    config.revocations ??
    new MemoryRevocationStore({ clock: config.clock, clockSkewSeconds: config.clockSkewSeconds });
  // Verifiers read the store itself; writers go through the counter.
  const revocations = countRevocations(store, metrics);
  const verifierFor = verifierFactory(config, keys, store);
  const cognito = cognitoAdapter(config);
  const sealer = sealers(config);
  const limits = rateLimitsOf(config, sealer("device"));
  const accessVerifier = verifierFor({ tokenUse: "access" });
  const session = sessionRuntimeOf(config, sealer, accessVerifier, verifierFor);
  const protect = protection(config, verifierFor, session);
  const deps = routeDeps(config, {
    cognito,
    revocations,
    // With sessions on, the signed-in routes (/me, ...) accept the session cookie too.
    requireAccess: protect({ tokenUse: "access", cookies: session !== undefined }, accessVerifier),
    limits,
    sealer,
    session,
  });
  const gateway: Gateway = {
    router: lifecycleRouter(deps, session),
    ipLimit: limits.ip,
    requireAuth: (options) => protect(options),
    keys,
    revocations,
    metrics,
    shared,
    ...controls(config, keys, cognito, { limits, store, shared }),
  };
  configs.set(gateway, config);
  return gateway;
}

/** Builds a verifier per protect options, all sharing the gateway's keys, store and cache. */
function verifierFactory(
  config: GatewayConfig,
  keys: KeyStore,
  revocations: RevocationStore,
): (protect: ProtectOptions) => TokenVerifier {
  return function verifierFor(protect) {
    refuseUnknownKeys(protect, PROTECT_KEYS);
    return createVerifier({
      issuer: config.issuer,
      clientId: config.clientId,
      tokenUse: protect.tokenUse,
      ...(protect.scopes ? { scopes: protect.scopes } : {}),
      ...(protect.groups ? { groups: protect.groups } : {}),
      keys,
      revocations,
      clockSkewSeconds: config.clockSkewSeconds,
      clock: config.clock,
      cache: config.tokenCache,
    });
  };
}

/** The one Cognito adapter, its client instrumented; calls end within every attempt's timeout. */
function cognitoAdapter(config: GatewayConfig): CognitoAdapter {
  return new CognitoAdapter({
    client: instrumentCognitoClient(
      config.cognitoClient ?? createCognitoClient(clientSettings(config)),
      config.observability.metrics,
    ),
    userPoolId: config.userPoolId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    loginFlow: config.loginFlow,
    deadlineMs: config.cognitoTimeoutMs * config.cognitoMaxAttempts + 500,
  });
}

/** Browser sessions when the `session` option is on, else undefined. */
function sessionRuntimeOf(
  config: GatewayConfig,
  sealer: (purpose: string) => Sealer,
  access: TokenVerifier,
  verifierFor: (protect: ProtectOptions) => TokenVerifier,
): SessionRuntime | undefined {
  if (config.session === undefined) return undefined;
  return createSessionRuntime({
    config: config.session,
    sealer,
    state: config.state,
    clock: config.clock,
    access,
    id: verifierFor({ tokenUse: "id" }),
  });
}

/** requireAuth of this gateway: a verifier per options (unless given), refusals reported. */
function protection(
  config: GatewayConfig,
  verifierFor: (protect: ProtectOptions) => TokenVerifier,
  session: SessionRuntime | undefined,
): (options: ProtectOptions, verifier?: TokenVerifier) => RequestHandler {
  const { metrics, onReject } = config.observability;
  return function protect(options, verifier = verifierFor(options)) {
    const hook = options.onReject ?? onReject;
    const reporting: RejectionReporting = {
      metrics,
      logger: config.logger,
      ...(hook ? { onReject: hook } : {}),
    };
    return protectWith(options, verifier, session, reporting);
  };
}

/** What every route gets: the parts built above plus the config's own (floor, audit, state). */
function routeDeps(
  config: GatewayConfig,
  parts: Pick<
    RouteDeps,
    "cognito" | "revocations" | "requireAccess" | "limits" | "sealer" | "session"
  >,
): RouteDeps {
  return {
    config,
    ...parts,
    callerContext: createCallerContextReader(config.contextHeaders),
    floor: createResponseFloor({
      floorMs: config.responseFloorMs,
      jitterMs: config.responseJitterMs,
      clock: config.clock,
    }),
    sleep: realSleep,
    logger: config.logger,
    state: config.state,
    metrics: config.observability.metrics,
    audit: createAudit(config.logger, config.observability.auditSecret ?? config.clientSecret),
  };
}

/** What the gateway holds and closes: limiters, stores, the shared state. */
interface Held {
  readonly limits: RateLimits;
  readonly store: RevocationStore;
  readonly shared: SharedState | undefined;
}

/** reloadKeys, ready, closeWith and close: the gateway's keys and resources over its life. */
function controls(
  config: GatewayConfig,
  keys: KeyStore,
  cognito: CognitoAdapter,
  { limits, store, shared }: Held,
): Pick<Gateway, "reloadKeys" | "ready" | "closeWith" | "close"> {
  const { metrics } = config.observability;
  const extra: Closable[] = [];
  let closing: Promise<void> | undefined;
  return {
    reloadKeys() {
      if (!(keys instanceof FileKeyStore)) return;
      keys.reload();
      metrics.keysReloaded();
    },
    async ready() {
      return keys.kids.length > 0 && (await cognito.reachable());
    },
    closeWith(resource) {
      extra.push(resource);
    },
    close() {
      // Stores have no `close` in their interfaces; shared ones (Redis) add it.
      // The shared state closes its own stores (queued revocations are written first).
      const stores = [store, config.state].filter((s) => !isShared(s, shared));
      closing ??= closeAll(config, [
        limits,
        ...(shared ? [shared] : []),
        ...stores.map((s): Closable => s as object),
        ...extra,
      ]);
      return closing;
    },
  };
}

function isShared(store: object, shared: SharedState | undefined): boolean {
  return shared !== undefined && (store === shared.revocations || store === shared.state);
}

/** Closes each resource once (in parallel), logging failures instead of throwing. */
async function closeAll(config: GatewayConfig, resources: readonly Closable[]): Promise<void> {
  const unique = [...new Set(resources)];
  const results = await Promise.allSettled(
    unique.map(async (r) => (r.close ? r.close() : r.shutdown?.())),
  );
  for (const result of results) {
    if (result.status === "rejected") {
      config.logger.error({ err: result.reason as unknown }, "closing a gateway resource failed");
    }
  }
}

/** Shortcut: the lifecycle router of a new gateway (use createGateway to share revocations). */
export function createAuthRouter(options: GatewayOptions): Router {
  return createGateway(options).router;
}

/** The limiters of the config, or none (with a warning, once per gateway) when turned off. */
function rateLimitsOf(config: GatewayConfig, deviceSealer: Sealer): RateLimits {
  if (config.rateLimit === false) {
    config.logger.warn(
      { rateLimit: "off" },
      "RATE LIMITS OFF: no per-IP or per-account limits and no login back-off (RATE_LIMIT=off). For benchmarks and timing audits only.",
    );
    return NO_RATE_LIMITS;
  }
  return createRateLimits(config.rateLimit, {
    logger: config.logger,
    keySecret: config.clientSecret,
    metrics: config.observability.metrics,
    lockout: config.lockout,
    deviceSealer,
    deviceCookie: {
      secure: config.session?.secure ?? true,
      sameSite: config.session?.sameSite === "None" ? "none" : "strict",
    },
  });
}

/**
 * One sealer per purpose, built on first use. Without a configured secret the keys derive from the
 * client secret: every instance of one app client derives the same ones, and nothing new is stored.
 */
function sealers(config: GatewayConfig): (purpose: string) => Sealer {
  const secrets = config.sessionSecrets ?? [
    createHmac("sha256", config.clientSecret).update("cognito-gateway/sealing").digest("base64url"),
  ];
  const built = new Map<string, Sealer>();
  return function sealerFor(purpose) {
    let sealer = built.get(purpose);
    if (sealer === undefined) {
      sealer = createSealer({ secrets, purpose, clock: config.clock });
      built.set(purpose, sealer);
    }
    return sealer;
  };
}

/** requireAuth for bearer tokens, and the session cookie when asked for. */
function protectWith(
  protect: ProtectOptions,
  verifier: TokenVerifier,
  session: SessionRuntime | undefined,
  reporting: RejectionReporting,
): RequestHandler {
  const bearer = requireAuthWith({ verifier, ...reporting });
  if (protect.cookies !== true) return bearer;
  if (session === undefined) {
    throw new ConfigError(
      "conflict",
      "cookies",
      "requireAuth({cookies: true}) needs browser sessions: pass the session option (and sessionSecret) to createGateway.",
    );
  }
  return cookieOrBearer(session, verifier, protect.tokenUse, bearer, concluder(reporting));
}

function lifecycleRouter(deps: RouteDeps, session: SessionRuntime | undefined): Router {
  const router = express.Router();
  const { limits } = deps;
  router.use(lifecycleOutcomes(deps.metrics)); // first: refusals are outcomes too
  router.use(limits.ip); // before any parsing work
  router.use(function noStore(_req, res, next) {
    res.setHeader("Cache-Control", "no-store"); // answers carry tokens
    next();
  });
  router.use(methodGuard(() => router.stack)); // 405 before any body is parsed
  if (session) router.use("/session", sessionCsrfGuard(session)); // before any body parsing
  router.use(jsonBody());
  const perAccount = accountLimits(deps);
  const loginLimits = [perAccount.login, limits.loginBackoff];
  router.post("/register", perAccount.register, registerRoute(deps));
  router.post("/confirm", perAccount.confirm, confirmRoute(deps));
  router.post("/confirm/resend", perAccount.resend, resendRoute(deps));
  router.post("/login", ...loginLimits, loginRoute(deps));
  router.post("/login/challenge", challengeRoute(deps));
  router.post("/refresh", refreshRoute(deps));
  router.post("/logout", ...logoutRoute(deps));
  router.get("/me", ...meRoute(deps));
  router.post("/mfa/totp", ...totpAssociateRoute(deps));
  router.post("/mfa/totp/verify", ...totpVerifyRoute(deps));
  router.post("/mfa/disable", ...mfaDisableRoute(deps));
  router.post("/password/forgot", perAccount.forgot, forgotRoute(deps));
  router.post("/password/reset", perAccount.reset, resetRoute(deps));
  router.post("/password/change", ...changePasswordRoute(deps));
  router.post("/account/delete", ...deleteAccountRoute(deps));
  if (session) addSessionRoutes(router, deps, session, loginLimits);
  router.use(createErrorHandler(deps.logger));
  return router;
}

/** Per-account limits of each route, counting only bodies the route's own checks accept. */
function accountLimits(deps: RouteDeps) {
  const { limits, config } = deps;
  const schema = (s: ZodType) => acceptsWhen((body) => parseBody(s, body));
  return {
    register: limits.account("register", acceptsWhen(registerCheck(config))),
    confirm: limits.account("confirm", acceptsWhen(confirmCheck(config))),
    resend: limits.account("resend", schema(resendBody)),
    login: limits.account("login", schema(loginBody)),
    forgot: limits.account("forgot", schema(forgotBody)),
    reset: limits.account("reset", acceptsWhen(resetCheck(config))),
  };
}

function clientSettings(config: GatewayConfig) {
  return {
    region: config.region,
    timeoutMs: config.cognitoTimeoutMs,
    maxAttempts: config.cognitoMaxAttempts,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
  };
}
