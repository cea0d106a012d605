/**
 * Rate limits through HTTP with the mocked Cognito: per client IP on every route but the probes,
 * per route and account (normalised, hashed, the same for unknown and existing addresses), the
 * login back-off, the 429 envelope, a pluggable store, and RATE_LIMIT=off.
 */
import {
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { MemoryStore, type Store } from "express-rate-limit";
import request from "supertest";
import type { App } from "supertest/types";
import { loadConfig } from "../../src/config";
import { ConfigError } from "../../src/errors";
import { backoffSeconds } from "../../src/http/rate-limit";
import type { RateLimitOptions } from "../../src/options";
import { authResult, cognitoError, mockedGateway } from "../helpers/mocked-gateway";

const PASSWORD = "Corr3ct-Horse!";
const LIMITS: Partial<RateLimitOptions> = {
  ipMax: 1000,
  accountMax: 1000,
  loginFreeFailures: 1000,
};

function expect429(res: request.Response): number {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ error: { code: "too_many_requests", message: expect.any(String) } });
  expect(res.headers["x-request-id"]).toEqual(expect.any(String));
  const retryAfter = Number(res.headers["retry-after"]);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  return retryAfter;
}

const login = (app: App, email: string, password = PASSWORD) =>
  request(app).post("/auth/login").send({ email, password });

describe("per-IP limit", () => {
  it("counts auth routes and the app's other routes once each, then answers 429", async () => {
    const { app } = mockedGateway({ rateLimit: { ...LIMITS, ipMax: 3, ipWindowSeconds: 60 } });
    // Through app and router alike, each request counts once: three pass.
    expect((await request(app).get("/auth/me")).status).toBe(401);
    expect((await request(app).get("/no-such-route")).status).toBe(404);
    expect((await login(app, "a@example.com")).status).not.toBe(429);
    const retryAfter = expect429(await request(app).get("/auth/me"));
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect429(await request(app).get("/no-such-route"));
    expect429(await request(app).get("/openapi.yaml"));
  });

  it("never limits the probes", async () => {
    const { app } = mockedGateway({ rateLimit: { ...LIMITS, ipMax: 1 } });
    await request(app).get("/auth/me");
    expect429(await request(app).get("/auth/me"));
    for (let i = 0; i < 5; i++) {
      expect((await request(app).get("/healthz")).status).toBe(200);
      expect((await request(app).get("/readyz")).status).not.toBe(429);
    }
  });

  it("refuses before the body is parsed", async () => {
    const { app } = mockedGateway({ rateLimit: { ...LIMITS, ipMax: 1 } });
    await request(app).get("/auth/me");
    const res = await request(app)
      .post("/auth/login")
      .set("Content-Type", "application/json")
      .send("{not json");
    expect429(res);
  });
});

describe("per-account limit", () => {
  const ROUTES = [
    ["register", "/auth/register", (email: string) => ({ email, password: PASSWORD })],
    ["confirm", "/auth/confirm", (email: string) => ({ email, code: "123456" })],
    ["resend", "/auth/confirm/resend", (email: string) => ({ email })],
    ["login", "/auth/login", (email: string) => ({ email, password: PASSWORD })],
  ] as const;

  it.each(ROUTES)(
    "%s: one account however the address is written; other accounts unaffected",
    async (_route, path, body) => {
      const { app, cognito } = mockedGateway({ rateLimit: { ...LIMITS, accountMax: 2 } });
      cognito.onAnyCommand().rejects(cognitoError("NotAuthorizedException"));
      cognito.on(SignUpCommand).resolves({ UserConfirmed: false, UserSub: "s" });
      cognito.on(ResendConfirmationCodeCommand).resolves({});
      for (const email of ["Pat@Example.com", " pat@example.COM "]) {
        expect((await request(app).post(path).send(body(email))).status).not.toBe(429);
      }
      const calls = cognito.calls().length;
      expect429(await request(app).post(path).send(body("PAT@example.com")));
      expect(cognito.calls()).toHaveLength(calls); // refused before Cognito
      expect((await request(app).post(path).send(body("sam@example.com"))).status).not.toBe(429);
    },
  );

  it("keeps each route's count apart", async () => {
    const { app, cognito } = mockedGateway({ rateLimit: { ...LIMITS, accountMax: 1 } });
    cognito.onAnyCommand().rejects(cognitoError("NotAuthorizedException"));
    expect((await login(app, "pat@example.com")).status).toBe(401);
    expect429(await login(app, "pat@example.com"));
    const confirm = await request(app)
      .post("/auth/confirm")
      .send({ email: "pat@example.com", code: "1" });
    expect(confirm.status).toBe(400);
  });

  it("answers an unknown address exactly like an existing one", async () => {
    const run = async (error: string) => {
      const { app, cognito } = mockedGateway({
        rateLimit: { ...LIMITS, accountMax: 3, loginFreeFailures: 1 },
      });
      cognito.on(InitiateAuthCommand).rejects(cognitoError(error));
      cognito.on(ConfirmSignUpCommand).rejects(cognitoError(error));
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) {
        const l = await login(app, "pat@example.com");
        const c = await request(app)
          .post("/auth/confirm")
          .send({ email: "pat@example.com", code: "1" });
        answers.push(`${l.status}/${l.text}/${c.status}/${c.text}`);
      }
      return answers;
    };
    const existing = await run("NotAuthorizedException");
    expect(await run("UserNotFoundException")).toEqual(existing);
    expect(existing.some((a) => a.startsWith("429"))).toBe(true);
  });

  it("lets a body without an email through to validation (400, not 429)", async () => {
    const { app } = mockedGateway({ rateLimit: { ...LIMITS, accountMax: 1 } });
    for (let i = 0; i < 3; i++) {
      const res = await request(app).post("/auth/login").send({ password: PASSWORD });
      expect(res.status).toBe(400);
    }
  });
});

describe("login back-off", () => {
  let now = 1_900_000_000_000;
  beforeEach(() => {
    jest.spyOn(Date, "now").mockImplementation(() => now);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("computes 0 while free, then doubles up to the cap", () => {
    const o = { loginFreeFailures: 2, loginMaxBackoffSeconds: 10 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 1000].map((n) => backoffSeconds(n, o))).toEqual([
      0, 0, 0, 1, 2, 4, 8, 10, 10,
    ]);
  });

  it("makes every failure past the free ones double the wait; a success resets it", async () => {
    const { app, cognito } = mockedGateway({
      rateLimit: { ...LIMITS, loginFreeFailures: 2, loginMaxBackoffSeconds: 4 },
    });
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    expect((await login(app, "pat@example.com")).status).toBe(401);
    expect((await login(app, "Pat@example.com")).status).toBe(401); // two free failures
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect((await login(app, "pat@example.com")).status).toBe(401); // failure 3, 4, 5, 6
      const retryAfter = expect429(await login(app, " PAT@Example.com")); // same account
      waits.push(retryAfter);
      now += retryAfter * 1000 - 1;
      expect429(await login(app, "pat@example.com")); // not a millisecond early
      now += 1;
    }
    expect(waits).toEqual([1, 2, 4, 4]);
    expect((await login(app, "sam@example.com")).status).toBe(401); // other accounts unaffected

    cognito.on(InitiateAuthCommand).resolves(authResult());
    expect((await login(app, "pat@example.com")).status).toBe(200);
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    for (let i = 0; i < 3; i++) {
      expect((await login(app, "pat@example.com")).status).toBe(401); // free again, then locked
    }
    expect429(await login(app, "pat@example.com"));
  });

  it("counts unknown addresses exactly like existing ones", async () => {
    const sequence = async (error: string) => {
      const { app, cognito } = mockedGateway({ rateLimit: { ...LIMITS, loginFreeFailures: 1 } });
      cognito.on(InitiateAuthCommand).rejects(cognitoError(error));
      const out: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await login(app, "who@example.com");
        out.push(`${res.status} ${String(res.headers["retry-after"])} ${res.text}`);
      }
      return out;
    };
    const existing = await sequence("NotAuthorizedException");
    expect(existing.map((line) => line.slice(0, 3))).toEqual(["401", "401", "429", "429"]);
    expect(await sequence("UserNotFoundException")).toEqual(existing);
    expect(await sequence("UserNotConfirmedException")).toEqual(existing);
  });

  it("does not count Cognito outages or invalid bodies as failures", async () => {
    const { app, cognito } = mockedGateway({ rateLimit: { ...LIMITS, loginFreeFailures: 1 } });
    cognito.on(InitiateAuthCommand).rejects(cognitoError("InternalErrorException", 500));
    for (let i = 0; i < 3; i++) {
      expect((await login(app, "pat@example.com")).status).toBe(503);
      expect((await login(app, "pat@example.com", "")).status).toBe(400);
    }
  });
});

describe("store", () => {
  /** MemoryStores that record every key they see. */
  function recordingStores() {
    const prefixes: string[] = [];
    const keys: string[] = [];
    const factory = (prefix: string): Store => {
      prefixes.push(prefix);
      const store = new MemoryStore();
      const increment = store.increment.bind(store);
      store.increment = (key: string) => {
        keys.push(key);
        return increment(key);
      };
      return store;
    };
    return { prefixes, keys, factory };
  }

  it("is pluggable, one store per limiter, and never holds an address in clear", async () => {
    const { prefixes, keys, factory } = recordingStores();
    const { app, cognito } = mockedGateway({
      rateLimit: { ...LIMITS, loginFreeFailures: 1, store: factory },
    });
    cognito.onAnyCommand().rejects(cognitoError("NotAuthorizedException"));
    await login(app, "Pat.Person@Example.com");
    await login(app, "pat.person@example.com");
    await request(app).post("/auth/confirm/resend").send({ email: "pat.person@example.com" });
    expect(prefixes).toEqual(
      expect.arrayContaining([
        "ip",
        "account:register",
        "account:confirm",
        "account:resend",
        "account:login",
        "login-failures",
        "login-backoff:1s",
        "account-ceiling:confirm",
        "login-ceiling",
        "login-device-failures",
        "code-send:confirmation:60s",
        "code-send:reset:3600s",
      ]),
    );
    expect(new Set(prefixes).size).toBe(prefixes.length);
    const accountKeys = keys.filter((key) => /^[A-Za-z0-9_-]{43}$/.test(key));
    expect(accountKeys.length).toBeGreaterThanOrEqual(5);
    expect(keys.join("\n").toLowerCase()).not.toMatch(/pat|person|example/);
  });

  it("fails open, with the error in the gateway's log, when the store fails", async () => {
    const broken = (): Store => ({
      increment: () => Promise.reject(new Error("store down")),
      decrement: () => undefined,
      resetKey: () => undefined,
      get: () => Promise.reject(new Error("store down")),
    });
    const { app, cognito, logs } = mockedGateway({ rateLimit: { ...LIMITS, store: broken } });
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    for (let i = 0; i < 3; i++) expect((await login(app, "pat@example.com")).status).toBe(401);
    expect(logs.lines.filter((line) => line.includes("store down")).length).toBeGreaterThan(0);
  });

  it("refuses a store without get() for the login back-off at construction", () => {
    const noGet = (): Store => ({
      increment: () => ({ totalHits: 1, resetTime: undefined }),
      decrement: () => undefined,
      resetKey: () => undefined,
    });
    expect(() => mockedGateway({ rateLimit: { store: noGet } })).toThrow(/get\(\)/);
  });

  it("logs express-rate-limit's configuration warnings through the gateway logger", async () => {
    const consoleError = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const consoleWarn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const { app, logs } = mockedGateway({ rateLimit: LIMITS });
    await request(app).get("/auth/me").set("X-Forwarded-For", "203.0.113.7");
    expect(logs.text()).toContain("ERR_ERL_UNEXPECTED_X_FORWARDED_FOR");
    expect(consoleError).not.toHaveBeenCalled();
    expect(consoleWarn).not.toHaveBeenCalled();
    jest.restoreAllMocks();
  });
});

describe("RATE_LIMIT=off", () => {
  it("turns every limit off and says so once in the log", async () => {
    const { app, cognito, logs } = mockedGateway({ rateLimit: false });
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    for (let i = 0; i < 30; i++) expect((await login(app, "pat@example.com")).status).toBe(401);
    const warnings = logs.lines.filter((line) => line.includes('"rateLimit":"off"'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).level).toBe(40);
  });

  it("does not warn when limits are on", () => {
    const { logs } = mockedGateway({ rateLimit: LIMITS });
    expect(logs.text()).not.toContain('"rateLimit":"off"');
  });
});

describe("configuration", () => {
  it("reads every RATE_LIMIT_* variable", () => {
    const config = loadConfig({
      RATE_LIMIT_IP_MAX: "11",
      RATE_LIMIT_IP_WINDOW_SECONDS: "12",
      RATE_LIMIT_ACCOUNT_MAX: "13",
      RATE_LIMIT_ACCOUNT_WINDOW_SECONDS: "14",
      RATE_LIMIT_LOGIN_FREE_FAILURES: "15",
      RATE_LIMIT_LOGIN_MAX_BACKOFF_SECONDS: "16",
      RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS: "17",
    });
    expect(config.gateway.rateLimit).toEqual({
      ipMax: 11,
      ipWindowSeconds: 12,
      accountMax: 13,
      accountWindowSeconds: 14,
      loginFreeFailures: 15,
      loginMaxBackoffSeconds: 16,
      loginFailureWindowSeconds: 17,
    });
  });

  it("reads the lockout variables", () => {
    const config = loadConfig({
      RATE_LIMIT_ACCOUNT_CEILING: "18",
      RATE_LIMIT_LOGIN_CEILING: "19",
      RATE_LIMIT_DEVICE_MAX_FAILURES: "20",
      DEVICE_TOKEN_DAYS: "21",
      CODE_SEND_PER_MINUTE: "2",
      CODE_SEND_PER_HOUR: "22",
    });
    expect(config.gateway.lockout).toEqual({
      accountCeiling: 18,
      loginCeiling: 19,
      deviceMaxFailures: 20,
      deviceTokenDays: 21,
      codeSendPerMinute: 2,
      codeSendPerHour: 22,
    });
    expect(() => loadConfig({ CODE_SEND_PER_MINUTE: "0" })).toThrow(/CODE_SEND_PER_MINUTE/);
  });

  it.each(["ipMax", "accountWindowSeconds", "loginFailureWindowSeconds"] as const)(
    "refuses a %s that is not positive",
    (name) => {
      expect(() => mockedGateway({ rateLimit: { [name]: 0 } })).toThrow(ConfigError);
    },
  );
});
