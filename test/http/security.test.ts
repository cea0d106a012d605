import request from "supertest";
import { corsFor, securityHeaders } from "../../src/http/security";
import { appWith } from "../helpers/http";

describe("securityHeaders", () => {
  it("sets a strict CSP, no framing, no sniffing, no referrer and no caching", async () => {
    const res = await request(appWith(securityHeaders())).get("/t").expect(200);
    const csp = res.headers["content-security-policy"];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
  });
});

describe("corsFor", () => {
  it("is off without origins", () => {
    expect(corsFor([])).toBeUndefined();
  });

  it("allows listed origins without credentials, credentialed ones with them, others not at all", async () => {
    const cors = corsFor(["https://app.example"], new Set(["https://web.example"]));
    const app = appWith(cors ? [cors] : []);
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
    const app = appWith(cors ? [cors] : []);
    const preflight = (origin: string) =>
      request(app)
        .options("/t")
        .set("Origin", origin)
        .set("Access-Control-Request-Method", "POST")
        .set("Access-Control-Request-Headers", "x-csrf");
    expect(
      (await preflight("https://web.example")).headers["access-control-allow-headers"],
    ).toContain("X-CSRF");
    expect(
      (await preflight("https://app.example")).headers["access-control-allow-headers"],
    ).not.toContain("X-CSRF");
  });
});
