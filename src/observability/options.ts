/**
 * Options of the gateway's observability: metrics, the token-refusal hook and the audit key.
 * One field of GatewayOptions (`observability`); the standalone server fills it from
 * METRICS_PORT / METRICS_HOST (see config.ts).
 */
import type { Request } from "express";
import type { RejectReason } from "../auth/rejections";
import { ConfigError } from "../errors";
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

const KNOWN = ["metrics", "onReject", "auditSecret"];

/** Loopback: metrics are never public by accident. */
export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** Checks the observability options. @throws ConfigError naming the option */
export function resolveObservabilityOptions(
  options: ObservabilityOptions | undefined,
): ObservabilityConfig {
  const o = options ?? {};
  const unknown = Object.keys(o).find((key) => !KNOWN.includes(key));
  if (unknown !== undefined) {
    throw new ConfigError(
      `observability.${unknown} is not an option (known: ${KNOWN.join(", ")}).`,
    );
  }
  const metrics = o.metrics ?? NO_METRICS;
  if (typeof metrics.tokenRejected !== "function") {
    throw new ConfigError(
      "observability.metrics must implement Metrics (createPrometheusMetrics).",
    );
  }
  if (o.onReject !== undefined && typeof o.onReject !== "function") {
    throw new ConfigError("observability.onReject must be a function (reason, req) => void.");
  }
  if (
    o.auditSecret !== undefined &&
    (typeof o.auditSecret !== "string" || o.auditSecret.length < 32)
  ) {
    throw new ConfigError("observability.auditSecret must be at least 32 characters.");
  }
  return { metrics, onReject: o.onReject, auditSecret: o.auditSecret };
}
