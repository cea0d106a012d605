/** Misconfigured sessions fail at construction, with a message that says what to fix. */
import { configOf } from "../../src/gateway";
import { configError, configErrorOf } from "../helpers/config-error";
import { mockedGateway } from "../helpers/mocked-gateway";
import { SESSION_SECRET } from "../helpers/session";
import { loadConfig } from "../../src/config";
import { startGateway } from "../../src/standalone";

describe("session options", () => {
  it.each([
    ["sessions without a secret", {}, true, "missing", "sessionSecret"],
    [
      "SameSite=None without Secure",
      { sessionSecret: SESSION_SECRET },
      { sameSite: "None", secure: false },
      "insecure",
      "session.sameSite",
    ],
    [
      "a wildcard origin with credentials",
      { sessionSecret: SESSION_SECRET },
      { origins: ["*"] },
      "insecure",
      "session.origins",
    ],
    [
      "a wildcard subdomain origin",
      { sessionSecret: SESSION_SECRET },
      { origins: ["https://*.example.com"] },
      "insecure",
      "session.origins",
    ],
    [
      "an origin with a path",
      { sessionSecret: SESSION_SECRET },
      { origins: ["https://app.example.com/"] },
      "malformed",
      "session.origins",
    ],
    [
      "a typo in an option",
      { sessionSecret: SESSION_SECRET },
      { sameSit: "Strict" },
      "unknown_option",
      "session.sameSit",
    ],
    [
      "a session longer than the refresh token",
      { sessionSecret: SESSION_SECRET, refreshTokenMaxSeconds: 3600 },
      { maxAgeSeconds: 7200 },
      "conflict",
      "session.maxAgeSeconds",
    ],
    [
      "an unknown store",
      { sessionSecret: SESSION_SECRET },
      { store: "cookie" },
      "malformed",
      "session.store",
    ],
  ] as const)("refuses %s", (_label, gateway, session, reason, option) => {
    const build = () => mockedGateway({ ...gateway, session: session as never });
    expect(configError(build)).toMatchObject({ reason, option });
  });

  it("suggests the option a typo meant", () => {
    const build = () =>
      mockedGateway({ sessionSecret: SESSION_SECRET, session: { sameSit: "Lax" } as never });
    expect(configError(build).message).toMatch(/did you mean "session.sameSite"/);
  });

  it("refuses requireAuth({cookies: true}) without sessions", () => {
    const { gateway } = mockedGateway();
    expect(
      configError(() => gateway.requireAuth({ tokenUse: "access", cookies: true })),
    ).toMatchObject({ reason: "conflict", option: "cookies" });
  });

  it("refuses to serve the account page without sessions", async () => {
    const config = loadConfig({ SESSIONS: "off", SERVE_PAGE: "true" });
    expect(await configErrorOf(startGateway(config))).toMatchObject({
      reason: "conflict",
      option: "SERVE_PAGE",
    });
  });

  describe("environment", () => {
    const pool = {
      COGNITO_USER_POOL_ID: "eu-west-1_AbCdEf123",
      COGNITO_CLIENT_ID: "client",
      COGNITO_CLIENT_SECRET: "secret",
    };

    it("turns sessions on in local mode, with plain-http loopback cookies", () => {
      // Only local mode's own setting: the session module's defaults fill the rest.
      expect(loadConfig({}).gateway.session).toEqual({ secure: false });
      const { gateway } = mockedGateway({
        sessionSecret: SESSION_SECRET,
        session: loadConfig({}).gateway.session ?? true,
      });
      expect(configOf(gateway).session).toMatchObject({
        secure: false,
        sameSite: "Strict",
        store: "auto",
      });
    });

    it("turns sessions on with SESSION_SECRET for a real pool, Secure", () => {
      expect(loadConfig(pool).gateway.session).toBeUndefined();
      const config = loadConfig({
        ...pool,
        SESSION_SECRET: SESSION_SECRET,
        SESSION_ORIGINS: "https://app.example.com",
        SESSION_STORE: "server",
      });
      expect(config.gateway.session).toEqual({
        origins: ["https://app.example.com"],
        store: "server",
      });
    });

    it("refuses plain-http cookies outside local mode, and SESSIONS=on without a secret at construction", () => {
      expect(
        configError(() => loadConfig({ ...pool, SESSION_SECRET, SESSION_COOKIE_SECURE: "false" })),
      ).toMatchObject({ reason: "insecure", option: "SESSION_COOKIE_SECURE" });
      expect(loadConfig({ ...pool, SESSIONS: "on" }).gateway.session).toBeDefined();
      expect(loadConfig({ SESSIONS: "off" }).gateway.session).toBeUndefined();
    });
  });
});
