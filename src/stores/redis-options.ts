/**
 * Options of the shared state on Redis (or Valkey): the one place their types, defaults and
 * validation live. `REDIS_URL` and friends in `src/config.ts` map onto {@link RedisOptions}.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../errors";
import {
  defaultsOf,
  keysOf,
  numberOptions,
  refuseUnknownKeys,
  type NumberRule,
} from "../option-rules";

/** What the gateway does with protected routes while its revocation mirror may be stale. */
export type RedisFailureMode = "open" | "closed";

/** Options of the shared state. Only `url` is required. */
export interface RedisOptions {
  /**
   * `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS. Percent-encode special
   * characters of the user and password. Required.
   */
  url: string;
  /**
   * Prefix of every key and channel, so several gateways (or apps) share one Redis; grant the
   * gateway's ACL user `~<prefix>*` and `&<prefix>*`. Default `cognito-gateway:`.
   */
  keyPrefix?: string;
  /** Longest wait for one command, ms; a slower answer counts as a failure. Default 250. */
  commandTimeoutMs?: number;
  /** Longest wait for a connection, ms. Default 2000. */
  connectTimeoutMs?: number;
  /**
   * `open` (default): while Redis is unreachable, tokens are verified from the local mirror of
   * revocations. `closed`: protected routes answer 503 with Retry-After while the mirror is
   * stale beyond `maxStaleSeconds`.
   */
  failure?: RedisFailureMode;
  /** How stale the mirror may be before `failure: "closed"` refuses, seconds. Default 5. */
  maxStaleSeconds?: number;
  /**
   * Accept a `maxmemory-policy` that can evict keys (only logged as an error). Default false:
   * such a server keeps `/readyz` at 503, since eviction would silently drop revocations.
   */
  allowEviction?: boolean;
  /** Path of a PEM CA bundle that signs the server's certificate (`rediss://`). Default: Node's CAs. */
  tlsCaFile?: string;
}

/** {@link RedisOptions} with defaults filled in and the URL parsed. Internal. */
export interface RedisConfig {
  readonly url: string;
  /** The URL without its password, for logs. */
  readonly safeUrl: string;
  readonly tls: boolean;
  readonly tlsCa: string | undefined;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly failure: RedisFailureMode;
  readonly maxStaleSeconds: number;
  readonly allowEviction: boolean;
}

export const DEFAULT_REDIS_KEY_PREFIX = "cognito-gateway:";

/** What `failure` may be. */
export const REDIS_FAILURE_MODES: readonly RedisFailureMode[] = Object.freeze(["open", "closed"]);

/** Defaults and bounds of the numeric options (config.ts maps REDIS_* onto the same rules). */
export const REDIS_RULES = Object.freeze({
  commandTimeoutMs: { default: 250, min: 10, max: 60_000 },
  connectTimeoutMs: { default: 2000, min: 10, max: 60_000 },
  maxStaleSeconds: { default: 5, min: 1, max: 3600 },
} satisfies Record<string, NumberRule>);

/** Defaults of the numeric options. */
export const REDIS_DEFAULTS = defaultsOf(REDIS_RULES);

const KEYS = keysOf<RedisOptions>({
  url: true,
  keyPrefix: true,
  commandTimeoutMs: true,
  connectTimeoutMs: true,
  failure: true,
  maxStaleSeconds: true,
  allowEviction: true,
  tlsCaFile: true,
});

/** Fills defaults and checks every option once; throws ConfigError saying what to fix. */
export function resolveRedisOptions(options: RedisOptions): RedisConfig {
  // JavaScript callers can pass anything: check what the type promises.
  if (typeof (options as unknown) !== "object" || (options as unknown) === null) {
    throw new ConfigError(
      "malformed",
      "redis",
      "redis must be an object such as { url: 'redis://127.0.0.1:6379' }.",
    );
  }
  refuseUnknownKeys(options, KEYS, "redis.");
  const url = parseRedisUrl(options.url);
  const failure = options.failure ?? "open";
  if (!REDIS_FAILURE_MODES.includes(failure)) {
    throw new ConfigError(
      "malformed",
      "redis.failure",
      `redis.failure must be "open" or "closed" (REDIS_FAILURE).`,
    );
  }
  return Object.freeze({
    url: options.url,
    safeUrl: safeUrl(url),
    tls: url.protocol === "rediss:",
    tlsCa: options.tlsCaFile === undefined ? undefined : readCa(options.tlsCaFile),
    keyPrefix: keyPrefix(options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX),
    ...numberOptions(options, REDIS_RULES, "redis."),
    failure,
    allowEviction: allowEviction(options.allowEviction),
  });
}

function allowEviction(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new ConfigError(
      "malformed",
      "redis.allowEviction",
      "redis.allowEviction (REDIS_ALLOW_EVICTION) must be true or false.",
    );
  }
  return value;
}

/** Parses and checks a Redis URL; the message never repeats the URL (it may hold a password). */
function parseRedisUrl(value: unknown): URL {
  const hint = "REDIS_URL must look like redis://user:password@host:6379/0 or rediss://… for TLS";
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(value === undefined ? "missing" : "malformed", "redis.url", `${hint}.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("malformed", "redis.url", `${hint} (it is not a URL).`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError(
      "malformed",
      "redis.url",
      `${hint} (the scheme must be redis: or rediss:).`,
    );
  }
  if (url.hostname === "") {
    throw new ConfigError("malformed", "redis.url", `${hint} (the host is missing).`);
  }
  if (!/^(\/\d{0,2})?$/.test(url.pathname)) {
    throw new ConfigError(
      "malformed",
      "redis.url",
      `${hint} (the path may only be a database number).`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigError(
      "malformed",
      "redis.url",
      `${hint} (no query or fragment: use the REDIS_* settings).`,
    );
  }
  return url;
}

function safeUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== "") copy.password = "***";
  return copy.href;
}

function keyPrefix(value: unknown): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9:_.-]{1,64}$/.test(value)) {
    throw new ConfigError(
      "malformed",
      "redis.keyPrefix",
      "redis.keyPrefix (REDIS_KEY_PREFIX) must be 1 to 64 characters of A-Z a-z 0-9 : _ . - such as cognito-gateway:",
    );
  }
  return value;
}

function readCa(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(
      "unreadable",
      "redis.tlsCaFile",
      `redis.tlsCaFile (REDIS_TLS_CA_FILE) ${file} cannot be read.`,
    );
  }
}
