import { config as loadDotenv } from "dotenv";
import { ConfigError } from "./errors";
import { resolveAllowedHosts } from "./http/hosts";
import type { LoginFlow } from "./cognito/adapter";
import type { GatewayOptions, RateLimitOptions } from "./options";
import { DEFAULT_RATE_LIMITS } from "./options";
import { DEFAULT_STATE_DIR } from "./stores/revocation-journal";
import { DEFAULT_SIGN_IN_OPTIONS, type SignInOptions } from "./routes/sign-in-options";
import { DEFAULT_METRICS_HOST } from "./observability/options";
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from "./shutdown";
import { REDIS_DEFAULTS, type RedisFailureMode, type RedisOptions } from "./stores/redis-options";
import type { SameSite, SessionOptions, SessionStoreMode } from "./session/options";

/** Where the gateway gets Cognito from. */
export type Mode = "local" | "cognito";

/** Everything the standalone server needs, from the environment. */
export interface ServerConfig {
  mode: Mode;
  nodeEnv: string;
  port: number;
  host: string;
  basePath: string;
  logLevel: string;
  /** Express `trust proxy` value (false, true, hop count, or addresses/subnets). */
  trustProxy: boolean | number | string;
  corsOrigins: readonly string[];
  /** `ALLOWED_HOSTS`: host names answered (local mode adds loopback names). Empty: any. */
  allowedHosts: readonly string[];
  /** Serve the account page at `/`. Default: on in local mode only. */
  servePage: boolean;
  /** Gateway options except what local mode fills in (pool, client, secret, endpoint, issuer). */
  gateway: Omit<GatewayOptions, "userPoolId" | "clientId" | "clientSecret"> &
    Partial<Pick<GatewayOptions, "userPoolId" | "clientId" | "clientSecret">>;
  /**
   * LOCAL_STATE_DIR: where the revocation journal lives (default `.local/state`), so a logout
   * survives a restart; undefined (`off`) keeps revocations in memory only.
   */
  stateDir: string | undefined;
  local: {
    port: number;
    dataDir: string;
    fixedCode: string | undefined;
    /** LOCAL_COGNITO_URL: a shared emulator (`npm run local:cognito`) instead of an embedded one. */
    url: string | undefined;
    /** `LOCAL_MFA`: MFA of the seeded pool. */
    mfa: "off" | "optional" | "on";
    /** `LOCAL_REFRESH_GRACE_SECONDS`: how long a rotated-out refresh token still works. */
    refreshGraceSeconds: number;
  };
  /** The `/metrics` listener (METRICS_PORT, METRICS_HOST), or undefined when metrics are off. */
  metrics: { port: number; host: string } | undefined;
  /** Longest wait for requests in flight on SIGTERM/SIGINT, ms (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
}

/** The environment variables `loadConfig` reads (default `process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads `.env` (if present, without overriding the real environment) and the environment:
 * the only place that reads `process.env`. Throws ConfigError saying what to fix.
 */
export function loadConfig(env: Env = readProcessEnv()): ServerConfig {
  const e = new EnvReader(env);
  const poolId = e.string("COGNITO_USER_POOL_ID");
  const mode: Mode = poolId === undefined ? "local" : "cognito";
  const floorDefault = mode === "local" ? 150 : 800; // above each backend's usual latency
  const rateLimitOn = e.oneOf("RATE_LIMIT", ["on", "off"], "on") === "on";
  return {
    mode,
    nodeEnv: e.string("NODE_ENV") ?? "development",
    port: e.int("PORT", 3000, 0, 65535),
    host: e.string("HOST") ?? "127.0.0.1",
    basePath: basePath(e.string("BASE_PATH") ?? "/auth"),
    logLevel: e.oneOf(
      "LOG_LEVEL",
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
      "info",
    ),
    trustProxy: trustProxy(e.string("TRUST_PROXY")),
    corsOrigins: e.list("CORS_ORIGINS", []),
    allowedHosts: resolveAllowedHosts(e.list("ALLOWED_HOSTS", [])),
    servePage: e.bool("SERVE_PAGE", mode === "local"),
    gateway: {
      ...(poolId === undefined ? {} : { userPoolId: poolId }),
      ...optional("clientId", e.string("COGNITO_CLIENT_ID")),
      ...optional("clientSecret", e.string("COGNITO_CLIENT_SECRET")),
      ...optional("region", e.string("COGNITO_REGION")),
      ...optional("endpoint", e.string("COGNITO_ENDPOINT")),
      ...optional("issuer", e.string("COGNITO_ISSUER")),
      loginFlow: e.oneOf<LoginFlow>(
        "COGNITO_LOGIN_FLOW",
        ["USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"],
        "USER_PASSWORD_AUTH",
      ),
      keys: e.string("JWKS_PATH") ?? "jwks.json",
      cognitoTimeoutMs: e.int("COGNITO_TIMEOUT_MS", 3000, 50, 60_000),
      cognitoMaxAttempts: e.int("COGNITO_MAX_ATTEMPTS", 2, 1, 5),
      retryAfterSeconds: e.int("RETRY_AFTER_SECONDS", 5, 1, 3600),
      clockSkewSeconds: e.int("CLOCK_SKEW_SECONDS", 5, 0, 300),
      passwordPolicy: {
        minLength: e.int("PASSWORD_MIN_LENGTH", 8, 6, 99),
        requireLowercase: e.bool("PASSWORD_REQUIRE_LOWERCASE", true),
        requireUppercase: e.bool("PASSWORD_REQUIRE_UPPERCASE", true),
        requireNumbers: e.bool("PASSWORD_REQUIRE_NUMBERS", true),
        requireSymbols: e.bool("PASSWORD_REQUIRE_SYMBOLS", true),
      },
      ...optionalList("signUpAttributes", e.list("SIGNUP_ATTRIBUTES")),
      ...optionalList("contextHeaders", e.list("CONTEXT_HEADERS")),
      responseFloorMs: e.int("RESPONSE_FLOOR_MS", floorDefault, 0, 10_000),
      responseJitterMs: e.int("RESPONSE_JITTER_MS", 40, 0, 1000),
      rateLimit: rateLimitOn ? rateLimits(e) : false,
      tokenCache:
        e.int("TOKEN_CACHE_MAX_ENTRIES", 10_000, 0, 10_000_000) === 0
          ? false
          : {
              maxEntries: e.int("TOKEN_CACHE_MAX_ENTRIES", 10_000, 0, 10_000_000),
              maxBytes: e.int("TOKEN_CACHE_MAX_BYTES", 16 * 1024 * 1024, 1024, 2 ** 31),
            },
      sessionMaxSeconds: e.int("SESSION_MAX_SECONDS", 86_400, 300, 86_400 * 7),
      refreshTokenMaxSeconds: e.int("REFRESH_TOKEN_MAX_SECONDS", 30 * 86_400, 3600, 3650 * 86_400),
      ...sessionSecret(e),
      signIn: signInEnv(e),
      ...redis(e),
      ...browserSessions(e, mode),
    },
    stateDir: stateDir(e.string("LOCAL_STATE_DIR")),
    local: {
      port: e.int("LOCAL_COGNITO_PORT", 9229, 0, 65535),
      dataDir: e.string("LOCAL_DATA_DIR") ?? ".local/cognito",
      fixedCode: e.matching("LOCAL_CONFIRMATION_CODE", /^[0-9]{6}$/, "six digits"),
      url: localCognitoUrl(e.string("LOCAL_COGNITO_URL"), mode),
      mfa: e.oneOf("LOCAL_MFA", ["off", "optional", "on"], "off"),
      refreshGraceSeconds: e.int("LOCAL_REFRESH_GRACE_SECONDS", 0, 0, 60),
    },
    ...runtime(e),
  };
}

/** Metrics listener (off unless METRICS_PORT is set; loopback unless METRICS_HOST) and drain bound. */
function runtime(e: EnvReader): Pick<ServerConfig, "metrics" | "shutdownTimeoutMs"> {
  const port =
    e.string("METRICS_PORT") === undefined ? undefined : e.int("METRICS_PORT", 0, 0, 65535);
  if (port === undefined && e.string("METRICS_HOST") !== undefined) {
    throw new ConfigError("METRICS_HOST needs METRICS_PORT (metrics are off without it).");
  }
  return {
    metrics:
      port === undefined
        ? undefined
        : { port, host: e.string("METRICS_HOST") ?? DEFAULT_METRICS_HOST },
    shutdownTimeoutMs: e.int("SHUTDOWN_TIMEOUT_MS", DEFAULT_SHUTDOWN_TIMEOUT_MS, 0, 600_000),
  };
}

function rateLimits(e: EnvReader): RateLimitOptions {
  const d = DEFAULT_RATE_LIMITS;
  return {
    ipMax: e.int("RATE_LIMIT_IP_MAX", d.ipMax, 1, 1_000_000),
    ipWindowSeconds: e.int("RATE_LIMIT_IP_WINDOW_SECONDS", d.ipWindowSeconds, 1, 86_400),
    accountMax: e.int("RATE_LIMIT_ACCOUNT_MAX", d.accountMax, 1, 1_000_000),
    accountWindowSeconds: e.int(
      "RATE_LIMIT_ACCOUNT_WINDOW_SECONDS",
      d.accountWindowSeconds,
      1,
      86_400,
    ),
    loginFreeFailures: e.int("RATE_LIMIT_LOGIN_FREE_FAILURES", d.loginFreeFailures, 1, 1000),
    loginMaxBackoffSeconds: e.int(
      "RATE_LIMIT_LOGIN_MAX_BACKOFF_SECONDS",
      d.loginMaxBackoffSeconds,
      1,
      86_400,
    ),
    loginFailureWindowSeconds: e.int(
      "RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS",
      d.loginFailureWindowSeconds,
      1,
      30 * 86_400,
    ),
  };
}

/** SESSION_SECRET, then the comma-separated SESSION_SECRET_PREVIOUS still accepted. */
function sessionSecret(e: EnvReader): { sessionSecret?: readonly string[] } {
  const current = e.string("SESSION_SECRET");
  const previous = e.list("SESSION_SECRET_PREVIOUS", []);
  if (current === undefined) {
    if (previous.length > 0) throw new ConfigError("SESSION_SECRET_PREVIOUS needs SESSION_SECRET.");
    return {};
  }
  return { sessionSecret: [current, ...previous] };
}

function localCognitoUrl(value: string | undefined, mode: Mode): string | undefined {
  if (value !== undefined && mode !== "local") {
    throw new ConfigError(
      "LOCAL_COGNITO_URL is for local mode, but COGNITO_USER_POOL_ID is set: unset one of them.",
    );
  }
  return value;
}

function stateDir(value: string | undefined): string | undefined {
  if (value === undefined) return DEFAULT_STATE_DIR;
  return value.toLowerCase() === "off" ? undefined : value;
}

/** Sign-in challenges, MFA and refresh-token rotation (validated in routes/sign-in-options). */
function signInEnv(e: EnvReader): Partial<SignInOptions> {
  const d = DEFAULT_SIGN_IN_OPTIONS;
  return {
    refreshRotation: e.oneOf("COGNITO_REFRESH_ROTATION", ["on", "off"], "off") === "on",
    challengeSeconds: e.int("CHALLENGE_SESSION_SECONDS", d.challengeSeconds, 60, 900),
    codeAttempts: e.int("MFA_CODE_ATTEMPTS", d.codeAttempts, 1, 100),
    codeAttemptWindowSeconds: e.int(
      "MFA_CODE_ATTEMPT_WINDOW_SECONDS",
      d.codeAttemptWindowSeconds,
      1,
      86_400,
    ),
    totpIssuer: e.string("MFA_TOTP_ISSUER") ?? d.totpIssuer,
  };
}

/** REDIS_URL turns on the shared state; the other REDIS_* variables need it. */
function redis(e: EnvReader): { redis?: RedisOptions } {
  const url = e.string("REDIS_URL");
  if (url === undefined) {
    const stray = ["REDIS_KEY_PREFIX", "REDIS_FAILURE", "REDIS_TLS_CA_FILE"].find(
      (name) => e.string(name) !== undefined,
    );
    if (stray !== undefined) throw new ConfigError(`${stray} needs REDIS_URL.`);
    return {};
  }
  const caFile = e.string("REDIS_TLS_CA_FILE");
  const prefix = e.string("REDIS_KEY_PREFIX");
  return {
    redis: {
      url,
      ...(prefix === undefined ? {} : { keyPrefix: prefix }),
      commandTimeoutMs: e.int("REDIS_TIMEOUT_MS", REDIS_DEFAULTS.commandTimeoutMs, 10, 60_000),
      connectTimeoutMs: e.int(
        "REDIS_CONNECT_TIMEOUT_MS",
        REDIS_DEFAULTS.connectTimeoutMs,
        10,
        60_000,
      ),
      failure: e.oneOf<RedisFailureMode>("REDIS_FAILURE", ["open", "closed"], "open"),
      maxStaleSeconds: e.int("REDIS_MAX_STALE_SECONDS", REDIS_DEFAULTS.maxStaleSeconds, 1, 3600),
      allowEviction: e.bool("REDIS_ALLOW_EVICTION", false),
      ...(caFile === undefined ? {} : { tlsCaFile: caFile }),
    },
  };
}

/**
 * Browser sessions: on in local mode and whenever SESSION_SECRET is set, unless SESSIONS=off.
 * Cookies lose `Secure` only in local mode (plain http on loopback).
 */
function browserSessions(e: EnvReader, mode: Mode): { session?: SessionOptions } {
  const on = e.bool("SESSIONS", mode === "local" || e.string("SESSION_SECRET") !== undefined);
  if (!on) return {};
  const secure = e.bool("SESSION_COOKIE_SECURE", mode !== "local");
  if (!secure && mode !== "local") {
    throw new ConfigError(
      "SESSION_COOKIE_SECURE=false is for local mode only (plain http on loopback); with a real user pool serve the gateway over https.",
    );
  }
  return {
    session: {
      secure,
      sameSite: e.oneOf<SameSite>("SESSION_SAME_SITE", ["Strict", "Lax", "None"], "Strict"),
      origins: e.list("SESSION_ORIGINS", []),
      store: e.oneOf<SessionStoreMode>("SESSION_STORE", ["auto", "server"], "auto"),
    },
  };
}

function readProcessEnv(): Env {
  loadDotenv({ quiet: true }); // .env never overrides variables already set
  return process.env;
}

function optional<K extends string>(key: K, value: string | undefined) {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
}

function optionalList<K extends string>(key: K, value: readonly string[] | undefined) {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, readonly string[]>>;
}

function basePath(value: string): string {
  if (!/^\/[A-Za-z0-9/_-]*$/.test(value) || value.endsWith("/")) {
    throw new ConfigError(
      `BASE_PATH "${value}" must start with "/" and not end with one, e.g. /auth.`,
    );
  }
  return value;
}

function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // addresses or subnets, e.g. "loopback, 10.0.0.0/8"
}

/** Typed access to environment variables; every failure names the variable. */
class EnvReader {
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}").`);
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "on", "yes"].includes(raw)) return true;
    if (["0", "false", "off", "no"].includes(raw)) return false;
    throw new ConfigError(`${name} must be true or false (got "${raw}").`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(`${name} must be one of ${allowed.join(", ")} (got "${raw}").`);
    }
    return raw as T;
  }

  list(name: string): readonly string[] | undefined;
  list(name: string, fallback: readonly string[]): readonly string[];
  list(name: string, fallback?: readonly string[]): readonly string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    return raw
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  matching(name: string, pattern: RegExp, what: string): string | undefined {
    const raw = this.string(name);
    if (raw !== undefined && !pattern.test(raw)) throw new ConfigError(`${name} must be ${what}.`);
    return raw;
  }
}
