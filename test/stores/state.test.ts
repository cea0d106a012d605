import { MemoryStateStore } from "../../src/stores/state";
import { ConfigError } from "../../src/errors";

function clockAt(ms: number) {
  const clock = { t: ms, now: () => clock.t };
  return clock;
}

describe("MemoryStateStore", () => {
  it("gets, replaces and deletes values", async () => {
    const store = new MemoryStateStore();
    await store.set("k", "v1", 60);
    await store.set("k", "v2", 60);
    expect(await store.get("k")).toBe("v2");
    expect(await store.delete("k")).toBe(true);
    expect(await store.delete("k")).toBe(false);
    expect(await store.get("k")).toBeUndefined();
  });

  it("expires values after their TTL", async () => {
    const clock = clockAt(0);
    const store = new MemoryStateStore({ clock });
    await store.set("k", "v", 2);
    clock.t = 1_999;
    expect(await store.get("k")).toBe("v");
    clock.t = 2_000;
    expect(await store.get("k")).toBeUndefined();
    expect(await store.setIfAbsent("k", "w", 1)).toBe(true);
  });

  it("setIfAbsent lets exactly one caller win", async () => {
    const store = new MemoryStateStore();
    const results = await Promise.all([1, 2, 3].map((n) => store.setIfAbsent("k", `${n}`, 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get("k")).toBe("1");
  });

  it("stays within maxEntries, dropping the key that expires soonest", async () => {
    const store = new MemoryStateStore({ maxEntries: 2 });
    await store.set("long", "1", 600);
    await store.set("short", "2", 10);
    await store.set("new", "3", 60);
    expect(store.size).toBe(2);
    expect(await store.get("short")).toBeUndefined();
    expect(await store.get("long")).toBe("1");
  });

  it("refuses bad options and TTLs", async () => {
    expect(() => new MemoryStateStore({ maxEntries: 0 })).toThrow(ConfigError);
    await expect(new MemoryStateStore().set("k", "v", 0)).rejects.toThrow(RangeError);
  });
});
