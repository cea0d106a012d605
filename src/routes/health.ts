import type { RequestHandler } from "express";
import type { KeyStore } from "../auth/keys";
import type { Clock } from "../clock";
import type { SharedHealth } from "../stores/shared";

/** GET /healthz — the process is up. */
export const healthz: RequestHandler = function healthz(_req, res) {
  res.status(200).json({ status: "ok" });
};

/** How long one Cognito reachability probe answers /readyz, so probes cannot hammer Cognito. */
export const READINESS_CACHE_MS = 2000;

/**
 * GET /readyz — 200 when keys are loaded, Cognito answers and the shared state (if any) is
 * ready, else 503. Concurrent probes share one Cognito call, and its answer is reused for
 * {@link READINESS_CACHE_MS}. With a shared state, `checks.redis` says how it is; `status` is
 * `degraded` while the instance serves without Redis (see README "Several instances").
 */
export function readyz(deps: {
  keys: KeyStore;
  reachable: () => Promise<boolean>;
  clock: Clock;
  shared?: { health(): SharedHealth } | undefined;
}): RequestHandler {
  let last: { at: number; answer: Promise<boolean> } | undefined;
  return async function readyzHandler(_req, res) {
    const now = deps.clock.now();
    if (last === undefined || now - last.at >= READINESS_CACHE_MS) {
      last = { at: now, answer: deps.reachable().catch(() => false) };
    }
    const keysLoaded = deps.keys.kids.length > 0;
    const cognito = await last.answer;
    const shared = deps.shared?.health();
    const ready = keysLoaded && cognito && (shared?.ready ?? true);
    const degraded = ready && shared !== undefined && shared.status !== "ok";
    res.status(ready ? 200 : 503).json({
      status: ready ? (degraded ? "degraded" : "ready") : "unavailable",
      checks: {
        keys: keysLoaded ? "ok" : "missing",
        cognito: cognito ? "ok" : "unreachable",
        ...(shared === undefined ? {} : { redis: shared.status }),
      },
    });
  };
}
