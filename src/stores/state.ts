/**
 * Small keyed state with expiry: server-side sessions, single-use markers (challenge handles),
 * reuse detection (rotated refresh tokens), send caps. The in-memory store is the embedded
 * default; a shared implementation (Redis) makes the same state common to every instance.
 */
import { systemClock, type Clock } from "../clock";
import { ConfigError } from "../errors";

/**
 * Keyed string values that expire. Every method may be remote, so every method is async and
 * implementations bound their own waiting (a shared store answers within its timeout or rejects).
 * Keys are opaque strings chosen by callers (use HMACs or random ids, never an address in clear).
 */
export interface StateStore {
  /** The live value under `key`, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlSeconds` (> 0), replacing any value. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Stores `value` only when `key` holds no live value; resolves whether it did (atomic). */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Removes `key`; resolves whether a live value was there (atomic: one caller wins). */
  delete(key: string): Promise<boolean>;
}

/** Options of {@link MemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /** Source of time. Default: the system clock. */
  clock?: Clock;
  /** Most live keys kept; when full, the key that expires soonest is dropped. Default 100 000. */
  maxEntries?: number;
}

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * In-process {@link StateStore} with bounded memory (per process only: several instances need a
 * shared store). Expired keys are dropped lazily and by a sweep when the store is full.
 */
export class MemoryStateStore implements StateStore {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: MemoryStateStoreOptions = {}) {
    const max = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new ConfigError(
        "out_of_range",
        "maxEntries",
        "MemoryStateStore: maxEntries must be a positive integer",
      );
    }
    this.#max = max;
    this.#clock = options.clock ?? systemClock;
  }

  /** Live keys (expired ones not yet swept may be counted). */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#live(key)?.value);
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return settle(() => {
      this.#put(key, value, ttlSeconds);
    });
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return settle(() => {
      if (this.#live(key) !== undefined) return false;
      this.#put(key, value, ttlSeconds);
      return true;
    });
  }

  delete(key: string): Promise<boolean> {
    const had = this.#live(key) !== undefined;
    this.#entries.delete(key);
    return Promise.resolve(had);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#clock.now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #put(key: string, value: string, ttlSeconds: number): void {
    checkTtl(ttlSeconds);
    this.#entries.delete(key); // re-insert: Map order then follows insertion for the sweep
    if (this.#entries.size >= this.#max) this.#makeRoom();
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlSeconds * 1000 });
  }

  /** Drops expired keys; if none, the one that expires soonest. O(n), only when full. */
  #makeRoom(): void {
    const now = this.#clock.now();
    let soonest: [string, Entry] | undefined;
    for (const item of this.#entries) {
      if (item[1].expiresAt <= now) this.#entries.delete(item[0]);
      else if (soonest === undefined || item[1].expiresAt < soonest[1].expiresAt) soonest = item;
    }
    if (this.#entries.size >= this.#max && soonest !== undefined) this.#entries.delete(soonest[0]);
  }
}

/** Runs `work` and reports its result or its throw as a promise, as a remote store would. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError("StateStore: ttlSeconds must be a positive number");
  }
}
