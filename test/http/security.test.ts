/**
 * securityHeaders() replays what helmet writes, recorded once at start: the same headers as
 * helmet per request, and helmet itself whenever its output depends on the request.
 */
import express, { type RequestHandler } from "express";
import helmet from "helmet";
import request from "supertest";
import {
  API_POLICY,
  PAGE_POLICY,
  corsFor,
  pageHeaders,
  recordHeaders,
  securityHeaders,
} from "../../src/http/security";
import { appWith as echoApp, preflight } from "../helpers/http";

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

describe("securityHeaders' policy (every API answer)", () => {
  it("allows nothing to load or frame a JSON answer, with no sniffing, no referrer and no caching", async () => {
    const res = await request(echoApp(securityHeaders())).get("/t").expect(200);
    expect(res.headers["content-security-policy"]).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    // Document-only headers are the page's: they do nothing on a JSON answer.
    expect(res.headers["cross-origin-opener-policy"]).toBeUndefined();
    expect(res.headers["x-xss-protection"]).toBeUndefined();
  });

  it("is exactly what helmet writes per request with API_POLICY, plus no-store", async () => {
    const [theirs, ours] = await Promise.all([
      request(appWith(helmet(API_POLICY))).get("/"),
      request(appWith(...securityHeaders())).get("/"),
    ]);
    const { date: _d, etag: _e, ...expected } = theirs.headers as Record<string, string>;
    const { date: _d2, etag: _e2, ...actual } = ours.headers as Record<string, string>;
    expect(actual).toEqual({ ...expected, "cache-control": "no-store" });
  });
});

describe("pageHeaders (the page and its files)", () => {
  it("writes helmet's PAGE_POLICY over the API's: a strict same-origin CSP and the document headers", async () => {
    const writePage = pageHeaders();
    const app = appWith(...securityHeaders(), (_req, res, next) => {
      writePage(res);
      next();
    });
    const [theirs, ours] = await Promise.all([
      request(appWith(helmet(PAGE_POLICY))).get("/"),
      request(app).get("/"),
    ]);
    const { date: _d, etag: _e, ...expected } = theirs.headers as Record<string, string>;
    const { date: _d2, etag: _e2, ...actual } = ours.headers as Record<string, string>;
    expect(actual).toEqual({ ...expected, "cache-control": "no-store" });
    const csp = actual["content-security-policy"];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
  });
});

describe("corsFor", () => {
  it("is off without origins", () => {
    expect(corsFor([])).toBeUndefined();
  });

  it("allows listed origins without credentials, credentialed ones with them, others not at all", async () => {
    const cors = corsFor(["https://app.example"], new Set(["https://web.example"]));
    const app = echoApp(cors ? [cors] : []);
    const bearer = await request(app).get("/t").set("Origin", "https://app.example");
    expect(bearer.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(bearer.headers["access-control-allow-credentials"]).toBeUndefined();
    const cookies = await request(app).get("/t").set("Origin", "https://web.example");
    expect(cookies.headers["access-control-allow-credentials"]).toBe("true");
    const stranger = await request(app).get("/t").set("Origin", "https://evil.example");
    expect(stranger.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("lets only credentialed origins send X-CSRF in a preflight", async () => {
    const cors = corsFor(["https://app.example"], new Set(["https://web.example"]));
    const app = echoApp(cors ? [cors] : []);
    const allowed = async (origin: string) =>
      (await preflight(app, "/t", origin, "x-csrf")).headers["access-control-allow-headers"];
    expect(await allowed("https://web.example")).toContain("X-CSRF");
    expect(await allowed("https://app.example")).not.toContain("X-CSRF");
  });
});
