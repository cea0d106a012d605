/**
 * CSRF defence for cookie-authenticated requests. Cookies are sent by the browser whoever made
 * the request, so an unsafe request (anything but GET, HEAD, OPTIONS) must prove it came from a
 * script of an allowed origin:
 *
 * - the header `X-CSRF: 1`. A form cannot set headers, and a cross-origin script can only set it
 *   after a CORS preflight, which the gateway answers for listed origins only;
 * - its `Origin`, when the browser sends one (all current browsers do on unsafe requests), must be
 *   the gateway's own host or a listed origin.
 *
 * With `SameSite=Strict` cookies a cross-site page cannot send the cookies at all; these checks
 * also stop same-site attackers (another port or subdomain of the same site).
 */
import type { Request, RequestHandler } from "express";
import { GatewayError } from "../errors";

/** Why a request failed the check (logged, never sent). */
export type CsrfRefusal = "missing_header" | "foreign_origin";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Builds the check once; it answers the refusal reason, or undefined when the request passes. */
export function csrfCheck(options: {
  origins: ReadonlySet<string>;
  secure: boolean;
}): (req: Pick<Request, "method" | "headers">) => CsrfRefusal | undefined {
  return function checkCsrf(req) {
    if (SAFE_METHODS.has(req.method)) return undefined;
    if (req.headers["x-csrf"] !== "1") return "missing_header";
    const origin = req.headers.origin;
    if (origin === undefined) return undefined; // not a browser: browsers send Origin on unsafe requests
    if (options.origins.has(origin)) return undefined;
    return isOwnOrigin(origin, req.headers.host, options.secure) ? undefined : "foreign_origin";
  };
}

/**
 * Whether `origin` is the gateway itself: the same host and port as the request's `Host`, over
 * https (or http when cookies are not Secure: loopback development). Comparing hosts rather than
 * full origins keeps working behind a TLS-terminating proxy.
 */
function isOwnOrigin(origin: string, host: string | undefined, secure: boolean): boolean {
  if (host === undefined) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const scheme = url.protocol === "https:" || (!secure && url.protocol === "http:");
  return scheme && url.host === host.toLowerCase() && url.origin === origin;
}

/** Middleware: `403 csrf_failed` for an unsafe request that fails {@link csrfCheck}. */
export function requireCsrf(check: ReturnType<typeof csrfCheck>): RequestHandler {
  return function csrfGuard(req, _res, next) {
    const refusal = check(req);
    next(refusal === undefined ? undefined : csrfFailed(refusal));
  };
}

/** The client-facing refusal; the reason stays internal (the error's cause). */
export function csrfFailed(reason: CsrfRefusal): GatewayError {
  return new GatewayError("csrf_failed", { cause: reason });
}
