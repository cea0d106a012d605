/**
 * Options of the gateway's observability: metrics, the token-refusal hook and the audit key.
 * One field of GatewayOptions (`observability`); the standalone server fills it from
 * METRICS_PORT / METRICS_HOST (see config.ts).
 */
import type { Request } from "express";
import type { RejectReason } from "../auth/rejections";
import { ConfigError } from "../errors";
import { keysOf, numberOption, refuseUnknownKeys, type NumberRule } from "../option-rules";
import { MIN_SECRET_LENGTH } from "../session/seal";
import { NO_METRICS, type Metrics } from "./metrics";

/** Called for every refused token with the coded reason (never sent to the client). Must not throw. */
export type OnReject = (reason: RejectReason, req: Request) => void;

/** What the gateway reports, and to whom. */
export interface ObservabilityOptions {
  /** Where counts go, e.g. `createPrometheusMetrics()`. Default: nowhere ({@link NO_METRICS}). */
  metrics?: Metrics;
  /** Called with the reason of every token refused by this gateway's requireAuth. Default none. */
  onReject?: OnReject;
  /**
   * Key the audit log's account HMACs derive from (at least 32 characters). Default: derived from
   * the client secret. Set it to keep audit pseudonyms stable across client-secret rotations.
   */
  auditSecret?: string;
}

/** {@link ObservabilityOptions} checked, defaults filled in. Internal. */
export interface ObservabilityConfig {
  metrics: Metrics;
  onReject: OnReject | undefined;
  auditSecret: string | undefined;
}

const KEYS = keysOf<ObservabilityOptions>({ metrics: true, onReject: true, auditSecret: true });

/** Loopback: metrics are never public by accident. */
export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** Port of the `/metrics` listener (0: any free port). The default is OpenTelemetry's. */
export const METRICS_PORT_RULE: NumberRule = Object.freeze({
  default: 9464,
  min: 0,
  max: 65535,
  integer: true,
});

/** Where `/metrics` is served (`METRICS_PORT`, `METRICS_HOST`), apart from the gateway's port. */
export interface MetricsListenerOptions {
  /** Default 9464. */
  port?: number;
  /** Default {@link DEFAULT_METRICS_HOST} (loopback). */
  host?: string;
}

/** {@link MetricsListenerOptions} checked, defaults filled in. */
export interface MetricsListener {
  port: number;
  host: string;
}

/** Checks the observability options. @throws ConfigError naming the option */
export function resolveObservabilityOptions(
  options: ObservabilityOptions | undefined,
): ObservabilityConfig {
  const o = options ?? {};
  if (typeof o !== "object" || (o as unknown) === null) {
    throw new ConfigError("malformed", "observability", "observability must be an object.");
  }
  refuseUnknownKeys(o, KEYS, "observability.");
  const metrics = o.metrics ?? NO_METRICS;
  if (typeof metrics.tokenRejected !== "function") {
    throw new ConfigError(
      "malformed",
      "observability.metrics",
      "observability.metrics must implement Metrics (createPrometheusMetrics).",
    );
  }
  if (o.onReject !== undefined && typeof o.onReject !== "function") {
    throw new ConfigError(
      "malformed",
      "observability.onReject",
      "observability.onReject must be a function (reason, req) => void.",
    );
  }
  if (
    o.auditSecret !== undefined &&
    (typeof o.auditSecret !== "string" || o.auditSecret.length < MIN_SECRET_LENGTH)
  ) {
    throw new ConfigError(
      "out_of_range",
      "observability.auditSecret",
      `observability.auditSecret must be at least ${MIN_SECRET_LENGTH} characters.`,
    );
  }
  return { metrics, onReject: o.onReject, auditSecret: o.auditSecret };
}

/** Checks the metrics listener's address. @throws ConfigError naming the option */
export function resolveMetricsListener(options: MetricsListenerOptions = {}): MetricsListener {
  refuseUnknownKeys(options, ["port", "host"], "metrics.");
  const host = options.host ?? DEFAULT_METRICS_HOST;
  if (typeof host !== "string" || host.trim() === "") {
    throw new ConfigError(
      "malformed",
      "metrics.host",
      "metrics.host must be a host name or address.",
    );
  }
  return { port: numberOption(options.port, METRICS_PORT_RULE, "metrics.port"), host };
}
