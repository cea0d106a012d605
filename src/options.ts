/**
 * Options of {@link createGateway}: one field per module's options. Each module owns its
 * options' type, defaults, bounds and validation; this file only composes them and refuses
 * keys nothing owns.
 */
import type { KeyStore } from "./auth/keys";
import { REVOCATION_LIFETIME_RULES, type RevocationStore } from "./auth/revocation";
import { CACHE_RULES, CLOCK_SKEW_RULE, type VerifierCacheOptions } from "./auth/verifier-options";
import { systemClock, type Clock } from "./clock";
import type { LoginFlow } from "./cognito/adapter";
import { resolveCognitoOptions, type CognitoConfig, type CognitoOptions } from "./cognito/options";
import { ConfigError } from "./errors";
import { DEFAULT_CONTEXT_HEADERS, resolveContextHeaders } from "./http/caller-context";
import { FLOOR_RULES } from "./http/floor";
import { resolvePasswordPolicy, type PasswordPolicy } from "./http/password-policy";
import { resolveRateLimits, type RateLimitOptions } from "./http/rate-limit-options";
import { createLogger, type Logger } from "./logger";
import {
  resolveObservabilityOptions,
  type ObservabilityConfig,
  type ObservabilityOptions,
} from "./observability/options";
import { resolveSessionOptions, type SessionConfig, type SessionOptions } from "./session/options";
import { keysOf, numberOption, refuseUnknownKeys } from "./option-rules";
import { resolveSignUpAttributes } from "./routes/register";
import { resolveSessionSecrets } from "./session/seal";
import { MemoryStateStore, type StateStore } from "./stores/state";
import { resolveSignInOptions, type SignInOptions } from "./routes/sign-in-options";
import { resolveRedisOptions, type RedisConfig, type RedisOptions } from "./stores/redis-options";

// Kept here so existing imports from "./options" keep working; each is owned by its module.
export { DEFAULT_CONTEXT_HEADERS, FORBIDDEN_CONTEXT_HEADERS } from "./http/caller-context";
export { DEFAULT_RATE_LIMITS, type RateLimitOptions } from "./http/rate-limit-options";
export { DEFAULT_SIGNUP_ATTRIBUTES } from "./routes/register";
export type { CognitoOptions } from "./cognito/options";

/** Verified-token cache bounds (the verifier's cache options). */
export type TokenCacheOptions = VerifierCacheOptions;

/** Options of {@link createGateway}. Only the three Cognito identifiers are required. */
export interface GatewayOptions extends CognitoOptions {
  /** Pinned keys: a KeyStore, or the path of a JWKS file. Default `./jwks.json`. */
  keys?: KeyStore | string;
  /** Revoked-token store shared by logout and requireAuth. Default: in memory. */
  revocations?: RevocationStore;
  /** Default: a JSON logger on stdout. */
  logger?: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Allowed clock skew for exp/nbf/iat, seconds, 0-300. Default 5. */
  clockSkewSeconds?: number;
  /** Default: Cognito's default policy. */
  passwordPolicy?: Partial<PasswordPolicy>;
  /** Attribute names accepted on register besides email. Default {@link DEFAULT_SIGNUP_ATTRIBUTES}. */
  signUpAttributes?: readonly string[];
  /** Headers forwarded in context data (never credentials). Default {@link DEFAULT_CONTEXT_HEADERS}. */
  contextHeaders?: readonly string[];
  /**
   * Least time, ms, before register, confirm, resend and login answer, success and failure
   * alike, so latency does not tell whether an account exists. Default 800 (above Cognito's
   * usual latency for these calls); 0 turns it off. At most 10000.
   */
  responseFloorMs?: number;
  /** Random extra delay up to this many ms on top of the floor, 0-1000. Default 40. */
  responseJitterMs?: number;
  /** Per-IP and per-account limits, or `false` to turn them off. Default {@link DEFAULT_RATE_LIMITS}. */
  rateLimit?: false | Partial<RateLimitOptions>;
  /** Verified-token cache, or `false`. Default on. */
  tokenCache?: false | TokenCacheOptions;
  /** Longest access/id token lifetime, s (300 to 7 days): how long a sign-out cutoff is kept. Default 86400. */
  sessionMaxSeconds?: number;
  /** Longest refresh token lifetime, s (1 hour to 10 years): how long a revoked refresh token is remembered. Default 30 days. */
  refreshTokenMaxSeconds?: number;
  /**
   * Keyed expiring state (server-side sessions, single-use challenge handles, rotation reuse
   * detection, send caps). Default: in memory (per process); pass a shared store for several
   * instances.
   */
  state?: StateStore;
  /**
   * Sealing secret (`SESSION_SECRET`), or `[current, ...previous]` during rotation; each at least
   * 32 characters. Seals session cookies, challenge handles and device tokens (AES-256-GCM, one
   * derived key per purpose). Browser sessions require it. Without it, challenge handles and device
   * tokens are sealed with a key derived from the client secret.
   */
  sessionSecret?: string | readonly string[];
  /** Sign-in challenges, MFA and refresh-token rotation. Default {@link DEFAULT_SIGN_IN_OPTIONS}. */
  signIn?: Partial<SignInOptions>;
  /** Metrics, the token-refusal hook and the audit key. Default: no metrics, no hook. */
  observability?: ObservabilityOptions;
  /**
   * Shared state on Redis (`REDIS_URL`): revocations, keyed state and rate limits become common
   * to every instance using the same Redis and key prefix. Default: none (all in memory).
   */
  redis?: RedisOptions;
  /**
   * Account pre-hijacking defence with IAM (AdminGetUser, AdminDeleteUser, AdminSetUserPassword,
   * AdminUserGlobalSignOut): re-registering a pending (UNCONFIRMED) address replaces that
   * sign-up, and a confirm that carries a password other than the pending one ends with the
   * confirmer's password. Default: on with `ADMIN_USER_PASSWORD_AUTH` or explicit `credentials`
   * (local mode), off otherwise.
   */
  adminSignUpRepair?: boolean;
  /**
   * Browser sessions (backend-for-frontend cookies): `true` or {@link SessionOptions} adds the
   * `/session/*` routes to the router and lets `requireAuth({cookies: true})` accept the session
   * cookie. Requires `sessionSecret`. Default off.
   */
  session?: boolean | SessionOptions;
}

/** {@link GatewayOptions} with every default filled in. Internal: never exported from the package. */
export interface GatewayConfig extends CognitoConfig {
  keys: KeyStore | string;
  revocations: RevocationStore | undefined;
  logger: Logger;
  clock: Clock;
  clockSkewSeconds: number;
  passwordPolicy: PasswordPolicy;
  signUpAttributes: readonly string[];
  contextHeaders: readonly string[];
  responseFloorMs: number;
  responseJitterMs: number;
  rateLimit: false | RateLimitOptions;
  tokenCache: false | Required<TokenCacheOptions>;
  sessionMaxSeconds: number;
  refreshTokenMaxSeconds: number;
  state: StateStore;
  /** Current secret first; undefined when none was configured. */
  sessionSecrets: readonly string[] | undefined;
  signIn: SignInOptions;
  observability: ObservabilityConfig;
  redis: RedisConfig | undefined;
  adminSignUpRepair: boolean;
  /** Browser sessions, when turned on. */
  session: SessionConfig | undefined;
}

/** Default path of the pinned keys. */
export const DEFAULT_JWKS_PATH = "jwks.json";

/** Every key of {@link GatewayOptions}; the compiler keeps it complete. */
const GATEWAY_OPTION_KEYS = keysOf<GatewayOptions>({
  userPoolId: true,
  clientId: true,
  clientSecret: true,
  region: true,
  issuer: true,
  endpoint: true,
  loginFlow: true,
  cognitoClient: true,
  credentials: true,
  cognitoTimeoutMs: true,
  cognitoMaxAttempts: true,
  retryAfterSeconds: true,
  keys: true,
  revocations: true,
  logger: true,
  clock: true,
  clockSkewSeconds: true,
  passwordPolicy: true,
  signUpAttributes: true,
  contextHeaders: true,
  responseFloorMs: true,
  responseJitterMs: true,
  rateLimit: true,
  tokenCache: true,
  sessionMaxSeconds: true,
  refreshTokenMaxSeconds: true,
  state: true,
  sessionSecret: true,
  signIn: true,
  observability: true,
  redis: true,
  adminSignUpRepair: true,
  session: true,
});

/** Fills defaults and checks every option once; throws ConfigError saying what to fix. */
export function resolveGatewayOptions(options: GatewayOptions): GatewayConfig {
  if (typeof options !== "object" || (options as unknown) === null) {
    throw new ConfigError("missing", "options", "createGateway needs an options object.");
  }
  refuseUnknownKeys(options, GATEWAY_OPTION_KEYS);
  const o = { ...options }; // never mutate the caller's object
  const clock = o.clock ?? systemClock;
  const cognito = resolveCognitoOptions(o);
  return {
    ...cognito,
    keys: o.keys ?? DEFAULT_JWKS_PATH,
    revocations: o.revocations,
    logger: o.logger ?? createLogger(),
    clock,
    clockSkewSeconds: numberOption(o.clockSkewSeconds, CLOCK_SKEW_RULE, "clockSkewSeconds"),
    passwordPolicy: resolvePasswordPolicy(o.passwordPolicy),
    signUpAttributes: resolveSignUpAttributes(o.signUpAttributes),
    contextHeaders: resolveContextHeaders(o.contextHeaders ?? DEFAULT_CONTEXT_HEADERS),
    responseFloorMs: numberOption(
      o.responseFloorMs,
      FLOOR_RULES.responseFloorMs,
      "responseFloorMs",
    ),
    responseJitterMs: numberOption(
      o.responseJitterMs,
      FLOOR_RULES.responseJitterMs,
      "responseJitterMs",
    ),
    rateLimit: o.rateLimit === false ? false : resolveRateLimits(o.rateLimit),
    tokenCache: tokenCache(o.tokenCache),
    sessionMaxSeconds: numberOption(
      o.sessionMaxSeconds,
      REVOCATION_LIFETIME_RULES.sessionMaxSeconds,
      "sessionMaxSeconds",
    ),
    refreshTokenMaxSeconds: numberOption(
      o.refreshTokenMaxSeconds,
      REVOCATION_LIFETIME_RULES.refreshTokenMaxSeconds,
      "refreshTokenMaxSeconds",
    ),
    state: o.state ?? new MemoryStateStore({ clock }),
    sessionSecrets: resolveSessionSecrets(o.sessionSecret),
    signIn: signInOptions(o.signIn, cognito.loginFlow),
    observability: resolveObservabilityOptions(o.observability),
    redis: o.redis === undefined ? undefined : resolveRedisOptions(o.redis),
    adminSignUpRepair: adminSignUpRepair(o, cognito.loginFlow),
    session: browserSessions(o),
  };
}

/**
 * Sign-in options, refusing rotation with the admin flow: Cognito answers "Invalid Refresh Token"
 * when a refresh token minted by AdminInitiateAuth is given to GetTokensFromRefreshToken
 * (aws/aws-sdk-js-v3#7162, open), so every refresh would sign the user out.
 */
function signInOptions(value: Partial<SignInOptions> | undefined, loginFlow: LoginFlow) {
  const options = resolveSignInOptions(value);
  if (options.refreshRotation && loginFlow === "ADMIN_USER_PASSWORD_AUTH") {
    throw new ConfigError(
      "conflict",
      "signIn.refreshRotation",
      "Refresh-token rotation does not work with COGNITO_LOGIN_FLOW=ADMIN_USER_PASSWORD_AUTH: Cognito refuses refresh tokens from AdminInitiateAuth in GetTokensFromRefreshToken (aws/aws-sdk-js-v3#7162). Use USER_PASSWORD_AUTH, or turn rotation off on the app client and set COGNITO_REFRESH_ROTATION=off.",
    );
  }
  return options;
}

/** The verifier owns the cache's bounds; its messages name `tokenCache.*` here. */
function tokenCache(value: false | TokenCacheOptions | undefined): GatewayConfig["tokenCache"] {
  if (value === false) return false;
  try {
    refuseUnknownKeys(value ?? {}, Object.keys(CACHE_RULES), "tokenCache.");
    return {
      maxEntries: numberOption(value?.maxEntries, CACHE_RULES.maxEntries, "tokenCache.maxEntries"),
      maxBytes: numberOption(value?.maxBytes, CACHE_RULES.maxBytes, "tokenCache.maxBytes"),
    };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      "malformed",
      "tokenCache",
      "tokenCache must be false or {maxEntries?, maxBytes?}.",
    );
  }
}

/**
 * The pre-hijacking repair needs IAM: on by default with the admin flow or explicit credentials
 * (local mode), off otherwise.
 */
function adminSignUpRepair(o: GatewayOptions, loginFlow: LoginFlow): boolean {
  if (o.adminSignUpRepair === undefined) {
    return loginFlow === "ADMIN_USER_PASSWORD_AUTH" || o.credentials !== undefined;
  }
  if (typeof o.adminSignUpRepair !== "boolean") {
    throw new ConfigError(
      "malformed",
      "adminSignUpRepair",
      "adminSignUpRepair must be true or false.",
    );
  }
  return o.adminSignUpRepair;
}

/** Browser sessions, checked against the secret and refresh-token lifetime they depend on. */
function browserSessions(o: GatewayOptions): SessionConfig | undefined {
  if (o.session === undefined || o.session === false) return undefined;
  return resolveSessionOptions(o.session, {
    sessionSecrets: resolveSessionSecrets(o.sessionSecret),
    refreshTokenMaxSeconds: numberOption(
      o.refreshTokenMaxSeconds,
      REVOCATION_LIFETIME_RULES.refreshTokenMaxSeconds,
      "refreshTokenMaxSeconds",
    ),
  });
}
