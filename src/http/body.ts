import express, { type RequestHandler } from "express";
import { GatewayError } from "../errors";

/** Largest JSON body accepted on any route (a refresh token is the largest field). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * `413 payload_too_large` at once for a request whose `Content-Length` is over the limit, before a
 * byte of the body is read (body-parser would only answer once the whole declared body arrived,
 * which lets one client hold a socket until the request timeout). The connection is closed after
 * the answer, so the rest of the body is never read either.
 */
export const declaredBodyLimit: RequestHandler = function declaredBodyLimit(req, res, next) {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > BODY_LIMIT_BYTES) {
    res.set("Connection", "close");
    next(new GatewayError("payload_too_large"));
    return;
  }
  next();
};

/**
 * JSON-only bodies: 415 for any other media type or a compressed body (a few KiB of JSON need
 * no compression, and inflating is work an attacker chooses), 413 past the limit, 400 for
 * malformed JSON (the error handler maps body-parser's errors). A POST without a body is let
 * through as `{}`.
 */
export function jsonBody(): RequestHandler[] {
  const parse = express.json({
    limit: BODY_LIMIT_BYTES,
    strict: true,
    inflate: false,
    type: () => true,
  });
  const requireJson: RequestHandler = function requireJsonMiddleware(req, _res, next) {
    if (req.method !== "POST" && req.method !== "PUT" && req.method !== "PATCH") {
      next();
      return;
    }
    const hasBody =
      req.headers["transfer-encoding"] !== undefined ||
      Number(req.headers["content-length"] ?? 0) > 0;
    if (hasBody && !req.is("application/json")) {
      next(new GatewayError("unsupported_media_type"));
      return;
    }
    if (!hasBody) req.body = {};
    next();
  };
  return [declaredBodyLimit, requireJson, parse];
}
