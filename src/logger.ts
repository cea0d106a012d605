import pino from "pino";
import { DEFAULT_LOG_LEVEL } from "./logger-options";

export { DEFAULT_LOG_LEVEL, LOG_LEVELS } from "./logger-options";

/** The structured logger used everywhere (pino). Tests pass their own to capture output. */
export type Logger = pino.Logger;

/**
 * Paths pino censors wherever they appear. This is the second line of defence: the first is
 * that no code logs request bodies, tokens or Cognito inputs at all.
 */
export const REDACT_PATHS: readonly string[] = [
  "password",
  "code",
  "token",
  "accessToken",
  "idToken",
  "refreshToken",
  "deviceToken",
  "clientSecret",
  "secretHash",
  "SecretHash",
  "*.password",
  "*.code",
  "*.token",
  "*.accessToken",
  "*.idToken",
  "*.refreshToken",
  "*.deviceToken",
  "*.clientSecret",
  "*.secretHash",
  "*.SecretHash",
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['proxy-authorization']",
  "req.headers['x-api-key']",
  "req.headers['x-device-token']",
  "res.headers['set-cookie']",
];

export interface LoggerOptions {
  /** pino level. Default `info`. */
  level?: string;
  /** Where lines go. Default standard output. */
  destination?: pino.DestinationStream;
}

/** Builds the gateway's JSON logger with redaction on. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level ?? DEFAULT_LOG_LEVEL,
    base: { service: "cognito-gateway" },
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
