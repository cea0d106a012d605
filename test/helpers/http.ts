/** A bare Express app around one piece of src/http, answering errors as the gateway does. */
import express, { type RequestHandler } from "express";
import request from "supertest";
import { createErrorHandler, notFound } from "../../src/http/error-handler";
import { createLogger, type Logger } from "../../src/logger";

/**
 * `handlers` in front of `GET|POST /t` (which answers 200 with what the request carried), then
 * the gateway's 404 and error handler, so a refusal answers in the contract's envelope.
 */
export function appWith(
  handlers: readonly RequestHandler[],
  logger: Logger = createLogger({ level: "silent" }),
): express.Express {
  const app = express();
  app.use(...handlers);
  const echo: RequestHandler = (req, res) => {
    res.json({ body: req.body as unknown });
  };
  app.get("/t", echo);
  app.post("/t", echo);
  app.use(notFound);
  app.use(createErrorHandler(logger));
  return app;
}

/** A browser's CORS preflight for a POST to `path` from `origin` that will send `headers`. */
export function preflight(
  app: Parameters<typeof request>[0],
  path: string,
  origin: string,
  headers: string,
) {
  return request(app)
    .options(path)
    .set("Origin", origin)
    .set("Access-Control-Request-Method", "POST")
    .set("Access-Control-Request-Headers", headers);
}
