/** A bare Express app around one piece of src/http, answering errors as the gateway does. */
import express, { type RequestHandler } from "express";
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
