/**
 * Pinned verification keys. The gateway never fetches keys at request time: they come from a
 * JWKS file pulled ahead of time (`npm run jwks:pull`) and are converted to `KeyObject`s once,
 * so the hot path is a `Map` lookup.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "../errors";

/** `kid` of the cognito-local emulator's key; its private key is public, never pin it in production. */
export const EMULATOR_KID = "CognitoLocal";

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_MODULUS_BITS = 2048;

/** Longest `kid` accepted (same bound as the verifier applies to token headers). */
export const MAX_KID_LENGTH = 128;

const PULL_HINT = "run `npm run jwks:pull`";

/** Read-only view of the pinned keys, as the verifier sees them. */
export interface KeyStore {
  /** The key pinned for `kid`, or `undefined` when the `kid` is not pinned. */
  get(kid: string): KeyObject | undefined;
  /** Pinned key ids, in file order. */
  readonly kids: readonly string[];
  /** Changes whenever the key set changes; verifiers drop their caches when it does. */
  readonly version: number;
}

/** An immutable key set, swapped as a whole so readers never see a half-loaded state. */
interface KeySnapshot {
  readonly keys: ReadonlyMap<string, KeyObject>;
  readonly kids: readonly string[];
}

/** A key set that cannot be used: `option` is `keys` (the option that points at it). */
function fail(source: string, problem: string): never {
  throw new ConfigError("malformed", "keys", `${source}: ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The members of a JWK that survive validation. */
interface RsaJwk {
  kid: string;
  n: string;
  e: string;
}

/** Checks the JWK members we rely on; `at` names the key in messages. */
function checkJwkFields(jwk: Record<string, unknown>, at: string, source: string): RsaJwk {
  const { kid, kty, use, alg, n, e } = jwk;
  if (typeof kid !== "string" || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    fail(source, `${at} needs a string "kid" of 1-${MAX_KID_LENGTH} characters; ${PULL_HINT}`);
  }
  if (kty !== "RSA") fail(source, `${at} (kid ${kid}) is not an RSA key; only RS256 is supported`);
  if (use !== undefined && use !== "sig") {
    fail(
      source,
      `${at} (kid ${kid}) has "use" ${JSON.stringify(use)}; only signing keys ("sig") belong here`,
    );
  }
  if (alg !== undefined && alg !== "RS256") {
    fail(source, `${at} (kid ${kid}) has "alg" ${JSON.stringify(alg)}; only RS256 is supported`);
  }
  if (typeof n !== "string" || !BASE64URL.test(n) || typeof e !== "string" || !BASE64URL.test(e)) {
    fail(source, `${at} (kid ${kid}) needs base64url "n" and "e"; ${PULL_HINT}`);
  }
  return { kid, n, e };
}

/** Converts one checked JWK, once; rejects moduli below {@link MIN_RSA_MODULUS_BITS}. */
function toKeyObject({ kid, n, e }: RsaJwk, source: string): KeyObject {
  let key: KeyObject;
  try {
    // Only the public members: a JWK that also carries "d" must not become a private key here.
    key = createPublicKey({ key: { kty: "RSA", n, e }, format: "jwk" });
  } catch (err) {
    throw new ConfigError(
      "malformed",
      "keys",
      `${source}: key ${kid} is not a valid RSA public key; ${PULL_HINT}`,
      {
        cause: err,
      },
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_MODULUS_BITS) {
    fail(source, `key ${kid} has a ${bits}-bit modulus; at least ${MIN_RSA_MODULUS_BITS} needed`);
  }
  return key;
}

/**
 * Validates a JWKS and converts every key to a `KeyObject` (once).
 *
 * Requirements: `{keys: [...]}` non-empty; each key `kty` RSA, `use` absent or `sig`, `alg` absent
 * or RS256, a unique string `kid`, `n` and `e` present, modulus of at least 2048 bits.
 *
 * @param json the parsed JWKS document
 * @param source where it came from (a path or URL), used in error messages
 * @throws ConfigError saying what is wrong and what to do
 */
export function loadJwks(json: unknown, source: string): Map<string, KeyObject> {
  if (!isRecord(json) || !Array.isArray(json.keys)) {
    fail(source, `not a JWKS (expected {"keys": [...]}); ${PULL_HINT}`);
  }
  const list: unknown[] = json.keys;
  if (list.length === 0) fail(source, `has no keys; ${PULL_HINT}`);
  const keys = new Map<string, KeyObject>();
  list.forEach((jwk, index) => {
    const at = `keys[${index}]`;
    if (!isRecord(jwk)) fail(source, `${at} is not an object; ${PULL_HINT}`);
    const rsa = checkJwkFields(jwk, at, source);
    if (keys.has(rsa.kid)) fail(source, `kid ${rsa.kid} appears twice; each kid must be unique`);
    keys.set(rsa.kid, toKeyObject(rsa, source));
  });
  return keys;
}

function snapshotOf(keys: Map<string, KeyObject>): KeySnapshot {
  return Object.freeze({ keys, kids: Object.freeze([...keys.keys()]) });
}

/** Reads and parses a JWKS file; every failure becomes a {@link ConfigError}. */
function readJwksFile(path: string): Map<string, KeyObject> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError("unreadable", "keys", `${path}: cannot be read; ${PULL_HINT}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError("unreadable", "keys", `${path}: is not valid JSON; ${PULL_HINT}`, {
      cause: err,
    });
  }
  return loadJwks(json, path);
}

/**
 * Keys pinned from a JWKS file. Loaded at construction (throws {@link ConfigError} if the file is
 * missing or invalid); {@link FileKeyStore.reload} re-reads it.
 */
export class FileKeyStore implements KeyStore {
  readonly path: string;
  #snapshot: KeySnapshot;
  #version = 1;

  /** @param path path of the pinned `jwks.json` */
  constructor(path: string) {
    this.path = path;
    this.#snapshot = snapshotOf(readJwksFile(path));
  }

  get(kid: string): KeyObject | undefined {
    return this.#snapshot.keys.get(kid);
  }

  get kids(): readonly string[] {
    return this.#snapshot.kids;
  }

  get version(): number {
    return this.#version;
  }

  /**
   * Re-reads the file and swaps the whole key set at once, bumping {@link version}.
   * @throws ConfigError when the file is now invalid; the previous keys stay in use
   */
  reload(): void {
    const next = snapshotOf(readJwksFile(this.path));
    // Single assignment: a concurrent reader sees either the old set or the new one.
    this.#snapshot = next;
    this.#version += 1;
  }
}

/** Keys pinned from an in-memory JWKS object (tests and library use). Never changes. */
export class StaticKeyStore implements KeyStore {
  readonly version = 1;
  readonly kids: readonly string[];
  readonly #keys: ReadonlyMap<string, KeyObject>;

  /**
   * @param jwks a JWKS object, validated like a file
   * @param source name used in error messages
   * @throws ConfigError when the JWKS is invalid
   */
  constructor(jwks: unknown, source = "static JWKS") {
    const snapshot = snapshotOf(loadJwks(jwks, source));
    this.#keys = snapshot.keys;
    this.kids = snapshot.kids;
  }

  get(kid: string): KeyObject | undefined {
    return this.#keys.get(kid);
  }
}
