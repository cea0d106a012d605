import type { ErrorRequestHandler, RequestHandler } from "express";
import { GatewayError, isGatewayError } from "../errors";
import type { Logger } from "../logger";

interface BodyParserError {
  type?: unknown;
  status?: unknown;
}

/** The code for an http-errors 4xx without a known `type` (e.g. a stream error), else none. */
function clientErrorCode(status: unknown) {
  if (typeof status !== "number" || status < 400 || status > 499) return undefined;
  if (status === 413) return "payload_too_large";
  if (status === 415) return "unsupported_media_type";
  return "invalid_request";
}

/** Turns body-parser's and Express's own errors into gateway errors; anything else is internal. */
export function toGatewayError(error: unknown): GatewayError {
  if (isGatewayError(error)) return error;
  const { type, status } = (error ?? {}) as BodyParserError;
  switch (type) {
    case "entity.too.large":
      return new GatewayError("payload_too_large", { cause: error });
    case "entity.parse.failed":
      return new GatewayError("invalid_request", {
        cause: error,
        details: [{ field: "body", problem: "is not valid JSON" }],
      });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new GatewayError("unsupported_media_type", { cause: error });
    case "request.aborted":
    case "request.size.invalid":
    case "stream.encoding.set":
      return new GatewayError("invalid_request", { cause: error });
    default: {
      // A request the parser refused is the client's fault, never a 500.
      const code = clientErrorCode(status);
      return new GatewayError(code ?? "internal_error", { cause: error });
    }
  }
}

/** Sends the contract's error envelope, with Retry-After and WWW-Authenticate where due. */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return function errorHandler(error: unknown, req, res, next) {
    if (res.headersSent) {
      next(error);
      return;
    }
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === "internal_error") {
      // Log the failure's kind and stack, never the request body.
      logger.error({ err: error, reqId: req.id }, "unhandled error");
    }
    if (gatewayError.retryAfterSeconds !== undefined) {
      res.set("Retry-After", String(Math.ceil(gatewayError.retryAfterSeconds)));
    }
    if (gatewayError.code === "invalid_token" && !res.get("WWW-Authenticate")) {
      res.set("WWW-Authenticate", 'Bearer error="invalid_token"');
    }
    res.status(gatewayError.status).json({
      error: {
        code: gatewayError.code,
        message: gatewayError.message,
        ...(gatewayError.code === "invalid_request" && gatewayError.details
          ? { details: gatewayError.details }
          : {}),
      },
    });
  };
}

/** 404 in the contract envelope for anything no route answered. */
export const notFound: RequestHandler = function notFoundMiddleware(_req, _res, next) {
  next(new GatewayError("not_found"));
};
