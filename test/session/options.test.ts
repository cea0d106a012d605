/** Misconfigured sessions fail at construction, with a message that says what to fix. */
import { ConfigError } from "../../src/errors";
import { mockedGateway } from "../helpers/mocked-gateway";
import { SESSION_SECRET } from "../helpers/session";
import { loadConfig } from "../../src/config";
import { startGateway } from "../../src/standalone";

describe("session options", () => {
  it.each([
    ["sessions without a secret", {}, true, /SESSION_SECRET/],
    [
      "SameSite=None without Secure",
      { sessionSecret: SESSION_SECRET },
      { sameSite: "None", secure: false },
      /requires secure/,
    ],
    [
      "a wildcard origin with credentials",
      { sessionSecret: SESSION_SECRET },
      { origins: ["*"] },
      /wildcard/,
    ],
    [
      "a wildcard subdomain origin",
      { sessionSecret: SESSION_SECRET },
      { origins: ["https://*.example.com"] },
      /wildcard/,
    ],
    [
      "an origin with a path",
      { sessionSecret: SESSION_SECRET },
      { origins: ["https://app.example.com/"] },
      /not an origin/,
    ],
    [
      "a typo in an option",
      { sessionSecret: SESSION_SECRET },
      { sameSit: "Strict" },
      /did you mean "sameSite"/,
    ],
    [
      "a session longer than the refresh token",
      { sessionSecret: SESSION_SECRET, refreshTokenMaxSeconds: 3600 },
      { maxAgeSeconds: 7200 },
      /never outlives/,
    ],
    ["an unknown store", { sessionSecret: SESSION_SECRET }, { store: "cookie" }, /auto or server/],
  ] as const)("refuses %s", (_label, gateway, session, message) => {
    const build = () => mockedGateway({ ...gateway, session: session as never });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });

  it("refuses requireAuth({cookies: true}) without sessions", () => {
    const { gateway } = mockedGateway();
    expect(() => gateway.requireAuth({ tokenUse: "access", cookies: true })).toThrow(ConfigError);
  });

  it("refuses to serve the account page without sessions", async () => {
    const config = loadConfig({ SESSIONS: "off", SERVE_PAGE: "true" });
    await expect(startGateway(config)).rejects.toThrow(/browser sessions/);
  });

  describe("environment", () => {
    const pool = {
      COGNITO_USER_POOL_ID: "eu-west-1_AbCdEf123",
      COGNITO_CLIENT_ID: "client",
      COGNITO_CLIENT_SECRET: "secret",
    };

    it("turns sessions on in local mode, with plain-http loopback cookies", () => {
      expect(loadConfig({}).gateway.session).toEqual({
        secure: false,
        sameSite: "Strict",
        origins: [],
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
        secure: true,
        sameSite: "Strict",
        origins: ["https://app.example.com"],
        store: "server",
      });
    });

    it("refuses plain-http cookies outside local mode, and SESSIONS=on without a secret at construction", () => {
      expect(() => loadConfig({ ...pool, SESSION_SECRET, SESSION_COOKIE_SECURE: "false" })).toThrow(
        /local mode only/,
      );
      expect(loadConfig({ ...pool, SESSIONS: "on" }).gateway.session).toBeDefined();
      expect(loadConfig({ SESSIONS: "off" }).gateway.session).toBeUndefined();
    });
  });
});
