/**
 * One source of truth per option: every options object refuses keys nothing owns with a
 * "did you mean", every refusal is a ConfigError with a coded reason naming the option, and the
 * environment reader adds no defaults of its own.
 */
import { loadConfig } from "../src/config";
import { createPrometheusMetrics } from "../src/observability/prometheus";
import { resolveGatewayOptions } from "../src/options";
import { configOf } from "../src/gateway";
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from "../src/shutdown";
import { configError } from "./helpers/config-error";
import { mockedGateway } from "./helpers/mocked-gateway";
import { SESSION_SECRET } from "./helpers/session";

const base = { userPoolId: "eu-west-1_AbCdEf123", clientId: "client", clientSecret: "secret" };
const pool = { COGNITO_USER_POOL_ID: "eu-west-1_AbC" };
const resolve = (extra: object) => () => resolveGatewayOptions({ ...base, ...extra });

describe("unknown keys of every nested options object", () => {
  it.each([
    [{ adminSignUpRepiar: true }, "adminSignUpRepiar", "adminSignUpRepair"],
    [{ sesion: true }, "sesion", "session"],
    [{ signIn: { codeAttempt: 3 } }, "signIn.codeAttempt", "signIn.codeAttempts"],
    [{ observability: { onreject: () => 0 } }, "observability.onreject", "observability.onReject"],
    [
      { observability: { auditSecrets: "x" } },
      "observability.auditSecrets",
      "observability.auditSecret",
    ],
    [{ redis: { url: "redis://h", keyprefix: "a:" } }, "redis.keyprefix", "redis.keyPrefix"],
    [
      { redis: { url: "redis://h", commandTimeout: 9 } },
      "redis.commandTimeout",
      "redis.commandTimeoutMs",
    ],
    [
      { sessionSecret: SESSION_SECRET, session: { maxAge: 60 } },
      "session.maxAge",
      "session.maxAgeSeconds",
    ],
    [
      { credentials: { accessKeyId: "a", secretAccesKey: "b" } },
      "credentials.secretAccesKey",
      "credentials.secretAccessKey",
    ],
  ])("%j is refused as %s, suggesting %s", (extra, option, meant) => {
    const error = configError(resolve(extra));
    expect(error).toMatchObject({ reason: "unknown_option", option, code: "invalid_config" });
    expect(error.message).toContain(`did you mean "${meant}"?`);
  });

  it("refuses unknown keys of createApp, its hosts and createPrometheusMetrics", () => {
    expect(configError(() => mockedGateway({}, { basepath: "/x" } as never))).toMatchObject({
      reason: "unknown_option",
      option: "basepath",
    });
    const hosts = { allowedHost: ["a.example"], allowedHosts: [], local: false };
    const error = configError(() => mockedGateway({}, { hosts }));
    expect(error).toMatchObject({ reason: "unknown_option", option: "hosts.allowedHost" });
    expect(error.message).toContain('did you mean "hosts.allowedHosts"?');
    expect(
      configError(() => createPrometheusMetrics({ processMetric: false } as never)),
    ).toMatchObject({ reason: "unknown_option", option: "processMetric" });
  });

  it("lists the known options when nothing is close", () => {
    const error = configError(resolve({ redis: { url: "redis://h", zzzzzzzzzz: 1 } }));
    expect(error).toMatchObject({ reason: "unknown_option", option: "redis.zzzzzzzzzz" });
    expect(error.message).toMatch(/known options: url, keyPrefix/);
  });
});

describe("coded refusals of the newer options", () => {
  it.each([
    [{ adminSignUpRepair: "yes" }, "malformed", "adminSignUpRepair"],
    [{ observability: { auditSecret: "short" } }, "out_of_range", "observability.auditSecret"],
    [{ observability: { onReject: "log" } }, "malformed", "observability.onReject"],
    [{ redis: {} }, "missing", "redis.url"],
    [
      { redis: { url: "redis://h", commandTimeoutMs: 5 } },
      "out_of_range",
      "redis.commandTimeoutMs",
    ],
    [{ redis: { url: "redis://h", failure: "shut" } }, "malformed", "redis.failure"],
    [{ redis: { url: "redis://h", allowEviction: "yes" } }, "malformed", "redis.allowEviction"],
    [
      { redis: { url: "redis://h", tlsCaFile: "/nonexistent/ca.pem" } },
      "unreadable",
      "redis.tlsCaFile",
    ],
    [{ session: true }, "missing", "sessionSecret"],
    [
      { sessionSecret: SESSION_SECRET, session: { maxAgeSeconds: 10 } },
      "out_of_range",
      "session.maxAgeSeconds",
    ],
    [{ credentials: { accessKeyId: "a" } }, "missing", "credentials.secretAccessKey"],
  ])("%j: %s on %s", (extra, reason, option) => {
    expect(configError(resolve(extra))).toMatchObject({ reason, option });
  });

  it.each([
    ["REDIS_TIMEOUT_MS", "5", { commandTimeoutMs: 5 }],
    ["REDIS_CONNECT_TIMEOUT_MS", "60001", { connectTimeoutMs: 60_001 }],
    ["REDIS_MAX_STALE_SECONDS", "0", { maxStaleSeconds: 0 }],
  ] as const)("bounds %s=%s and the redis option alike", (variable, value, redis) => {
    const fromEnv = configError(() =>
      loadConfig({ ...pool, REDIS_URL: "redis://h", [variable]: value }),
    );
    expect(fromEnv).toMatchObject({ reason: "out_of_range", option: variable });
    expect(configError(resolve({ redis: { url: "redis://h", ...redis } }))).toMatchObject({
      reason: "out_of_range",
      option: `redis.${Object.keys(redis)[0] ?? ""}`,
    });
  });

  it("needs METRICS_PORT for METRICS_HOST, and serves on loopback by default", () => {
    expect(configError(() => loadConfig({ METRICS_HOST: "0.0.0.0" }))).toMatchObject({
      reason: "conflict",
      option: "METRICS_HOST",
    });
    expect(loadConfig({}).metrics).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: "0" }).metrics).toEqual({ port: 0, host: "127.0.0.1" });
    expect(loadConfig({ METRICS_PORT: "9464", METRICS_HOST: "::" }).metrics).toEqual({
      port: 9464,
      host: "::",
    });
  });
});

describe("the environment reader adds no defaults of its own", () => {
  it("leaves every unset REDIS_* and SESSION_* variable to the modules", () => {
    const config = loadConfig({ ...pool, REDIS_URL: "redis://h", SESSION_SECRET });
    expect(config.gateway.redis).toEqual({ url: "redis://h" });
    expect(config.gateway.session).toEqual({});
    const resolved = resolveGatewayOptions({ ...base, ...config.gateway });
    expect(resolved.redis).toMatchObject({
      keyPrefix: "cognito-gateway:",
      commandTimeoutMs: 250,
      connectTimeoutMs: 2000,
      failure: "open",
      maxStaleSeconds: 5,
      allowEviction: false,
    });
    expect(resolved.session).toMatchObject({
      secure: true,
      sameSite: "Strict",
      store: "auto",
      maxAgeSeconds: resolved.refreshTokenMaxSeconds,
    });
    expect(resolved.adminSignUpRepair).toBe(false);
    expect(resolved.observability.onReject).toBeUndefined();
  });

  it("takes the shutdown bound and the session lifetime from their modules", () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBe(DEFAULT_SHUTDOWN_TIMEOUT_MS);
    const { gateway } = mockedGateway({
      sessionSecret: SESSION_SECRET,
      refreshTokenMaxSeconds: 7200,
      session: true,
    });
    expect(configOf(gateway).session?.maxAgeSeconds).toBe(7200);
  });
});
