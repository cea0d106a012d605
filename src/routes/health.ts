import type { RequestHandler } from "express";
import type { KeyStore } from "../auth/keys";
import type { Clock } from "../clock";

/** GET /healthz — the process is up. */
export const healthz: RequestHandler = function healthz(_req, res) {
  res.status(200).json({ status: "ok" });
};

/** How long one Cognito reachability probe answers /readyz, so probes cannot hammer Cognito. */
export const READINESS_CACHE_MS = 2000;

/**
 * GET /readyz — 200 when keys are loaded and Cognito answers, else 503. Concurrent probes
 * share one Cognito call, and its answer is reused for {@link READINESS_CACHE_MS}.
 */
export function readyz(deps: {
  keys: KeyStore;
  reachable: () => Promise<boolean>;
  clock: Clock;
}): RequestHandler {
  let last: { at: number; answer: Promise<boolean> } | undefined;
  return async function readyzHandler(_req, res) {
    const now = deps.clock.now();
    if (last === undefined || now - last.at >= READINESS_CACHE_MS) {
      last = { at: now, answer: deps.reachable().catch(() => false) };
    }
    const keysLoaded = deps.keys.kids.length > 0;
    const cognito = await last.answer;
    const ready = keysLoaded && cognito;
    res.status(ready ? 200 : 503).json({
      status: ready ? "ready" : "unavailable",
      checks: { keys: keysLoaded ? "ok" : "missing", cognito: cognito ? "ok" : "unreachable" },
    });
  };
}
