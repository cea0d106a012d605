/**
 * Options of browser sessions (backend-for-frontend cookies): their type, defaults and checks.
 * The one place that decides what a session cookie looks like and who may use it.
 */
import { ConfigError } from "../errors";

/** SameSite attribute of the session cookies. */
export type SameSite = "Strict" | "Lax" | "None";

/** Where a session's tokens live. */
export type SessionStoreMode = "auto" | "server";

/** Options of browser sessions (`createGateway({session})`). */
export interface SessionOptions {
  /**
   * `Secure` cookies with the `__Host-` / `__Secure-` prefixes. Default true. `false` is for
   * plain-http loopback development only (local mode): browsers refuse Secure cookies over http.
   */
  secure?: boolean;
  /** Default `Strict`. `None` requires `secure`. */
  sameSite?: SameSite;
  /**
   * Origins other than the gateway's own that may make cookie-authenticated requests (CORS with
   * credentials), e.g. `https://app.example.com`. Exact origins only; never `*`. Default none.
   */
  origins?: readonly string[];
  /**
   * `auto` (default): tokens travel in sealed cookies when every cookie fits in 4096 bytes, else
   * they stay in the gateway's state store behind a small sealed cookie. `server`: always the
   * latter (the shared store must then be shared by every instance).
   */
  store?: SessionStoreMode;
  /**
   * Longest session from sign-in, seconds. Default and upper bound: the gateway's
   * `refreshTokenMaxSeconds` (a session never outlives its refresh token).
   */
  maxAgeSeconds?: number;
}

/** {@link SessionOptions} resolved and checked. */
export interface SessionConfig {
  readonly secure: boolean;
  readonly sameSite: SameSite;
  readonly origins: ReadonlySet<string>;
  readonly store: SessionStoreMode;
  readonly maxAgeSeconds: number;
}

const KEYS = ["secure", "sameSite", "origins", "store", "maxAgeSeconds"] as const;

/**
 * Checks session options against the gateway's: throws ConfigError for sessions without an
 * explicitly configured secret, `SameSite=None` without `Secure`, a wildcard or malformed origin,
 * an unknown option, or a session longer than the refresh token.
 */
export function resolveSessionOptions(
  options: SessionOptions | true,
  gateway: { sessionSecrets: readonly string[] | undefined; refreshTokenMaxSeconds: number },
): SessionConfig {
  const o: SessionOptions = options === true ? {} : { ...options };
  refuseUnknownKeys(o);
  if (gateway.sessionSecrets === undefined) {
    throw new ConfigError(
      "session: browser sessions need a sealing secret: set SESSION_SECRET (or pass sessionSecret) to a random string of 32+ characters, e.g. `openssl rand -base64 32`.",
    );
  }
  const secure = o.secure ?? true;
  if (typeof secure !== "boolean") throw new ConfigError("session.secure must be true or false.");
  const sameSite = o.sameSite ?? "Strict";
  if (!["Strict", "Lax", "None"].includes(sameSite)) {
    throw new ConfigError(`session.sameSite must be Strict, Lax or None (got "${sameSite}").`);
  }
  if (sameSite === "None" && !secure) {
    throw new ConfigError("session.sameSite None requires secure cookies: browsers refuse it.");
  }
  const maxAgeSeconds = o.maxAgeSeconds ?? gateway.refreshTokenMaxSeconds;
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 60) {
    throw new ConfigError("session.maxAgeSeconds must be at least 60.");
  }
  if (maxAgeSeconds > gateway.refreshTokenMaxSeconds) {
    throw new ConfigError(
      `session.maxAgeSeconds (${maxAgeSeconds}) must not exceed refreshTokenMaxSeconds (${gateway.refreshTokenMaxSeconds}): a session never outlives its refresh token.`,
    );
  }
  const store = o.store ?? "auto";
  if (!["auto", "server"].includes(store)) {
    throw new ConfigError(`session.store must be auto or server (got "${store}").`);
  }
  return Object.freeze({
    secure,
    sameSite,
    origins: credentialedOrigins(o.origins ?? []),
    store,
    maxAgeSeconds,
  });
}

/**
 * Origins allowed to send credentials: each an exact `scheme://host[:port]`. A wildcard with
 * credentials would let every site act as the signed-in user, so it is refused.
 */
export function credentialedOrigins(origins: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(origins)) throw new ConfigError("session.origins must be a list of origins.");
  for (const origin of origins) {
    if (typeof origin !== "string" || origin.includes("*") || origin === "null") {
      throw new ConfigError(
        `session.origins: "${String(origin)}" is not allowed: a wildcard (or "null") origin with credentials lets any site act as the signed-in user. List exact origins.`,
      );
    }
    if (originOf(origin) !== origin) {
      throw new ConfigError(
        `session.origins: "${origin}" is not an origin: write scheme://host[:port] with no path or trailing slash.`,
      );
    }
  }
  return new Set(origins);
}

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function refuseUnknownKeys(options: object): void {
  for (const key of Object.keys(options)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    const near = KEYS.find((known) => closeEnough(known, key));
    throw new ConfigError(
      `session: unknown option "${key}"${near === undefined ? "" : ` — did you mean "${near}"?`}`,
    );
  }
}

/** Case-insensitive match, or one edit apart (a typo). */
function closeEnough(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  if (Math.abs(x.length - y.length) > 1) return false;
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  const tail = (s: string, skip: number) => s.slice(i + skip);
  return (
    tail(x, 1) === tail(y, 1) || // substitution
    tail(x, 1) === tail(y, 0) || // deletion
    tail(x, 0) === tail(y, 1) // insertion
  );
}
