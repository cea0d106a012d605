import fc from "fast-check";
import { createSealer } from "../../src/session/seal";
import { ConfigError } from "../../src/errors";

const A = "a".repeat(32);
const B = "b".repeat(32);

function clockAt(ms: number) {
  const clock = { t: ms, now: () => clock.t };
  return clock;
}

describe("createSealer", () => {
  it("opens what it sealed, with its expiry", () => {
    const clock = clockAt(1_000_000);
    const sealer = createSealer({ secrets: [A], purpose: "session", clock });
    const sealed = sealer.seal({ sub: "u1", n: [1, 2] }, 60);
    expect(sealer.open(sealed)).toEqual({
      payload: { sub: "u1", n: [1, 2] },
      expiresAtMs: 1_060_000,
    });
  });

  it("does not open an expired value", () => {
    const clock = clockAt(0);
    const sealer = createSealer({ secrets: [A], purpose: "session", clock });
    const sealed = sealer.seal("x", 10);
    clock.t = 9_999;
    expect(sealer.open(sealed)).toBeDefined();
    clock.t = 10_000;
    expect(sealer.open(sealed)).toBeUndefined();
  });

  it("binds values to their purpose", () => {
    const session = createSealer({ secrets: [A], purpose: "session" });
    const device = createSealer({ secrets: [A], purpose: "device" });
    expect(device.open(session.seal("x", 60))).toBeUndefined();
  });

  it("accepts a previous secret during rotation and seals under the current one", () => {
    const old = createSealer({ secrets: [A], purpose: "session" });
    const rotated = createSealer({ secrets: [B, A], purpose: "session" });
    const next = createSealer({ secrets: [B], purpose: "session" });
    expect(rotated.open(old.seal("x", 60))?.payload).toBe("x");
    expect(next.open(rotated.seal("y", 60))?.payload).toBe("y");
    expect(next.open(old.seal("x", 60))).toBeUndefined();
  });

  it("never opens a tampered, truncated or re-keyed value", () => {
    const sealer = createSealer({ secrets: [A], purpose: "session" });
    const other = createSealer({ secrets: [B], purpose: "session" });
    const sealed = sealer.seal({ sub: "u1" }, 60);
    const raw = Buffer.from(sealed, "base64url");
    fc.assert(
      fc.property(fc.nat(raw.length - 1), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const copy = Buffer.from(raw);
        copy[index] = (copy[index] ?? 0) ^ flip;
        expect(sealer.open(copy.toString("base64url"))).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(fc.nat(sealed.length - 1), (cut) => {
        expect(sealer.open(sealed.slice(0, cut))).toBeUndefined();
      }),
    );
    expect(other.open(sealed)).toBeUndefined();
    expect(sealer.open("")).toBeUndefined();
    expect(sealer.open("x".repeat(10_000))).toBeUndefined();
  });

  it("refuses short or missing secrets at construction", () => {
    expect(() => createSealer({ secrets: [], purpose: "s" })).toThrow(ConfigError);
    expect(() => createSealer({ secrets: ["short"], purpose: "s" })).toThrow(ConfigError);
    expect(() => createSealer({ secrets: [A, "short"], purpose: "s" })).toThrow(/PREVIOUS/);
    expect(() => createSealer({ secrets: [A], purpose: "" })).toThrow(ConfigError);
  });
});
