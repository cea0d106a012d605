import { jwksCliOptionsFromEnv, loadConfig } from "../src/config";
import { ConfigError } from "../src/errors";
import { resolveGatewayOptions, type GatewayOptions } from "../src/options";
import { createVerifier, StaticKeyStore } from "../src/auth";
import { jwksOf, signingKey } from "./helpers/auth";
import { configError } from "./helpers/config-error";
import { mockedGateway } from "./helpers/mocked-gateway";

describe("loadConfig", () => {
  it("defaults to local mode with the page on and the local floor", () => {
    const config = loadConfig({});
    expect(config.mode).toBe("local");
    expect(config.servePage).toBe(true);
    expect(config.port).toBe(3000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.gateway.responseFloorMs).toBe(150);
    // Unset variables stay absent: the emulator's defaults apply.
    expect(config.local).toEqual({});
  });

  it("switches to Cognito mode when a pool is set, page off, real floor", () => {
    const config = loadConfig({ COGNITO_USER_POOL_ID: "eu-west-1_AbC", COGNITO_CLIENT_ID: "c" });
    expect(config.mode).toBe("cognito");
    expect(config.servePage).toBe(false);
    expect(config.gateway.responseFloorMs).toBeUndefined(); // the floor module's default (800)
    expect(config.gateway.clientId).toBe("c");
  });

  it.each([
    ["PORT", "70000", "out_of_range"],
    ["PORT", "abc", "malformed"],
    ["COGNITO_LOGIN_FLOW", "SRP", "malformed"],
    ["RATE_LIMIT", "maybe", "malformed"],
    ["SERVE_PAGE", "perhaps", "malformed"],
    ["BASE_PATH", "auth/", "malformed"],
    ["LOCAL_CONFIRMATION_CODE", "12ab", "malformed"],
    ["CLOCK_SKEW_SECONDS", "3600", "out_of_range"],
    ["ALLOWED_HOSTS", "https://api.example.com", "malformed"],
    ["METRICS_PORT", "65536", "out_of_range"],
    ["SHUTDOWN_TIMEOUT_MS", "-1", "out_of_range"],
    ["SESSIONS", "maybe", "malformed"],
    ["SESSION_SAME_SITE", "strict", "malformed"],
    ["SESSION_STORE", "cookie", "malformed"],
  ])("rejects %s=%s as %s, naming the variable", (name, value, reason) => {
    expect(configError(() => loadConfig({ [name]: value }))).toMatchObject({
      reason,
      option: name,
      code: "invalid_config",
    });
  });

  it("journals revocations to .local/state unless LOCAL_STATE_DIR says otherwise", () => {
    expect(loadConfig({}).stateDir).toBe(".local/state");
    expect(loadConfig({ LOCAL_STATE_DIR: "/var/lib/gw" }).stateDir).toBe("/var/lib/gw");
    expect(loadConfig({ LOCAL_STATE_DIR: "off" }).stateDir).toBeUndefined();
  });

  it("takes LOCAL_COGNITO_URL in local mode only", () => {
    const url = "http://127.0.0.1:9229";
    expect(loadConfig({ LOCAL_COGNITO_URL: url }).local.url).toBe(url);
    expect(
      configError(() =>
        loadConfig({ LOCAL_COGNITO_URL: url, COGNITO_USER_POOL_ID: "eu-west-1_AbC" }),
      ),
    ).toMatchObject({ reason: "conflict", option: "LOCAL_COGNITO_URL" });
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

describe("jwksCliOptionsFromEnv", () => {
  it("maps the pool, region and pinned file of the jwks commands, only those set", () => {
    expect(jwksCliOptionsFromEnv({})).toEqual({});
    expect(
      jwksCliOptionsFromEnv({
        COGNITO_USER_POOL_ID: " eu-west-1_AbC ",
        COGNITO_REGION: "eu-west-1",
        JWKS_PATH: "/etc/gw/jwks.json",
        COGNITO_CLIENT_ID: "not-for-the-cli",
      }),
    ).toEqual({ poolId: "eu-west-1_AbC", region: "eu-west-1", file: "/etc/gw/jwks.json" });
    // Empty means unset, as for the gateway: the jwks module's defaults apply.
    expect(jwksCliOptionsFromEnv({ COGNITO_REGION: "", JWKS_PATH: "" })).toEqual({});
  });
});

describe("resolveGatewayOptions", () => {
  const base = { userPoolId: "eu-west-1_AbCdEf123", clientId: "client", clientSecret: "secret" };

  it.each([
    ["a missing client id", { ...base, clientId: "" }, "missing", "clientId"],
    ["a missing secret", { ...base, clientSecret: " " }, "missing", "clientSecret"],
    ["a malformed pool id", { ...base, userPoolId: "AbCdEf123" }, "malformed", "userPoolId"],
    [
      "a forbidden context header",
      { ...base, contextHeaders: ["Cookie"] },
      "insecure",
      "contextHeaders",
    ],
    ["a negative floor", { ...base, responseFloorMs: -1 }, "out_of_range", "responseFloorMs"],
  ])("fails on %s with a coded reason naming the option", (_label, options, reason, option) => {
    expect(configError(() => resolveGatewayOptions(options))).toMatchObject({ reason, option });
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
    expect(
      configError(() => loadConfig({ ...base, SESSION_SECRET_PREVIOUS: "o".repeat(32) })),
    ).toMatchObject({ reason: "conflict", option: "SESSION_SECRET_PREVIOUS" });
  });
});

describe("sessionSecret option", () => {
  const required = { userPoolId: "eu-west-1_AbCdEf123", clientId: "c", clientSecret: "s" };
  it("refuses a secret shorter than 32 characters, current or previous", () => {
    for (const sessionSecret of ["short", ["x".repeat(32), "short"]]) {
      expect(
        configError(() => resolveGatewayOptions({ ...required, sessionSecret })),
      ).toMatchObject({ reason: "out_of_range", option: "sessionSecret" });
    }
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
    expect(configError(() => loadConfig({ REDIS_FAILURE: "closed" }))).toMatchObject({
      reason: "conflict",
      option: "REDIS_FAILURE",
    });
  });

  it("map onto the redis option, checked by the gateway's own validation", () => {
    const config = loadConfig({
      REDIS_URL: "rediss://gw:p%40ss@redis.internal:6380/1",
      REDIS_KEY_PREFIX: "shop-gw:",
      REDIS_TIMEOUT_MS: "100",
      REDIS_FAILURE: "closed",
      REDIS_MAX_STALE_SECONDS: "10",
    });
    // Only what is set: the redis module's defaults fill the rest.
    expect(config.gateway.redis).toEqual({
      url: "rediss://gw:p%40ss@redis.internal:6380/1",
      keyPrefix: "shop-gw:",
      commandTimeoutMs: 100,
      failure: "closed",
      maxStaleSeconds: 10,
    });
    const resolved = resolveGatewayOptions({
      userPoolId: "eu-west-1_AbC",
      clientId: "c",
      clientSecret: "s",
      redis: config.gateway.redis ?? { url: "" },
    });
    expect(resolved.redis).toMatchObject({
      tls: true,
      connectTimeoutMs: 2000,
      allowEviction: false,
      safeUrl: "rediss://gw:***@redis.internal:6380/1",
    });
    expect(
      configError(() => loadConfig({ REDIS_URL: "redis://h", REDIS_FAILURE: "maybe" })),
    ).toMatchObject({ reason: "malformed", option: "REDIS_FAILURE" });
    expect(
      configError(() =>
        resolveGatewayOptions({
          userPoolId: "eu-west-1_AbC",
          clientId: "c",
          clientSecret: "s",
          redis: { url: "http://h" },
        }),
      ),
    ).toMatchObject({ reason: "malformed", option: "redis.url" });
  });
});

describe("one source of truth per option", () => {
  const base = { userPoolId: "eu-west-1_AbCdEf123", clientId: "client", clientSecret: "secret" };

  it("adds no defaults of its own when mapping the environment", () => {
    const config = loadConfig({ COGNITO_USER_POOL_ID: "eu-west-1_AbC" });
    for (const name of ["cognitoTimeoutMs", "clockSkewSeconds", "keys", "loginFlow"] as const) {
      expect(config.gateway).not.toHaveProperty(name);
    }
    const resolved = resolveGatewayOptions({ ...base, ...config.gateway });
    expect(resolved.cognitoTimeoutMs).toBe(3000);
    expect(resolved.responseFloorMs).toBe(800);
    expect(resolved.rateLimit).toMatchObject({ ipMax: 300, loginFreeFailures: 5 });
    expect(resolved.passwordPolicy.minLength).toBe(8);
  });

  it.each([
    ["COGNITO_TIMEOUT_MS", "20", { cognitoTimeoutMs: 20 }],
    ["CLOCK_SKEW_SECONDS", "301", { clockSkewSeconds: 301 }],
    ["SESSION_MAX_SECONDS", "60", { sessionMaxSeconds: 60 }],
    ["RATE_LIMIT_IP_MAX", "0", { rateLimit: { ipMax: 0 } }],
    ["PASSWORD_MIN_LENGTH", "5", { passwordPolicy: { minLength: 5 } }],
    ["TOKEN_CACHE_MAX_BYTES", "0", { tokenCache: { maxBytes: 0 } }],
  ] as const)("bounds %s=%s and the option alike", (variable, value, option) => {
    const fromEnv = configError(() =>
      loadConfig({ COGNITO_USER_POOL_ID: "eu-west-1_AbC", [variable]: value }),
    );
    expect(fromEnv).toMatchObject({ reason: "out_of_range", option: variable });
    const fromOption = configError(() =>
      resolveGatewayOptions({ ...base, ...(option as Partial<GatewayOptions>) }),
    );
    expect(fromOption.reason).toBe("out_of_range");
  });

  it.each([
    ["eu-west-1_AbCdEf123", true],
    ["us-gov-west-1_AbC", true],
    ["ap-southeast-2_x1", true],
    ["AbCdEf123", false],
    ["eu-west-1-AbC", false],
    ["local_AbC", false], // no AWS region: accepted only with an endpoint (emulator)
  ])("agrees with the verifier on the pool id %s (valid: %s)", (userPoolId, valid) => {
    const gateway = () => resolveGatewayOptions({ ...base, userPoolId });
    const verifier = () =>
      createVerifier({
        userPoolId,
        clientId: "client",
        tokenUse: "access",
        keys: new StaticKeyStore(jwksOf(signingKey())),
        revocations: false,
      });
    if (valid) {
      expect(gateway().issuer).toBe(verifier().config.issuer);
    } else {
      expect(gateway).toThrow(ConfigError);
      expect(verifier).toThrow(ConfigError);
    }
  });

  it("accepts an emulator pool id with an endpoint and a region", () => {
    const config = resolveGatewayOptions({
      ...base,
      userPoolId: "local_AbC",
      endpoint: "http://127.0.0.1:9229",
      region: "local",
    });
    expect(config.region).toBe("local");
  });

  it.each([
    [{ clientSecrett: "x" }, "clientSecrett", /did you mean "clientSecret"/],
    [{ ratelimit: false }, "ratelimit", /did you mean "rateLimit"/],
    [{ rateLimit: { ipMaxx: 3 } }, "rateLimit.ipMaxx", /did you mean "rateLimit.ipMax"/],
    [
      { tokenCache: { maxEntry: 3 } },
      "tokenCache.maxEntry",
      /did you mean "tokenCache.maxEntries"/,
    ],
    [
      { passwordPolicy: { minLen: 9 } },
      "passwordPolicy.minLen",
      /did you mean "passwordPolicy.minLength"/,
    ],
    [{ zzzzzzzz: 1 }, "zzzzzzzz", /known options: userPoolId/],
  ])("refuses the unknown key in %j with a suggestion", (extra, option, message) => {
    const error = configError(() => resolveGatewayOptions({ ...base, ...extra } as GatewayOptions));
    expect(error).toMatchObject({ reason: "unknown_option", option, code: "invalid_config" });
    expect(error.message).toMatch(message);
  });

  it("refuses unknown verifier options too", () => {
    const error = configError(() =>
      createVerifier({
        ...{ userPoolId: base.userPoolId, clientId: "client", tokenUse: "access" as const },
        keys: new StaticKeyStore(jwksOf(signingKey())),
        revocations: false,
        scope: ["a"],
      } as never),
    );
    expect(error).toMatchObject({ reason: "unknown_option", option: "scope" });
    expect(error.message).toMatch(/did you mean "scopes"/);
  });

  it("refuses unknown keys of gateway.requireAuth", () => {
    const { gateway } = mockedGateway();
    const error = configError(() => gateway.requireAuth({ tokenUse: "id", group: ["a"] } as never));
    expect(error).toMatchObject({ reason: "unknown_option", option: "group" });
    expect(error.message).toMatch(/did you mean "groups"/);
  });

  it.each([
    [{ userPoolId: "" }, "missing", "userPoolId"],
    [{ userPoolId: "nope" }, "malformed", "userPoolId"],
    [{ region: "us-east-1" }, "conflict", "region"],
    [{ contextHeaders: ["Authorization"] }, "insecure", "contextHeaders"],
    [{ loginFlow: "SRP" }, "malformed", "loginFlow"],
    [{ sessionSecret: "short" }, "out_of_range", "sessionSecret"],
    [{ responseJitterMs: Number.NaN }, "malformed", "responseJitterMs"],
  ])("codes %j as %s on %s", (change, reason, option) => {
    const error = configError(() =>
      resolveGatewayOptions({ ...base, ...change } as GatewayOptions),
    );
    expect(error).toMatchObject({ reason, option });
  });

  it("keeps the filled-in config internal", async () => {
    const api: Record<string, unknown> = await import("../src/index");
    expect(api).not.toHaveProperty("resolveGatewayOptions");
    expect(api).not.toHaveProperty("configOf");
    expect(mockedGateway().gateway).not.toHaveProperty("config");
  });
});
