/**
 * Sealed values: authenticated encryption (AES-256-GCM) of small JSON payloads that expire and are
 * bound to one purpose. Session cookies, sign-in challenge handles and device tokens are sealed,
 * so a client can hold them but can neither read nor forge nor move them from one use to another.
 *
 * Keys: one secret (`SESSION_SECRET`) plus previous secrets during rotation. Each purpose gets its
 * own key, derived with HKDF-SHA256, so a value sealed for one purpose never opens for another.
 * A sealed value names its key by a short id; values sealed under a previous secret still open
 * until they expire, new values are always sealed under the current one.
 *
 * Format (base64url): version(1) | key id(4) | iv(12) | ciphertext | tag(16); the plaintext is
 * JSON `{"e": expiresAtMs, "d": payload}`; the version, key id and purpose are authenticated data.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { systemClock, type Clock } from "../clock";
import { ConfigError } from "../errors";

/** Options of {@link createSealer}. */
export interface SealerOptions {
  /** The current secret first, then previous ones still accepted. Each ≥ 32 characters. */
  secrets: readonly string[];
  /** What the values are for (e.g. `session`, `challenge`, `device`): keys differ per purpose. */
  purpose: string;
  /** Source of time. Default: the system clock. */
  clock?: Clock;
  /** Longest sealed value accepted by {@link Sealer.open}, characters. Default 8192. */
  maxLength?: number;
}

/** An opened sealed value. */
export interface Opened<T> {
  payload: T;
  /** When it stops opening, ms since the epoch. */
  expiresAtMs: number;
}

/** Seals and opens values of one purpose. */
export interface Sealer {
  /** Seals a JSON-serialisable payload that opens for `ttlSeconds`. */
  seal(payload: unknown, ttlSeconds: number): string;
  /**
   * Opens a sealed value; undefined when it is malformed, tampered with, sealed for another purpose
   * or under an unknown key, or expired. Never throws on client input.
   */
  open<T = unknown>(sealed: string): Opened<T> | undefined;
}

/** Shortest secret accepted: 32 characters (256 bits of a random base64 string is 43). */
export const MIN_SECRET_LENGTH = 32;

const VERSION = 1;
const HEADER = 1 + 4;
const IV = 12;
const TAG = 16;

interface Key {
  id: Buffer;
  key: Buffer;
}

/** Builds a {@link Sealer}; throws ConfigError for missing or short secrets. */
export function createSealer(options: SealerOptions): Sealer {
  const keys = deriveKeys(options);
  const clock = options.clock ?? systemClock;
  const maxLength = options.maxLength ?? 8192;
  const current = keys[0];
  if (current === undefined)
    throw new ConfigError("missing", "secrets", "createSealer: no secret given");
  const aad = (header: Buffer) => Buffer.concat([header, Buffer.from(options.purpose, "utf8")]);

  return {
    seal(payload, ttlSeconds) {
      if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
        throw new RangeError("seal: ttlSeconds must be a positive number");
      }
      const header = Buffer.concat([Buffer.from([VERSION]), current.id]);
      const iv = randomBytes(IV);
      const cipher = createCipheriv("aes-256-gcm", current.key, iv);
      cipher.setAAD(aad(header));
      const plain = JSON.stringify({ e: clock.now() + ttlSeconds * 1000, d: payload });
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    open<T>(sealed: string): Opened<T> | undefined {
      if (typeof sealed !== "string" || sealed.length > maxLength) return undefined;
      const raw = Buffer.from(sealed, "base64url");
      if (raw.length < HEADER + IV + TAG + 1 || raw[0] !== VERSION) return undefined;
      const header = raw.subarray(0, HEADER);
      const key = keys.find((k) => k.id.equals(header.subarray(1)));
      if (key === undefined) return undefined;
      const plain = decrypt(key.key, aad(header), raw.subarray(HEADER));
      if (plain === undefined) return undefined;
      const parsed = parse(plain);
      if (parsed === undefined || parsed.e <= clock.now()) return undefined;
      return { payload: parsed.d as T, expiresAtMs: parsed.e };
    },
  };
}

function deriveKeys(options: SealerOptions): Key[] {
  if (typeof options.purpose !== "string" || options.purpose === "") {
    throw new ConfigError(
      "malformed",
      "purpose",
      "createSealer: purpose must be a non-empty string",
    );
  }
  if (!Array.isArray(options.secrets) || options.secrets.length === 0) {
    throw new ConfigError(
      "missing",
      "sessionSecret",
      "SESSION_SECRET is missing: set it to a random string of 32+ characters",
    );
  }
  return options.secrets.map((secret, index) => {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
      const which = index === 0 ? "SESSION_SECRET" : "SESSION_SECRET_PREVIOUS";
      throw new ConfigError(
        "out_of_range",
        "sessionSecret",
        `${which} must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`,
      );
    }
    const key = Buffer.from(
      hkdfSync("sha256", secret, "cognito-gateway/seal", `purpose:${options.purpose}`, 32),
    );
    const id = createHash("sha256").update(key).digest().subarray(0, 4);
    return { id, key };
  });
}

function decrypt(key: Buffer, aad: Buffer, rest: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, rest.subarray(0, IV));
    decipher.setAAD(aad);
    decipher.setAuthTag(rest.subarray(rest.length - TAG));
    const body = rest.subarray(IV, rest.length - TAG);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    return undefined; // tampered, truncated or another key: all the same to the caller
  }
}

function parse(plain: string): { e: number; d: unknown } | undefined {
  try {
    const value = JSON.parse(plain) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    const { e, d } = value as { e?: unknown; d?: unknown };
    return typeof e === "number" ? { e, d } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `sessionSecret` option as a list, current first; undefined when none is configured.
 * @throws ConfigError when a secret is shorter than {@link MIN_SECRET_LENGTH}
 */
export function resolveSessionSecrets(
  value: string | readonly string[] | undefined,
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] =
    typeof value === "string" ? [value] : Array.isArray(value) ? [...(value as unknown[])] : [];
  if (
    list.length === 0 ||
    list.some((s) => typeof s !== "string" || s.length < MIN_SECRET_LENGTH)
  ) {
    throw new ConfigError(
      list.length === 0 ? "malformed" : "out_of_range",
      "sessionSecret",
      `sessionSecret must be a string of at least ${MIN_SECRET_LENGTH} characters, or a list of them (SESSION_SECRET, SESSION_SECRET_PREVIOUS).`,
    );
  }
  return Object.freeze(list as string[]);
}
