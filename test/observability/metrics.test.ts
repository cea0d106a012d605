/**
 * /metrics over real HTTP: the standalone server with METRICS_PORT, driven through its own port,
 * then scraped on the metrics listener.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/logger";
import { startGateway, type RunningGateway } from "../../src/standalone";
import { CLIENT_ID, POOL_ID, jwksOf, mint, signingKey } from "../helpers/auth";
import { startFakeCognito, type FakeCognito } from "../../tools/lib/fake-cognito";
import { configError } from "../helpers/config-error";

const EMAIL = "metrics.probe.person@example.com";
const PASSWORD = "Metr1cs-Passw0rd!";

let fake: FakeCognito;
let running: RunningGateway;
let scrape: string;
const now = Math.floor(Date.now() / 1000);
const token = mint({ payload: { iat: now - 10, auth_time: now - 10, exp: now + 600 } });
const expired = mint({ payload: { iat: now - 7200, auth_time: now - 7200, exp: now - 3600 } });

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${running.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${running.url}${path}`, { headers });

beforeAll(async () => {
  fake = await startFakeCognito("normal"); // refuses every call as NotAuthorizedException
  const dir = mkdtempSync(join(tmpdir(), "metrics-"));
  const jwksPath = join(dir, "jwks.json");
  writeFileSync(jwksPath, JSON.stringify(jwksOf(signingKey())));
  const config = loadConfig({
    COGNITO_USER_POOL_ID: POOL_ID,
    COGNITO_CLIENT_ID: CLIENT_ID,
    COGNITO_CLIENT_SECRET: "metrics-test-secret",
    COGNITO_ENDPOINT: fake.url,
    JWKS_PATH: jwksPath,
    PORT: "0",
    METRICS_PORT: "0",
    RESPONSE_FLOOR_MS: "0",
    RESPONSE_JITTER_MS: "0",
    RATE_LIMIT_ACCOUNT_MAX: "1",
    LOCAL_STATE_DIR: "off", // revocations in memory: nothing carried over between runs
  });
  running = await startGateway(config, createLogger({ level: "silent" }));
  // Drive one of each kind of event through the gateway's own port.
  expect((await get("/healthz")).status).toBe(200);
  expect((await get("/auth/me", { authorization: `Bearer ${token}` })).status).toBe(200);
  expect((await get("/auth/me", { authorization: `Bearer ${expired}` })).status).toBe(401);
  expect((await get("/auth/me")).status).toBe(401);
  expect((await get(`/nope/${EMAIL}`)).status).toBe(404);
  expect((await post("/auth/login", { email: EMAIL, password: PASSWORD })).status).toBe(401);
  await post("/auth/register", { email: EMAIL, password: PASSWORD });
  expect((await post("/auth/register", { email: EMAIL, password: PASSWORD })).status).toBe(429);
  const logout = await post("/auth/logout", {}, { authorization: `Bearer ${token}` });
  expect(logout.status).toBe(204);
  expect((await get("/auth/me", { authorization: `Bearer ${token}` })).status).toBe(401);
  running.reloadKeys();
  const res = await fetch(running.metricsUrl ?? "");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  scrape = await res.text();
});

afterAll(async () => {
  await running.close();
  await fake.close();
});

describe("/metrics", () => {
  it("listens on loopback, on its own port only", async () => {
    expect(running.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(running.metricsUrl ?? "").port).not.toBe(new URL(running.url).port);
    expect((await get("/metrics")).status).toBe(404);
  });

  it("times requests by method, route pattern and status", () => {
    expect(scrape).toContain("# TYPE http_request_duration_seconds histogram");
    for (const labels of [
      'method="GET",route="/healthz",status_code="200"',
      'method="GET",route="/auth/me",status_code="200"',
      'method="GET",route="/auth/me",status_code="401"',
      'method="GET",route="unmatched",status_code="404"',
      'method="POST",route="/auth/login",status_code="401"',
    ]) {
      expect(scrape).toMatch(new RegExp(`http_request_duration_seconds_count\\{${labels}\\} \\d`));
    }
  });

  it("counts lifecycle outcomes, refusals, Cognito calls, limits, revocations and keys", () => {
    const lines = [
      'cognito_gateway_lifecycle_total{route="login",outcome="invalid_credentials"} 1',
      'cognito_gateway_lifecycle_total{route="register",outcome="too_many_requests"} 1',
      'cognito_gateway_lifecycle_total{route="me",outcome="success"} 1',
      'cognito_gateway_lifecycle_total{route="logout",outcome="success"} 1',
      'cognito_gateway_token_rejections_total{reason="expired"} 1',
      'cognito_gateway_token_rejections_total{reason="malformed"} 1',
      'cognito_gateway_token_rejections_total{reason="revoked"} 1',
      'cognito_gateway_cognito_request_duration_seconds_count{operation="InitiateAuth",outcome="account"} 1',
      'cognito_gateway_cognito_request_duration_seconds_count{operation="GlobalSignOut",outcome="account"} 1',
      'cognito_gateway_rate_limited_total{limit="account"} 1',
      "cognito_gateway_keys_loaded 1",
      "cognito_gateway_key_reloads_total 1",
    ];
    for (const line of lines) expect(scrape).toContain(line);
    // logout wrote the token's jti, its sign-in (origin_jti) and the subject's cutoff
    expect(scrape).toContain("cognito_gateway_revocations_total 3");
  });

  it("includes the default process metrics", () => {
    expect(scrape).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(scrape).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it("never holds a token, an address or a raw URL", () => {
    for (const secret of [token, expired, EMAIL, "metrics.probe", "/nope"]) {
      expect(scrape).not.toContain(secret);
    }
    expect(scrape).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});

describe("metrics settings", () => {
  const base = { COGNITO_USER_POOL_ID: POOL_ID, COGNITO_CLIENT_ID: CLIENT_ID };
  it("are off unless METRICS_PORT is set, and on loopback unless METRICS_HOST says otherwise", () => {
    expect(loadConfig(base).metrics).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_PORT: "9464" }).metrics).toEqual({
      port: 9464,
      host: "127.0.0.1",
    });
    expect(
      loadConfig({ ...base, METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0" }).metrics?.host,
    ).toBe("0.0.0.0");
  });

  it("refuse METRICS_HOST alone and a port out of range", () => {
    expect(configError(() => loadConfig({ ...base, METRICS_HOST: "0.0.0.0" }))).toMatchObject({
      reason: "conflict",
      option: "METRICS_HOST",
    });
    expect(configError(() => loadConfig({ ...base, METRICS_PORT: "70000" }))).toMatchObject({
      reason: "out_of_range",
      option: "METRICS_PORT",
    });
  });
});
