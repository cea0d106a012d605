/**
 * {@link StateStore} on Redis: sessions, single-use challenge handles, rotation reuse markers and
 * send caps become common to every instance. Each call is one atomic command (SET PX, SET NX PX,
 * DEL) bounded by the connection's command timeout.
 */
import { GatewayError } from "../errors";
import type { RedisConnection } from "./redis";
import type { StateStore } from "./state";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../cognito/options";

/**
 * Shared keyed state. There is no fallback to memory: a single-use marker kept per instance
 * would be usable once per instance. While Redis does not answer, every call rejects with
 * `upstream_unavailable` (503 with Retry-After), within the command timeout.
 */
export class RedisStateStore implements StateStore {
  readonly #connection: RedisConnection;
  readonly #retryAfterSeconds: number;

  constructor(connection: RedisConnection, options: { retryAfterSeconds?: number } = {}) {
    this.#connection = connection;
    this.#retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#call(["GET", this.#key(key)]);
    return typeof value === "string" ? value : undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#call(["SET", this.#key(key), value, "PX", ttlMs(ttlSeconds)]);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.#call(["SET", this.#key(key), value, "PX", ttlMs(ttlSeconds), "NX"]);
    return reply === "OK";
  }

  async delete(key: string): Promise<boolean> {
    const removed = await this.#call(["DEL", this.#key(key)]);
    return Number(removed) > 0;
  }

  #key(key: string): string {
    if (typeof key !== "string" || key.length === 0) {
      throw new TypeError("StateStore: key must be a non-empty string");
    }
    return this.#connection.key(`state:${key}`);
  }

  /** Any failure of Redis (down, slow, refusing: OOM, NOPERM) is a 503 to the client. */
  async #call(args: readonly string[]): Promise<unknown> {
    try {
      return await this.#connection.command(args);
    } catch (err) {
      throw new GatewayError("upstream_unavailable", {
        message: "The service is unavailable. Try again later.",
        retryAfterSeconds: this.#retryAfterSeconds,
        cause: err,
      });
    }
  }
}

/** TTL in whole milliseconds (at least 1), checked as MemoryStateStore checks it. */
function ttlMs(ttlSeconds: number): string {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError("StateStore: ttlSeconds must be a positive number");
  }
  return String(Math.max(1, Math.ceil(ttlSeconds * 1000)));
}
