/** gateway.close(): flushes and closes what the gateway holds, once, without throwing. */
import { MemoryRevocationStore } from "../src/auth/revocation";
import { MemoryStateStore } from "../src/stores/state";
import { mockedGateway } from "./helpers/mocked-gateway";

/** A shared store that queues writes and sends them on close (as a Redis store may). */
class QueueingStateStore extends MemoryStateStore {
  readonly queued: string[] = [];
  readonly flushed: string[] = [];
  closes = 0;
  override async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.queued.push(key);
    await super.set(key, value, ttlSeconds);
  }
  async close(): Promise<void> {
    this.closes += 1;
    await Promise.resolve();
    this.flushed.push(...this.queued.splice(0));
  }
}

class ClosingRevocations extends MemoryRevocationStore {
  closes = 0;
  close(): Promise<void> {
    this.closes += 1;
    return Promise.resolve();
  }
}

describe("gateway.close()", () => {
  it("flushes the state store, closes the revocation store and registered resources, once", async () => {
    const state = new QueueingStateStore();
    const revocations = new ClosingRevocations();
    const { gateway } = mockedGateway({ state, revocations, rateLimit: {} });
    await state.set("pending", "value", 60);
    const extra = { closes: 0, close: () => void (extra.closes += 1) };
    gateway.closeWith(extra);
    await gateway.close();
    await gateway.close();
    expect(state.flushed).toEqual(["pending"]);
    expect([state.closes, revocations.closes, extra.closes]).toEqual([1, 1, 1]);
  });

  it("logs a resource that fails to close and still closes the others", async () => {
    const revocations = new ClosingRevocations();
    const { gateway, logs } = mockedGateway({ revocations });
    gateway.closeWith({ close: () => Promise.reject(new Error("store unreachable")) });
    await expect(gateway.close()).resolves.toBeUndefined();
    expect(revocations.closes).toBe(1);
    expect(logs.text()).toContain("closing a gateway resource failed");
  });
});
