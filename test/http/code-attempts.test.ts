import { GatewayError } from "../../src/errors";
import { createCodeAttempts } from "../../src/http/code-attempts";
import { MemoryStateStore, type StateStore } from "../../src/stores/state";
import { ManualClock } from "../helpers/auth";

function attempts(state: StateStore = new MemoryStateStore()) {
  return createCodeAttempts({ state, max: 3, windowSeconds: 60, keySecret: "k" });
}

async function refusal(check: Promise<void>): Promise<GatewayError | undefined> {
  return check.then(
    () => undefined,
    (error: unknown) => error as GatewayError,
  );
}

describe("createCodeAttempts", () => {
  it("refuses an account with 429 too_many_requests once it reached the limit, others not", async () => {
    const counter = attempts();
    for (let i = 0; i < 2; i += 1) await counter.fail("a@example.com");
    await expect(counter.check("a@example.com")).resolves.toBeUndefined();
    await counter.fail("a@example.com");
    const error = await refusal(counter.check("a@example.com"));
    expect(error?.code).toBe("too_many_requests");
    expect(error?.retryAfterSeconds).toBe(60);
    await expect(counter.check("b@example.com")).resolves.toBeUndefined();
  });

  it("forgets failures one window after they were made", async () => {
    const clock = new ManualClock();
    const counter = attempts(new MemoryStateStore({ clock }));
    for (let i = 0; i < 3; i += 1) await counter.fail("a@example.com");
    expect((await refusal(counter.check("a@example.com")))?.code).toBe("too_many_requests");
    clock.ms += 61_000;
    await expect(counter.check("a@example.com")).resolves.toBeUndefined();
  });

  it("keys the store by HMAC, never by the address", async () => {
    const state = new MemoryStateStore();
    const spy = jest.spyOn(state, "setIfAbsent");
    await attempts(state).fail("a@example.com");
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]?.[0]).not.toContain("a@example.com");
  });

  it("fails open when the store fails (the real answer is not hidden)", async () => {
    const broken: StateStore = {
      get: () => Promise.resolve(undefined),
      set: () => Promise.reject(new Error("down")),
      delete: () => Promise.reject(new Error("down")),
      setIfAbsent: () => Promise.reject(new Error("down")),
    };
    await expect(attempts(broken).fail("a@example.com")).resolves.toBeUndefined();
  });
});
