/**
 * One access-log line per request, written when the response closes: method, path without the
 * query, status, time and the request id echoed to the client.
 */
import request from "supertest";
import { mockedGateway } from "../helpers/mocked-gateway";

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
