/**
 * The method guard memoises its answer per path: routes added after requests were answered are
 * still covered, and a client choosing paths cannot grow the memo without bound.
 */
import express from "express";
import request from "supertest";
import { createErrorHandler, notFound } from "../../src/http/error-handler";
import { allowedMethods, methodGuard } from "../../src/http/methods";
import { createLogger } from "../../src/logger";
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

/** An app with a nested router, guarded by methodGuard reading the live router stack. */
function app() {
  const server = express();
  const auth = express.Router();
  auth.post("/login", (_req, res) => res.json({ ok: true }));
  auth.get("/me", (_req, res) => res.json({ ok: true }));
  server.use(methodGuard(() => server.router.stack));
  server.use("/auth", auth);
  server.get("/healthz", (_req, res) => res.json({ ok: true }));
  server.use(notFound);
  server.use(createErrorHandler(createLogger({ level: "silent" })));
  return { server, auth };
}

describe("allowedMethods", () => {
  it("reads routes through mounted routers, with HEAD wherever GET is", () => {
    const { server } = app();
    expect([...allowedMethods(server.router.stack, "/auth/login")]).toEqual(["POST"]);
    expect([...allowedMethods(server.router.stack, "/auth/me")].sort()).toEqual(["GET", "HEAD"]);
    expect(allowedMethods(server.router.stack, "/nothing").size).toBe(0);
  });
});

describe("methodGuard", () => {
  it("answers 405 method_not_allowed with Allow for a known path", async () => {
    const res = await request(app().server).get("/auth/login").expect(405);
    expect(res.body.error.code).toBe("method_not_allowed");
    expect(res.headers.allow).toBe("OPTIONS, POST");
  });

  it("answers an OPTIONS that is not a preflight with 204 and Allow", async () => {
    const res = await request(app().server).options("/auth/me").expect(204);
    expect(res.headers.allow).toBe("GET, HEAD, OPTIONS");
  });

  it("lets allowed methods and unknown paths through (404 comes later)", async () => {
    const { server } = app();
    await request(server).post("/auth/login").expect(200);
    await request(server).head("/healthz").expect(200);
    const missing = await request(server).delete("/nothing").expect(404);
    expect(missing.body.error.code).toBe("not_found");
  });

  it("covers routes added after it was mounted", async () => {
    const { server, auth } = app();
    auth.delete("/me", (_req, res) => res.status(204).end());
    const res = await request(server).put("/auth/me").expect(405);
    expect(res.headers.allow).toBe("DELETE, GET, HEAD, OPTIONS");
  });
});
