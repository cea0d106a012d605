import fc from "fast-check";
import { ConfigError } from "../../src/errors";
import {
  MemoryRevocationStore,
  parseRevocationEntry,
  sessionStart,
  type RevocationEntry,
} from "../../src/auth/revocation";
import { ManualClock, NOW_SEC } from "../helpers/auth";

const SUB = "user-1";

function claims(
  overrides: {
    jti?: string;
    origin_jti?: string;
    sub?: string;
    iat?: number;
    auth_time?: number;
  } = {},
) {
  return { sub: SUB, iat: NOW_SEC - 10, ...overrides };
}

describe("MemoryRevocationStore", () => {
  let clock: ManualClock;
  let store: MemoryRevocationStore;
  beforeEach(() => {
    clock = new ManualClock();
    store = new MemoryRevocationStore({ clock });
  });

  it("revokes a token by jti, and only that one", () => {
    store.revokeToken("jti-1", NOW_SEC + 600);
    expect(store.isRevoked(claims({ jti: "jti-1" }))).toBe(true);
    expect(store.isRevoked(claims({ jti: "jti-2" }))).toBe(false);
    expect(store.isRevoked(claims())).toBe(false);
  });

  it("revokes every token of a sign-in by origin_jti", () => {
    store.revokeToken("origin-1", NOW_SEC + 600);
    expect(store.isRevoked(claims({ jti: "a", origin_jti: "origin-1" }))).toBe(true);
    expect(store.isRevoked(claims({ jti: "b", origin_jti: "origin-1" }))).toBe(true);
    expect(store.isRevoked(claims({ jti: "c", origin_jti: "origin-2" }))).toBe(false);
  });

  it("revokes a subject's tokens issued at or before the cutoff", () => {
    store.revokeSubject(SUB, NOW_SEC, NOW_SEC + 3600);
    expect(store.isRevoked(claims({ iat: NOW_SEC - 1 }))).toBe(true);
    expect(store.isRevoked(claims({ iat: NOW_SEC }))).toBe(true);
    expect(store.isRevoked(claims({ iat: NOW_SEC + 1 }))).toBe(false);
    expect(store.isRevoked(claims({ sub: "user-2", iat: NOW_SEC - 1 }))).toBe(false);
  });

  it("compares the session start (auth_time) with the cutoff, so tokens refreshed later from an old sign-in are revoked", () => {
    store.revokeSubject(SUB, NOW_SEC, NOW_SEC + 3600);
    // refreshed after the cutoff from a sign-in before it
    expect(store.isRevoked(claims({ iat: NOW_SEC + 30, auth_time: NOW_SEC - 600 }))).toBe(true);
    expect(store.isRevoked(claims({ iat: NOW_SEC + 30, auth_time: NOW_SEC }))).toBe(true);
    // a sign-in after the cutoff
    expect(store.isRevoked(claims({ iat: NOW_SEC + 30, auth_time: NOW_SEC + 1 }))).toBe(false);
  });

  it("never lets auth_time make a token newer than its iat", () => {
    store.revokeSubject(SUB, NOW_SEC, NOW_SEC + 3600);
    expect(store.isRevoked(claims({ iat: NOW_SEC - 5, auth_time: NOW_SEC + 100 }))).toBe(true);
    expect(sessionStart({ iat: 10, auth_time: 20 })).toBe(10);
    expect(sessionStart({ iat: 10, auth_time: 5 })).toBe(5);
    expect(sessionStart({ iat: 10 })).toBe(10);
  });

  it("keeps the latest cutoff and expiry when a subject is revoked twice", () => {
    store.revokeSubject(SUB, NOW_SEC, NOW_SEC + 3600);
    store.revokeSubject(SUB, NOW_SEC - 100, NOW_SEC + 60);
    expect(store.isRevoked(claims({ iat: NOW_SEC }))).toBe(true);
    clock.setSeconds(NOW_SEC + 120);
    expect(store.isRevoked(claims({ iat: NOW_SEC }))).toBe(true);
  });

  it("drops entries once they expire", () => {
    store.revokeToken("jti-1", NOW_SEC + 60);
    store.revokeSubject(SUB, NOW_SEC, NOW_SEC + 60);
    expect(store.size).toBe(2);
    clock.setSeconds(NOW_SEC + 60);
    expect(store.isRevoked(claims({ jti: "jti-1", iat: NOW_SEC }))).toBe(false);
    expect(store.size).toBe(0);
  });

  it("does not remember revocations of already expired tokens", () => {
    store.revokeToken("jti-1", NOW_SEC - 1);
    expect(store.size).toBe(0);
  });

  it("keeps one entry for a token revoked many times", () => {
    for (let i = 0; i < 1000; i++) store.revokeToken("jti-1", NOW_SEC + 60 + i);
    expect(store.size).toBe(1);
    clock.setSeconds(NOW_SEC + 1000);
    expect(store.isRevoked(claims({ jti: "jti-1" }))).toBe(true);
  });

  it("sweeps expired entries before evicting a live one", () => {
    const small = new MemoryRevocationStore({ clock, maxEntries: 2 });
    small.revokeToken("a", NOW_SEC + 10);
    small.revokeToken("b", NOW_SEC + 10);
    clock.setSeconds(NOW_SEC + 11);
    small.revokeToken("c", NOW_SEC + 600);
    small.revokeToken("d", NOW_SEC + 600);
    expect(small.size).toBe(2);
    expect(small.evictions).toBe(0);
  });

  it("when full, evicts the soonest-expiring entry but still refuses the token it covered", () => {
    const small = new MemoryRevocationStore({ clock, maxEntries: 2 });
    small.revokeToken("soon", NOW_SEC + 100);
    small.revokeToken("late", NOW_SEC + 900);
    small.revokeToken("newest", NOW_SEC + 600);
    expect(small.size).toBe(2);
    expect(small.evictions).toBe(1);
    // The evicted token is still refused (fail closed), as is any token issued until now...
    expect(small.isRevoked(claims({ jti: "soon" }))).toBe(true);
    expect(small.isRevoked(claims({ jti: "unrelated", sub: "someone-else" }))).toBe(true);
    // ...even one whose iat is ahead by the clock skew (default 5 s),
    expect(small.isRevoked(claims({ jti: "ahead", iat: NOW_SEC + 5 }))).toBe(true);
    // but tokens issued after the eviction are accepted,
    expect(small.isRevoked(claims({ jti: "fresh", iat: NOW_SEC + 6 }))).toBe(false);
    // and the fail-closed window ends when the evicted entry would have expired.
    clock.setSeconds(NOW_SEC + 100);
    expect(small.isRevoked(claims({ jti: "unrelated" }))).toBe(false);
    expect(small.isRevoked(claims({ jti: "late" }))).toBe(true);
  });

  it("lists its live entries as plain data that another store applies to the same verdicts", () => {
    store.revokeToken("jti-1", NOW_SEC + 60);
    store.revokeToken("gone", NOW_SEC + 5);
    store.revokeSubject(SUB, NOW_SEC, NOW_SEC + 3600);
    clock.setSeconds(NOW_SEC + 10);
    const listed = store.entries();
    expect(listed).toEqual(
      expect.arrayContaining([
        { kind: "token", key: "jti-1", expiresAtSec: NOW_SEC + 60 },
        { kind: "subject", key: SUB, cutoffSec: NOW_SEC, expiresAtSec: NOW_SEC + 3600 },
      ]),
    );
    expect(listed).toHaveLength(2);
    const copy = new MemoryRevocationStore({ clock });
    for (const entry of JSON.parse(JSON.stringify(listed)) as unknown[]) {
      const parsed = parseRevocationEntry(entry);
      if (parsed === undefined) throw new Error("entry did not survive JSON");
      copy.apply(parsed);
    }
    expect(copy.isRevoked(claims({ jti: "jti-1", iat: NOW_SEC + 5 }))).toBe(true);
    expect(copy.isRevoked(claims({ iat: NOW_SEC }))).toBe(true);
    expect(copy.isRevoked(claims({ iat: NOW_SEC + 1 }))).toBe(false);
  });

  it("applies entries idempotently, keeping the strongest cutoff and latest expiry", () => {
    const strong: RevocationEntry = {
      kind: "subject",
      key: SUB,
      cutoffSec: NOW_SEC,
      expiresAtSec: NOW_SEC + 3600,
    };
    store.apply(strong);
    store.apply(strong);
    store.apply({ kind: "subject", key: SUB, cutoffSec: NOW_SEC - 100, expiresAtSec: NOW_SEC + 1 });
    store.apply({ kind: "token", key: "t", expiresAtSec: NOW_SEC + 60 });
    store.apply({ kind: "token", key: "t", expiresAtSec: NOW_SEC + 30 });
    expect(store.entries()).toEqual(
      expect.arrayContaining([strong, { kind: "token", key: "t", expiresAtSec: NOW_SEC + 60 }]),
    );
    expect(store.size).toBe(2);
    expect(() => {
      store.apply({ kind: "token", key: "", expiresAtSec: NOW_SEC + 1 });
    }).toThrow(TypeError);
  });

  it("parses only well-formed entries", () => {
    const token = { kind: "token", key: "k", expiresAtSec: 5 };
    expect(parseRevocationEntry(token)).toEqual(token);
    expect(parseRevocationEntry({ ...token, extra: 1 })).toEqual(token);
    for (const bad of [
      null,
      "x",
      { ...token, key: "" },
      { ...token, expiresAtSec: "5" },
      { ...token, kind: "other" },
      { kind: "subject", key: "s", expiresAtSec: 5 },
      { kind: "subject", key: "s", cutoffSec: Number.NaN, expiresAtSec: 5 },
    ]) {
      expect(parseRevocationEntry(bad)).toBeUndefined();
    }
  });

  it("rejects malformed input", () => {
    expect(() => {
      store.revokeToken("", NOW_SEC + 1);
    }).toThrow(TypeError);
    expect(() => {
      store.revokeToken("x", Number.NaN);
    }).toThrow(TypeError);
    expect(() => {
      store.revokeSubject("x", Number.POSITIVE_INFINITY, NOW_SEC + 1);
    }).toThrow(TypeError);
    expect(() => new MemoryRevocationStore({ maxEntries: 0 })).toThrow(ConfigError);
    expect(() => new MemoryRevocationStore({ maxEntries: 1.5 })).toThrow(ConfigError);
    expect(() => new MemoryRevocationStore({ clockSkewSeconds: 301 })).toThrow(ConfigError);
  });

  // Domain rule the bound relies on: tokens carrying a revoked id were issued before the
  // revocation (give or take the 5 s skew), since Cognito mints no new ones after a sign-out.
  it("never accepts a token an unbounded model says is revoked, however small the bound", () => {
    type Op =
      | { kind: "token"; id: number; ttl: number }
      | { kind: "subject"; sub: number; back: number; ttl: number }
      | { kind: "tick"; seconds: number }
      | { kind: "ask"; jti: number; origin: number; sub: number; age: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant("token" as const),
        id: fc.nat(9),
        ttl: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({
        kind: fc.constant("subject" as const),
        sub: fc.nat(4),
        back: fc.nat(20),
        ttl: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({ kind: fc.constant("tick" as const), seconds: fc.nat(20) }),
      fc.record({
        kind: fc.constant("ask" as const),
        jti: fc.nat(9),
        origin: fc.nat(9),
        sub: fc.nat(4),
        age: fc.nat(30),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (ops, max) => {
        const time = new ManualClock();
        const bounded = new MemoryRevocationStore({ clock: time, maxEntries: max });
        const model = new MemoryRevocationStore({ clock: time, maxEntries: 1_000_000 });
        const revokedAt = new Map<string, number>();
        for (const o of ops) {
          const now = time.now() / 1000;
          if (o.kind === "tick") time.setSeconds(now + o.seconds);
          else if (o.kind === "token") {
            if (!revokedAt.has(`t${o.id}`)) revokedAt.set(`t${o.id}`, now);
            bounded.revokeToken(`t${o.id}`, now + o.ttl);
            model.revokeToken(`t${o.id}`, now + o.ttl);
          } else if (o.kind === "subject") {
            bounded.revokeSubject(`s${o.sub}`, now - o.back, now + o.ttl);
            model.revokeSubject(`s${o.sub}`, now - o.back, now + o.ttl);
          } else {
            const ids = [`t${o.jti}`, `t${o.origin}`];
            const issuedBy = Math.min(...ids.map((id) => (revokedAt.get(id) ?? Infinity) + 5));
            const iat = Math.min(now - o.age, issuedBy);
            const c = { jti: ids[0], origin_jti: ids[1], sub: `s${o.sub}`, iat };
            if (model.isRevoked(c)) expect(bounded.isRevoked(c)).toBe(true);
          }
          expect(bounded.size).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: 300 },
    );
  });
});
