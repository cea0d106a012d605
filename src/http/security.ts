import type { ServerResponse } from "node:http";
import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";

type HelmetOptions = NonNullable<Parameters<typeof helmet>[0]>;

/**
 * The policy of every answer of the API (JSON, its errors, the probes, `/openapi.yaml`): the
 * OWASP REST set. A CSP that allows nothing (`default-src 'none'`): should a JSON answer ever be
 * rendered as a document, it can load, run and frame nothing. HSTS, no MIME sniffing, no framing
 * (CSP 2 and `X-Frame-Options` for older browsers), no referrer, same-origin resource policy.
 * helmet's document-only headers (COOP, Origin-Agent-Cluster, DNS prefetch, IE download options,
 * Adobe cross-domain policies, the legacy XSS auditor) do nothing on a JSON answer, so they are
 * left to {@link PAGE_POLICY}: 7 headers and ~290 bytes per answer instead of 14 and ~690.
 */
export const API_POLICY: Readonly<HelmetOptions> = Object.freeze<HelmetOptions>({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: { policy: "same-origin" },
  originAgentCluster: false,
  referrerPolicy: { policy: "no-referrer" },
  frameguard: { action: "deny" },
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

/**
 * The policy of the shipped page and its assets: helmet's full set, with a strict CSP (scripts,
 * styles and fetches from this origin only; no inline code; no framing).
 */
export const PAGE_POLICY: Readonly<HelmetOptions> = Object.freeze<HelmetOptions>({
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

/**
 * Security headers of every answer ({@link API_POLICY}) and `Cache-Control: no-store`: auth
 * answers are never cached.
 *
 * helmet stays the source of truth, but runs once, here: with this configuration every header
 * it writes is the same on every request, so its writes are recorded at start and replayed by
 * one middleware (helmet's chain of middlewares, and the CSP string it rebuilds per request,
 * were the largest block of a cheap route's own code). Should helmet ever need the request (a
 * CSP nonce), the recording sees it and helmet runs per request as before.
 */
export function securityHeaders(): RequestHandler[] {
  const headers = helmet(API_POLICY);
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

/**
 * Writes {@link PAGE_POLICY}'s headers over the API's, for a response that is about to serve the
 * page or one of its files (express.static's `setHeaders`). Recorded once, like
 * {@link securityHeaders}.
 * @throws Error at start if helmet's page policy ever depended on the request
 */
export function pageHeaders(): (res: ServerResponse) => void {
  const recorded = recordHeaders(helmet(PAGE_POLICY));
  if (recorded === undefined) throw new Error("pageHeaders: helmet's page policy must be fixed");
  const { set } = recorded;
  return function writePageHeaders(res) {
    for (const [name, value] of set) res.setHeader(name, value);
  };
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
    allowedHeaders: [
      "Content-Type",
      "Authorization",
      "X-Request-Id",
      "X-Cognito-Encoded-Data",
      "X-Device-Token",
    ],
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
