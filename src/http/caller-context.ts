import type { Request } from "express";
import type { CallerContext, ContextHeader } from "../cognito/context";
import { ConfigError } from "../errors";
import { isStringList } from "../option-rules";

/** Headers Cognito's threat protection may see by default. Never cookies or credentials. */
export const DEFAULT_CONTEXT_HEADERS: readonly string[] = Object.freeze([
  "user-agent",
  "accept-language",
  "accept",
  "origin",
  "referer",
  "host",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
  "sec-ch-ua",
  "sec-ch-ua-mobile",
  "sec-ch-ua-platform",
]);

/** Headers that are never forwarded, whatever the allow-list says. */
export const FORBIDDEN_CONTEXT_HEADERS: readonly string[] = Object.freeze([
  "cookie",
  "set-cookie",
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "x-amz-security-token",
  "x-cognito-encoded-data",
]);

/**
 * The allow-list lower-cased and de-duplicated (default {@link DEFAULT_CONTEXT_HEADERS}).
 * @throws ConfigError (`insecure`) when it names a credential header
 */
export function resolveContextHeaders(
  names: readonly string[] = DEFAULT_CONTEXT_HEADERS,
): readonly string[] {
  if (!isStringList(names)) {
    throw new ConfigError(
      "malformed",
      "contextHeaders",
      "contextHeaders must be a list of header names.",
    );
  }
  const lower = names.map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  const forbidden = lower.filter((name) => FORBIDDEN_CONTEXT_HEADERS.includes(name));
  if (forbidden.length > 0) {
    throw new ConfigError(
      "insecure",
      "contextHeaders",
      `contextHeaders must not include ${forbidden.join(", ")}: credentials are never sent to Cognito.`,
    );
  }
  return Object.freeze([...new Set(lower)]);
}

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
