/**
 * Options of browser sessions (backend-for-frontend cookies): their type, defaults and checks.
 * The one place that decides what a session cookie looks like and who may use it.
 */
import { ConfigError } from "../errors";
import { keysOf, numberOption, refuseUnknownKeys } from "../option-rules";

/** SameSite attribute of the session cookies. */
export type SameSite = "Strict" | "Lax" | "None";

/** What `sameSite` may be. */
export const SAME_SITE_VALUES: readonly SameSite[] = Object.freeze(["Strict", "Lax", "None"]);

/** Where a session's tokens live. */
export type SessionStoreMode = "auto" | "server";

/** What `store` may be. */
export const SESSION_STORE_MODES: readonly SessionStoreMode[] = Object.freeze(["auto", "server"]);

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

/** Defaults of the session options (`maxAgeSeconds`: the gateway's refresh-token lifetime). */
export const DEFAULT_SESSION_OPTIONS = Object.freeze({
  secure: true,
  sameSite: "Strict",
  store: "auto",
  origins: Object.freeze([]),
} satisfies Required<Omit<SessionOptions, "maxAgeSeconds">>);

/** Shortest session, seconds. */
const MIN_MAX_AGE_SECONDS = 60;

const KEYS = keysOf<SessionOptions>({
  secure: true,
  sameSite: true,
  origins: true,
  store: true,
  maxAgeSeconds: true,
});

/**
 * Checks session options against the gateway's: throws ConfigError for sessions without an
 * explicitly configured secret, `SameSite=None` without `Secure`, a wildcard or malformed origin,
 * an unknown option, or a session longer than the refresh token.
 */
export function resolveSessionOptions(
  options: SessionOptions | true,
  gateway: { sessionSecrets: readonly string[] | undefined; refreshTokenMaxSeconds: number },
): SessionConfig {
  if (options !== true && (typeof options !== "object" || (options as unknown) === null)) {
    throw new ConfigError("malformed", "session", "session must be true, false or an object.");
  }
  const o: Required<Omit<SessionOptions, "maxAgeSeconds">> & SessionOptions = {
    ...DEFAULT_SESSION_OPTIONS,
    ...(options === true ? {} : refuseUnknown(options)),
  };
  if (gateway.sessionSecrets === undefined) {
    throw new ConfigError(
      "missing",
      "sessionSecret",
      "session: browser sessions need a sealing secret: set SESSION_SECRET (or pass sessionSecret) to a random string of 32+ characters, e.g. `openssl rand -base64 32`.",
    );
  }
  const { secure, sameSite, store } = o;
  if (typeof secure !== "boolean") {
    throw new ConfigError("malformed", "session.secure", "session.secure must be true or false.");
  }
  oneOf(sameSite, SAME_SITE_VALUES, "session.sameSite");
  if (sameSite === "None" && !secure) {
    throw new ConfigError(
      "insecure",
      "session.sameSite",
      "session.sameSite None requires secure cookies: browsers refuse it.",
    );
  }
  oneOf(store, SESSION_STORE_MODES, "session.store");
  return Object.freeze({
    secure,
    sameSite,
    origins: credentialedOrigins(o.origins),
    store,
    maxAgeSeconds: maxAge(o.maxAgeSeconds, gateway.refreshTokenMaxSeconds),
  });
}

function refuseUnknown(options: SessionOptions): SessionOptions {
  refuseUnknownKeys(options, KEYS, "session.");
  return options;
}

function oneOf(value: string, allowed: readonly string[], name: string): void {
  if (!allowed.includes(value)) {
    throw new ConfigError(
      "malformed",
      name,
      `${name} must be ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1) ?? ""} (got "${value}").`,
    );
  }
}

/** A session never outlives its refresh token: that lifetime is the default and the bound. */
function maxAge(value: number | undefined, refreshTokenMaxSeconds: number): number {
  const rule = {
    default: refreshTokenMaxSeconds,
    min: MIN_MAX_AGE_SECONDS,
    max: refreshTokenMaxSeconds,
  };
  if (typeof value === "number" && value > refreshTokenMaxSeconds) {
    throw new ConfigError(
      "conflict",
      "session.maxAgeSeconds",
      `session.maxAgeSeconds (${value}) must not exceed refreshTokenMaxSeconds (${refreshTokenMaxSeconds}): a session never outlives its refresh token.`,
    );
  }
  return numberOption(value, rule, "session.maxAgeSeconds");
}

/**
 * Origins allowed to send credentials: each an exact `scheme://host[:port]`. A wildcard with
 * credentials would let every site act as the signed-in user, so it is refused.
 */
export function credentialedOrigins(origins: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(origins)) {
    throw new ConfigError(
      "malformed",
      "session.origins",
      "session.origins must be a list of origins.",
    );
  }
  for (const origin of origins) {
    if (typeof origin !== "string" || origin.includes("*") || origin === "null") {
      throw new ConfigError(
        "insecure",
        "session.origins",
        `session.origins: "${String(origin)}" is not allowed: a wildcard (or "null") origin with credentials lets any site act as the signed-in user. List exact origins.`,
      );
    }
    if (originOf(origin) !== origin) {
      throw new ConfigError(
        "malformed",
        "session.origins",
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
