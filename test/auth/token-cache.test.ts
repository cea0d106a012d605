/**
 * The verified-token cache on its own: served only to the identical full token (never to another
 * that shares the indexed end), never at or after the token's `exp`, an LRU within both its
 * entry and byte bounds, with honest counters, that admits a token on its second offer.
 */
import {
  INDEX_LENGTH,
  MAX_DOORKEEPER_ENTRIES,
  VerifiedTokenCache,
} from "../../src/auth/token-cache";

const NOW = 1_700_000_000;
const END = "s".repeat(INDEX_LENGTH);
/** A token-like string: distinct head `i`, and an end of its own unless `end` is shared. */
const token = (i: number, end = String(i).padStart(INDEX_LENGTH, "e")) =>
  `header.payload-${String(i)}.${end}`;

/** Offers an entry twice: the doorkeeper's remembered first offer, then the admitted one. */
function put<T>(cache: VerifiedTokenCache<T>, ...entry: Parameters<VerifiedTokenCache<T>["set"]>) {
  cache.set(...entry);
  cache.set(...entry);
}

describe("VerifiedTokenCache", () => {
  it("serves a value only to the identical token, until its exp", () => {
    const cache = new VerifiedTokenCache<string>(10, 10_000);
    put(cache, token(1), "one", NOW + 60, 100);
    expect(cache.get(token(1), NOW)).toBe("one");
    expect(cache.get(token(1), NOW + 59)).toBe("one");
    expect(cache.get(token(1), NOW + 60)).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0, hits: 2, misses: 1 });
  });

  it("misses for another token sharing the indexed end, and keeps the entry", () => {
    const cache = new VerifiedTokenCache<string>(10, 10_000);
    const mine = token(1, END);
    const forged = token(2, END);
    expect(forged.slice(-INDEX_LENGTH)).toBe(mine.slice(-INDEX_LENGTH));
    put(cache, mine, "mine", NOW + 60, 100);
    expect(cache.get(forged, NOW)).toBeUndefined();
    expect(cache.get(mine, NOW)).toBe("mine");
    expect(cache.get(END.slice(1), NOW)).toBeUndefined(); // shorter than the index
  });

  it("evicts the least recently used entry at the entry bound", () => {
    const cache = new VerifiedTokenCache<number>(2, 10_000);
    put(cache, token(1), 1, NOW + 60, 10);
    put(cache, token(2), 2, NOW + 60, 10);
    expect(cache.get(token(1), NOW)).toBe(1); // 1 is now the most recent
    put(cache, token(3), 3, NOW + 60, 10);
    expect([1, 2, 3].map((i) => cache.get(token(i), NOW))).toEqual([1, undefined, 3]);
    expect(cache.stats().entries).toBe(2);
  });

  it("evicts to stay within the byte bound, and skips an entry larger than it", () => {
    const cache = new VerifiedTokenCache<number>(100, 250);
    put(cache, token(1), 1, NOW + 60, 100);
    put(cache, token(2), 2, NOW + 60, 100);
    put(cache, token(3), 3, NOW + 60, 100);
    expect([1, 2, 3].map((i) => cache.get(token(i), NOW))).toEqual([undefined, 2, 3]);
    expect(cache.stats().bytes).toBe(200);
    put(cache, token(4), 4, NOW + 60, 251);
    expect(cache.get(token(4), NOW)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 200 });
  });

  it("replaces an entry of the same token without counting its bytes twice, and clears", () => {
    const cache = new VerifiedTokenCache<string>(10, 10_000);
    put(cache, token(1), "old", NOW + 60, 100);
    put(cache, token(1), "new", NOW + 60, 120);
    expect(cache.get(token(1), NOW)).toBe("new");
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 120 });
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(cache.get(token(1), NOW)).toBeUndefined();
  });

  it("admits a token on its second offer only", () => {
    const cache = new VerifiedTokenCache<string>(10, 10_000);
    cache.set(token(1), "one", NOW + 60, 100);
    expect(cache.get(token(1), NOW)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    cache.set(token(1), "one", NOW + 60, 100);
    expect(cache.get(token(1), NOW)).toBe("one");
  });

  it("forgets a first offer after maxEntries other offers", () => {
    const cache = new VerifiedTokenCache<number>(4, 10_000);
    cache.set(token(0), 0, NOW + 60, 10);
    for (const i of [1, 2, 3, 4]) cache.set(token(i), i, NOW + 60, 10);
    cache.set(token(0), 0, NOW + 60, 10); // its first offer was forgotten: remembered again
    expect(cache.get(token(0), NOW)).toBeUndefined();
    cache.set(token(0), 0, NOW + 60, 10);
    expect(cache.get(token(0), NOW)).toBe(0);
  });

  it("keeps nothing, and evicts nothing, when more distinct tokens cycle than it holds", () => {
    const cache = new VerifiedTokenCache<number>(100, 1_000_000);
    for (let i = 0; i < 10; i++) put(cache, token(1000 + i), i, NOW + 60, 10); // in use
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 150; i++) cache.set(token(i), i, NOW + 60, 10);
    }
    expect(cache.stats().entries).toBe(10);
    for (let i = 0; i < 10; i++) expect(cache.get(token(1000 + i), NOW)).toBe(i);
  });

  it("remembers a bounded number of offers whatever maxEntries is", () => {
    const cache = new VerifiedTokenCache<number>(10_000_000, 2 ** 31);
    const n = MAX_DOORKEEPER_ENTRIES;
    cache.set(token(0), 0, NOW + 60, 10);
    for (let i = 1; i <= n; i++) cache.set(token(i), i, NOW + 60, 10);
    cache.set(token(0), 0, NOW + 60, 10);
    expect(cache.get(token(0), NOW)).toBeUndefined();
  });

  it("forgets what it was offered when cleared", () => {
    const cache = new VerifiedTokenCache<number>(10, 10_000);
    cache.set(token(1), 1, NOW + 60, 10);
    cache.clear();
    cache.set(token(1), 1, NOW + 60, 10);
    expect(cache.get(token(1), NOW)).toBeUndefined();
  });
});
