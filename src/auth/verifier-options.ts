/**
 * Options of the token verifier, and their validation into a complete, frozen configuration.
 * Everything that can be decided once is decided here, so the hot path only compares values.
 */
import { systemClock, type Clock } from "../clock";
import { AWS_REGION, poolRegion, USER_POOL_ID } from "../cognito/options";
import { ConfigError, type ConfigErrorReason } from "../errors";
import { keysOf, numberOption, refuseUnknownKeys, show, type NumberRule } from "../option-rules";
import type { KeyStore } from "./keys";
import type { RevocationStore } from "./revocation";

/** Bounds of the verified-token cache. */
export interface VerifierCacheOptions {
  /** Most tokens cached. Default 10 000. */
  maxEntries?: number;
  /** Most memory held, estimated from token and claims sizes. Default 16 MiB. */
  maxBytes?: number;
}

/** What a verifier accepts. Security checks must be configured, or turned off explicitly. */
export interface VerifierOptions {
  /** Cognito user pool id, `<region>_<id>`. Required unless `issuer` is given. */
  userPoolId?: string;
  /** AWS region. Default: the prefix of `userPoolId`. */
  region?: string;
  /**
   * Expected `iss`, exactly. Default `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`.
   * Must be https, except a loopback host (local emulator, e.g. `http://127.0.0.1:9229/<poolId>`).
   */
  issuer?: string;
  /** App client id(s): `client_id` of access tokens or `aud` of id tokens must be one of them. */
  clientId: string | readonly string[];
  /** Which token kind is accepted. Required: accepting both by accident is a classic bug. */
  tokenUse: "access" | "id";
  /** Scopes that must all be in the `scope` claim (access tokens only). Default: none. */
  scopes?: readonly string[];
  /** Groups of which at least one must be in `cognito:groups`. Default: none. */
  groups?: readonly string[];
  /** The pinned keys; the only source of keys. */
  keys: KeyStore;
  /** Where revocations are checked, or `false` to state that revoked tokens are accepted. */
  revocations: RevocationStore | false;
  /** Tolerance for clock differences, in seconds, 0-300. Default 5. */
  clockSkewSeconds?: number;
  /** Source of time. Default: the system clock. */
  clock?: Clock;
  /** Verified-token cache bounds, or `false` to verify every token fully. Default: on. */
  cache?: false | VerifierCacheOptions;
}

/** The complete configuration a verifier runs with. */
export interface ResolvedVerifierConfig {
  readonly issuer: string;
  readonly clientIds: ReadonlySet<string>;
  readonly tokenUse: "access" | "id";
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  readonly keys: KeyStore;
  readonly revocations: RevocationStore | false;
  readonly clockSkewSeconds: number;
  readonly clock: Clock;
  readonly cache: false | Readonly<Required<VerifierCacheOptions>>;
}

/** Tolerance for clock differences, seconds. */
export const CLOCK_SKEW_RULE: NumberRule = Object.freeze({ default: 5, min: 0, max: 300 });
/** Bounds of the verified-token cache. */
export const CACHE_RULES = Object.freeze({
  maxEntries: { default: 10_000, min: 1, max: 10_000_000, integer: true },
  maxBytes: { default: 16 * 1024 * 1024, min: 1, max: 2 ** 31, integer: true },
} satisfies Record<keyof VerifierCacheOptions, NumberRule>);

export const DEFAULT_CLOCK_SKEW_SECONDS = CLOCK_SKEW_RULE.default;
export const MAX_CLOCK_SKEW_SECONDS = CLOCK_SKEW_RULE.max;
export const DEFAULT_CACHE_MAX_ENTRIES = CACHE_RULES.maxEntries.default;
export const DEFAULT_CACHE_MAX_BYTES = CACHE_RULES.maxBytes.default;

const VERIFIER_KEYS = keysOf<VerifierOptions>({
  userPoolId: true,
  region: true,
  issuer: true,
  clientId: true,
  tokenUse: true,
  scopes: true,
  groups: true,
  keys: true,
  revocations: true,
  clockSkewSeconds: true,
  clock: true,
  cache: true,
});
const CACHE_KEYS = keysOf<VerifierCacheOptions>({ maxEntries: true, maxBytes: true });
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
/** A claim value that is one space-free word (scope names, group names, client ids). */
const WORD = /^[\x21-\x7e]{1,256}$/;

function fail(reason: ConfigErrorReason, option: string, problem: string): never {
  throw new ConfigError(reason, option, `requireAuth/createVerifier: ${problem}`);
}

/** Rethrows a ConfigError from a shared check with this module's prefix. */
function prefixed<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.reason, error.option, error.message);
    throw error;
  }
}

/**
 * Validates `options` (never modifies it) and fills in defaults.
 * @throws ConfigError naming the option that is missing or malformed
 */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierConfig {
  if (typeof options !== "object" || (options as unknown) === null) {
    fail("missing", "options", "options are required");
  }
  prefixed(() => {
    refuseUnknownKeys(options, VERIFIER_KEYS);
  });
  const o: Partial<Record<keyof VerifierOptions, unknown>> = options;
  return Object.freeze({
    issuer: resolveIssuer(o.userPoolId, o.region, o.issuer),
    clientIds: new Set(wordList(o.clientId, "clientId", true)),
    tokenUse: resolveTokenUse(o.tokenUse),
    scopes: resolveScopes(o.scopes, o.tokenUse),
    groups: Object.freeze(wordList(o.groups, "groups", false)),
    keys: resolveKeys(o.keys),
    revocations: resolveRevocations(o.revocations),
    clockSkewSeconds: resolveSkew(o.clockSkewSeconds),
    clock: resolveClock(o.clock),
    cache: resolveCache(o.cache),
  });
}

function resolveIssuer(poolIdOption: unknown, regionOption: unknown, issuer: unknown): string {
  const poolId = matching(
    poolIdOption,
    USER_POOL_ID,
    "userPoolId",
    'userPoolId must look like "<region>_<id>"',
  );
  const region = matching(
    regionOption,
    AWS_REGION,
    "region",
    'region must be an AWS region ("eu-west-1")',
  );
  const fromPool = poolId === undefined ? undefined : poolRegion(poolId);
  if (region !== undefined && fromPool !== undefined && region !== fromPool) {
    fail(
      "conflict",
      "region",
      `region ${region} does not match userPoolId ${poolId ?? ""}; omit region`,
    );
  }
  if (issuer !== undefined) return checkIssuer(issuer, poolId);
  if (poolId === undefined)
    fail("missing", "userPoolId", "userPoolId is required (or pass issuer)");
  const awsRegion = region ?? fromPool;
  if (awsRegion === undefined) {
    fail("missing", "region", `userPoolId ${poolId} has no AWS region; pass issuer`);
  }
  return `https://cognito-idp.${awsRegion}.amazonaws.com/${poolId}`;
}

/** `value` if it is a string matching `pattern`, `undefined` if absent; else fails with `problem`. */
function matching(
  value: unknown,
  pattern: RegExp,
  option: string,
  problem: string,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !pattern.test(value)) {
    fail("malformed", option, `${problem}, got ${show(value)}`);
  }
  return value;
}

function checkIssuer(issuer: unknown, poolId: string | undefined): string {
  if (typeof issuer !== "string")
    fail("malformed", "issuer", `issuer must be a URL string, got ${show(issuer)}`);
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    fail("malformed", "issuer", `issuer is not a URL: ${issuer}`);
  }
  const local = url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !local) {
    fail(
      "insecure",
      "issuer",
      `issuer must use https (plain http only on a loopback host): ${issuer}`,
    );
  }
  if (url.search !== "" || url.hash !== "" || issuer.endsWith("/")) {
    fail(
      "malformed",
      "issuer",
      `issuer must be "<origin>/<userPoolId>" exactly, with no trailing slash: ${issuer}`,
    );
  }
  if (poolId !== undefined && !issuer.endsWith(`/${poolId}`)) {
    fail("conflict", "issuer", `issuer ${issuer} does not end with the userPoolId ${poolId}`);
  }
  return issuer;
}

/** A list of space-free words from a string or array; `required` forbids omitting it. */
function wordList(value: unknown, name: string, required: boolean): string[] {
  if (value === undefined && !required) return [];
  const list: unknown[] = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  if (list.length === 0) {
    fail(
      value === undefined ? "missing" : "malformed",
      name,
      `${name} must be a non-empty string or array of strings${required ? "" : " (or omit it)"}`,
    );
  }
  for (const item of list) {
    if (typeof item !== "string" || !WORD.test(item)) {
      fail(
        "malformed",
        name,
        `${name} entries must be non-empty strings without spaces, got ${show(item)}`,
      );
    }
  }
  return [...(list as string[])];
}

function resolveTokenUse(value: unknown): "access" | "id" {
  if (value !== "access" && value !== "id") {
    fail(
      value === undefined ? "missing" : "malformed",
      "tokenUse",
      `tokenUse is required: "access" or "id", got ${show(value)}`,
    );
  }
  return value;
}

function resolveScopes(value: unknown, tokenUse: unknown): readonly string[] {
  const scopes = wordList(value, "scopes", false);
  if (scopes.length > 0 && tokenUse !== "access") {
    fail(
      "conflict",
      "scopes",
      "scopes apply to access tokens only (id tokens have no scope claim); use groups",
    );
  }
  return Object.freeze(scopes);
}

function resolveKeys(value: unknown): KeyStore {
  const store = value as Partial<KeyStore> | undefined;
  if (typeof store?.get !== "function" || typeof store.version !== "number") {
    fail("malformed", "keys", "keys must be a KeyStore (FileKeyStore or StaticKeyStore)");
  }
  return store as KeyStore;
}

function resolveRevocations(value: unknown): RevocationStore | false {
  if (value === false) return false;
  const store = value as Partial<RevocationStore> | undefined;
  if (typeof store?.isRevoked !== "function") {
    fail(
      value === undefined ? "missing" : "malformed",
      "revocations",
      "revocations is required: a RevocationStore, or false to accept revoked tokens",
    );
  }
  return store as RevocationStore;
}

function resolveSkew(value: unknown): number {
  return prefixed(() => numberOption(value, CLOCK_SKEW_RULE, "clockSkewSeconds"));
}

function resolveClock(value: unknown): Clock {
  if (value === undefined) return systemClock;
  if (!isClock(value))
    fail("malformed", "clock", "clock must be a Clock, with now() in milliseconds");
  return value;
}

function isClock(value: unknown): value is Clock {
  return (
    typeof value === "object" && value !== null && typeof Reflect.get(value, "now") === "function"
  );
}

function resolveCache(value: unknown): ResolvedVerifierConfig["cache"] {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    fail("malformed", "cache", "cache must be false or {maxEntries?, maxBytes?}");
  }
  const cache = (value ?? {}) as Record<string, unknown>;
  return prefixed(() => {
    refuseUnknownKeys(cache, CACHE_KEYS, "cache.");
    return Object.freeze({
      maxEntries: numberOption(cache.maxEntries, CACHE_RULES.maxEntries, "cache.maxEntries"),
      maxBytes: numberOption(cache.maxBytes, CACHE_RULES.maxBytes, "cache.maxBytes"),
    });
  });
}
