/**
 * cognito-gateway public API. Library use:
 *
 * ```ts
 * const gateway = createGateway({ userPoolId, clientId, clientSecret });
 * app.use("/auth", gateway.router);
 * app.get("/orders", gateway.requireAuth({ tokenUse: "access", scopes: ["orders/read"] }), handler);
 * ```
 */
export { createGateway, createAuthRouter, type Gateway, type ProtectOptions } from "./gateway";
export { createApp, type AppOptions, type LocalMfaSetter } from "./app";
// The contract's JSON error envelope for an app of your own: mount it after your routes.
export { createErrorHandler } from "./http/error-handler";
export {
  DEFAULT_CONTEXT_HEADERS,
  DEFAULT_RATE_LIMITS,
  DEFAULT_SIGNUP_ATTRIBUTES,
  type GatewayOptions,
  type RateLimitOptions,
  type TokenCacheOptions,
} from "./options";
export {
  bearerToken,
  createVerifier,
  FileKeyStore,
  loadJwks,
  MemoryRevocationStore,
  parseRevocationEntry,
  requireAuth,
  StaticKeyStore,
  type CognitoClaims,
  type KeyStore,
  type MemoryRevocationStoreOptions,
  type RequireAuthOptions,
  type ResolvedVerifierConfig,
  type RevocationEntry,
  type RevocationStore,
  type RevocationSubject,
  type TokenCacheStats,
  type TokenVerifier,
  type VerifierCacheOptions,
  type VerifierOptions,
  type VerifyOutcome,
} from "./auth";
export { DEFAULT_LOCKOUT_OPTIONS, type LockoutOptions } from "./http/lockout-options";
export { DEVICE_HEADER, deviceCookieName } from "./http/device";
export {
  ConfigError,
  GatewayError,
  STATUS_BY_CODE,
  type ErrorCode,
  type ErrorDetail,
  type GatewayErrorOptions,
} from "./errors";
export { createLogger, type Logger, type LoggerOptions } from "./logger";
export type { Clock } from "./clock";
export type { LoginFlow } from "./cognito/adapter";
export type { PasswordPolicy } from "./http/password-policy";
export {
  loadConfig,
  type Env as ConfigEnv,
  type Mode as ServerMode,
  type ServerConfig,
} from "./config";
export type { HostOptions } from "./http/hosts";
export type { SharedHealth, SharedState } from "./stores/shared";
export type { RedisConnection, RedisHealth, RedisStatus } from "./stores/redis";
export type { RedisStateStore } from "./stores/redis-state";
export type { RedisRevocationStore, RedisRevocationStoreOptions } from "./stores/redis-revocation";
export type { RedisConfig, RedisFailureMode, RedisOptions } from "./stores/redis-options";
export type { SameSite, SessionOptions, SessionStoreMode } from "./session/options";
export type { SignInOptions } from "./routes/sign-in-options";
export { startGateway, type RunningGateway } from "./standalone";
export { MemoryStateStore, type MemoryStateStoreOptions, type StateStore } from "./stores/state";
export { createSealer, type Opened, type Sealer, type SealerOptions } from "./session/seal";
export {
  JournalRevocationStore,
  type JournalRevocationStoreOptions,
} from "./stores/revocation-journal";
export { NO_METRICS, type Metrics } from "./observability/metrics";
export {
  createPrometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from "./observability/prometheus";
export type {
  MetricsListener,
  MetricsListenerOptions,
  ObservabilityOptions,
  OnReject,
} from "./observability/options";
export { AUDIT_EVENTS, type AuditAccount, type AuditEvent } from "./observability/audit";
export { REJECT_REASONS, type RejectReason } from "./auth/rejections";
export type { RejectionReporting } from "./auth/require-auth";
export type { Closable } from "./gateway";
export type { CognitoOptions } from "./options";
export type { ConfigErrorReason } from "./errors";
