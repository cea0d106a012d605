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
 * CORS for an explicit list of origins (none by default: same-origin only). Credentials are
 * not allowed: the contract uses bearer tokens, never cookies.
 */
export function corsFor(origins: readonly string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => {
      callback(null, origin !== undefined && allowed.has(origin));
    },
    methods: ["GET", "POST"],
    allowedHeaders: ["Content-Type", "Authorization", "X-Request-Id", "X-Cognito-Encoded-Data"],
    exposedHeaders: ["Retry-After", "WWW-Authenticate", "X-Request-Id"],
    credentials: false,
    maxAge: 600,
  });
}
