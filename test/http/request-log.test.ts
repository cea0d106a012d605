import express from "express";
import request from "supertest";
import { createLogger } from "../../src/logger";
import { requestLog, requestLogger } from "../../src/http/request-log";
import { LogCapture } from "../helpers/mocked-gateway";

function app() {
  const logs = new LogCapture();
  const logger = createLogger({ level: "info", destination: logs });
  const server = express();
  server.use(requestLog(logger));
  server.post("/t", (req, res) => {
    requestLogger(logger, req).info("inside");
    res.status(201).json({ ok: true });
  });
  server.get("/boom", (_req, res) => res.status(503).end());
  const lines = () => logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { server, lines };
}

describe("requestLog", () => {
  it("keeps a plain caller id, echoes it and ties every line of the request to it", async () => {
    const { server, lines } = app();
    const res = await request(server)
      .post("/t?token=secret")
      .set("X-Request-Id", "abc-123")
      .send({ password: "p" })
      .expect(201);
    expect(res.headers["x-request-id"]).toBe("abc-123");
    const [inside, access] = lines();
    expect(inside).toMatchObject({ reqId: "abc-123", msg: "inside" });
    expect(access).toMatchObject({
      reqId: "abc-123",
      msg: "request completed",
      req: { method: "POST", path: "/t" },
      res: { statusCode: 201 },
    });
    expect(typeof access?.responseTime).toBe("number");
    // No query string, headers or body in the line.
    expect(JSON.stringify(lines())).not.toMatch(/secret|password/);
  });

  it.each(["x".repeat(65), "a b", "<script>"])(
    "replaces an unsafe caller id (%s) with a UUID",
    async (id) => {
      const res = await request(app().server).post("/t").set("X-Request-Id", id).expect(201);
      expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it("logs a 5xx answer at level error", async () => {
    const { server, lines } = app();
    await request(server).get("/boom").expect(503);
    expect(lines()[0]).toMatchObject({ level: 50, res: { statusCode: 503 } });
  });
});
