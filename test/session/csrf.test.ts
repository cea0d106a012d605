/**
 * The CSRF check on its own: safe methods pass, unsafe ones need `X-CSRF: 1`, and a browser's
 * Origin must be a listed origin or the gateway's own host (https, or http only when cookies are
 * not Secure); the refusal reaches the client as 403 csrf_failed with the reason kept internal.
 */
import { csrfCheck, csrfFailed, requireCsrf } from "../../src/session/csrf";

const LISTED = "https://app.example.com";
const check = csrfCheck({ origins: new Set([LISTED]), secure: true });
const req = (method: string, headers: Record<string, string> = {}) => ({
  method,
  headers: { host: "gateway.test", ...headers },
});
const CSRF = { "x-csrf": "1" };

describe("csrfCheck", () => {
  it.each(["GET", "HEAD", "OPTIONS"])("lets %s through without the header", (method) => {
    expect(check(req(method, { origin: "https://evil.example" }))).toBeUndefined();
  });

  it.each([
    ["no header", {}],
    ["a header of another value", { "x-csrf": "true" }],
  ])("refuses an unsafe request with %s as missing_header", (_label, headers) => {
    expect(check(req("POST", headers))).toBe("missing_header");
    expect(check(req("DELETE", headers))).toBe("missing_header");
  });

  it.each([
    ["no Origin (not a browser)", {}],
    ["a listed origin", { origin: LISTED }],
    ["the gateway's own origin", { origin: "https://gateway.test" }],
    [
      "its own origin, host in another case",
      { origin: "https://gateway.test", host: "Gateway.TEST" },
    ],
  ])("admits a POST with the header and %s", (_label, headers) => {
    expect(check(req("POST", { ...CSRF, ...headers }))).toBeUndefined();
  });

  it.each([
    ["another site", "https://evil.example"],
    ["another port of the gateway's host", "https://gateway.test:8443"],
    ["plain http while cookies are Secure", "http://gateway.test"],
    ["an origin with a path", "https://gateway.test/x"],
    ["the literal null", "null"],
  ])("refuses %s as foreign_origin", (_label, origin) => {
    expect(check(req("POST", { ...CSRF, origin }))).toBe("foreign_origin");
  });

  it("accepts the gateway's own plain-http origin only when cookies are not Secure", () => {
    const local = csrfCheck({ origins: new Set(), secure: false });
    expect(local(req("POST", { ...CSRF, origin: "http://gateway.test" }))).toBeUndefined();
    expect(local(req("POST", { ...CSRF, origin: "http://evil.example" }))).toBe("foreign_origin");
  });

  it("refuses a browser request that names no Host", () => {
    const noHost = { method: "POST", headers: { ...CSRF, origin: "https://gateway.test" } };
    expect(check(noHost)).toBe("foreign_origin");
  });
});

describe("requireCsrf", () => {
  const run = (request: ReturnType<typeof req>) => {
    const next = jest.fn();
    requireCsrf(check)(request as never, {} as never, next);
    return next.mock.calls[0]?.[0] as unknown;
  };

  it("passes a request that holds, and answers 403 csrf_failed for one that does not", () => {
    expect(run(req("POST", CSRF))).toBeUndefined();
    const refused = run(req("POST"));
    expect(refused).toMatchObject({ code: "csrf_failed", status: 403, cause: "missing_header" });
    expect(csrfFailed("foreign_origin")).toMatchObject({ code: "csrf_failed", status: 403 });
  });
});
