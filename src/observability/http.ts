import type { Request, RequestHandler } from "express";
import type { Metrics } from "./metrics";

/**
 * The `route` label of a request: the pattern of the route that answered it (`/auth/login`,
 * `/orders/:id`), or `unmatched` (404s, static files). Never the raw URL: labels stay few.
 */
export function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  const path = route?.path;
  return typeof path === "string" ? `${req.baseUrl}${path}` : "unmatched";
}

const pass: RequestHandler = (_req, _res, next) => {
  next();
};

/**
 * Counts every answer of the lifecycle router by route and outcome, for routes written now and
 * later alike: the outcome is read from what the route answers, per the contract — an error
 * envelope gives its `error.code`, a `{"challenge": …}` body gives `challenge`, any other answer
 * below 400 is `success`. Apply it first in the router.
 */
export function lifecycleOutcomes(metrics: Metrics): RequestHandler {
  if (!metrics.enabled) return pass;
  return function lifecycleOutcomesMiddleware(req, res, next) {
    let outcome: string | undefined;
    const json = res.json;
    res.json = function jsonWithOutcome(this: typeof res, body: unknown) {
      outcome = outcomeOfBody(body);
      return json.call(this, body);
    };
    res.once("finish", () => {
      const path = (req.route as { path?: unknown } | undefined)?.path;
      if (typeof path !== "string") return; // not a lifecycle route (e.g. refused by the IP limit)
      const fallback = res.statusCode < 400 ? "success" : `status_${res.statusCode}`;
      metrics.lifecycle(path.replace(/^\//, ""), outcome ?? fallback);
    });
    next();
  };
}

function outcomeOfBody(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { error, challenge } = body as { error?: { code?: unknown }; challenge?: unknown };
  if (typeof error?.code === "string") return error.code;
  return typeof challenge === "string" ? "challenge" : undefined;
}
