import type { Request, RequestHandler } from "express";
import type { RevocationStore } from "../auth/revocation";
import type { CognitoAdapter } from "../cognito/adapter";
import type { CallerContext } from "../cognito/context";
import type { ResponseFloor, Sleep } from "../http/floor";
import type { RateLimits } from "../http/rate-limit";
import { requestLogger } from "../http/request-log";
import type { Logger } from "../logger";
import type { Audit } from "../observability/audit";
import type { Metrics } from "../observability/metrics";
import type { GatewayConfig } from "../options";
import type { SessionRuntime } from "../session/routes";
import type { Sealer } from "../session/seal";
import type { StateStore } from "../stores/state";
import { outcomeError, outcomeOf, type LifecycleRoute } from "./outcomes";

/** What every lifecycle route is built from (see createGateway). */
export interface RouteDeps {
  config: GatewayConfig;
  cognito: CognitoAdapter;
  callerContext: (req: Request) => CallerContext;
  floor: ResponseFloor;
  sleep: Sleep;
  logger: Logger;
  revocations: RevocationStore;
  /** requireAuth for access tokens, shared with logout and /me. */
  requireAccess: RequestHandler;
  /** Per-IP and per-account limits (no-ops when turned off). */
  limits: RateLimits;
  /** Keyed expiring state (memory, or shared). */
  state: StateStore;
  /** The sealer of one purpose (`session`, `challenge`, `device`, …), built once per purpose. */
  sealer(purpose: string): Sealer;
  /** Counters (no-op when metrics are off). Routes need not record: the router counts outcomes. */
  metrics: Metrics;
  /**
   * Writes one audit line per account event, the account as an HMAC. Call it once the outcome is
   * known: `deps.audit("password_changed", { username }, req)`; events in AUDIT_EVENTS.
   */
  audit: Audit;
  /** Browser sessions, when on: routes a session cookie authenticated answer with cookies too. */
  session?: SessionRuntime | undefined;
}

/**
 * Runs one Cognito call for a route. Resolves to its value, or to the quiet outcome the route
 * table gives ("accepted" / "resend"); throws the client-safe error for every other outcome. Logs the
 * upstream error's name and kind only.
 */
export async function callCognito<T>(
  route: LifecycleRoute,
  deps: RouteDeps,
  req: Request,
  call: () => Promise<T>,
): Promise<{ value: T } | { quiet: "accepted" | "resend" }> {
  try {
    return { value: await call() };
  } catch (error) {
    const { outcome, failure } = outcomeOf(route, error);
    const level = failure.kind === "upstream" ? "warn" : "info";
    requestLogger(deps.logger, req)[level](
      { route, upstream: failure.upstreamName, kind: failure.kind },
      "cognito refused",
    );
    if (outcome === "accepted" || outcome === "resend") return { quiet: outcome };
    throw outcomeError(outcome, failure, deps.config.retryAfterSeconds);
  }
}
