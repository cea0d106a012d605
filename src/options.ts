import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { Store } from "express-rate-limit";
import type { KeyStore } from "./auth/keys";
import type { RevocationStore } from "./auth/revocation";
import { systemClock, type Clock } from "./clock";
import type { LoginFlow } from "./cognito/adapter";
import { ConfigError } from "./errors";
import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from "./http/password-policy";
import { createLogger, type Logger } from "./logger";
import {
  resolveObservabilityOptions,
  type ObservabilityConfig,
  type ObservabilityOptions,
} from "./observability/options";
import { resolveSessionOptions, type SessionConfig, type SessionOptions } from "./session/options";
import { MIN_SECRET_LENGTH } from "./session/seal";
import { MemoryStateStore, type StateStore } from "./stores/state";
import { resolveSignInOptions, type SignInOptions } from "./routes/sign-in-options";
import { resolveLockoutOptions, type LockoutOptions } from "./http/lockout-options";
import { resolveRedisOptions, type RedisConfig, type RedisOptions } from "./stores/redis-options";

/** Headers Cognito's threat protection may see by default. Never cookies or credentials. */
export const DEFAULT_CONTEXT_HEADERS: readonly string[] = Object.freeze([
  "user-agent",
  "accept-language",
  "accept",
  "origin",
  "referer",
  "host",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
  "sec-ch-ua",
  "sec-ch-ua-mobile",
  "sec-ch-ua-platform",
]);

/** Headers that are never forwarded, whatever the allow-list says. */
export const FORBIDDEN_CONTEXT_HEADERS: readonly string[] = Object.freeze([
  "cookie",
  "set-cookie",
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "x-amz-security-token",
  "x-cognito-encoded-data",
  "x-device-token",
]);

/** Extra sign-up attributes accepted by default (`email` comes from the body itself). */
export const DEFAULT_SIGNUP_ATTRIBUTES: readonly string[] = Object.freeze([
  "name",
  "given_name",
  "family_name",
  "nickname",
  "preferred_username",
  "locale",
  "zoneinfo",
]);

/** Per-IP and per-account limits. Windows in seconds. */
export interface RateLimitOptions {
  /** Requests per IP per window, every route. Default 300 per 60 s. */
  ipMax: number;
  ipWindowSeconds: number;
  /** Requests per account (normalised email) per route per window. Default 20 per 900 s. */
  accountMax: number;
  accountWindowSeconds: number;
  /** Login failures per account before back-off starts. Default 5. */
  loginFreeFailures: number;
  /** Longest login back-off, seconds. Default 900. */
  loginMaxBackoffSeconds: number;
  /**
   * How long login failures are remembered (a success forgets them), seconds. Default 3600: long
   * enough for the back-off to reach its cap, short enough that addresses an attacker makes up
   * do not pile up in the store.
   */
  loginFailureWindowSeconds: number;
  /**
   * express-rate-limit Store factory, called once per limiter with a distinct prefix
   * (`ip`, `account:<route>`, `login-failures`, `login-backoff:<n>s`). The login back-off needs
   * a store with `get()`. Default: in memory (per process).
   */
  store?: (prefix: string) => Store;
}

export const DEFAULT_RATE_LIMITS: Readonly<RateLimitOptions> = Object.freeze({
  ipMax: 300,
  ipWindowSeconds: 60,
  accountMax: 20,
  accountWindowSeconds: 900,
  loginFreeFailures: 5,
  loginMaxBackoffSeconds: 900,
  loginFailureWindowSeconds: 3600,
});

/** Verified-token cache bounds. */
export interface TokenCacheOptions {
  /** Default 10000. */
  maxEntries?: number;
  /** Default 16 MiB. */
  maxBytes?: number;
}

/** Options of {@link createGateway}. Only the three Cognito identifiers are required. */
export interface GatewayOptions {
  /** User pool id, `<region>_<id>`, e.g. `eu-west-1_AbCdEf123`. Required. */
  userPoolId: string;
  /** App client id. Required. */
  clientId: string;
  /** App client secret. Required: the gateway is a confidential client (SECRET_HASH). */
  clientSecret: string;
  /** AWS region. Default: the prefix of `userPoolId`. */
  region?: string;
  /** Expected `iss`. Default: `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  issuer?: string;
  /** Cognito API endpoint override (emulator, fakes). Default: the AWS endpoint. */
  endpoint?: string;
  /** Default `USER_PASSWORD_AUTH`; `ADMIN_USER_PASSWORD_AUTH` needs IAM credentials. */
  loginFlow?: LoginFlow;
  /** Pinned keys: a KeyStore, or the path of a JWKS file. Default `./jwks.json`. */
  keys?: KeyStore | string;
  /** Prebuilt SDK client (tests). Default: one built from region, endpoint and timeouts. */
  cognitoClient?: CognitoIdentityProviderClient;
  /** Static credentials for the SDK (the emulator). Default: the AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Per-attempt Cognito timeout, ms. Default 3000. */
  cognitoTimeoutMs?: number;
  /** Cognito attempts, first included. Default 2. */
  cognitoMaxAttempts?: number;
  /** Retry-After seconds on 503. Default 5. */
  retryAfterSeconds?: number;
  /** Revoked-token store shared by logout and requireAuth. Default: in memory. */
  revocations?: RevocationStore;
  /** Default: a JSON logger on stdout. */
  logger?: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Allowed clock skew for exp/nbf/iat, seconds. Default 5. */
  clockSkewSeconds?: number;
  /** Default: Cognito's default policy. */
  passwordPolicy?: Partial<PasswordPolicy>;
  /** Attribute names accepted on register besides email. Default {@link DEFAULT_SIGNUP_ATTRIBUTES}. */
  signUpAttributes?: readonly string[];
  /** Headers forwarded in context data. Default {@link DEFAULT_CONTEXT_HEADERS}. */
  contextHeaders?: readonly string[];
  /**
   * Least time, ms, before register, confirm, resend and login answer, success and failure
   * alike, so latency does not tell whether an account exists. Default 800 (above Cognito's
   * usual latency for these calls); 0 turns it off.
   */
  responseFloorMs?: number;
  /** Random extra delay up to this many ms on top of the floor. Default 40. */
  responseJitterMs?: number;
  /** Per-IP and per-account limits, or `false` to turn them off. Default {@link DEFAULT_RATE_LIMITS}. */
  rateLimit?: false | Partial<RateLimitOptions>;
  /** Verified-token cache, or `false`. Default on. */
  tokenCache?: false | TokenCacheOptions;
  /** Longest access/id token lifetime, s: how long a sign-out cutoff is kept. Default 86400. */
  sessionMaxSeconds?: number;
  /** Longest refresh token lifetime, s: how long a revoked refresh token is remembered. Default 30 days. */
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
  /**
   * Lockout defences while rate limits are on: device tokens, account-wide ceilings, code-send
   * caps. Default {@link DEFAULT_LOCKOUT_OPTIONS} (src/http/lockout-options.ts).
   */
  lockout?: Partial<LockoutOptions>;
}

/** {@link GatewayOptions} with every default filled in. Internal. */
export interface GatewayConfig {
  userPoolId: string;
  clientId: string;
  clientSecret: string;
  region: string;
  issuer: string;
  endpoint: string | undefined;
  loginFlow: LoginFlow;
  keys: KeyStore | string;
  cognitoClient: CognitoIdentityProviderClient | undefined;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  cognitoTimeoutMs: number;
  cognitoMaxAttempts: number;
  retryAfterSeconds: number;
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
  lockout: LockoutOptions;
}

const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;
const LOCAL_POOL_ID = /^[a-z0-9-]+_[0-9A-Za-z]+$/;

/** Fills defaults and checks every option once; throws ConfigError saying what to fix. */
export function resolveGatewayOptions(options: GatewayOptions): GatewayConfig {
  const o = { ...options }; // never mutate the caller's object
  const userPoolId = required(o.userPoolId, "userPoolId", "COGNITO_USER_POOL_ID");
  const clientId = required(o.clientId, "clientId", "COGNITO_CLIENT_ID");
  const clientSecret = required(o.clientSecret, "clientSecret", "COGNITO_CLIENT_SECRET");
  const region = o.region ?? POOL_ID.exec(userPoolId)?.[1];
  if (
    region === undefined ||
    !(POOL_ID.test(userPoolId) || (o.endpoint && LOCAL_POOL_ID.test(userPoolId)))
  ) {
    throw new ConfigError(
      `userPoolId "${userPoolId}" is malformed: expected "<region>_<id>" such as "eu-west-1_AbCdEf123" (Cognito console → User pool overview).`,
    );
  }
  const loginFlow = o.loginFlow ?? "USER_PASSWORD_AUTH";
  // JavaScript callers can pass anything: check what the type promises.
  if (!["USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"].includes(loginFlow)) {
    throw new ConfigError(`loginFlow must be USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH.`);
  }
  const cache =
    o.tokenCache === false
      ? false
      : { maxEntries: 10_000, maxBytes: 16 * 1024 * 1024, ...o.tokenCache };
  return {
    userPoolId,
    clientId,
    clientSecret,
    region,
    issuer: o.issuer ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
    endpoint: o.endpoint,
    loginFlow,
    keys: o.keys ?? "jwks.json",
    cognitoClient: o.cognitoClient,
    credentials: o.credentials,
    cognitoTimeoutMs: positive(o.cognitoTimeoutMs ?? 3000, "cognitoTimeoutMs"),
    cognitoMaxAttempts: positive(o.cognitoMaxAttempts ?? 2, "cognitoMaxAttempts"),
    retryAfterSeconds: positive(o.retryAfterSeconds ?? 5, "retryAfterSeconds"),
    revocations: o.revocations,
    logger: o.logger ?? createLogger(),
    clock: o.clock ?? systemClock,
    clockSkewSeconds: nonNegative(o.clockSkewSeconds ?? 5, "clockSkewSeconds"),
    passwordPolicy: { ...DEFAULT_PASSWORD_POLICY, ...o.passwordPolicy },
    signUpAttributes: Object.freeze([...(o.signUpAttributes ?? DEFAULT_SIGNUP_ATTRIBUTES)]),
    contextHeaders: contextHeaders(o.contextHeaders ?? DEFAULT_CONTEXT_HEADERS),
    responseFloorMs: nonNegative(o.responseFloorMs ?? 800, "responseFloorMs"),
    responseJitterMs: nonNegative(o.responseJitterMs ?? 40, "responseJitterMs"),
    rateLimit: o.rateLimit === false ? false : rateLimits(o.rateLimit),
    tokenCache: cache,
    sessionMaxSeconds: positive(o.sessionMaxSeconds ?? 86_400, "sessionMaxSeconds"),
    refreshTokenMaxSeconds: positive(
      o.refreshTokenMaxSeconds ?? 30 * 86_400,
      "refreshTokenMaxSeconds",
    ),
    state: o.state ?? new MemoryStateStore({ clock: o.clock ?? systemClock }),
    sessionSecrets: sessionSecrets(o.sessionSecret),
    signIn: signInOptions(o.signIn, loginFlow),
    observability: resolveObservabilityOptions(o.observability),
    redis: o.redis === undefined ? undefined : resolveRedisOptions(o.redis),
    adminSignUpRepair:
      o.adminSignUpRepair ??
      (loginFlow === "ADMIN_USER_PASSWORD_AUTH" || o.credentials !== undefined),
    session: browserSessions(o),
    lockout: resolveLockoutOptions(o.lockout),
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
      "Refresh-token rotation does not work with COGNITO_LOGIN_FLOW=ADMIN_USER_PASSWORD_AUTH: Cognito refuses refresh tokens from AdminInitiateAuth in GetTokensFromRefreshToken (aws/aws-sdk-js-v3#7162). Use USER_PASSWORD_AUTH, or turn rotation off on the app client and set COGNITO_REFRESH_ROTATION=off.",
    );
  }
  return options;
}

/** Browser sessions, checked against the secret and refresh-token lifetime they depend on. */
function browserSessions(o: GatewayOptions): SessionConfig | undefined {
  if (o.session === undefined || o.session === false) return undefined;
  return resolveSessionOptions(o.session, {
    sessionSecrets: sessionSecrets(o.sessionSecret),
    refreshTokenMaxSeconds: o.refreshTokenMaxSeconds ?? 30 * 86_400,
  });
}

function sessionSecrets(
  value: string | readonly string[] | undefined,
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === "string" ? [value] : [...value];
  if (
    list.length === 0 ||
    list.some((s) => typeof s !== "string" || s.length < MIN_SECRET_LENGTH)
  ) {
    throw new ConfigError(
      `sessionSecret must be a string of at least ${MIN_SECRET_LENGTH} characters, or a list of them (SESSION_SECRET, SESSION_SECRET_PREVIOUS).`,
    );
  }
  return Object.freeze(list);
}

function required(value: string | undefined, name: string, env: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(`${name} is missing: set ${env} (or pass ${name}) — see .env.example.`);
  }
  return value.trim();
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigError(`${name} must be a positive number.`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be 0 or more.`);
  return value;
}

const RATE_LIMIT_NUMBERS = [
  "ipMax",
  "ipWindowSeconds",
  "accountMax",
  "accountWindowSeconds",
  "loginFreeFailures",
  "loginMaxBackoffSeconds",
  "loginFailureWindowSeconds",
] as const;

function rateLimits(options: Partial<RateLimitOptions> | undefined): RateLimitOptions {
  const merged: RateLimitOptions = { ...DEFAULT_RATE_LIMITS, ...options };
  for (const name of RATE_LIMIT_NUMBERS) positive(merged[name], `rateLimit.${name}`);
  if (merged.store !== undefined && typeof merged.store !== "function") {
    throw new ConfigError("rateLimit.store must be a function (prefix) => Store.");
  }
  return merged;
}

function contextHeaders(names: readonly string[]): readonly string[] {
  const lower = names.map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  const forbidden = lower.filter((name) => FORBIDDEN_CONTEXT_HEADERS.includes(name));
  if (forbidden.length > 0) {
    throw new ConfigError(
      `contextHeaders must not include ${forbidden.join(", ")}: credentials are never sent to Cognito.`,
    );
  }
  return Object.freeze([...new Set(lower)]);
}
