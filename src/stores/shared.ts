/**
 * The shared state of several gateway instances, on one Redis connection: revocations (mirrored
 * in memory), keyed state, and rate-limit stores. `createGateway({ redis })` opens it.
 */
import type { Store } from "express-rate-limit";
import type { Clock } from "../clock";
import type { Logger } from "../logger";
import type { GatewayConfig, GatewayOptions } from "../options";
import { RedisConnection, type RedisStatus } from "./redis";
import type { RedisConfig } from "./redis-options";
import { redisRateLimitStores } from "./redis-rate-limit";
import { RedisRevocationStore } from "./redis-revocation";
import { RedisStateStore } from "./redis-state";

/** What `/readyz` reports about the shared state. */
export interface SharedHealth {
  /** Whether this instance should get traffic (see README "Several instances"). */
  ready: boolean;
  /** `checks.redis` of `/readyz`. */
  status: RedisStatus;
  /** Revocations acknowledged here and not yet written to Redis. */
  queued: number;
}

/** The shared stores of one gateway, and their lifecycle. */
export interface SharedState {
  readonly connection: RedisConnection;
  readonly revocations: RedisRevocationStore;
  readonly state: RedisStateStore;
  /** The `rateLimit.store` factory. */
  readonly rateLimitStore: (prefix: string) => Store;
  health(): SharedHealth;
  /** Writes queued revocations (bounded), then closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** What {@link openSharedState} needs besides the Redis options. */
export interface SharedStateDeps {
  logger: Logger;
  clock: Clock;
  clockSkewSeconds: number;
  retryAfterSeconds: number;
}

/** Opens the connection (in the background: nothing here waits for Redis) and the stores. */
export function openSharedState(config: RedisConfig, deps: SharedStateDeps): SharedState {
  const connection = new RedisConnection(config, deps);
  const revocations = new RedisRevocationStore({ connection, ...deps });
  const state = new RedisStateStore(connection, deps);
  const limits = redisRateLimitStores(connection, deps.logger);
  connection.start();
  let closing: Promise<void> | undefined;
  return {
    connection,
    revocations,
    state,
    rateLimitStore: limits.storeFor,
    health() {
      const { status } = connection.health();
      return { ready: isReady(status, config, revocations), status, queued: revocations.queued };
    },
    close() {
      closing ??= (async () => {
        await revocations.close();
        await limits.close();
        await connection.close();
      })();
      return closing;
    },
  };
}

/**
 * Ready when the mirror was filled from Redis once and no eviction risk is known. Then, while
 * Redis is lost, still ready (degraded) with `failure: "open"`; with `"closed"`, only until the
 * mirror is stale beyond the bound (protected routes answer 503 from then on).
 */
function isReady(status: RedisStatus, config: RedisConfig, revocations: RedisRevocationStore) {
  if (status === "eviction_policy" || !revocations.everSynced) return false;
  if (config.failure === "open") return true;
  return revocations.staleMs <= config.maxStaleSeconds * 1000;
}

/**
 * `config` with the shared stores wherever the caller did not pass its own: revocations, keyed
 * state and the rate-limit store factory.
 */
export function withSharedState(
  config: GatewayConfig,
  options: Pick<GatewayOptions, "revocations" | "state">,
  shared: SharedState,
): GatewayConfig {
  const { rateLimit } = config;
  return {
    ...config,
    revocations: options.revocations ?? shared.revocations,
    state: options.state ?? shared.state,
    rateLimit:
      rateLimit === false
        ? false
        : { ...rateLimit, store: rateLimit.store ?? shared.rateLimitStore },
  };
}
