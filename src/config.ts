import { config as loadDotenv } from "dotenv";
import { DEFAULT_BASE_PATH } from "./app-options";
import type { JwksCliOptions } from "./auth/jwks-pull";
import { REVOCATION_LIFETIME_RULES } from "./auth/revocation";
import { CACHE_RULES, CLOCK_SKEW_RULE } from "./auth/verifier-options";
import { COGNITO_NUMBER_RULES, LOGIN_FLOWS } from "./cognito/options";
import { ConfigError } from "./errors";
import { FLOOR_RULES, LOCAL_RESPONSE_FLOOR_MS } from "./http/floor";
import { MIN_LENGTH_RULE, type PasswordPolicy } from "./http/password-policy";
import { RATE_LIMIT_RULES, type RateLimitOptions } from "./http/rate-limit-options";
import type { LocalMfa } from "./local/mfa";
import { LOCAL_MFA_MODES, LOCAL_REFRESH_GRACE_RULE } from "./local/options";
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from "./logger-options";
import type { ProcessStart } from "./memory-profile";
import { numberOption, type NumberRule } from "./option-rules";
import type { GatewayOptions } from "./options";
import { DEFAULT_STATE_DIR } from "./stores/revocation-journal";
import { SIGN_IN_RULES, type SignInOptions } from "./routes/sign-in-options";
import { LOCKOUT_RULES, type LockoutOptions } from "./http/lockout-options";
import { resolveAllowedHosts } from "./http/hosts";
import {
  METRICS_PORT_RULE,
  resolveMetricsListener,
  type MetricsListener,
} from "./observability/options";
import { SHUTDOWN_TIMEOUT_RULE } from "./shutdown";
import { REDIS_FAILURE_MODES, REDIS_RULES, type RedisOptions } from "./stores/redis-options";
import { SAME_SITE_VALUES, SESSION_STORE_MODES, type SessionOptions } from "./session/options";

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
  /**
   * Gateway options set by the environment (unset ones are absent, so each module's default
   * applies), except what local mode fills in (pool, client, secret, endpoint, issuer).
   */
  gateway: Omit<GatewayOptions, "userPoolId" | "clientId" | "clientSecret"> &
    Partial<Pick<GatewayOptions, "userPoolId" | "clientId" | "clientSecret">>;
  /**
   * LOCAL_STATE_DIR: where the revocation journal lives (default `.local/state`), so a logout
   * survives a restart; undefined (`off`) keeps revocations in memory only.
   */
  stateDir: string | undefined;
  /** The emulator's settings; absent ones take the emulator's defaults. */
  local: {
    port?: number;
    dataDir?: string;
    fixedCode?: string;
    /** LOCAL_COGNITO_URL: a shared emulator (`npm run local:cognito`) instead of an embedded one. */
    url?: string;
    /** `LOCAL_MFA`: MFA of the seeded pool. */
    mfa?: LocalMfa;
    /** `LOCAL_REFRESH_GRACE_SECONDS`: how long a rotated-out refresh token still works. */
    refreshGraceSeconds?: number;
  };
  /** The `/metrics` listener (METRICS_PORT, METRICS_HOST), or undefined when metrics are off. */
  metrics: MetricsListener | undefined;
  /** Longest wait for requests in flight on SIGTERM/SIGINT, ms (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
}

/** The environment variables `loadConfig` reads (default `process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads `.env` (if present, without overriding the real environment) and the environment:
 * the only place that reads `process.env`. It maps variables onto options and checks each
 * against its module's rule (so errors name the variable); defaults stay with the modules.
 * Throws ConfigError saying what to fix.
 */
export function loadConfig(env: Env = readProcessEnv()): ServerConfig {
  const e = new EnvReader(env);
  const poolId = e.string("COGNITO_USER_POOL_ID");
  const mode: Mode = poolId === undefined ? "local" : "cognito";
  return {
    mode,
    nodeEnv: e.string("NODE_ENV") ?? "development",
    port: e.int("PORT", SERVER_RULES.port) ?? SERVER_RULES.port.default,
    host: e.string("HOST") ?? "127.0.0.1",
    basePath: basePath(e.string("BASE_PATH") ?? DEFAULT_BASE_PATH),
    logLevel: e.oneOf("LOG_LEVEL", LOG_LEVELS) ?? DEFAULT_LOG_LEVEL,
    trustProxy: trustProxy(e.string("TRUST_PROXY")),
    corsOrigins: e.list("CORS_ORIGINS") ?? [],
    allowedHosts: resolveAllowedHosts(e.list("ALLOWED_HOSTS"), "ALLOWED_HOSTS"),
    servePage: e.bool("SERVE_PAGE") ?? mode === "local",
    gateway: gatewayEnv(e, mode, poolId),
    stateDir: stateDir(e.string("LOCAL_STATE_DIR")),
    local: localEnv(e, mode),
    metrics: metricsListener(e),
    shutdownTimeoutMs:
      e.int("SHUTDOWN_TIMEOUT_MS", SHUTDOWN_TIMEOUT_RULE) ?? SHUTDOWN_TIMEOUT_RULE.default,
  };
}

/**
 * The `jwks` commands' settings from the environment and `.env` (like {@link loadConfig}): the
 * pool, its region and the pinned file, only those set. Flags win over them in the CLI; the
 * default file and the check for a pool id are the jwks module's (`resolveJwksCliOptions`).
 */
export function jwksCliOptionsFromEnv(env: Env = readProcessEnv()): JwksCliOptions {
  const e = new EnvReader(env);
  return defined({
    poolId: e.string("COGNITO_USER_POOL_ID"),
    region: e.string("COGNITO_REGION"),
    file: e.string("JWKS_PATH"),
  });
}

/** Gateway options from the environment: only those set (each module fills its defaults). */
function gatewayEnv(e: EnvReader, mode: Mode, poolId: string | undefined): ServerConfig["gateway"] {
  return defined({
    userPoolId: poolId,
    clientId: e.string("COGNITO_CLIENT_ID"),
    clientSecret: e.string("COGNITO_CLIENT_SECRET"),
    region: e.string("COGNITO_REGION"),
    endpoint: e.string("COGNITO_ENDPOINT"),
    issuer: e.string("COGNITO_ISSUER"),
    loginFlow: e.oneOf("COGNITO_LOGIN_FLOW", LOGIN_FLOWS),
    keys: e.string("JWKS_PATH"),
    cognitoTimeoutMs: e.int("COGNITO_TIMEOUT_MS", COGNITO_NUMBER_RULES.cognitoTimeoutMs),
    cognitoMaxAttempts: e.int("COGNITO_MAX_ATTEMPTS", COGNITO_NUMBER_RULES.cognitoMaxAttempts),
    retryAfterSeconds: e.int("RETRY_AFTER_SECONDS", COGNITO_NUMBER_RULES.retryAfterSeconds),
    clockSkewSeconds: e.int("CLOCK_SKEW_SECONDS", CLOCK_SKEW_RULE),
    passwordPolicy: passwordPolicy(e),
    signUpAttributes: e.list("SIGNUP_ATTRIBUTES"),
    contextHeaders: e.list("CONTEXT_HEADERS"),
    responseFloorMs:
      e.int("RESPONSE_FLOOR_MS", FLOOR_RULES.responseFloorMs) ??
      (mode === "local" ? LOCAL_RESPONSE_FLOOR_MS : undefined),
    responseJitterMs: e.int("RESPONSE_JITTER_MS", FLOOR_RULES.responseJitterMs),
    rateLimit: e.oneOf("RATE_LIMIT", ["on", "off"]) === "off" ? false : rateLimits(e),
    tokenCache: tokenCache(e),
    sessionMaxSeconds: e.int("SESSION_MAX_SECONDS", REVOCATION_LIFETIME_RULES.sessionMaxSeconds),
    refreshTokenMaxSeconds: e.int(
      "REFRESH_TOKEN_MAX_SECONDS",
      REVOCATION_LIFETIME_RULES.refreshTokenMaxSeconds,
    ),
    sessionSecret: sessionSecret(e),
    signIn: signInEnv(e),
    redis: redis(e),
    session: browserSessions(e, mode),
    lockout: lockoutEnv(e),
  });
}

/** The emulator's settings (local mode). */
function localEnv(e: EnvReader, mode: Mode): ServerConfig["local"] {
  return defined({
    port: e.int("LOCAL_COGNITO_PORT", SERVER_RULES.port),
    dataDir: e.string("LOCAL_DATA_DIR"),
    fixedCode: e.matching("LOCAL_CONFIRMATION_CODE", /^[0-9]{6}$/, "six digits"),
    url: localCognitoUrl(e.string("LOCAL_COGNITO_URL"), mode),
    mfa: e.oneOf("LOCAL_MFA", LOCAL_MFA_MODES),
    refreshGraceSeconds: e.int("LOCAL_REFRESH_GRACE_SECONDS", LOCAL_REFRESH_GRACE_RULE),
  });
}

/** The metrics listener: off unless METRICS_PORT is set (host: observability's default). */
function metricsListener(e: EnvReader): MetricsListener | undefined {
  const port = e.int("METRICS_PORT", METRICS_PORT_RULE);
  const host = e.string("METRICS_HOST");
  if (port === undefined) {
    if (host !== undefined) {
      throw new ConfigError(
        "conflict",
        "METRICS_HOST",
        "METRICS_HOST needs METRICS_PORT (metrics are off without it).",
      );
    }
    return undefined;
  }
  return resolveMetricsListener(defined({ port, host }));
}

/** The standalone server's own numeric settings. */
const SERVER_RULES = Object.freeze({
  port: { default: 3000, min: 0, max: 65535, integer: true },
} satisfies Record<string, NumberRule>);

/** The variables each limit is read from. */
const RATE_LIMIT_VARIABLES: Readonly<Record<keyof typeof RATE_LIMIT_RULES, string>> = {
  ipMax: "RATE_LIMIT_IP_MAX",
  ipWindowSeconds: "RATE_LIMIT_IP_WINDOW_SECONDS",
  accountMax: "RATE_LIMIT_ACCOUNT_MAX",
  accountWindowSeconds: "RATE_LIMIT_ACCOUNT_WINDOW_SECONDS",
  loginFreeFailures: "RATE_LIMIT_LOGIN_FREE_FAILURES",
  loginMaxBackoffSeconds: "RATE_LIMIT_LOGIN_MAX_BACKOFF_SECONDS",
  loginFailureWindowSeconds: "RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS",
};

function rateLimits(e: EnvReader): Partial<RateLimitOptions> {
  const out: Partial<Record<keyof typeof RATE_LIMIT_RULES, number>> = {};
  for (const [key, variable] of Object.entries(RATE_LIMIT_VARIABLES)) {
    const name = key as keyof typeof RATE_LIMIT_RULES;
    const value = e.int(variable, RATE_LIMIT_RULES[name]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function passwordPolicy(e: EnvReader): Partial<PasswordPolicy> {
  return defined({
    minLength: e.int("PASSWORD_MIN_LENGTH", MIN_LENGTH_RULE),
    requireLowercase: e.bool("PASSWORD_REQUIRE_LOWERCASE"),
    requireUppercase: e.bool("PASSWORD_REQUIRE_UPPERCASE"),
    requireNumbers: e.bool("PASSWORD_REQUIRE_NUMBERS"),
    requireSymbols: e.bool("PASSWORD_REQUIRE_SYMBOLS"),
  });
}

/** TOKEN_CACHE_MAX_ENTRIES=0 turns the cache off; otherwise the verifier's bounds apply. */
function tokenCache(e: EnvReader): GatewayOptions["tokenCache"] {
  const entriesRule = { ...CACHE_RULES.maxEntries, min: 0 };
  const maxEntries = e.int("TOKEN_CACHE_MAX_ENTRIES", entriesRule);
  if (maxEntries === 0) return false;
  return defined({ maxEntries, maxBytes: e.int("TOKEN_CACHE_MAX_BYTES", CACHE_RULES.maxBytes) });
}

/** Device tokens, account-wide ceilings and code-send caps (validated in http/lockout-options). */
function lockoutEnv(e: EnvReader): Partial<LockoutOptions> {
  return defined({
    accountCeiling: e.int("RATE_LIMIT_ACCOUNT_CEILING", LOCKOUT_RULES.accountCeiling),
    loginCeiling: e.int("RATE_LIMIT_LOGIN_CEILING", LOCKOUT_RULES.loginCeiling),
    deviceMaxFailures: e.int("RATE_LIMIT_DEVICE_MAX_FAILURES", LOCKOUT_RULES.deviceMaxFailures),
    deviceTokenDays: e.int("DEVICE_TOKEN_DAYS", LOCKOUT_RULES.deviceTokenDays),
    codeSendPerMinute: e.int("CODE_SEND_PER_MINUTE", LOCKOUT_RULES.codeSendPerMinute),
    codeSendPerHour: e.int("CODE_SEND_PER_HOUR", LOCKOUT_RULES.codeSendPerHour),
  });
}

/** SESSION_SECRET, then the comma-separated SESSION_SECRET_PREVIOUS still accepted. */
function sessionSecret(e: EnvReader): readonly string[] | undefined {
  const current = e.string("SESSION_SECRET");
  const previous = e.list("SESSION_SECRET_PREVIOUS") ?? [];
  if (current === undefined) {
    if (previous.length > 0) {
      throw new ConfigError(
        "conflict",
        "SESSION_SECRET_PREVIOUS",
        "SESSION_SECRET_PREVIOUS needs SESSION_SECRET.",
      );
    }
    return undefined;
  }
  return [current, ...previous];
}

/** `value` without its undefined fields, so the modules' defaults apply to them. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = item;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

function localCognitoUrl(value: string | undefined, mode: Mode): string | undefined {
  if (value !== undefined && mode !== "local") {
    throw new ConfigError(
      "conflict",
      "LOCAL_COGNITO_URL",
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
  const rotation = e.oneOf("COGNITO_REFRESH_ROTATION", ["on", "off"]);
  return defined({
    refreshRotation: rotation === undefined ? undefined : rotation === "on",
    challengeSeconds: e.int("CHALLENGE_SESSION_SECONDS", SIGN_IN_RULES.challengeSeconds),
    codeAttempts: e.int("MFA_CODE_ATTEMPTS", SIGN_IN_RULES.codeAttempts),
    codeAttemptWindowSeconds: e.int(
      "MFA_CODE_ATTEMPT_WINDOW_SECONDS",
      SIGN_IN_RULES.codeAttemptWindowSeconds,
    ),
    totpIssuer: e.string("MFA_TOTP_ISSUER"),
  });
}

/** REDIS_URL turns on the shared state; the other REDIS_* variables need it. */
function redis(e: EnvReader): RedisOptions | undefined {
  const url = e.string("REDIS_URL");
  if (url === undefined) {
    const stray = ["REDIS_KEY_PREFIX", "REDIS_FAILURE", "REDIS_TLS_CA_FILE"].find(
      (name) => e.string(name) !== undefined,
    );
    if (stray !== undefined) {
      throw new ConfigError("conflict", stray, `${stray} needs REDIS_URL.`);
    }
    return undefined;
  }
  return {
    url,
    ...defined({
      keyPrefix: e.string("REDIS_KEY_PREFIX"),
      commandTimeoutMs: e.int("REDIS_TIMEOUT_MS", REDIS_RULES.commandTimeoutMs),
      connectTimeoutMs: e.int("REDIS_CONNECT_TIMEOUT_MS", REDIS_RULES.connectTimeoutMs),
      failure: e.oneOf("REDIS_FAILURE", REDIS_FAILURE_MODES),
      maxStaleSeconds: e.int("REDIS_MAX_STALE_SECONDS", REDIS_RULES.maxStaleSeconds),
      allowEviction: e.bool("REDIS_ALLOW_EVICTION"),
      tlsCaFile: e.string("REDIS_TLS_CA_FILE"),
    }),
  };
}

/**
 * Browser sessions: on in local mode and whenever SESSION_SECRET is set, unless SESSIONS=off.
 * Cookies lose `Secure` only in local mode (plain http on loopback).
 */
function browserSessions(e: EnvReader, mode: Mode): SessionOptions | undefined {
  const on = e.bool("SESSIONS") ?? (mode === "local" || e.string("SESSION_SECRET") !== undefined);
  if (!on) return undefined;
  const secure = e.bool("SESSION_COOKIE_SECURE");
  if (secure === false && mode !== "local") {
    throw new ConfigError(
      "insecure",
      "SESSION_COOKIE_SECURE",
      "SESSION_COOKIE_SECURE=false is for local mode only (plain http on loopback); with a real user pool serve the gateway over https.",
    );
  }
  return defined({
    secure: secure ?? (mode === "local" ? false : undefined),
    sameSite: e.oneOf("SESSION_SAME_SITE", SAME_SITE_VALUES),
    origins: e.list("SESSION_ORIGINS"),
    store: e.oneOf("SESSION_STORE", SESSION_STORE_MODES),
  });
}

/** How Node was started, for the memory profile (src/memory-profile.ts). */
export function processStart(env: Env = process.env): ProcessStart {
  return { execArgv: process.execArgv, nodeOptions: env.NODE_OPTIONS ?? "" };
}

function readProcessEnv(): Env {
  loadDotenv({ quiet: true }); // .env never overrides variables already set
  return process.env;
}

function basePath(value: string): string {
  if (!/^\/[A-Za-z0-9/_-]*$/.test(value) || value.endsWith("/")) {
    throw new ConfigError(
      "malformed",
      "BASE_PATH",
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

/** Typed access to environment variables: undefined when unset; every failure names the variable. */
class EnvReader {
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  /** A whole number checked against the owning module's rule (its bounds, not its default). */
  int(name: string, rule: NumberRule): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!/^-?\d+$/.test(raw)) {
      throw new ConfigError(
        "malformed",
        name,
        `${name} must be a whole number from ${rule.min} to ${rule.max} (got "${raw}").`,
      );
    }
    return numberOption(Number(raw), { ...rule, integer: true }, name);
  }

  bool(name: string): boolean | undefined {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return undefined;
    if (["1", "true", "on", "yes"].includes(raw)) return true;
    if (["0", "false", "off", "no"].includes(raw)) return false;
    throw new ConfigError("malformed", name, `${name} must be true or false (got "${raw}").`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(
        "malformed",
        name,
        `${name} must be one of ${allowed.join(", ")} (got "${raw}").`,
      );
    }
    return raw as T;
  }

  list(name: string): readonly string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    return raw
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  matching(name: string, pattern: RegExp, what: string): string | undefined {
    const raw = this.string(name);
    if (raw !== undefined && !pattern.test(raw)) {
      throw new ConfigError("malformed", name, `${name} must be ${what}.`);
    }
    return raw;
  }
}
