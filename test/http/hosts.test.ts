import request from "supertest";
import { ConfigError } from "../../src/errors";
import {
  hostGuard,
  hostName,
  isLoopback,
  localOnly,
  resolveAllowedHosts,
} from "../../src/http/hosts";
import { appWith } from "../helpers/http";

describe("hostName", () => {
  it.each([
    ["api.example.com", "api.example.com"],
    ["API.Example.COM:8443", "api.example.com"],
    ["example.com.", "example.com"],
    ["[::1]:3000", "[::1]"],
    ["127.0.0.1", "127.0.0.1"],
  ])("reads %s as %s", (header, name) => {
    expect(hostName(header)).toBe(name);
  });

  it.each([undefined, "a:b:c", "host:99999999", "[::1"])("refuses %s", (header) => {
    expect(hostName(header)).toBeUndefined();
  });
});

describe("resolveAllowedHosts", () => {
  it("lower-cases and trims names, wildcards and IPv6 literals", () => {
    expect(resolveAllowedHosts([" API.example.com ", "*.Example.org", "[::1]"])).toEqual([
      "api.example.com",
      "*.example.org",
      "[::1]",
    ]);
  });

  it.each(["https://api.example.com", "api.example.com:443", "a b", "*"])(
    "refuses %s with a ConfigError",
    (name) => {
      expect(() => resolveAllowedHosts([name])).toThrow(ConfigError);
    },
  );
});

describe("hostGuard", () => {
  it("checks nothing outside local mode without a list", () => {
    expect(hostGuard({ allowedHosts: [], local: false })).toBeUndefined();
  });

  it("answers listed hosts on any port, subdomains of a wildcard, and refuses others with 400", async () => {
    const guard = hostGuard({ allowedHosts: ["api.example.com", "*.example.org"], local: false });
    const app = appWith(guard ? [guard] : []);
    await request(app).get("/t").set("Host", "api.example.com:8443").expect(200);
    await request(app).get("/t").set("Host", "eu.example.org").expect(200);
    const refused = await request(app).get("/t").set("Host", "evil.example.net").expect(400);
    expect(refused.body.error.code).toBe("invalid_request");
    expect(refused.body.error.details).toEqual([
      { field: "host", problem: "is not a host this gateway serves" },
    ]);
    // "example.org" itself is not a subdomain of "*.example.org".
    await request(app).get("/t").set("Host", "example.org").expect(400);
  });

  it("in local mode answers loopback names only (DNS rebinding)", async () => {
    const guard = hostGuard({ allowedHosts: [], local: true });
    const app = appWith(guard ? [guard] : []);
    await request(app).get("/t").set("Host", "localhost:3000").expect(200);
    await request(app).get("/t").set("Host", "[::1]:3000").expect(200);
    const rebound = await request(app).get("/t").set("Host", "attacker-rebind.example").expect(400);
    expect(rebound.body.error.code).toBe("invalid_request");
  });
});

describe("isLoopback", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["10.0.0.1", false],
    ["10.0.0.5", false],
    ["::ffff:10.0.0.1", false],
    ["::ffff:192.0.2.1", false],
    ["2001:db8::1", false],
    [undefined, false],
  ])("%s → %s", (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe("localOnly", () => {
  const app = appWith([localOnly]);

  it("lets a loopback caller naming a loopback host through", async () => {
    await request(app).get("/t").set("Host", "127.0.0.1").expect(200);
  });

  it.each([
    ["x-forwarded-for", "203.0.113.9"],
    ["forwarded", "for=203.0.113.9"],
    ["via", "1.1 proxy"],
    ["x-real-ip", "203.0.113.9"],
  ])("answers 404 not_found when %s says the request was relayed", async (name, value) => {
    const res = await request(app).get("/t").set("Host", "localhost").set(name, value).expect(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("answers 404 not_found for a non-loopback Host", async () => {
    const res = await request(app).get("/t").set("Host", "gateway.example.com").expect(404);
    expect(res.body.error.code).toBe("not_found");
  });
});
