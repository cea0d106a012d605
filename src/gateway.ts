import { createHmac } from "node:crypto";
import express, { type RequestHandler, type Router } from "express";
import { FileKeyStore, type KeyStore } from "./auth/keys";
import { requireAuth as requireAuthWith } from "./auth/require-auth";
import { MemoryRevocationStore, type RevocationStore } from "./auth/revocation";
import { createVerifier, type TokenVerifier } from "./auth/verifier";
import { CognitoAdapter } from "./cognito/adapter";
import { createCognitoClient } from "./cognito/client";
import { jsonBody } from "./http/body";
import { createCallerContextReader } from "./http/caller-context";
import { createErrorHandler } from "./http/error-handler";
import { createResponseFloor, realSleep } from "./http/floor";
import { createRateLimits, NO_RATE_LIMITS, type RateLimits } from "./http/rate-limit";
import { resolveGatewayOptions, type GatewayConfig, type GatewayOptions } from "./options";
import { confirmRoute, resendRoute } from "./routes/confirm";
import type { RouteDeps } from "./routes/deps";
import { challengeRoute, loginRoute } from "./routes/login";
import { logoutRoute } from "./routes/logout";
import { meRoute } from "./routes/me";
import { mfaDisableRoute, totpAssociateRoute, totpVerifyRoute } from "./routes/mfa";
import { refreshRoute } from "./routes/refresh";
import { registerRoute } from "./routes/register";
import { cookieOrBearer } from "./session/require-session";
import {
  addSessionRoutes,
  createSessionRuntime,
  sessionCsrfGuard,
  type SessionRuntime,
} from "./session/routes";
import { createSealer, type Sealer } from "./session/seal";
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
}

/** A configured gateway: the lifecycle router and the verification middleware share state. */
export interface Gateway {
  /**
   * POST register, confirm, confirm/resend, login, refresh, logout and GET me — plus the browser
   * session routes (`/session/*`) when the `session` option is on. Mount it at `/auth`.
   */
  readonly router: Router;
  /** Middleware that puts verified claims on `req.auth` or answers 401/403. */
  requireAuth(options: ProtectOptions): RequestHandler;
  /** The pinned keys. */
  readonly keys: KeyStore;
  /** Revocations written by logout and read by every requireAuth of this gateway. */
  readonly revocations: RevocationStore;
  /** Options with defaults filled in. */
  readonly config: Readonly<GatewayConfig>;
  /**
   * The per-IP limiter. The router applies it; apply it to the app's other routes too (a
   * request is counted once however often it passes). A no-op when limits are off.
   */
  readonly ipLimit: RequestHandler;
  /** Re-reads a file key store (SIGHUP); verified-token caches are dropped. */
  reloadKeys(): void;
  /** Keys loaded and Cognito answering. */
  ready(): Promise<boolean>;
}

/**
 * Builds a gateway. Options are checked once here; a missing client id, a malformed pool id or
 * an empty jwks.json throws a ConfigError that says what to do.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const config = resolveGatewayOptions(options);
  const keys = typeof config.keys === "string" ? new FileKeyStore(config.keys) : config.keys;
  const revocations =
    config.revocations ??
    new MemoryRevocationStore({ clock: config.clock, clockSkewSeconds: config.clockSkewSeconds });
  const verifierFor = (protect: ProtectOptions): TokenVerifier =>
    createVerifier({
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
  const cognito = new CognitoAdapter({
    client: config.cognitoClient ?? createCognitoClient(clientSettings(config)),
    userPoolId: config.userPoolId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    loginFlow: config.loginFlow,
    deadlineMs: config.cognitoTimeoutMs * config.cognitoMaxAttempts + 500,
  });
  const limits = rateLimitsOf(config);
  const sealer = sealers(config);
  const accessVerifier = verifierFor({ tokenUse: "access" });
  const session =
    config.session === undefined
      ? undefined
      : createSessionRuntime({
          config: config.session,
          sealer,
          state: config.state,
          clock: config.clock,
          access: accessVerifier,
          id: verifierFor({ tokenUse: "id" }),
        });
  const deps: RouteDeps = {
    config,
    cognito,
    callerContext: createCallerContextReader(config.contextHeaders),
    floor: createResponseFloor({
      floorMs: config.responseFloorMs,
      jitterMs: config.responseJitterMs,
      clock: config.clock,
    }),
    sleep: realSleep,
    logger: config.logger,
    revocations,
    // With sessions on, the signed-in routes (/me, ...) accept the session cookie too.
    requireAccess: protectWith(
      { tokenUse: "access", cookies: session !== undefined },
      accessVerifier,
      session,
    ),
    limits,
    state: config.state,
    sealer,
  };
  return {
    router: lifecycleRouter(deps, session),
    ipLimit: limits.ip,
    requireAuth: (protect) => protectWith(protect, verifierFor(protect), session),
    keys,
    revocations,
    config,
    reloadKeys() {
      if (keys instanceof FileKeyStore) keys.reload();
    },
    async ready() {
      return keys.kids.length > 0 && (await cognito.reachable());
    },
  };
}

/** Shortcut: the lifecycle router of a new gateway (use createGateway to share revocations). */
export function createAuthRouter(options: GatewayOptions): Router {
  return createGateway(options).router;
}

/** The limiters of the config, or none (with a warning, once per gateway) when turned off. */
function rateLimitsOf(config: GatewayConfig): RateLimits {
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
): RequestHandler {
  const bearer = requireAuthWith({ verifier });
  if (protect.cookies !== true) return bearer;
  if (session === undefined) {
    throw new ConfigError(
      "requireAuth({cookies: true}) needs browser sessions: pass the session option (and sessionSecret) to createGateway.",
    );
  }
  return cookieOrBearer(session, verifier, protect.tokenUse, bearer);
}

function lifecycleRouter(deps: RouteDeps, session: SessionRuntime | undefined): Router {
  const router = express.Router();
  const { limits } = deps;
  router.use(limits.ip); // before any parsing work
  router.use(function noStore(_req, res, next) {
    res.set("Cache-Control", "no-store"); // answers carry tokens
    next();
  });
  if (session) router.use("/session", sessionCsrfGuard(session)); // before any body parsing
  router.use(jsonBody());
  const loginLimits = [limits.account("login"), limits.loginBackoff];
  router.post("/register", limits.account("register"), registerRoute(deps));
  router.post("/confirm", limits.account("confirm"), confirmRoute(deps));
  router.post("/confirm/resend", limits.account("resend"), resendRoute(deps));
  router.post("/login", ...loginLimits, loginRoute(deps));
  router.post("/login/challenge", challengeRoute(deps));
  router.post("/refresh", refreshRoute(deps));
  router.post("/logout", ...logoutRoute(deps));
  router.get("/me", ...meRoute(deps));
  router.post("/mfa/totp", ...totpAssociateRoute(deps));
  router.post("/mfa/totp/verify", ...totpVerifyRoute(deps));
  router.post("/mfa/disable", ...mfaDisableRoute(deps));
  if (session) addSessionRoutes(router, deps, session, loginLimits);
  router.use(createErrorHandler(deps.logger));
  return router;
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
