/** The production guard: the emulator's key (its private key is public) never outside local mode. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { ConfigError } from "../src/errors";
import { createLogger } from "../src/logger";
import { startGateway } from "../src/standalone";
import { CLIENT_ID, POOL_ID, jwksOf, mint, signingKey } from "./helpers/auth";

const silent = createLogger({ level: "silent" });
const REAL = {
  COGNITO_USER_POOL_ID: "eu-west-1_AbCdEf123",
  COGNITO_CLIENT_ID: "1example23clientid",
  COGNITO_CLIENT_SECRET: "secret",
  PORT: "0",
  LOCAL_STATE_DIR: "off",
};

describe("startGateway guard", () => {
  it("refuses local mode when NODE_ENV=production", async () => {
    const config = loadConfig({ NODE_ENV: "production", PORT: "0", LOCAL_COGNITO_PORT: "0" });
    await expect(startGateway(config, silent)).rejects.toBeInstanceOf(ConfigError);
  });

  it("refuses a real pool while jwks.json still holds the emulator key", async () => {
    await expect(startGateway(loadConfig(REAL), silent)).rejects.toThrow(/jwks:pull/);
  });

  it("refuses production with the emulator key even with a real pool", async () => {
    const config = loadConfig({ ...REAL, NODE_ENV: "production" });
    await expect(startGateway(config, silent)).rejects.toBeInstanceOf(ConfigError);
  });

  it("starts against a real pool with its own pinned keys (no Cognito call at start)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jwks-"));
    const path = join(dir, "jwks.json");
    writeFileSync(path, JSON.stringify(jwksOf(signingKey())));
    const running = await startGateway(
      loadConfig({ ...REAL, JWKS_PATH: path, NODE_ENV: "production" }),
      silent,
    );
    try {
      const res = await fetch(`${running.url}/healthz`);
      expect(res.status).toBe(200);
      // no local-only endpoint and no page outside local mode
      expect((await fetch(`${running.url}/_local/confirmation-code?email=a@b.co`)).status).toBe(
        404,
      );
      expect((await fetch(`${running.url}/`)).status).toBe(404);
    } finally {
      await running.close();
    }
  });

  it("refuses an empty jwks.json with a message that says what to do", () => {
    const dir = mkdtempSync(join(tmpdir(), "jwks-"));
    const path = join(dir, "jwks.json");
    writeFileSync(path, JSON.stringify({ keys: [] }));
    return expect(startGateway(loadConfig({ ...REAL, JWKS_PATH: path }), silent)).rejects.toThrow(
      /jwks:pull/,
    );
  });

  it("reloads jwks.json without a restart (what SIGHUP does), dropping cached verdicts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jwks-"));
    const path = join(dir, "jwks.json");
    const [oldKey, newKey] = [signingKey("kid-old"), signingKey("kid-new")];
    writeFileSync(path, JSON.stringify(jwksOf(oldKey)));
    const env = {
      ...REAL,
      COGNITO_USER_POOL_ID: POOL_ID,
      COGNITO_CLIENT_ID: CLIENT_ID,
      JWKS_PATH: path,
    };
    const running = await startGateway(loadConfig(env), silent);
    const now = Math.floor(Date.now() / 1000);
    const times = { iat: now - 10, auth_time: now - 10, exp: now + 600 };
    const me = (token: string) =>
      fetch(`${running.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
      );
    try {
      const signedByOld = mint({ key: oldKey, payload: times });
      const signedByNew = mint({
        key: newKey,
        payload: { ...times, jti: "j-new", origin_jti: "o-new" },
      });
      expect([await me(signedByOld), await me(signedByNew)]).toEqual([200, 401]);
      writeFileSync(path, JSON.stringify(jwksOf(newKey)));
      running.reloadKeys();
      expect([await me(signedByOld), await me(signedByNew)]).toEqual([401, 200]);
      // a broken file keeps the keys in use
      writeFileSync(path, JSON.stringify({ keys: [] }));
      expect(() => {
        running.reloadKeys();
      }).toThrow(ConfigError);
      expect(await me(signedByNew)).toBe(200);
    } finally {
      await running.close();
    }
  });
});
