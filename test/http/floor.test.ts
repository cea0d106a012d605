/**
 * The response floor's design, without timing anything: success and failure wait for the same
 * target, and answers that depend only on the input (invalid bodies, limits) never enter it.
 * The measured proof is `npm run audit:timing`.
 */
import { MemoryStore, type Store } from "express-rate-limit";
import request from "supertest";
import { createResponseFloor } from "../../src/http/floor";
import { ManualClock } from "../helpers/auth";
import { mockedGateway } from "../helpers/mocked-gateway";

function recordingFloor(floorMs: number, jitterMs: number) {
  const clock = new ManualClock(0);
  const sleeps: number[] = [];
  const floor = createResponseFloor({
    floorMs,
    jitterMs,
    clock,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.ms += ms;
      return Promise.resolve();
    },
  });
  return { clock, sleeps, floor };
}

describe("createResponseFloor", () => {
  it("tops success and failure up to the same target", async () => {
    const { clock, sleeps, floor } = recordingFloor(800, 0);
    await floor(() => {
      clock.ms += 120;
      return Promise.resolve("ok");
    });
    const failure = new Error("refused");
    await expect(
      floor(() => {
        clock.ms += 30;
        return Promise.reject(failure);
      }),
    ).rejects.toBe(failure);
    expect(sleeps).toEqual([680, 770]);
  });

  it("adds a jitter within bounds, and never sleeps past a slow call", async () => {
    const { clock, sleeps, floor } = recordingFloor(100, 40);
    for (let i = 0; i < 50; i++) await floor(() => Promise.resolve());
    expect(Math.min(...sleeps)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(140);
    expect(new Set(sleeps).size).toBeGreaterThan(1);
    sleeps.length = 0;
    await floor(() => {
      clock.ms += 500;
      return Promise.resolve();
    });
    expect(sleeps).toEqual([]);
  });
});

describe("answers that depend only on the input skip the floor", () => {
  // Any of these answers that entered a ten-minute floor would time the test out.
  const TEN_MINUTES = { responseFloorMs: 600_000, responseJitterMs: 0 };

  it.each([
    ["/auth/register", { email: "a@example.com", password: "weak" }],
    ["/auth/register", { email: "not-an-address", password: "Corr3ct-Horse!" }],
    ["/auth/confirm", { email: "a@example.com", code: "not digits" }],
    ["/auth/confirm/resend", { email: 42 }],
    ["/auth/login", { email: "a@example.com" }],
  ])("%s %j → 400 at once, before Cognito", async (path, body) => {
    const { app, cognito } = mockedGateway(TEN_MINUTES);
    const res = await request(app).post(path).send(body);
    expect(res.status).toBe(400);
    expect(cognito.calls()).toHaveLength(0);
  });

  it("a per-account 429 answers at once", async () => {
    // The account's allowance is already spent (an earlier well-formed request would have waited
    // out the floor): its store answers every account key as over the limit.
    const spent = (prefix: string): Store => {
      const store = new MemoryStore();
      if (prefix.startsWith("account:")) {
        store.increment = () => Promise.resolve({ totalHits: 99, resetTime: undefined });
      }
      return store;
    };
    const { app, cognito } = mockedGateway({
      ...TEN_MINUTES,
      rateLimit: { accountMax: 1, store: spent },
    });
    const invalid = await request(app).post("/auth/login").send({ email: "a@example.com" });
    expect(invalid.status).toBe(400); // malformed: not counted, answered before the floor
    const res = await request(app)
      .post("/auth/login")
      .send({ email: "a@example.com", password: "Corr3ct-Horse!" });
    expect(res.status).toBe(429);
    expect(cognito.calls()).toHaveLength(0);
  });
});
