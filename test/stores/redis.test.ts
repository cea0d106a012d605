/**
 * The shared stores against a real redis-server that the tests kill, restart empty and pause.
 * Several "instances" are several shared states (connections) in this process.
 */
import type { Options } from "express-rate-limit";
import { systemClock } from "../../src/clock";
import { GatewayError } from "../../src/errors";
import { createLogger } from "../../src/logger";
import { resolveRedisOptions, type RedisOptions } from "../../src/stores/redis-options";
import { openSharedState, type SharedState } from "../../src/stores/shared";
import { configError } from "../helpers/config-error";
import { LogCapture } from "../helpers/mocked-gateway";
import { startRedis, type TestRedis } from "../helpers/redis";
import { until } from "../helpers/until";

jest.setTimeout(30_000);

interface Instance {
  shared: SharedState;
  logs: LogCapture;
}

let redis: TestRedis;
let opened: SharedState[] = [];
let prefixes = 0;
let prefix = "";

function instance(url = redis.url, extra: Partial<RedisOptions> = {}): Instance {
  const logs = new LogCapture();
  const shared = openSharedState(resolveRedisOptions({ url, keyPrefix: prefix, ...extra }), {
    logger: createLogger({ level: "debug", destination: logs }),
    clock: systemClock,
    clockSkewSeconds: 5,
    retryAfterSeconds: 7,
  });
  opened.push(shared);
  return { shared, logs };
}

async function readyInstance(url = redis.url, extra: Partial<RedisOptions> = {}) {
  const made = instance(url, extra);
  await until(() => made.shared.health().ready && made.shared.health().status === "ok");
  return made;
}

const nowSec = () => Math.floor(Date.now() / 1000);
const claims = (over: { jti?: string; sub?: string; iat?: number } = {}) => ({
  sub: "user-1",
  iat: nowSec() - 10,
  ...over,
});

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(async () => {
  prefixes += 1;
  prefix = `t${String(prefixes)}:`;
  await redis.start(); // a test may have left it killed
  redis.resume();
});
afterEach(async () => {
  redis.resume();
  await Promise.all(opened.map((shared) => shared.close()));
  opened = [];
});

describe("RedisStateStore", () => {
  it("shares keyed state between instances, with atomic setIfAbsent and delete", async () => {
    const [a, b] = [await readyInstance(), await readyInstance()];
    await a.shared.state.set("session", "v1", 60);
    expect(await b.shared.state.get("session")).toBe("v1");
    const claimsOf = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).shared.state.setIfAbsent("handle", `v${String(i)}`, 60),
      ),
    );
    expect(claimsOf.filter(Boolean)).toHaveLength(1);
    const deletes = await Promise.all([
      a.shared.state.delete("handle"),
      b.shared.state.delete("handle"),
      a.shared.state.delete("handle"),
    ]);
    expect(deletes.filter(Boolean)).toHaveLength(1);
    await a.shared.state.set("short", "x", 0.2);
    await until(async () => (await b.shared.state.get("short")) === undefined, 3000);
    await expect(a.shared.state.set("bad", "x", 0)).rejects.toThrow(RangeError);
  });

  it("answers upstream_unavailable within the command timeout while Redis is down or paused", async () => {
    const { shared } = await readyInstance();
    redis.pause();
    const started = Date.now();
    const paused = await shared.state.get("k").catch((err: unknown) => err);
    expect(paused).toBeInstanceOf(GatewayError);
    expect((paused as GatewayError).code).toBe("upstream_unavailable");
    expect((paused as GatewayError).retryAfterSeconds).toBe(7);
    expect(Date.now() - started).toBeLessThan(2000);
    redis.resume();
    await redis.kill();
    await expect(shared.state.setIfAbsent("k", "v", 10)).rejects.toMatchObject({
      code: "upstream_unavailable",
    });
  });
});

describe("RedisRevocationStore", () => {
  it("pushes a revocation to every instance, and a later instance resyncs it", async () => {
    const [a, b] = [await readyInstance(), await readyInstance()];
    await a.shared.revocations.revokeToken("jti-1", nowSec() + 600);
    await a.shared.revocations.revokeSubject("user-2", nowSec(), nowSec() + 600);
    expect(a.shared.revocations.isRevoked(claims({ jti: "jti-1" }))).toBe(true);
    await until(() => b.shared.revocations.isRevoked(claims({ jti: "jti-1" })));
    await until(() => b.shared.revocations.isRevoked(claims({ sub: "user-2" })));
    expect(b.shared.revocations.isRevoked(claims({ jti: "jti-2" }))).toBe(false);
    const c = await readyInstance();
    expect(c.shared.revocations.isRevoked(claims({ jti: "jti-1" }))).toBe(true);
    expect(c.shared.revocations.isRevoked(claims({ sub: "user-2" }))).toBe(true);
    expect(c.shared.revocations.isRevoked(claims({ sub: "user-2", iat: nowSec() + 2 }))).toBe(
      false,
    );
  });

  it("Redis lost: refused at once locally, queued, written when Redis returns, pushed to others", async () => {
    const [a, b] = [await readyInstance(), await readyInstance()];
    await redis.kill();
    const started = Date.now();
    await a.shared.revocations.revokeToken("during-outage", nowSec() + 600);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a.shared.revocations.isRevoked(claims({ jti: "during-outage" }))).toBe(true);
    expect(a.shared.revocations.queued).toBe(1);
    await until(() => a.shared.health().status === "degraded");
    expect(a.shared.health().ready).toBe(true); // fail open: serving from the mirror
    expect(a.logs.text()).toContain("DEGRADED");
    await redis.start(); // empty
    await until(() => b.shared.revocations.isRevoked(claims({ jti: "during-outage" })), 5000);
    expect(a.shared.revocations.queued).toBe(0);
    await until(() => a.shared.health().status === "ok");
  });

  it("Redis restarted empty: instances write back what their mirrors hold", async () => {
    const a = await readyInstance();
    await a.shared.revocations.revokeToken("kept", nowSec() + 600);
    await a.shared.revocations.revokeSubject("user-9", nowSec(), nowSec() + 600);
    await redis.kill();
    await redis.start();
    await until(async () => (await redis.cli(["DBSIZE"])) !== ":0\r\n", 5000);
    const late = await readyInstance();
    await until(() => late.shared.revocations.isRevoked(claims({ jti: "kept" })), 5000);
    expect(late.shared.revocations.isRevoked(claims({ sub: "user-9" }))).toBe(true);
    expect(a.logs.text()).toContain("writing them back");
  });

  it("Redis paused: a revocation resolves within a bound, and reaches others after resume", async () => {
    const [a, b] = [await readyInstance(), await readyInstance()];
    redis.pause();
    const started = Date.now();
    await a.shared.revocations.revokeToken("paused", nowSec() + 600);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(a.shared.revocations.isRevoked(claims({ jti: "paused" }))).toBe(true);
    await until(() => a.shared.health().status === "degraded", 5000);
    redis.resume();
    await until(() => b.shared.revocations.isRevoked(claims({ jti: "paused" })), 5000);
  });

  it("fail closed: 503 with Retry-After once the mirror is stale beyond the bound", async () => {
    const { shared } = await readyInstance(redis.url, { failure: "closed", maxStaleSeconds: 3 });
    await shared.revocations.revokeToken("known", nowSec() + 600);
    expect(shared.revocations.isRevoked(claims())).toBe(false);
    await redis.kill();
    expect(shared.revocations.isRevoked(claims())).toBe(false); // within the bound
    expect(shared.health().ready).toBe(true);
    await until(() => !shared.health().ready, 8000);
    const thrown = (() => {
      try {
        return shared.revocations.isRevoked(claims());
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toMatchObject({ code: "upstream_unavailable", retryAfterSeconds: 7 });
    expect(shared.revocations.isRevoked(claims({ jti: "known" }))).toBe(true); // still a 401
    await redis.start();
    await until(() => shared.health().ready, 5000);
    expect(shared.revocations.isRevoked(claims())).toBe(false);
  });

  it("close() writes revocations still in flight before disconnecting", async () => {
    const a = await readyInstance();
    void a.shared.revocations.revokeToken("at-shutdown", nowSec() + 600);
    await a.shared.close();
    const b = await readyInstance();
    expect(b.shared.revocations.isRevoked(claims({ jti: "at-shutdown" }))).toBe(true);
  });
});

describe("connection", () => {
  it("starts while Redis is down, says why, and becomes ready when Redis appears", async () => {
    const later = await startRedis({ started: false });
    try {
      const { shared, logs } = instance(later.url);
      await until(() => logs.text().includes("ECONNREFUSED"));
      expect(shared.health()).toMatchObject({ ready: false, status: "connecting" });
      await later.start();
      await until(() => shared.health().ready, 5000);
      expect(shared.health().status).toBe("ok");
    } finally {
      await later.stop();
    }
  });

  it("refuses readiness when maxmemory-policy could evict revocations, unless allowed", async () => {
    const evicting = await startRedis({ args: ["--maxmemory-policy", "allkeys-lru"] });
    try {
      const refused = instance(evicting.url);
      await until(() => refused.shared.health().status === "eviction_policy");
      expect(refused.shared.health().ready).toBe(false);
      expect(refused.logs.text()).toContain("maxmemory-policy is allkeys-lru");
      const allowed = instance(evicting.url, { allowEviction: true });
      await until(() => allowed.shared.health().ready, 5000);
    } finally {
      await evicting.stop();
    }
  });
});

describe("rate-limit stores", () => {
  function storeOf(shared: SharedState) {
    const store = shared.rateLimitStore("account:login");
    void store.init?.({ windowMs: 60_000 } as Options);
    return store;
  }

  it("count across instances, and per instance (never unlimited) while Redis is down", async () => {
    const [a, b] = [await readyInstance(), await readyInstance()];
    const [sa, sb] = [storeOf(a.shared), storeOf(b.shared)];
    expect((await sa.increment("k")).totalHits).toBe(1);
    expect((await sb.increment("k")).totalHits).toBe(2);
    expect((await sa.get?.("k"))?.totalHits).toBe(2);
    await redis.kill();
    const local = [];
    for (let i = 0; i < 3; i++) local.push((await sa.increment("k")).totalHits);
    expect(local).toEqual([1, 2, 3]);
    expect((await sb.increment("k")).totalHits).toBe(1);
    await redis.start();
    await until(() => a.shared.health().status === "ok", 5000);
    // Counting is shared again (a call may still fall back while the machine is slow).
    await until(async () => {
      const hits = (await sa.increment("after")).totalHits;
      return (await sb.get?.("after"))?.totalHits === hits;
    }, 5000);
  });
});

describe("options", () => {
  it("checks the URL, the prefix and the keys, never echoing a password", () => {
    expect(resolveRedisOptions({ url: "rediss://u:s3cret@h:6380/2" })).toMatchObject({
      tls: true,
      safeUrl: "rediss://u:***@h:6380/2",
      keyPrefix: "cognito-gateway:",
      failure: "open",
    });
    for (const url of ["http://h", "redis://", "redis://u:s3cret@h/x", "redis://h?tls=1"]) {
      const error = configError(() => resolveRedisOptions({ url }));
      expect(error).toMatchObject({ reason: "malformed", option: "redis.url" });
      expect(error.message).not.toContain("s3cret");
    }
    expect(
      configError(() => resolveRedisOptions({ url: "redis://h", keyPrefix: "a b" })),
    ).toMatchObject({ reason: "malformed", option: "redis.keyPrefix" });
    expect(
      configError(() => resolveRedisOptions({ url: "redis://h", failure: "shut" as never })),
    ).toMatchObject({ reason: "malformed", option: "redis.failure" });
    const typo = configError(() =>
      resolveRedisOptions({ url: "redis://h", key_prefix: "x" } as unknown as RedisOptions),
    );
    expect(typo).toMatchObject({ reason: "unknown_option", option: "redis.key_prefix" });
    expect(typo.message).toMatch(/did you mean "redis.keyPrefix"/);
  });
});
