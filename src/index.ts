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
export { createApp, type AppOptions } from "./app";
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
  type RequireAuthOptions,
  type RevocationEntry,
  type RevocationStore,
  type TokenVerifier,
  type VerifierOptions,
} from "./auth";
export { ConfigError, GatewayError, STATUS_BY_CODE, type ErrorCode } from "./errors";
export { createLogger, type Logger } from "./logger";
export type { Clock } from "./clock";
export type { LoginFlow } from "./cognito/adapter";
export type { PasswordPolicy } from "./http/password-policy";
export { loadConfig, type ServerConfig } from "./config";
export { startGateway, type RunningGateway } from "./standalone";
export { MemoryStateStore, type MemoryStateStoreOptions, type StateStore } from "./stores/state";
export { createSealer, type Opened, type Sealer, type SealerOptions } from "./session/seal";
export {
  JournalRevocationStore,
  type JournalRevocationStoreOptions,
} from "./stores/revocation-journal";
export {
  createPrometheusMetrics,
  NO_METRICS,
  type Metrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from "./observability/metrics";
export type { ObservabilityOptions, OnReject } from "./observability/options";
export { AUDIT_EVENTS, type AuditAccount, type AuditEvent } from "./observability/audit";
export { REJECT_REASONS, type RejectReason } from "./auth/rejections";
export type { RejectionReporting } from "./auth/require-auth";
export type { Closable } from "./gateway";
export type { CognitoOptions } from "./options";
export type { ConfigErrorReason } from "./errors";
