/**
 * Cache of tokens that passed full verification, so a token seen again skips the RSA work.
 *
 * An entry is served only to the identical full token string: every hit compares the whole
 * string. The map is indexed by the token's last {@link INDEX_LENGTH} characters (256 bits of
 * its RSA signature) rather than by the whole string. Why: each request brings a fresh string,
 * and hashing ~1 KB for a `Map` lookup costs ~1.8 µs, several times the rest of a hit, while
 * hashing 43 characters and comparing the full strings costs ~0.25 µs.
 *
 * A token is admitted on its second verification, not its first ({@link Doorkeeper}, the
 * admission filter of TinyLFU): when more distinct tokens arrive than the cache holds (many
 * users each calling now and then), an LRU that admits everything evicts every entry before its
 * next use. It then spends a miss, an insertion and an eviction per request, and keeps megabytes
 * of entries that are never served (and the garbage collector busy promoting and freeing them).
 */

/** Counters of a {@link VerifiedTokenCache}. */
export interface TokenCacheStats {
  /** Tokens cached now. */
  readonly entries: number;
  /** Estimated memory held by those entries. */
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

interface CacheEntry<T> {
  /** The full token: the only string this entry is ever served to. */
  readonly token: string;
  readonly value: T;
  /** The token's `exp`, in seconds: the entry is never served at or after it. */
  readonly expiresAt: number;
  readonly bytes: number;
}

/** Characters of the token's end that index it: the last 256 bits of the signature. */
export const INDEX_LENGTH = 43;

function indexOf(token: string): string {
  return token.length > INDEX_LENGTH ? token.slice(-INDEX_LENGTH) : token;
}

/** Most tokens the doorkeeper remembers, whatever `maxEntries` is (~20 bytes each). */
export const MAX_DOORKEEPER_ENTRIES = 65_536;

/**
 * Remembers which tokens were offered lately, by a 30-bit hash of their index: the last
 * `capacity` offers, oldest forgotten first. A hash collision, or a ring slot recycled after its
 * hash was offered again, only moves a token's admission by one verification. Holds numbers,
 * never token strings (an index is a slice that would keep its whole token alive).
 */
class Doorkeeper {
  readonly #seen = new Set<number>();
  readonly #ring: Int32Array;
  #next = 0;

  constructor(capacity: number) {
    this.#ring = new Int32Array(Math.max(1, Math.min(capacity, MAX_DOORKEEPER_ENTRIES))).fill(-1);
  }

  /** Whether `index` was offered within the last `capacity` offers; if not, remembers it. */
  admits(index: string): boolean {
    const hash = hash30(index);
    if (this.#seen.delete(hash)) return true;
    const forgotten = this.#ring[this.#next] ?? -1;
    if (forgotten !== -1) this.#seen.delete(forgotten);
    this.#ring[this.#next] = hash;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#seen.add(hash);
    return false;
  }

  clear(): void {
    this.#seen.clear();
    this.#ring.fill(-1);
    this.#next = 0;
  }
}

/** FNV-1a over the UTF-16 code units, kept to 30 bits (a small integer in V8: no allocation). */
function hash30(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash & 0x3fffffff;
}

/**
 * LRU bounded by entry count and by estimated bytes. A `Map` keeps insertion order, so moving an
 * entry to the back on a hit (delete + set) makes the front the least recently used.
 */
export class VerifiedTokenCache<T> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #entries = new Map<string, CacheEntry<T>>();
  readonly #doorkeeper: Doorkeeper;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.#doorkeeper = new Doorkeeper(maxEntries);
  }

  /**
   * The cached value for exactly `token`, unless absent or expired at `nowSec` (an expired entry
   * is dropped). Another token that merely shares the index is a miss and leaves the entry alone.
   */
  get(token: string, nowSec: number): T | undefined {
    const index = indexOf(token);
    const entry = this.#entries.get(index);
    if (entry?.token !== token) {
      this.#misses++;
      return undefined;
    }
    this.#entries.delete(index);
    if (nowSec >= entry.expiresAt) {
      this.#bytes -= entry.bytes;
      this.#misses++;
      return undefined;
    }
    this.#entries.set(index, entry);
    this.#hits++;
    return entry.value;
  }

  /**
   * Offers `value` for `token` until `expiresAt` (seconds). The first offer of a token is only
   * remembered; a second one within the last `maxEntries` offers caches it, evicting least
   * recently used entries to stay within both bounds. An entry larger than `maxBytes` on its own
   * is not cached.
   */
  set(token: string, value: T, expiresAt: number, bytes: number): void {
    if (bytes > this.maxBytes) return;
    const index = indexOf(token);
    const previous = this.#entries.get(index);
    if (previous !== undefined) {
      this.#entries.delete(index);
      this.#bytes -= previous.bytes;
    } else if (!this.#doorkeeper.admits(index)) {
      return;
    }
    while (
      this.#entries.size > 0 &&
      (this.#entries.size >= this.maxEntries || this.#bytes + bytes > this.maxBytes)
    ) {
      this.#evictOldest();
    }
    this.#entries.set(index, { token, value, expiresAt, bytes });
    this.#bytes += bytes;
  }

  /** Drops every entry (the key set changed). */
  clear(): void {
    this.#entries.clear();
    this.#doorkeeper.clear();
    this.#bytes = 0;
  }

  stats(): TokenCacheStats {
    return {
      entries: this.#entries.size,
      bytes: this.#bytes,
      hits: this.#hits,
      misses: this.#misses,
    };
  }

  #evictOldest(): void {
    const oldest = this.#entries.keys().next();
    if (oldest.done === true) return;
    this.#bytes -= this.#entries.get(oldest.value)?.bytes ?? 0;
    this.#entries.delete(oldest.value);
  }
}
