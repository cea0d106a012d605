/**
 * The login back-off on its own, over express-rate-limit MemoryStores: free failures, then waits
 * of 1, 2, 4 … seconds, cleared by a success, kept per account key; a store that fails lets the
 * attempt through (logged); a store without get() is refused at start. The HTTP behaviour is in
 * test/hardening/rate-limit and test/hardening/lockout.
 */
import { MemoryStore, type Store } from "express-rate-limit";
import { ConfigError } from "../../src/errors";
import { LoginBackoff, openStore, secondsUntil } from "../../src/http/login-backoff";
import { DEFAULT_RATE_LIMITS } from "../../src/http/rate-limit-options";
import { capturingLogger } from "../helpers/local";
import { configError } from "../helpers/config-error";

const OPTIONS = { ...DEFAULT_RATE_LIMITS, loginFreeFailures: 2, loginMaxBackoffSeconds: 4 };

/** A back-off over MemoryStores, remembering which store prefixes were opened. */
function backoff(storeFor: (prefix: string) => Store = () => new MemoryStore()) {
  const prefixes: string[] = [];
  const { logger, lines } = capturingLogger();
  const subject = new LoginBackoff(
    OPTIONS,
    (prefix) => {
      prefixes.push(prefix);
      return storeFor(prefix);
    },
    logger,
    (email) => `key:${email}`,
  );
  return { subject, prefixes, lines };
}

async function fail(subject: LoginBackoff, email: string, times: number) {
  for (let i = 0; i < times; i += 1) await subject.record(email, false);
}

describe("LoginBackoff", () => {
  it("lets the free failures through, then makes the account wait 1, 2, 4 s, capped", async () => {
    const { subject, prefixes } = backoff();
    await fail(subject, "a@example.com", 2);
    expect(await subject.check("a@example.com")).toBe(0);
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await fail(subject, "a@example.com", 1);
      waits.push(await subject.check("a@example.com"));
    }
    expect(waits).toEqual([1, 2, 4, 4]);
    expect(prefixes).toEqual([
      "login-failures",
      "login-backoff:1s",
      "login-backoff:2s",
      "login-backoff:4s",
    ]);
  });

  it("clears the count after a success, and keeps accounts apart", async () => {
    const { subject } = backoff();
    await fail(subject, "a@example.com", 3);
    expect(await subject.check("a@example.com")).toBe(1);
    expect(await subject.check("b@example.com")).toBe(0);
    await subject.record("a@example.com", true);
    expect(await subject.check("a@example.com")).toBe(0);
    await fail(subject, "a@example.com", 2);
    expect(await subject.check("a@example.com")).toBe(0); // free failures again
  });

  it("keys the stores by the account key it is given, never by the address", async () => {
    const seen: string[] = [];
    const spying = () => {
      const store = new MemoryStore();
      const increment = store.increment.bind(store);
      store.increment = (key) => {
        seen.push(key);
        return increment(key);
      };
      return store;
    };
    const { subject } = backoff(spying);
    await fail(subject, "a@example.com", 3);
    expect(new Set(seen)).toEqual(new Set(["key:a@example.com"]));
  });

  it("fails open, and logs, when its store fails", async () => {
    const broken = () => {
      const store = new MemoryStore();
      store.get = () => Promise.reject(new Error("store down"));
      store.increment = () => Promise.reject(new Error("store down"));
      return store;
    };
    const { subject, lines } = backoff(broken);
    await expect(subject.record("a@example.com", false)).resolves.toBeUndefined();
    await expect(subject.check("a@example.com")).resolves.toBe(0);
    expect(lines().filter((line) => line.level === 50)).toHaveLength(2);
  });
});

describe("openStore", () => {
  it("refuses a store without get() as a configuration error", () => {
    const { logger } = capturingLogger();
    const withoutGet = () => Object.assign(new MemoryStore(), { get: undefined });
    const error = configError(() => openStore(withoutGet, "p", 60, logger));
    expect(error).toBeInstanceOf(ConfigError);
    expect([error.reason, error.option]).toEqual(["malformed", "rateLimit.store"]);
  });

  it("inits the store with its window, and logs an init that fails", async () => {
    const { logger, lines } = capturingLogger();
    const windows: number[] = [];
    const store = new MemoryStore();
    store.init = (options) => {
      windows.push(options.windowMs);
      throw new Error("init failed");
    };
    expect(openStore(() => store, "p", 90, logger)).toBe(store);
    expect(windows).toEqual([90_000]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines().some((line) => line.level === 50)).toBe(true);
  });
});

describe("secondsUntil", () => {
  it("answers whole seconds, at least 1, and nothing without a time", () => {
    const now = Date.now();
    expect(secondsUntil(undefined)).toBeUndefined();
    expect(secondsUntil(new Date(now - 5000))).toBe(1);
    expect(secondsUntil(new Date(now + 2500))).toBe(3);
  });
});
