import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * helmet for a JSON API that also serves one static page: a strict CSP (scripts, styles and
 * fetches from this origin only; no inline code; no framing), HSTS, no MIME sniffing, no
 * referrer leaks, and no caching of auth answers.
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
  const noStore: RequestHandler = function noStoreMiddleware(_req, res, next) {
    res.set("Cache-Control", "no-store");
    next();
  };
  return [headers, noStore];
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
