/**
 * express-rate-limit stores on Redis (rate-limit-redis), falling back to per-instance memory
 * stores while Redis does not answer: limits are then per instance, never off.
 */
import {
  MemoryStore,
  type ClientRateLimitInfo,
  type IncrementResponse,
  type Options,
  type Store,
} from "express-rate-limit";
import { RedisStore } from "rate-limit-redis";
import type { Logger } from "../logger";
import { errorText, type RedisConnection } from "./redis";

/**
 * The `rateLimit.store` factory for a connection: one {@link FailoverStore} per limiter prefix,
 * keyed `<keyPrefix>rl:<prefix>:<key>` in Redis. Keys are what the limiters make them (account
 * keys are HMACs, never addresses).
 */
export function redisRateLimitStores(
  connection: RedisConnection,
  logger: Logger,
): { storeFor: (prefix: string) => Store; close: () => Promise<void> } {
  const opened: FailoverStore[] = [];
  return {
    storeFor(prefix) {
      const store = new FailoverStore(connection, prefix, logger);
      opened.push(store);
      return store;
    },
    async close() {
      for (const store of opened) store.shutdown();
      return Promise.resolve();
    },
  };
}

/**
 * A Store that counts in Redis while the connection is usable, and in its own memory store when
 * it is not (or when one call fails or times out). After Redis returns, counting resumes there:
 * hits counted in memory during the outage are not carried over.
 */
export class FailoverStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  readonly #connection: RedisConnection;
  readonly #logger: Logger;
  readonly #redis: RedisStore;
  readonly #memory = new MemoryStore();
  #options: Options | undefined;
  #init: Promise<void> | undefined;
  #failing = false;

  constructor(connection: RedisConnection, prefix: string, logger: Logger) {
    this.prefix = connection.key(`rl:${prefix}:`);
    this.#connection = connection;
    this.#logger = logger;
    this.#redis = new RedisStore({
      prefix: this.prefix,
      // Bounded, and rejected at once while disconnected (see RedisConnection.command).
      sendCommand: (...args: string[]) => connection.command(args) as Promise<number>,
    });
  }

  init(options: Options): void {
    this.#options = options;
    this.#memory.init(options);
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.#either(
      (redis) => redis.get(key),
      () => this.#memory.get(key),
    );
  }

  async increment(key: string): Promise<IncrementResponse> {
    return this.#either(
      (redis) => redis.increment(key),
      () => this.#memory.increment(key),
    );
  }

  async decrement(key: string): Promise<void> {
    await this.#either(
      (redis) => redis.decrement(key),
      () => this.#memory.decrement(key),
    );
  }

  /** Resets the key in both places, so an outage never brings back a cleared count. */
  async resetKey(key: string): Promise<void> {
    await this.#memory.resetKey(key);
    await this.#either(
      (redis) => redis.resetKey(key),
      () => undefined,
    );
  }

  shutdown(): void {
    this.#memory.shutdown();
  }

  async #either<T>(remote: (redis: RedisStore) => Promise<T>, local: () => T | Promise<T>) {
    if (this.#connection.usable && this.#options !== undefined) {
      try {
        await this.#scriptsLoaded(this.#options);
        const result = await remote(this.#redis);
        this.#failing = false;
        return result;
      } catch (err) {
        this.#fellBack(err);
      }
    }
    return local();
  }

  /** Loads rate-limit-redis's scripts; a failed load is retried on the next call. */
  #scriptsLoaded(options: Options): Promise<void> {
    this.#init ??= this.#redis.init(options).catch((err: unknown) => {
      this.#init = undefined;
      throw err;
    });
    return this.#init;
  }

  #fellBack(err: unknown): void {
    if (this.#failing) return;
    this.#failing = true; // once per run of failures
    this.#logger.warn(
      { limiter: this.prefix, reason: errorText(err) },
      "rate limit store: Redis failed; counting in this instance's memory meanwhile",
    );
  }
}
