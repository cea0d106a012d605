/**
 * securityHeaders() replays what helmet writes, recorded once at start: the same headers as
 * helmet per request, and helmet itself whenever its output depends on the request.
 */
import express, { type RequestHandler } from "express";
import helmet from "helmet";
import request from "supertest";
import { recordHeaders, securityHeaders } from "../../src/http/security";

function appWith(...handlers: RequestHandler[]) {
  const app = express();
  app.disable("x-powered-by");
  app.use(...handlers);
  app.get("/", (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

describe("securityHeaders", () => {
  it("is one middleware writing the recorded helmet headers and no-store", async () => {
    const handlers = securityHeaders();
    expect(handlers).toHaveLength(1);
    const res = await request(appWith(...handlers)).get("/");
    expect(res.headers).toMatchObject({
      "content-security-policy": expect.stringContaining("frame-ancestors 'none'") as unknown,
      "strict-transport-security": "max-age=31536000; includeSubDomains",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cross-origin-resource-policy": "same-origin",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    });
    expect(res.headers["x-powered-by"]).toBeUndefined();
  });

  it("writes exactly what helmet writes per request for the same settings", async () => {
    const recorded = recordHeaders(helmet());
    expect(recorded?.removed).toEqual(["x-powered-by"]);
    const replay: RequestHandler = (_req, res, next) => {
      for (const [name, value] of recorded?.set ?? []) res.setHeader(name, value);
      next();
    };
    const strip = (headers: Record<string, string>) => {
      const { date: _date, etag: _etag, ...rest } = headers;
      return rest;
    };
    const [theirs, ours] = await Promise.all([
      request(appWith(helmet())).get("/"),
      request(appWith(replay)).get("/"),
    ]);
    expect(strip(ours.headers as Record<string, string>)).toEqual(
      strip(theirs.headers as Record<string, string>),
    );
  });

  it("leaves helmet per request when its headers depend on the request (a CSP nonce)", () => {
    const nonced = helmet({
      contentSecurityPolicy: {
        directives: {
          scriptSrc: [
            "'self'",
            (_req, res) => `'nonce-${String((res as { locals?: { n?: string } }).locals?.n)}'`,
          ],
        },
      },
    });
    expect(recordHeaders(nonced)).toBeUndefined();
    const failing: RequestHandler = (_req, _res, next) => {
      next(new Error("no"));
    };
    expect(recordHeaders(failing)).toBeUndefined();
  });
});
