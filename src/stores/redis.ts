/**
 * One connection to Redis (or Valkey) for the shared state: a command client and a subscriber,
 * reconnecting on their own, with a bound on every command and a heartbeat that tells whether
 * pushes really arrive. The stores built on it (revocations, state, rate limits) never wait on
 * Redis without a bound, and keep working per instance while it is away.
 */
import { createHash, randomUUID } from "node:crypto";
import type { createClient } from "redis";
import { systemClock, type Clock } from "../clock";
import type { Logger } from "../logger";
import type { RedisConfig } from "./redis-options";

type Client = ReturnType<typeof createClient>;

/**
 * node-redis, loaded when the first connection is made: a gateway without REDIS_URL never loads
 * it (about 15 MB of resident memory saved in every such process).
 */
function loadCreateClient(): typeof createClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return (require("redis") as typeof import("redis")).createClient;
}

/** Why a Redis call failed without an answer (internal: never sent to clients). */
export type RedisFailureCode = "redis_offline" | "redis_timeout" | "redis_closed";

/** A Redis call that got no answer: the connection is down, or the answer came too late. */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
  constructor(readonly code: RedisFailureCode) {
    super(`Redis unavailable (${code})`);
  }
}

/**
 * Health of the shared state, as `/readyz` shows it in `checks.redis`:
 * - `ok`: connected, and pushes arrive (heartbeat);
 * - `connecting`: not reached since start — the mirror is empty, so the instance is not ready;
 * - `degraded`: reached before, lost now — verification runs from the mirror, limits per instance;
 * - `eviction_policy`: the server's `maxmemory-policy` could evict keys (revocations among them).
 */
export type RedisStatus = "ok" | "connecting" | "degraded" | "eviction_policy";

/** What {@link RedisConnection} reports about itself. */
export interface RedisHealth {
  status: RedisStatus;
  /** Why it is not ok: an error message (never a URL or a secret). */
  reason?: string;
}

/** Milliseconds between heartbeats (PUBLISH to the instance's own channel, seen by its subscriber). */
const HEARTBEAT_MS = 500;
/** While Redis is away, the same error is logged at most this often. */
const ERROR_LOG_EVERY_MS = 30_000;
/** Longest wait for a client to close cleanly before it is destroyed. */
const CLOSE_TIMEOUT_MS = 2000;

/** Listener lists of a connection. */
interface Listeners {
  /** After each (re)connection, once both clients are ready and subscribed. */
  connected: (() => void)[];
  /** When the heartbeat comes back after a loss (or for the first time). */
  up: (() => void)[];
  /** Per channel (un-prefixed name), each pushed message. */
  messages: Map<string, (message: string) => void>;
}

/**
 * The connection. Build it, register channels and listeners, then {@link start}: nothing waits
 * for Redis to be up, so a gateway starts (not ready) while Redis is down.
 */
export class RedisConnection {
  readonly config: RedisConfig;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #client: Client;
  readonly #subscriber: Client;
  readonly #instanceId = randomUUID();
  readonly #on: Listeners = { connected: [], up: [], messages: new Map() };
  #heartbeat: { seq: number; sentAt: number } | undefined;
  #seq = 0;
  #lastHeartbeatAt = -Infinity;
  #everUp = false;
  #up = false;
  #subscribed = false;
  #evicting = false;
  #reason: string | undefined;
  #lastErrorLog = { message: "", at: -Infinity };
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(config: RedisConfig, deps: { logger: Logger; clock?: Clock }) {
    this.config = config;
    this.#logger = deps.logger.child({ component: "redis" });
    this.#clock = deps.clock ?? systemClock;
    this.#client = loadCreateClient()(clientOptions(config));
    this.#subscriber = this.#client.duplicate();
    for (const [role, client] of [
      ["commands", this.#client],
      ["subscriber", this.#subscriber],
    ] as const) {
      client.on("error", (err: unknown) => {
        this.#noteError(role, err);
        if (this.#up && !client.isReady) this.#down(errorText(err));
      });
      client.on("end", () => {
        if (this.#up) this.#down("connection closed");
      });
      client.on("ready", () => {
        void this.#afterConnect();
      });
    }
  }

  /** `keyPrefix` + `name`: every key and channel the gateway uses. */
  key(name: string): string {
    return this.config.keyPrefix + name;
  }

  /** Calls `listener` after every (re)connection, once both clients are ready and subscribed. */
  onConnected(listener: () => void): void {
    this.#on.connected.push(listener);
  }

  /** Calls `listener` whenever the heartbeat comes back (first connection and each recovery). */
  onUp(listener: () => void): void {
    this.#on.up.push(listener);
  }

  /** Delivers messages pushed on channel `key(name)`. Register before {@link start}. */
  onMessage(name: string, listener: (message: string) => void): void {
    this.#on.messages.set(name, listener);
  }

  /** Starts connecting (in the background) and the heartbeat. */
  start(): void {
    for (const client of [this.#client, this.#subscriber]) {
      client.connect().catch(() => undefined); // errors arrive as events; it keeps retrying
    }
    this.#timer = setInterval(() => {
      this.#tick();
    }, HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** Whether calls are worth trying now: connected, and the last heartbeat came back in time. */
  get usable(): boolean {
    return this.#client.isReady && this.#subscriber.isReady && this.#up;
  }

  /** When the last heartbeat came back (clock ms), -Infinity if never. */
  get lastHeartbeatAt(): number {
    return this.#lastHeartbeatAt;
  }

  /** Whether Redis was ever reached since start. */
  get everUp(): boolean {
    return this.#everUp;
  }

  health(): RedisHealth {
    if (this.#evicting) return { status: "eviction_policy", reason: this.#reason ?? "" };
    if (this.usable) return { status: "ok" };
    const reason = this.#reason ?? "no answer from Redis";
    return { status: this.#everUp ? "degraded" : "connecting", reason };
  }

  /**
   * Sends one raw command; rejects with {@link RedisUnavailableError} at once when disconnected,
   * or after `commandTimeoutMs` without an answer. Server errors (e.g. NOPERM) reject as they are.
   */
  command(args: readonly string[], timeoutMs = this.config.commandTimeoutMs): Promise<unknown> {
    if (this.#closed) return Promise.reject(new RedisUnavailableError("redis_closed"));
    if (!this.#client.isReady) return Promise.reject(new RedisUnavailableError("redis_offline"));
    return withTimeout(this.#client.sendCommand([...args]), timeoutMs);
  }

  /** Runs a Lua script by its SHA1, loading it when the server does not know it (restart). */
  async script(
    source: string,
    keys: readonly string[],
    args: readonly string[],
    timeoutMs = this.config.commandTimeoutMs,
  ): Promise<unknown> {
    const sha = sha1(source);
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.command(["EVALSHA", sha, ...tail], timeoutMs);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return this.command(["EVAL", source, ...tail], timeoutMs);
    }
  }

  /** Stops the heartbeat and closes both clients (destroyed if they do not close in time). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.all(
      [this.#client, this.#subscriber].map(async (client) => {
        if (!client.isOpen) return;
        try {
          await withTimeout(client.close(), CLOSE_TIMEOUT_MS);
        } catch {
          client.destroy();
        }
      }),
    );
  }

  /** After a (re)connection: subscribe once, check the eviction policy, tell the stores. */
  async #afterConnect(): Promise<void> {
    if (this.#closed || !this.#client.isReady || !this.#subscriber.isReady) return;
    try {
      if (!this.#subscribed) {
        // Later reconnections resubscribe by themselves before "ready".
        this.#subscribed = true;
        await this.#subscribeAll();
      }
      await this.#checkEvictionPolicy();
    } catch (err) {
      this.#noteError("commands", err);
      return;
    }
    this.#logger.info({ redis: this.config.safeUrl }, "redis connected");
    this.#tick();
    for (const listener of this.#on.connected) listener();
  }

  async #subscribeAll(): Promise<void> {
    const channels = new Map(this.#on.messages);
    channels.set(`heartbeat:${this.#instanceId}`, (message) => {
      this.#heartbeatSeen(message);
    });
    for (const [name, listener] of channels) {
      await withTimeout(
        this.#subscriber.subscribe(this.key(name), (message: string) => {
          listener(message);
        }),
        this.config.commandTimeoutMs * 4,
      ).catch((err: unknown) => {
        this.#subscribed = false; // retried on the next "ready"
        throw err;
      });
    }
  }

  /** Eviction would silently drop revocations: refuse readiness (or warn) unless noeviction. */
  async #checkEvictionPolicy(): Promise<void> {
    let policy: string | undefined;
    try {
      const info = await this.command(["INFO", "memory"]);
      policy = /maxmemory_policy:(\S+)/.exec(String(info))?.[1];
    } catch (err) {
      if (err instanceof RedisUnavailableError) throw err;
      this.#logger.warn(
        { err: errorText(err) },
        "redis: cannot read maxmemory-policy (INFO denied?); make sure it is noeviction",
      );
      return;
    }
    const risky = policy !== undefined && policy !== "noeviction";
    this.#evicting = risky && !this.config.allowEviction;
    if (!risky) return;
    this.#reason = `maxmemory-policy is ${policy}: Redis may evict revocations; set it to noeviction`;
    this.#logger.error(
      { maxmemoryPolicy: policy, allowEviction: this.config.allowEviction },
      this.config.allowEviction
        ? `redis: ${this.#reason} (REDIS_ALLOW_EVICTION is on: serving anyway)`
        : `redis: ${this.#reason}; /readyz stays 503 until then`,
    );
  }

  /** Sends a heartbeat and judges the previous one: up while they come back in time. */
  #tick(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const up = now - this.#lastHeartbeatAt <= 2 * HEARTBEAT_MS + this.config.commandTimeoutMs;
    if (!up && this.#up) this.#down("no heartbeat from Redis in time");
    if (!this.#client.isReady || !this.#subscriber.isReady || !this.#subscribed) return;
    const seq = ++this.#seq;
    this.#heartbeat = { seq, sentAt: now };
    this.command(["PUBLISH", this.key(`heartbeat:${this.#instanceId}`), String(seq)]).catch(
      (err: unknown) => {
        this.#noteError("commands", err);
      },
    );
  }

  #heartbeatSeen(message: string): void {
    const sent = this.#heartbeat;
    if (sent === undefined || message !== String(sent.seq)) return;
    this.#lastHeartbeatAt = sent.sentAt;
    if (this.#up) return;
    this.#up = true;
    this.#reason = this.#evicting ? this.#reason : undefined;
    if (this.#everUp) this.#logger.warn("redis: shared state restored");
    this.#everUp = true;
    for (const listener of this.#on.up) listener();
  }

  #down(reason: string): void {
    if (this.#closed) return;
    this.#up = false;
    this.#reason = reason;
    this.#logger.warn(
      { reason },
      "redis: shared state DEGRADED: verifying from the local mirror, rate limits per instance, revocations queued until Redis answers",
    );
  }

  /** Records a failure; logs it once per kind of error (again after ERROR_LOG_EVERY_MS). */
  #noteError(role: string, err: unknown): void {
    if (this.#closed) return;
    const message = errorText(err);
    if (!this.#evicting) this.#reason = message;
    const now = this.#clock.now();
    const last = this.#lastErrorLog;
    if (message === last.message && now - last.at < ERROR_LOG_EVERY_MS) return;
    this.#lastErrorLog = { message, at: now };
    this.#logger.warn({ role, reason: message, redis: this.config.safeUrl }, "redis: call failed");
  }
}

function clientOptions(config: RedisConfig) {
  return {
    url: config.url,
    // Commands never wait for a reconnection: they fail at once and the stores fall back.
    disableOfflineQueue: true,
    commandsQueueMaxLength: 10_000,
    socket: {
      connectTimeout: config.connectTimeoutMs,
      // Quick retries with a ceiling, so a returning Redis is used again within a second.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) + Math.random() * 50,
      ...(config.tls ? { tls: true as const, ...(config.tlsCa ? { ca: config.tlsCa } : {}) } : {}),
    },
  };
}

/** Rejects with a timeout error when `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new RedisUnavailableError("redis_timeout"));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** An error's message only (node-redis messages name host and port, never the password). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
