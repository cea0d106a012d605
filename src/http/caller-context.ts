import type { Request } from "express";
import type { CallerContext, ContextHeader } from "../cognito/context";

/** Bounds on what is forwarded, so a caller cannot make Cognito requests large. */
export const MAX_CONTEXT_HEADERS = 20;
export const MAX_CONTEXT_HEADER_LENGTH = 1024;
export const MAX_ENCODED_DATA_LENGTH = 8192;
/** Header a front end may use to pass Cognito advanced-security data (`EncodedData`). */
export const ENCODED_DATA_HEADER = "x-cognito-encoded-data";

/**
 * Builds the reader of a request's {@link CallerContext} once, from the allow-list (already
 * lower-cased and checked against the forbidden list by the options resolver).
 */
export function createCallerContextReader(allowHeaders: readonly string[]) {
  const allowed = new Set(allowHeaders);
  return function callerContext(req: Request): CallerContext {
    const headers: ContextHeader[] = [];
    // rawHeaders keeps repeated headers apart; Node lower-cases nothing there, so compare lower.
    for (let i = 0; i + 1 < req.rawHeaders.length && headers.length < MAX_CONTEXT_HEADERS; i += 2) {
      const name = (req.rawHeaders[i] ?? "").toLowerCase();
      if (!allowed.has(name)) continue;
      headers.push({ headerName: name, headerValue: bounded(req.rawHeaders[i + 1] ?? "") });
    }
    const encoded = req.get(ENCODED_DATA_HEADER);
    return {
      ip: req.ip ?? req.socket.remoteAddress ?? "0.0.0.0",
      serverName: bounded(req.hostname || "localhost"),
      serverPath: bounded(req.originalUrl.split("?")[0] ?? "/"),
      headers,
      ...(encoded !== undefined && encoded.length > 0 && encoded.length <= MAX_ENCODED_DATA_LENGTH
        ? { encodedData: encoded }
        : {}),
    };
  };
}

function bounded(value: string): string {
  return value.length > MAX_CONTEXT_HEADER_LENGTH
    ? value.slice(0, MAX_CONTEXT_HEADER_LENGTH)
    : value;
}
