/**
 * Several gateway instances, one emulator, one redis-server, over real HTTP: instance A is the
 * standalone server started with REDIS_URL (it also runs the emulator); B and C are more
 * instances in this process. Then the faults: Redis killed, restarted empty, down at start.
 */
import { createAccount } from "../../tools/lib/gateways";
import { send, type Answer, type Target } from "../../tools/lib/http";
import type { LocalCognito } from "../../src/local/emulator";
import type { RateLimitOptions } from "../../src/options";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { startInstance, type Instance } from "../helpers/instances";
import { startRedis, type TestRedis } from "../helpers/redis";
import { until } from "../helpers/until";

jest.setTimeout(60_000);

const PASSWORD = "Sup3r-secret!";
const PREFIX = "it-instances:";
const LIMITS: Partial<RateLimitOptions> = {
  ipMax: 100_000,
  accountMax: 5,
  loginFreeFailures: 2,
};

let redis: TestRedis;
let a: TestGateway;
let local: LocalCognito;
let b: Instance;
let c: Instance;
const extra: Instance[] = [];
let accounts = 0;

function target(gw: TestGateway): Target {
  return { url: gw.url, auth: `${gw.url}/auth` };
}

async function more(options: Parameters<typeof startInstance>[1] = {}): Promise<Instance> {
  const started = await startInstance(local, {
    rateLimit: LIMITS,
    redis: { url: redis.url, keyPrefix: PREFIX },
    ...options,
  });
  extra.push(started);
  return started;
}

async function signedIn(via: Target): Promise<{ email: string; accessToken: string }> {
  accounts += 1;
  const email = `inst-${String(accounts)}-${String(Date.now())}@example.com`;
  await createAccount(target(a), email, PASSWORD);
  const login = await send(`${via.auth}/login`, { json: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { email, accessToken: (login.body as { accessToken: string }).accessToken };
}

const me = (via: Target, token: string): Promise<Answer> =>
  send(`${via.auth}/me`, { headers: { authorization: `Bearer ${token}` } });
const logout = (via: Target, token: string): Promise<Answer> =>
  send(`${via.auth}/logout`, { json: {}, headers: { authorization: `Bearer ${token}` } });
const readyz = (via: Target): Promise<Answer> => send(`${via.url}/readyz`);

async function readyAll(...all: Target[]): Promise<void> {
  for (const one of all) await until(async () => (await readyz(one)).status === 200, 10_000);
}

beforeAll(async () => {
  redis = await startRedis();
  a = await startTestGateway({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: PREFIX,
    RATE_LIMIT: "on",
    RATE_LIMIT_IP_MAX: String(LIMITS.ipMax),
    RATE_LIMIT_ACCOUNT_MAX: String(LIMITS.accountMax),
    RATE_LIMIT_LOGIN_FREE_FAILURES: String(LIMITS.loginFreeFailures),
  });
  const emulator = a.running.local;
  if (emulator === undefined) throw new Error("local mode expected");
  local = emulator;
  [b, c] = [await more(), await more()];
  await readyAll(target(a), b, c);
});
afterAll(async () => {
  await Promise.all(extra.map((one) => one.close()));
  await a.close();
  await redis.stop();
});

describe("several instances on one Redis", () => {
  it("reports the shared state in /readyz", async () => {
    expect((await readyz(target(a))).body).toEqual({
      status: "ready",
      checks: { keys: "ok", cognito: "ok", redis: "ok" },
    });
  });

  it("a logout acknowledged by one instance is refused by every other at once", async () => {
    const { accessToken } = await signedIn(b);
    expect((await me(c, accessToken)).status).toBe(200);
    expect((await me(target(a), accessToken)).status).toBe(200);
    expect((await logout(b, accessToken)).status).toBe(204);
    for (const other of [c, target(a)]) {
      const refused = await me(other, accessToken);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ error: { code: "invalid_token" } });
    }
  });

  it("shares per-account limits across instances", async () => {
    const email = `limit-${String(Date.now())}@example.com`;
    const via = [b, c, target(a)];
    for (let i = 0; i < 5; i++) {
      const answer = await send(`${via[i % 3]?.auth ?? ""}/confirm/resend`, { json: { email } });
      expect(answer.status).not.toBe(429);
    }
    const sixth = await send(`${c.auth}/confirm/resend`, { json: { email } });
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers["retry-after"] ?? 1)).toBeGreaterThan(0);
  });

  it("shares the login back-off across instances", async () => {
    const { email } = await signedIn(b);
    const wrong = { email, password: "Wr0ng-password!" };
    expect((await send(`${b.auth}/login`, { json: wrong })).status).toBe(401);
    expect((await send(`${c.auth}/login`, { json: wrong })).status).toBe(401);
    expect((await send(`${b.auth}/login`, { json: wrong })).status).toBe(401); // back-off starts
    const refused = await send(`${c.auth}/login`, { json: { email, password: PASSWORD } });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: "too_many_requests" } });
  });
});

describe("lockout defences on one Redis (issue #9)", () => {
  it("a device token from one instance is trusted by another; strangers share the back-off", async () => {
    const { email } = await signedIn(b);
    const first = await send(`${b.auth}/login`, { json: { email, password: PASSWORD } });
    const deviceToken = (first.body as { deviceToken?: unknown }).deviceToken;
    expect(deviceToken).toEqual(expect.any(String));
    const wrong = { email, password: "Wr0ng-password!" };
    for (const via of [c, b, c]) {
      expect((await send(`${via.auth}/login`, { json: wrong })).status).toBe(401);
    }
    const right = { email, password: PASSWORD };
    expect((await send(`${c.auth}/login`, { json: right })).status).toBe(429);
    const trusted = await send(`${c.auth}/login`, {
      json: right,
      headers: { "x-device-token": String(deviceToken) },
    });
    expect(trusted.status).toBe(200);
  });

  it("caps code sends per address across instances", async () => {
    const email = `cap-${String(Date.now())}@example.com`;
    const register = await send(`${b.auth}/register`, { json: { email, password: PASSWORD } });
    expect(register.status).toBe(202);
    const code = a.latestCode(email);
    expect(code).toEqual(expect.stringMatching(/^[0-9]{6}$/));
    for (const via of [c, b, target(a)]) {
      expect((await send(`${via.auth}/confirm/resend`, { json: { email } })).status).toBe(202);
    }
    expect(a.latestCode(email)).toBe(code); // nothing sent: the owner's code stays valid
    const confirmed = await send(`${c.auth}/confirm`, { json: { email, code } });
    expect(confirmed.status).toBe(200);
  });
});

describe("Redis faults, over HTTP", () => {
  it("lost at run time: degraded, verifies from the mirror, queues a logout, limits per instance", async () => {
    const known = await signedIn(b);
    expect((await logout(b, known.accessToken)).status).toBe(204);
    const during = await signedIn(c);
    await redis.kill();
    await until(async () => {
      const answer = await readyz(b);
      return (answer.body as { status?: string }).status === "degraded";
    });
    expect((await readyz(b)).body).toMatchObject({
      status: "degraded",
      checks: { redis: "degraded" },
    });
    expect(a.logs()).toContain("DEGRADED");
    // Known revocations are still refused everywhere; protected routes keep working.
    expect((await me(c, known.accessToken)).status).toBe(401);
    expect((await me(b, during.accessToken)).status).toBe(200);
    // A logout during the outage: refused at once here, written when Redis returns.
    expect((await logout(c, during.accessToken)).status).toBe(204);
    expect((await me(c, during.accessToken)).status).toBe(401);
    // Limits fall back to this instance's memory: still limits.
    const email = `outage-${String(Date.now())}@example.com`;
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await send(`${b.auth}/confirm/resend`, { json: { email } })).status);
    }
    expect(statuses.slice(0, 5)).not.toContain(429);
    expect(statuses[5]).toBe(429);
    await redis.start(); // empty: the instances write back what their mirrors hold
    await until(async () => (await me(b, during.accessToken)).status === 401, 5000);
    await until(async () => (await me(target(a), during.accessToken)).status === 401, 5000);
    await readyAll(target(a), b, c);
    // Restarted empty: an instance started now learns both revocations from Redis.
    const late = await more();
    await readyAll(late);
    expect((await me(late, known.accessToken)).status).toBe(401);
    expect((await me(late, during.accessToken)).status).toBe(401);
  });

  it("down at start: not ready, says why, ready once Redis appears", async () => {
    const later = await startRedis({ started: false });
    try {
      const instance = await more({ redis: { url: later.url, keyPrefix: PREFIX } });
      await until(() => instance.logs.text().includes("ECONNREFUSED"));
      const answer = await readyz(instance);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ status: "unavailable", checks: { redis: "connecting" } });
      await later.start();
      await readyAll(instance);
    } finally {
      await later.stop();
    }
  });

  it("REDIS_FAILURE=closed: protected routes answer 503 with Retry-After once the mirror is stale", async () => {
    const own = await startRedis();
    try {
      const closed = await more({
        redis: { url: own.url, keyPrefix: PREFIX, failure: "closed", maxStaleSeconds: 1 },
      });
      await readyAll(closed);
      const { accessToken } = await signedIn(b);
      expect((await me(closed, accessToken)).status).toBe(200);
      await own.kill();
      await until(async () => (await me(closed, accessToken)).status === 503, 8000);
      const refused = await me(closed, accessToken);
      expect(refused.body).toMatchObject({ error: { code: "upstream_unavailable" } });
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect((await readyz(closed)).status).toBe(503);
      await own.start();
      await until(async () => (await me(closed, accessToken)).status === 200, 8000);
    } finally {
      await own.stop();
    }
  });
});
