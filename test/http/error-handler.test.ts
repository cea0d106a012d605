import express from "express";
import request from "supertest";
import { GatewayError } from "../../src/errors";
import { createErrorHandler, toGatewayError } from "../../src/http/error-handler";
import { createLogger } from "../../src/logger";
import { LogCapture } from "../helpers/mocked-gateway";

describe("toGatewayError", () => {
  it.each([
    [{ type: "entity.too.large", status: 413 }, "payload_too_large"],
    [{ type: "entity.parse.failed", status: 400 }, "invalid_request"],
    [{ type: "encoding.unsupported", status: 415 }, "unsupported_media_type"],
    [{ type: "charset.unsupported", status: 415 }, "unsupported_media_type"],
    [{ type: "request.aborted", status: 400 }, "invalid_request"],
    [{ status: 413 }, "payload_too_large"],
    [{ status: 415 }, "unsupported_media_type"],
    [{ status: 408 }, "invalid_request"],
    [{ status: 502 }, "internal_error"],
    [new Error("bug"), "internal_error"],
    [undefined, "internal_error"],
  ])("maps %j to %s", (error, code) => {
    expect(toGatewayError(error).code).toBe(code);
  });

  it("keeps a GatewayError as it is", () => {
    const error = new GatewayError("not_found");
    expect(toGatewayError(error)).toBe(error);
  });
});

describe("createErrorHandler", () => {
  function app(error: unknown) {
    const logs = new LogCapture();
    const server = express();
    server.get("/t", (_req, _res, next) => {
      next(error);
    });
    server.use(createErrorHandler(createLogger({ level: "info", destination: logs })));
    return { server, logs };
  }

  it("answers the envelope with details on invalid_request only", async () => {
    const details = [{ field: "email", problem: "must be an email address" }];
    const res = await request(app(new GatewayError("invalid_request", { details })).server)
      .get("/t")
      .expect(400);
    expect(res.body).toEqual({
      error: { code: "invalid_request", message: expect.any(String), details },
    });
  });

  it("sets Retry-After (rounded up) and WWW-Authenticate where due", async () => {
    const limited = await request(
      app(new GatewayError("too_many_requests", { retryAfterSeconds: 1.2 })).server,
    )
      .get("/t")
      .expect(429);
    expect(limited.headers["retry-after"]).toBe("2");
    const token = await request(app(new GatewayError("invalid_token")).server)
      .get("/t")
      .expect(401);
    expect(token.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  });

  it("answers an unknown failure 500 internal_error without its text, and logs it", async () => {
    const { server, logs } = app(new Error("database password is hunter2"));
    const res = await request(server).get("/t").expect(500);
    expect(res.body.error.code).toBe("internal_error");
    expect(res.text).not.toContain("hunter2");
    expect(logs.text()).toContain("unhandled error");
  });
});
