import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * helmet for a JSON API that also serves one static page: a strict CSP (scripts, styles and
 * fetches from this origin only; no inline code; no framing), HSTS, no MIME sniffing, no
 * referrer leaks, and no caching of auth answers.
 *
 * helmet stays the source of truth, but runs once, here: with this configuration every header
 * it writes is the same on every request, so its writes are recorded at start and replayed by
 * one middleware (helmet's chain of a dozen middlewares, and the CSP string it rebuilds per
 * request, were a fifth of a cheap route's cost). Should helmet ever need the request (a CSP
 * nonce), the recording sees it and helmet runs per request as before.
 */
export function securityHeaders(): RequestHandler[] {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        scriptSrcAttr: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: "same-origin" },
    referrerPolicy: { policy: "no-referrer" },
    frameguard: { action: "deny" }, // as frame-ancestors 'none', for browsers without CSP 2
  });
  const recorded = recordHeaders(headers);
  if (recorded === undefined) {
    const noStore: RequestHandler = function noStoreMiddleware(_req, res, next) {
      res.setHeader("Cache-Control", "no-store");
      next();
    };
    return [headers, noStore];
  }
  const set = [...recorded.set, ["Cache-Control", "no-store"] as const];
  const { removed } = recorded;
  return [
    function securityHeadersMiddleware(_req, res, next) {
      for (const name of removed) res.removeHeader(name);
      for (const [name, value] of set) res.setHeader(name, value);
      next();
    },
  ];
}

/** What a header middleware wrote, when it wrote it at once and never read the request. */
interface RecordedHeaders {
  readonly set: readonly (readonly [string, string])[];
  readonly removed: readonly string[];
}

/**
 * Runs `middleware` once against a recording response. Undefined when it read the request or
 * anything of the response besides setting and removing headers, set a non-string value, or
 * did not call `next()` at once without an error: then it must run per request.
 */
export function recordHeaders(middleware: RequestHandler): RecordedHeaders | undefined {
  const set = new Map<string, string>();
  const removed = new Set<string>();
  const state = { pure: true, done: false };
  const watch = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, key, receiver) {
        if (!Reflect.has(object, key)) state.pure = false;
        return Reflect.get(object, key, receiver) as unknown;
      },
    });
  const res = watch({
    setHeader(name: unknown, value: unknown) {
      if (typeof name !== "string" || typeof value !== "string") state.pure = false;
      else {
        removed.delete(name.toLowerCase());
        set.set(name, value);
      }
    },
    removeHeader(name: unknown) {
      if (typeof name !== "string") state.pure = false;
      else {
        for (const key of set.keys()) if (key.toLowerCase() === name.toLowerCase()) set.delete(key);
        removed.add(name.toLowerCase());
      }
    },
  });
  const req = watch({});
  void middleware(req as never, res as never, (error?: unknown) => {
    state.done = error === undefined;
  });
  if (!state.pure || !state.done) return undefined;
  return { set: [...set.entries()], removed: [...removed] };
}

/**
 * CORS for explicit lists of origins (none by default: same-origin only). `origins` may call with
 * bearer tokens, without credentials. `credentialed` origins (browser sessions on another origin)
 * may also send cookies, with the `X-CSRF` header; a wildcard is never accepted for them.
 */
export function corsFor(
  origins: readonly string[],
  credentialed: ReadonlySet<string> = new Set(),
): RequestHandler | undefined {
  if (origins.length === 0 && credentialed.size === 0) return undefined;
  const allowed = new Set(origins);
  const common = {
    methods: ["GET", "POST"],
    exposedHeaders: ["Retry-After", "WWW-Authenticate", "X-Request-Id"],
    maxAge: 600,
  };
  const bearerOnly = {
    ...common,
    origin: true,
    allowedHeaders: ["Content-Type", "Authorization", "X-Request-Id", "X-Cognito-Encoded-Data"],
    credentials: false,
  };
  const withCookies = {
    ...bearerOnly,
    allowedHeaders: [...bearerOnly.allowedHeaders, "X-CSRF"],
    credentials: true,
  };
  return cors((req, callback) => {
    const origin = req.headers.origin;
    if (origin !== undefined && credentialed.has(origin)) callback(null, withCookies);
    else if (origin !== undefined && allowed.has(origin)) callback(null, bearerOnly);
    else callback(null, { ...common, origin: false });
  });
}
