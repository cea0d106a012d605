/**
 * What the gateway counts, as one injectable interface. The gateway records in four central
 * places only — the request log (every answer), the lifecycle router (every route outcome), the
 * Cognito adapter (every call), the verifier's middleware and the limiters (every refusal) — so a
 * route added later is counted without doing anything. {@link NO_METRICS} (the default) records
 * nothing; `createPrometheusMetrics` (./prometheus, the only module that loads prom-client) records
 * into a prom-client registry.
 */
import type { RejectReason } from "../auth/rejections";

/** What the gateway records. Every method is cheap and never throws. */
export interface Metrics {
  /** False for {@link NO_METRICS}: callers may skip work done only for metrics. */
  readonly enabled: boolean;
  /** One answered request; `route` is the route pattern (never the raw URL) or `unmatched`. */
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** One lifecycle route outcome: `success`, `challenge`, or the error code answered. */
  lifecycle(route: string, outcome: string): void;
  /** One refused token. */
  tokenRejected(reason: RejectReason): void;
  /** One Cognito call: `success`, or the kind of failure (`account`, `throttled`, `upstream`…). */
  cognitoRequest(operation: string, outcome: string, seconds: number): void;
  /** One request refused by a limiter (`ip`, `account`, `login_backoff`). */
  rateLimited(limit: string): void;
  /** One revocation written (a token id, a sign-in, a subject cutoff). */
  revocation(): void;
  /** One successful reload of the pinned keys. */
  keysReloaded(): void;
  /** Reports `count()` as the number of pinned keys at each scrape. */
  watchKeys(count: () => number): void;
}

const nothing = (): void => undefined;

/** Records nothing (metrics off). */
export const NO_METRICS: Metrics = Object.freeze({
  enabled: false,
  httpRequest: nothing,
  lifecycle: nothing,
  tokenRejected: nothing,
  cognitoRequest: nothing,
  rateLimited: nothing,
  revocation: nothing,
  keysReloaded: nothing,
  watchKeys: nothing,
});
