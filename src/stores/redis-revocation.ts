/**
 * Revocations shared by every instance through Redis, verified from a local mirror.
 *
 * - Hot path: `isRevoked` asks only the in-process {@link MemoryRevocationStore} mirror, so
 *   verification never waits on Redis (and any rule of the memory store applies as is).
 * - Write: a revocation goes into the mirror at once (refused here from that moment), then to
 *   Redis by one Lua script that merges it (latest cutoff and expiry win) and PUBLISHes what
 *   changed; every instance's subscriber applies it to its mirror (pub/sub: see README).
 * - While Redis does not answer, the revocation waits in a queue and is written when it does.
 * - On every (re)connection the mirror resyncs from Redis (subscribe first, then read, so
 *   nothing is missed), and writes back what Redis lacks — e.g. after Redis restarted empty.
 *
 * Redis layout under the key prefix (no key has a TTL; entries expire by score and are pruned
 * by each write):
 * `{rev}:tokens` sorted set, member token id, score expiry (s);
 * `{rev}:subjects` hash, field sub, value `"<cutoff> <expiry>"`;
 * `{rev}:subject-expiry` sorted set, member sub, score expiry (s);
 * channel `{rev}:pushed`, JSON arrays of {@link RevocationEntry}.
 */
import {
  MemoryRevocationStore,
  parseRevocationEntry,
  type RevocationEntry,
  type RevocationStore,
  type RevocationSubject,
} from "../auth/revocation";
import { systemClock, type Clock } from "../clock";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import { errorText, type RedisConnection } from "./redis";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../cognito/options";

/** Options of {@link RedisRevocationStore}. */
export interface RedisRevocationStoreOptions {
  connection: RedisConnection;
  logger: Logger;
  clock?: Clock;
  /** The verifiers' clock skew (see MemoryRevocationStoreOptions). Default 5. */
  clockSkewSeconds?: number;
  /** Most entries in the mirror (see MemoryRevocationStoreOptions). Default 100 000. */
  maxEntries?: number;
  /** Retry-After of the 503 answered in fail-closed mode. Default 5. */
  retryAfterSeconds?: number;
}

const CHANNEL = "{rev}:pushed";
/** Entries per script call when writing back or flushing the queue. */
const BATCH = 200;
/** Wait before retrying a failed resync. */
const RESYNC_RETRY_MS = 1000;
/** The snapshot may be large (every live entry): it gets this many command timeouts. */
const SNAPSHOT_TIMEOUTS = 20;

/** Merges a JSON array of entries, prunes expired ones, publishes what changed. */
const MERGE_SCRIPT = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
for _, sub in ipairs(gone) do
  redis.call('HDEL', KEYS[2], sub)
  redis.call('ZREM', KEYS[3], sub)
end
local changed = {}
for _, e in ipairs(cjson.decode(ARGV[3])) do
  local exp = tonumber(e.expiresAtSec)
  if type(e.key) == 'string' and exp ~= nil and exp > now then
    if e.kind == 'token' then
      local old = tonumber(redis.call('ZSCORE', KEYS[1], e.key))
      if old == nil or exp > old then
        redis.call('ZADD', KEYS[1], exp, e.key)
        table.insert(changed, {kind = 'token', key = e.key, expiresAtSec = exp})
      end
    elseif e.kind == 'subject' and tonumber(e.cutoffSec) ~= nil then
      local cutoff = tonumber(e.cutoffSec)
      local old = redis.call('HGET', KEYS[2], e.key)
      local stronger = true
      if old then
        local oc, oe = string.match(old, '^(%S+) (%S+)$')
        oc, oe = tonumber(oc), tonumber(oe)
        stronger = cutoff > oc or exp > oe
        cutoff, exp = math.max(cutoff, oc), math.max(exp, oe)
      end
      if stronger then
        redis.call('HSET', KEYS[2], e.key, string.format('%.17g %.17g', cutoff, exp))
        redis.call('ZADD', KEYS[3], exp, e.key)
        table.insert(changed, {kind = 'subject', key = e.key, cutoffSec = cutoff, expiresAtSec = exp})
      end
    end
  end
end
if #changed > 0 then redis.call('PUBLISH', ARGV[2], cjson.encode(changed)) end
return #changed
`;

/** Every live entry, read atomically. */
const SNAPSHOT_SCRIPT = `
local tokens = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local subjects = redis.call('HGETALL', KEYS[2])
return {tokens, subjects}
`;

/**
 * A {@link RevocationStore} shared through Redis. Writes resolve once Redis acknowledged them,
 * or once they are queued (Redis slow or away): they never reject, since the mirror already
 * refuses the token and the queue writes it later.
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #connection: RedisConnection;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #retryAfterSeconds: number;
  readonly #mirror: MemoryRevocationStore;
  readonly #keys: readonly string[];
  /** Entries not yet acknowledged by Redis, by kind and key. */
  readonly #pending = new Map<string, RevocationEntry>();
  #synced = false;
  #everSynced = false;
  #freshAt = -Infinity;
  #resync: Promise<void> | undefined;
  #resyncAgain = false;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisRevocationStoreOptions) {
    this.#connection = options.connection;
    this.#logger = options.logger.child({ component: "redis-revocations" });
    this.#clock = options.clock ?? systemClock;
    this.#retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    this.#mirror = new MemoryRevocationStore({
      clock: this.#clock,
      ...(options.clockSkewSeconds === undefined
        ? {}
        : { clockSkewSeconds: options.clockSkewSeconds }),
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
    });
    const c = this.#connection;
    this.#keys = [c.key("{rev}:tokens"), c.key("{rev}:subjects"), c.key("{rev}:subject-expiry")];
    c.onMessage(CHANNEL, (message) => {
      this.#received(message);
    });
    c.onConnected(() => {
      this.#freshAt = this.freshAt; // complete up to here; pushes may have been missed since
      this.#synced = false;
      this.resync();
    });
    c.onUp(() => {
      if (this.#synced) void this.flush();
      else this.resync();
    });
  }

  /** Live entries in the mirror. */
  get size(): number {
    return this.#mirror.size;
  }

  /** Revocations acknowledged locally but not yet written to Redis. */
  get queued(): number {
    return this.#pending.size;
  }

  /** Whether the mirror has resynced since the last (re)connection and pushes arrive. */
  get fresh(): boolean {
    return this.#synced && this.#connection.usable;
  }

  /** Whether the mirror was filled from Redis at least once since start. */
  get everSynced(): boolean {
    return this.#everSynced;
  }

  /** How long the mirror has not been known complete, ms (0 while fresh). */
  get staleMs(): number {
    return Math.max(0, this.#clock.now() - this.freshAt);
  }

  /**
   * When the mirror was last known complete (clock ms): now while fresh; else, if still synced,
   * when the last heartbeat that came back was sent (pushes arrive in order, so every revocation
   * published before it had arrived); else when the connection was lost.
   */
  get freshAt(): number {
    if (!this.#synced) return this.#freshAt;
    if (this.fresh) return this.#clock.now();
    return Math.max(this.#freshAt, this.#connection.lastHeartbeatAt);
  }

  revokeToken(id: string, expiresAtSec: number): Promise<void> {
    return this.#record({ kind: "token", key: id, expiresAtSec });
  }

  revokeSubject(sub: string, cutoffSec: number, expiresAtSec: number): Promise<void> {
    return this.#record({ kind: "subject", key: sub, cutoffSec, expiresAtSec });
  }

  /**
   * From the mirror only. With `failure: "closed"`, a token the mirror does not refuse gets a
   * 503 (`upstream_unavailable`, Retry-After) while the mirror is stale beyond `maxStaleSeconds`.
   */
  isRevoked(claims: RevocationSubject): boolean {
    if (this.#mirror.isRevoked(claims)) return true;
    const { failure, maxStaleSeconds } = this.#connection.config;
    if (failure === "closed" && !this.fresh) {
      if (this.staleMs > maxStaleSeconds * 1000) {
        throw new GatewayError("upstream_unavailable", {
          message: "The service is unavailable. Try again later.",
          retryAfterSeconds: this.#retryAfterSeconds,
        });
      }
    }
    return false;
  }

  /** Writes the queue to Redis (in batches); resolves when done or when Redis fails again. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushQueue().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Re-reads Redis into the mirror and writes back what Redis lacks (coalesced). */
  resync(): void {
    if (this.#resync !== undefined) {
      this.#resyncAgain = true;
      return;
    }
    this.#resync = this.#resyncOnce()
      .catch((err: unknown) => {
        this.#logger.warn({ reason: errorText(err) }, "revocation resync failed; retrying");
        setTimeout(() => {
          if (!this.#synced && !this.#closed) this.resync();
        }, RESYNC_RETRY_MS).unref();
      })
      .finally(() => {
        this.#resync = undefined;
        if (this.#resyncAgain) {
          this.#resyncAgain = false;
          this.resync();
        }
      });
  }

  /** Flushes queued revocations (bounded by the command timeout per batch); logs what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#pending.size > 0) {
      this.#logger.error(
        { queued: this.#pending.size },
        "closing with revocations not written to Redis: other instances will not see them",
      );
    }
  }

  async #record(entry: RevocationEntry): Promise<void> {
    this.#mirror.apply(entry); // validates; refused here from now on
    this.#queue(entry);
    if (this.#connection.usable) await this.flush();
  }

  #queue(entry: RevocationEntry): void {
    const id = `${entry.kind}\n${entry.key}`;
    this.#pending.set(id, strongest(this.#pending.get(id), entry));
  }

  async #flushQueue(): Promise<void> {
    while (this.#pending.size > 0) {
      const batch = take(this.#pending, BATCH);
      try {
        await this.#write(batch.map(([, entry]) => entry));
      } catch (err) {
        this.#logger.warn(
          { queued: this.#pending.size, reason: errorText(err) },
          "revocations queued: Redis did not take them; written when it answers",
        );
        return;
      }
      // Drop only what was written: an entry strengthened meanwhile stays queued.
      for (const [id, entry] of batch)
        if (this.#pending.get(id) === entry) this.#pending.delete(id);
    }
  }

  async #write(entries: readonly RevocationEntry[]): Promise<void> {
    const now = String(this.#clock.now() / 1000);
    const channel = this.#connection.key(CHANNEL);
    await this.#connection.script(MERGE_SCRIPT, this.#keys, [
      now,
      channel,
      JSON.stringify(entries),
    ]);
  }

  async #resyncOnce(): Promise<void> {
    const now = this.#clock.now() / 1000;
    const reply = await this.#connection.script(
      SNAPSHOT_SCRIPT,
      this.#keys,
      [String(now)],
      this.#connection.config.commandTimeoutMs * SNAPSHOT_TIMEOUTS,
    );
    const remote = parseSnapshot(reply);
    for (const entry of remote.values()) this.#mirror.apply(entry);
    // Write back what Redis lacks or holds weaker (Redis restarted empty, writes lost).
    let missing = 0;
    for (const entry of this.#mirror.entries()) {
      const there = remote.get(`${entry.kind}\n${entry.key}`);
      if (there === undefined || strongest(there, entry) !== there) {
        this.#queue(entry);
        missing += 1;
      }
    }
    if (missing > 0) {
      this.#logger.warn(
        { missing },
        "redis lacked revocations this instance holds; writing them back",
      );
    }
    await this.flush();
    this.#synced = true;
    this.#everSynced = true;
    this.#freshAt = this.#clock.now();
    this.#logger.info(
      { entries: this.#mirror.size, queued: this.#pending.size },
      "revocations resynced",
    );
  }

  #received(message: string): void {
    let list: unknown;
    try {
      list = JSON.parse(message);
    } catch {
      list = undefined;
    }
    const entries = Array.isArray(list) ? list.map(parseRevocationEntry) : [undefined];
    for (const entry of entries) {
      if (entry === undefined) {
        this.#logger.warn("ignored a malformed revocation message");
        continue;
      }
      this.#mirror.apply(entry);
    }
    if (this.fresh) this.#freshAt = this.#clock.now();
  }
}

/** The stronger of two entries of the same kind and key (latest cutoff and expiry). */
function strongest(a: RevocationEntry | undefined, b: RevocationEntry): RevocationEntry {
  if (a === undefined) return b;
  if (a.kind === "subject" && b.kind === "subject") {
    if (a.cutoffSec >= b.cutoffSec && a.expiresAtSec >= b.expiresAtSec) return a;
    if (b.cutoffSec >= a.cutoffSec && b.expiresAtSec >= a.expiresAtSec) return b;
    return {
      kind: "subject",
      key: a.key,
      cutoffSec: Math.max(a.cutoffSec, b.cutoffSec),
      expiresAtSec: Math.max(a.expiresAtSec, b.expiresAtSec),
    };
  }
  return a.expiresAtSec >= b.expiresAtSec ? a : b;
}

/** The snapshot script's reply as entries by kind and key; malformed parts are skipped. */
function parseSnapshot(reply: unknown): Map<string, RevocationEntry> {
  const out = new Map<string, RevocationEntry>();
  if (!Array.isArray(reply)) return out;
  const [tokens, subjects] = reply as unknown[];
  for (const [key, score] of pairs(tokens)) {
    const entry = parseRevocationEntry({ kind: "token", key, expiresAtSec: Number(score) });
    if (entry) out.set(`token\n${entry.key}`, entry);
  }
  for (const [key, value] of pairs(subjects)) {
    const [cutoff, expiry] = value.split(" ");
    const entry = parseRevocationEntry({
      kind: "subject",
      key,
      cutoffSec: Number(cutoff),
      expiresAtSec: Number(expiry),
    });
    if (entry) out.set(`subject\n${entry.key}`, entry);
  }
  return out;
}

function take<K, V>(map: Map<K, V>, n: number): [K, V][] {
  const out: [K, V][] = [];
  for (const item of map) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}

function* pairs(list: unknown): Generator<[string, string]> {
  if (!Array.isArray(list)) return;
  for (let i = 0; i + 1 < list.length; i += 2) yield [String(list[i]), String(list[i + 1])];
}
