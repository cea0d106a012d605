/**
 * The method guard memoises its answer per path: routes added after requests were answered are
 * still covered, and a client choosing paths cannot grow the memo without bound.
 */
import express from "express";
import request from "supertest";
import { methodGuard } from "../../src/http/methods";
import { mockedGateway } from "../helpers/mocked-gateway";

describe("methodGuard's memo", () => {
  it("sees routes and methods added after the path was answered", async () => {
    const built = mockedGateway();
    const app = request(built.app);
    expect((await app.get("/auth/later")).status).toBe(404);
    built.gateway.router.get("/later", (_req, res) => {
      res.json({ ok: true });
    });
    expect((await app.get("/auth/later")).status).toBe(200);
    const refused = await app.delete("/auth/later");
    expect([refused.status, refused.headers.allow]).toEqual([405, "GET, HEAD, OPTIONS"]);
    built.gateway.router.delete("/later", (_req, res) => {
      res.status(204).end();
    });
    expect((await app.delete("/auth/later")).status).toBe(204);
    const options = await app.options("/auth/later");
    expect([options.status, options.headers.allow]).toEqual([204, "DELETE, GET, HEAD, OPTIONS"]);
  });

  it("answers the same for many distinct paths (the memo starts over when full)", async () => {
    const app = express();
    app.use(methodGuard(() => app.router.stack));
    app.get("/thing", (_req, res) => {
      res.json({ ok: true });
    });
    for (let i = 0; i < 600; i++) {
      const res = await request(app).post(i % 2 === 0 ? `/thing` : `/other${String(i)}`);
      expect(res.status).toBe(i % 2 === 0 ? 405 : 404);
      if (i % 2 === 0) expect(res.headers.allow).toBe("GET, HEAD, OPTIONS");
    }
  });
});
