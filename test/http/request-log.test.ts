/**
 * One access-log line per request, written when the response closes: method, path without the
 * query, status, time and the request id echoed to the client.
 */
import express from "express";
import request from "supertest";
import { requestLog, requestLogger } from "../../src/http/request-log";
import { createLogger } from "../../src/logger";
import { LogCapture, mockedGateway } from "../helpers/mocked-gateway";

interface Line {
  msg?: string;
  reqId?: string;
  req?: { method?: string; path?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

describe("requestLog", () => {
  it("writes one line per request with the echoed id and no query string", async () => {
    const { app, logs } = mockedGateway();
    const res = await request(app).get("/healthz?token=secret-value");
    const ok = await request(app).post("/healthz").set("X-Request-Id", "caller-id.1");
    const lines = logs.lines
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => l.msg === "request completed");
    expect(lines).toEqual([
      expect.objectContaining({
        reqId: res.headers["x-request-id"] as string,
        req: { method: "GET", path: "/healthz" },
        res: { statusCode: 200 },
        responseTime: expect.any(Number) as unknown,
      }),
      expect.objectContaining({
        reqId: "caller-id.1",
        req: { method: "POST", path: "/healthz" },
        res: { statusCode: ok.status },
      }),
    ]);
    expect(logs.text()).not.toContain("secret-value");
  });
});

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
