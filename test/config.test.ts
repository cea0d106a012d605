import { loadConfig } from "../src/config";
import { ConfigError } from "../src/errors";
import { resolveGatewayOptions } from "../src/options";

describe("loadConfig", () => {
  it("defaults to local mode with the page on and the local floor", () => {
    const config = loadConfig({});
    expect(config.mode).toBe("local");
    expect(config.servePage).toBe(true);
    expect(config.port).toBe(3000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.gateway.responseFloorMs).toBe(150);
    expect(config.local).toEqual({
      port: 9229,
      dataDir: ".local/cognito",
      fixedCode: undefined,
      mfa: "off",
      refreshGraceSeconds: 0,
    });
  });

  it("switches to Cognito mode when a pool is set, page off, real floor", () => {
    const config = loadConfig({ COGNITO_USER_POOL_ID: "eu-west-1_AbC", COGNITO_CLIENT_ID: "c" });
    expect(config.mode).toBe("cognito");
    expect(config.servePage).toBe(false);
    expect(config.gateway.responseFloorMs).toBe(800);
    expect(config.gateway.clientId).toBe("c");
  });

  it.each([
    ["PORT", "70000"],
    ["PORT", "abc"],
    ["COGNITO_LOGIN_FLOW", "SRP"],
    ["RATE_LIMIT", "maybe"],
    ["SERVE_PAGE", "perhaps"],
    ["BASE_PATH", "auth/"],
    ["LOCAL_CONFIRMATION_CODE", "12ab"],
    ["CLOCK_SKEW_SECONDS", "3600"],
  ])("rejects %s=%s with a ConfigError naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("journals revocations to .local/state unless LOCAL_STATE_DIR says otherwise", () => {
    expect(loadConfig({}).stateDir).toBe(".local/state");
    expect(loadConfig({ LOCAL_STATE_DIR: "/var/lib/gw" }).stateDir).toBe("/var/lib/gw");
    expect(loadConfig({ LOCAL_STATE_DIR: "off" }).stateDir).toBeUndefined();
  });

  it("takes LOCAL_COGNITO_URL in local mode only", () => {
    const url = "http://127.0.0.1:9229";
    expect(loadConfig({ LOCAL_COGNITO_URL: url }).local.url).toBe(url);
    expect(() =>
      loadConfig({ LOCAL_COGNITO_URL: url, COGNITO_USER_POOL_ID: "eu-west-1_AbC" }),
    ).toThrow(/LOCAL_COGNITO_URL/);
  });

  it("turns every rate limit off with RATE_LIMIT=off", () => {
    expect(loadConfig({ RATE_LIMIT: "off" }).gateway.rateLimit).toBe(false);
  });

  it("parses TRUST_PROXY and lists", () => {
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "loopback" }).trustProxy).toBe("loopback");
    expect(
      loadConfig({ CORS_ORIGINS: "https://a.example, https://b.example" }).corsOrigins,
    ).toEqual(["https://a.example", "https://b.example"]);
  });
});

describe("resolveGatewayOptions", () => {
  const base = { userPoolId: "eu-west-1_AbCdEf123", clientId: "client", clientSecret: "secret" };

  it.each([
    ["a missing client id", { ...base, clientId: "" }, /COGNITO_CLIENT_ID/],
    ["a missing secret", { ...base, clientSecret: " " }, /COGNITO_CLIENT_SECRET/],
    ["a malformed pool id", { ...base, userPoolId: "AbCdEf123" }, /<region>_<id>/],
    ["a forbidden context header", { ...base, contextHeaders: ["Cookie"] }, /cookie/],
    ["a negative floor", { ...base, responseFloorMs: -1 }, /responseFloorMs/],
  ])("fails on %s with a message that says what to do", (_label, options, message) => {
    expect(() => resolveGatewayOptions(options)).toThrow(message);
  });

  it("derives region and issuer and never mutates the caller's object", () => {
    const options = Object.freeze({ ...base });
    const config = resolveGatewayOptions(options);
    expect(config.region).toBe("eu-west-1");
    expect(config.issuer).toBe("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123");
    expect(options).toEqual(base);
  });
});

describe("SESSION_SECRET", () => {
  const base = { COGNITO_USER_POOL_ID: "eu-west-1_AbCdEf123" };
  it("maps SESSION_SECRET and SESSION_SECRET_PREVIOUS onto sessionSecret, current first", () => {
    const config = loadConfig({
      ...base,
      SESSION_SECRET: "n".repeat(32),
      SESSION_SECRET_PREVIOUS: `${"o".repeat(32)},${"p".repeat(32)}`,
    });
    expect(config.gateway.sessionSecret).toEqual(["n".repeat(32), "o".repeat(32), "p".repeat(32)]);
  });
  it("refuses a previous secret without a current one", () => {
    expect(() => loadConfig({ ...base, SESSION_SECRET_PREVIOUS: "o".repeat(32) })).toThrow(
      ConfigError,
    );
  });
});

describe("sessionSecret option", () => {
  const required = { userPoolId: "eu-west-1_AbCdEf123", clientId: "c", clientSecret: "s" };
  it("refuses a secret shorter than 32 characters, current or previous", () => {
    expect(() => resolveGatewayOptions({ ...required, sessionSecret: "short" })).toThrow(
      ConfigError,
    );
    expect(() =>
      resolveGatewayOptions({ ...required, sessionSecret: ["x".repeat(32), "short"] }),
    ).toThrow(ConfigError);
  });
  it("keeps the current secret first", () => {
    const config = resolveGatewayOptions({
      ...required,
      sessionSecret: ["x".repeat(32), "y".repeat(32)],
    });
    expect(config.sessionSecrets).toEqual(["x".repeat(32), "y".repeat(32)]);
  });
});

describe("REDIS_* variables", () => {
  it("leave the shared state off without REDIS_URL, and refuse its settings alone", () => {
    expect(loadConfig({}).gateway.redis).toBeUndefined();
    expect(() => loadConfig({ REDIS_FAILURE: "closed" })).toThrow("REDIS_FAILURE needs REDIS_URL");
  });

  it("map onto the redis option, checked by the gateway's own validation", () => {
    const config = loadConfig({
      REDIS_URL: "rediss://gw:p%40ss@redis.internal:6380/1",
      REDIS_KEY_PREFIX: "shop-gw:",
      REDIS_TIMEOUT_MS: "100",
      REDIS_FAILURE: "closed",
      REDIS_MAX_STALE_SECONDS: "10",
    });
    expect(config.gateway.redis).toEqual({
      url: "rediss://gw:p%40ss@redis.internal:6380/1",
      keyPrefix: "shop-gw:",
      commandTimeoutMs: 100,
      connectTimeoutMs: 2000,
      failure: "closed",
      maxStaleSeconds: 10,
      allowEviction: false,
    });
    const resolved = resolveGatewayOptions({
      userPoolId: "eu-west-1_AbC",
      clientId: "c",
      clientSecret: "s",
      redis: config.gateway.redis ?? { url: "" },
    });
    expect(resolved.redis).toMatchObject({
      tls: true,
      safeUrl: "rediss://gw:***@redis.internal:6380/1",
    });
    expect(() => loadConfig({ REDIS_URL: "redis://h", REDIS_FAILURE: "maybe" })).toThrow(
      "REDIS_FAILURE",
    );
    expect(() =>
      resolveGatewayOptions({
        userPoolId: "eu-west-1_AbC",
        clientId: "c",
        clientSecret: "s",
        redis: { url: "http://h" },
      }),
    ).toThrow(ConfigError);
  });
});
