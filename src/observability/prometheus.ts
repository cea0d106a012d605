/**
 * {@link Metrics} recorded into a prom-client registry, with the fixed names dashboards rely on.
 * The only module that loads prom-client: the standalone server loads it only when `METRICS_PORT`
 * is set, so a gateway without metrics does not pay for it in memory.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { keysOf, refuseUnknownKeys } from "../option-rules";
import type { Metrics } from "./metrics";

/** {@link Metrics} backed by a prom-client registry. */
export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
  /** The exposition text of the registry, and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Registry to record into. Default: a new one (never prom-client's global registry). */
  registry?: Registry;
  /** Also collect prom-client's default process metrics. Default true. */
  processMetrics?: boolean;
}

const PROMETHEUS_OPTION_KEYS = keysOf<PrometheusMetricsOptions>({
  registry: true,
  processMetrics: true,
});

/** Latency buckets, seconds: sub-millisecond verifications up to Cognito's slow answers. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const COGNITO_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One instrument: a histogram when it has buckets, else a counter. */
interface InstrumentSpec {
  /** The fixed name dashboards rely on. */
  readonly name: string;
  readonly help: string;
  /** Labels whose values come from closed sets only. */
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/** Every instrument of {@link createPrometheusMetrics}, in registration (and exposition) order. */
const INSTRUMENTS = {
  http: {
    name: "http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method, route pattern and status code.",
    labelNames: ["method", "route", "status_code"],
    buckets: HTTP_BUCKETS,
  },
  lifecycle: {
    name: "cognito_gateway_lifecycle_total",
    help: "Account lifecycle answers by route and outcome (success, challenge, or the error code).",
    labelNames: ["route", "outcome"],
  },
  rejections: {
    name: "cognito_gateway_token_rejections_total",
    help: "Tokens refused, by coded reason.",
    labelNames: ["reason"],
  },
  cognito: {
    name: "cognito_gateway_cognito_request_duration_seconds",
    help: "Cognito API calls by operation and outcome (success or the kind of failure).",
    labelNames: ["operation", "outcome"],
    buckets: COGNITO_BUCKETS,
  },
  limited: {
    name: "cognito_gateway_rate_limited_total",
    help: "Requests refused by a rate limit, by limit.",
    labelNames: ["limit"],
  },
  revocations: {
    name: "cognito_gateway_revocations_total",
    help: "Revocations written (token ids, sign-ins and subject cutoffs).",
    labelNames: [],
  },
  reloads: {
    name: "cognito_gateway_key_reloads_total",
    help: "Successful reloads of the pinned keys.",
    labelNames: [],
  },
} as const satisfies Readonly<Record<string, InstrumentSpec>>;

type LabelOf<S> = S extends { readonly labelNames: readonly (infer L extends string)[] }
  ? L
  : never;

/** The prom-client instrument of each spec, typed by its labels. */
type Instruments<T> = {
  readonly [K in keyof T]: T[K] extends { readonly buckets: readonly number[] }
    ? Histogram<LabelOf<T[K]>>
    : Counter<LabelOf<T[K]>>;
};

/**
 * Builds Prometheus metrics with the fixed names dashboards rely on:
 * `http_request_duration_seconds{method,route,status_code}`,
 * `cognito_gateway_lifecycle_total{route,outcome}`, `cognito_gateway_token_rejections_total{reason}`,
 * `cognito_gateway_cognito_request_duration_seconds{operation,outcome}`,
 * `cognito_gateway_rate_limited_total{limit}`, `cognito_gateway_revocations_total`,
 * `cognito_gateway_keys_loaded`, `cognito_gateway_key_reloads_total`, plus the default process
 * metrics. Label values come from closed sets (route patterns, codes, operation names): never a
 * URL, address, token or user.
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  refuseUnknownKeys(options, PROMETHEUS_OPTION_KEYS);
  const registry = options.registry ?? new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const i = registerInstruments(INSTRUMENTS, registry);
  const keyCounts = keysLoadedGauge(registry);
  return {
    enabled: true,
    registry,
    httpRequest(method, route, statusCode, seconds) {
      i.http.observe({ method, route, status_code: statusCode }, seconds);
    },
    lifecycle(route, outcome) {
      i.lifecycle.inc({ route, outcome });
    },
    tokenRejected(reason) {
      i.rejections.inc({ reason });
    },
    cognitoRequest(operation, outcome, seconds) {
      i.cognito.observe({ operation, outcome }, seconds);
    },
    rateLimited(limit) {
      i.limited.inc({ limit });
    },
    revocation() {
      i.revocations.inc();
    },
    keysReloaded() {
      i.reloads.inc();
    },
    watchKeys(count) {
      keyCounts.add(count);
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** Registers one instrument per spec in `registry`. */
function registerInstruments<T extends Readonly<Record<string, InstrumentSpec>>>(
  specs: T,
  registry: Registry,
): Instruments<T> {
  const registers = [registry];
  const built = Object.entries(specs).map(([key, { buckets, ...spec }]) => [
    key,
    buckets === undefined
      ? new Counter({ ...spec, registers })
      : new Histogram({ ...spec, buckets: [...buckets], registers }),
  ]);
  return Object.fromEntries(built) as Instruments<T>;
}

/**
 * `cognito_gateway_keys_loaded`: at each scrape, the sum of the key counts added to the returned
 * set (one per gateway sharing the registry).
 */
function keysLoadedGauge(registry: Registry): Set<() => number> {
  const keyCounts = new Set<() => number>();
  new Gauge({
    name: "cognito_gateway_keys_loaded",
    help: "Pinned verification keys currently loaded.",
    registers: [registry],
    collect() {
      let total = 0;
      for (const count of keyCounts) total += count();
      this.set(total);
    },
  });
  return keyCounts;
}
