/** The log levels, apart from the logger: config reads them without loading pino. */

/** pino's levels, `silent` included. */
export const LOG_LEVELS = Object.freeze([
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const);

/** The level when nothing else is said. */
export const DEFAULT_LOG_LEVEL = "info";
