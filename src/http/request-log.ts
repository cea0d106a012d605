import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Request } from "express";
import { pinoHttp } from "pino-http";
import type { Logger } from "../logger";

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Request ids and one access-log line per request. A caller's `X-Request-Id` is kept when it is
 * short and plain, otherwise replaced; the id is echoed on every response. The serializers log
 * method, path (no query string), status and timing only: never headers or bodies.
 */
export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers["x-request-id"];
      const id = typeof incoming === "string" && SAFE_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader("X-Request-Id", id);
      return id;
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split("?")[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(_req, res, error) {
      return error !== undefined || res.statusCode >= 500 ? "error" : "info";
    },
  });
}

/**
 * The gateway's logger bound to the request's id (`reqId`), so every line written while
 * answering a request can be tied to it and to its access-log line.
 */
export function requestLogger(logger: Logger, req: Request): Logger {
  const id: unknown = req.id; // undefined when the router is mounted without requestLog
  return id === undefined ? logger : logger.child({ reqId: id });
}
