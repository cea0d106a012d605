/**
 * Verification of Cognito JWTs against pinned keys: the hot path of every protected route.
 *
 * Order of work: shape checks, header checks and the pinned-key lookup, payload decoding and
 * the time checks all come before the one RSA operation, so a malformed, unknown-kid or expired
 * token costs no RSA work. Tokens that passed are cached (served only to the identical full token
 * string) until their `exp`; revocation is checked on every request, cached or not.
 */
import { verify as verifySignature, type KeyObject } from "node:crypto";
import { GatewayError } from "../errors";
import {
  decodeSegment,
  MAX_TOKEN_LENGTH,
  hasDuplicateKeys,
  parseJsonObject,
  parseJsonObjectLoosely,
  signatureBytes,
  signingInput,
  splitCompactJws,
} from "./jws";
import { MAX_KID_LENGTH } from "./keys";
import { rejection, type RejectReason } from "./rejections";
import { VerifiedTokenCache, type TokenCacheStats } from "./token-cache";
import {
  resolveVerifierOptions,
  type ResolvedVerifierConfig,
  type VerifierOptions,
} from "./verifier-options";

export type { VerifierOptions, VerifierCacheOptions } from "./verifier-options";
export type { TokenCacheStats } from "./token-cache";

/** Claims of a verified Cognito access or id token (deep-frozen). */
export interface CognitoClaims {
  readonly sub: string;
  readonly iss: string;
  readonly token_use: "access" | "id";
  readonly exp: number;
  readonly iat: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly origin_jti?: string;
  /** Access tokens: the app client the token was issued to. */
  readonly client_id?: string;
  /** Id tokens: the app client the token was issued to. */
  readonly aud?: string;
  readonly username?: string;
  readonly "cognito:username"?: string;
  /** Access tokens: space-separated scopes. */
  readonly scope?: string;
  readonly "cognito:groups"?: readonly string[];
  readonly email?: string;
  readonly auth_time?: number;
  readonly [claim: string]: unknown;
}

/** What {@link TokenVerifier.check} answers: the verified claims, or the error to answer with. */
export type VerifyOutcome = CognitoClaims | GatewayError;

/** A configured verifier. Refusals are {@link GatewayError}s: `invalid_token` or `insufficient_scope`. */
export interface TokenVerifier {
  /** The configuration in use (defaults filled in). */
  readonly config: ResolvedVerifierConfig;
  /**
   * Verifies `token` completely, revocation included.
   * @returns the claims; rejects with a GatewayError when the token is refused
   */
  verify(token: string): Promise<CognitoClaims>;
  /**
   * The hot-path form of {@link verify}: the same checks, but a refusal is returned (not thrown),
   * and the answer is synchronous unless the revocation store answers with a promise. Only a
   * failing revocation store throws or rejects.
   */
  check(token: string): VerifyOutcome | Promise<VerifyOutcome>;
  /** Cache counters (all zero when the cache is off). */
  cacheStats(): TokenCacheStats;
}

/**
 * Builds a verifier. Validates and resolves `options` once (never modifying them).
 * @throws ConfigError when an option is missing or malformed
 */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  return new CognitoTokenVerifier(resolveVerifierOptions(options));
}

const EMPTY_STATS: TokenCacheStats = Object.freeze({ entries: 0, bytes: 0, hits: 0, misses: 0 });

/** Fixed per-entry overhead added to the size estimate of a cached token (Map slot, objects). */
const ENTRY_OVERHEAD_BYTES = 256;

/** Distinct valid header segments remembered (Cognito uses one per signing key). */
const MAX_REMEMBERED_HEADERS = 32;

/*
 * Internally every check returns a RejectReason instead of throwing: a refusal is an ordinary
 * outcome here, and throwing costs more than the checks that lead to it.
 */
class CognitoTokenVerifier implements TokenVerifier {
  readonly config: ResolvedVerifierConfig;
  readonly #cache: VerifiedTokenCache<CognitoClaims> | undefined;
  /** Header segment → its pinned key: Cognito reuses a few headers, so their decoding is skipped. */
  readonly #headerKeys = new Map<string, KeyObject>();
  #keysVersion: number;

  constructor(config: ResolvedVerifierConfig) {
    this.config = config;
    const { cache } = config;
    this.#cache =
      cache === false ? undefined : new VerifiedTokenCache(cache.maxEntries, cache.maxBytes);
    this.#keysVersion = config.keys.version;
  }

  verify(token: string): Promise<CognitoClaims> {
    try {
      const outcome = this.check(token);
      return outcome instanceof Promise ? outcome.then(settle) : settle(outcome);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  check(token: string): VerifyOutcome | Promise<VerifyOutcome> {
    const claims = this.#checkUnrevoked(token);
    if (typeof claims === "string") return rejection(claims);
    const store = this.config.revocations;
    if (store === false) return claims;
    const revoked = store.isRevoked(claims);
    if (revoked === false) return claims;
    if (revoked === true) return rejection("revoked");
    // Any thenable becomes a native promise; any answer other than `false` refuses (fail closed).
    return Promise.resolve(revoked).then((answer: unknown) =>
      answer === false ? claims : rejection("revoked"),
    );
  }

  cacheStats(): TokenCacheStats {
    return this.#cache?.stats() ?? EMPTY_STATS;
  }

  /** Every check but revocation: from the cache when possible, else in full. */
  #checkUnrevoked(token: string): CognitoClaims | RejectReason {
    // Before anything else: an oversized string is not even hashed for the cache lookup.
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return "malformed";
    const now = this.config.clock.now() / 1000;
    if (this.config.keys.version !== this.#keysVersion) this.#forgetKeys();
    // A hit re-checks expiry (the entry is never served at or after `exp`); revocation follows.
    return this.#cache?.get(token, now) ?? this.#checkFully(token, now);
  }

  /** The key set changed: what the old keys vouched for must be verified again. */
  #forgetKeys(): void {
    this.#cache?.clear();
    this.#headerKeys.clear();
    this.#keysVersion = this.config.keys.version;
  }

  #checkFully(token: string, now: number): CognitoClaims | RejectReason {
    const dots = splitCompactJws(token);
    if (dots === undefined) return "malformed";
    const key = this.#keyForHeader(token.slice(0, dots.first));
    if (typeof key === "string") return key;
    const payloadJson = decodeSegment(token.slice(dots.first + 1, dots.second));
    const payload = parseJsonObjectLoosely(payloadJson);
    if (payload === undefined) return "malformed";
    // Expired and not-yet-valid tokens are refused before the duplicate-key scan: refusing
    // early is always safe, and these are the common refusals.
    const untimely = timesRefusal(payload, now, this.config.clockSkewSeconds);
    if (untimely !== undefined) return untimely;
    if (hasDuplicateKeys(payloadJson, payload)) return "malformed";
    if (!signatureValid(token, dots.second, key)) return "bad_signature";
    const refusal = this.#refuseClaims(payload);
    if (refusal !== undefined) return refusal;
    const claims = deepFreeze(payload) as CognitoClaims;
    this.#remember(token, claims, payloadJson.length, now);
    return claims;
  }

  /** Caches verified claims until their `exp`, sized by token and payload lengths. */
  #remember(token: string, claims: CognitoClaims, payloadLength: number, now: number): void {
    if (this.#cache === undefined || claims.exp <= now) return;
    const bytes = token.length + 2 * payloadLength + ENTRY_OVERHEAD_BYTES;
    this.#cache.set(token, claims, claims.exp, bytes);
  }

  /** The pinned key for a header segment (remembered for headers seen before), or why not. */
  #keyForHeader(headerB64: string): KeyObject | RejectReason {
    const known = this.#headerKeys.get(headerB64);
    if (known !== undefined) return known;
    const key = this.#pinnedKey(decodeSegment(headerB64));
    if (typeof key === "string") return key;
    // Bounded: headers that vary (each must still name a pinned kid) only churn this map.
    if (this.#headerKeys.size >= MAX_REMEMBERED_HEADERS) this.#headerKeys.clear();
    this.#headerKeys.set(headerB64, key);
    return key;
  }

  /** Header checks, then the key pinned for its `kid`. Header URLs and keys are never used. */
  #pinnedKey(headerJson: string): KeyObject | RejectReason {
    const header = parseJsonObject(headerJson);
    if (header === undefined) return "malformed";
    const { alg, typ, kid, crit } = header;
    if (alg !== "RS256" || (typ !== undefined && typ !== "JWT")) return "malformed";
    // No extension is understood, so a token declaring one critical must be refused (RFC 7515).
    if (crit !== undefined) return "malformed";
    if (typeof kid !== "string" || kid.length > MAX_KID_LENGTH) return "malformed";
    return this.config.keys.get(kid) ?? "unknown_kid";
  }

  /** Claim checks after the signature: who issued it, for whom, what kind, what it grants. */
  #refuseClaims(payload: Record<string, unknown>): RejectReason | undefined {
    const { issuer, tokenUse, clientIds } = this.config;
    if (payload.iss !== issuer) return "wrong_issuer";
    if (payload.token_use !== tokenUse) return "wrong_token_use";
    const client = tokenUse === "access" ? payload.client_id : payload.aud;
    if (typeof client !== "string" || !clientIds.has(client)) return "wrong_client";
    const { sub } = payload;
    if (typeof sub !== "string" || sub.length === 0) return "malformed";
    if (!optionalClaimsTyped(payload)) return "malformed";
    return this.#missingGrant(payload);
  }

  /** Scopes (all required) and groups (any one): which is missing, if any. */
  #missingGrant(payload: Record<string, unknown>): RejectReason | undefined {
    const { scopes, groups } = this.config;
    if (scopes.length > 0) {
      const { scope } = payload;
      const granted = typeof scope === "string" ? scope.split(" ") : [];
      if (!scopes.every((s) => granted.includes(s))) return "missing_scope";
    }
    if (groups.length === 0) return undefined;
    const member = payload["cognito:groups"];
    const held: unknown[] = Array.isArray(member) ? member : [];
    return groups.some((g) => held.includes(g)) ? undefined : "missing_group";
  }
}

/** A promise of the claims, or a rejection with the refusal. */
function settle(outcome: VerifyOutcome): Promise<CognitoClaims> {
  return outcome instanceof GatewayError ? Promise.reject(outcome) : Promise.resolve(outcome);
}

/**
 * `exp`, `iat` (required) and `nbf` (optional) are finite numbers (else `malformed`), and now is
 * within them ± skew (else `expired` or `not_yet_valid`, an `iat` in the future included).
 */
function timesRefusal(
  payload: Record<string, unknown>,
  now: number,
  skew: number,
): RejectReason | undefined {
  const { exp, iat, nbf } = payload;
  if (!isTime(exp) || !isTime(iat) || !(nbf === undefined || isTime(nbf))) return "malformed";
  if (exp + skew <= now) return "expired";
  if (iat - skew > now || (nbf !== undefined && nbf - skew > now)) return "not_yet_valid";
  return undefined;
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

const STRING_CLAIMS = ["jti", "origin_jti", "username", "cognito:username", "scope", "email"];

/**
 * Optional claims have the types {@link CognitoClaims} promises. Why: revocation looks `jti` and
 * `origin_jti` up as strings, and route code trusts these types; a mismatch must not slip past.
 */
function optionalClaimsTyped(payload: Record<string, unknown>): boolean {
  for (const name of STRING_CLAIMS) {
    const value = payload[name];
    if (value !== undefined && typeof value !== "string") return false;
  }
  const { auth_time: authTime } = payload;
  if (authTime !== undefined && (typeof authTime !== "number" || !Number.isFinite(authTime))) {
    return false;
  }
  const groups = payload["cognito:groups"];
  if (groups === undefined) return true;
  return Array.isArray(groups) && groups.every((group) => typeof group === "string");
}

/** The one RSA operation, over the exact signed bytes (base64url text is ASCII). */
function signatureValid(token: string, secondDot: number, key: KeyObject): boolean {
  const signed = signingInput(token, secondDot);
  return verifySignature("RSA-SHA256", signed, key, signatureBytes(token, secondDot));
}

/** Freezes `value` and everything in it, so cached claims shared between requests stay intact. */
function deepFreeze<T extends object>(value: T): T {
  Object.freeze(value);
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
  return value;
}
