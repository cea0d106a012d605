/**
 * Revocation of access tokens before they expire (logout). Cognito itself cannot make a signed
 * token invalid, so the gateway remembers what was revoked until the tokens concerned expire.
 */
import { systemClock, type Clock } from "../clock";
import { ConfigError } from "../errors";
import { numberOption, type NumberRule } from "../option-rules";
import { CLOCK_SKEW_RULE } from "./verifier-options";

/**
 * How long logout's revocations are kept, seconds: the longest access/id token lifetime
 * (a sign-out cutoff outlives every token it covers) and the longest refresh token lifetime.
 */
export const REVOCATION_LIFETIME_RULES = Object.freeze({
  sessionMaxSeconds: { default: 86_400, min: 300, max: 7 * 86_400, integer: true },
  refreshTokenMaxSeconds: { default: 30 * 86_400, min: 3600, max: 3650 * 86_400, integer: true },
} satisfies Record<string, NumberRule>);

/** The claims a revocation decision needs (a verified {@link CognitoClaims} satisfies it). */
export interface RevocationSubject {
  jti?: string;
  origin_jti?: string;
  sub: string;
  iat: number;
  /**
   * When the sign-in the token belongs to happened. Cognito keeps it in tokens refreshed from
   * that sign-in, so a subject cutoff compares it (not `iat`) to also catch tokens a refresh
   * token of an old session obtains after the cutoff.
   */
  auth_time?: number | undefined;
}

/**
 * When the token's session began: `auth_time` when the token carries a plausible one (a number
 * not after `iat`), else `iat`. Never later than `iat`, so a cutoff on it catches at least what a
 * cutoff on `iat` does.
 */
export function sessionStart(claims: Pick<RevocationSubject, "iat" | "auth_time">): number {
  const { iat, auth_time: authTime } = claims;
  return typeof authTime === "number" && authTime <= iat ? authTime : iat;
}

/**
 * Where revocations are kept. Implementations may be remote (answer with promises) or local
 * (answer synchronously, which keeps the verifier's fast path free of promise overhead).
 */
export interface RevocationStore {
  /**
   * Revokes one token id: a `jti`, or an `origin_jti` (which revokes every token minted from the
   * same sign-in). `expiresAtSec` is when the last token concerned expires: the entry is dropped then.
   */
  revokeToken(id: string, expiresAtSec: number): void | Promise<void>;
  /**
   * Revokes every token of `sub` whose session began at or before `cutoffSec` (global sign-out,
   * password reset or change, deletion): see {@link sessionStart}.
   */
  revokeSubject(sub: string, cutoffSec: number, expiresAtSec: number): void | Promise<void>;
  /** Whether the token is revoked by its `origin_jti`, its `jti` or its subject's cutoff. */
  isRevoked(claims: RevocationSubject): boolean | Promise<boolean>;
}

/**
 * One revocation as plain data: what a shared store or a journal writes, and what
 * {@link MemoryRevocationStore.apply} merges back. JSON-serialisable; times in epoch seconds.
 */
export type RevocationEntry =
  | { readonly kind: "token"; readonly key: string; readonly expiresAtSec: number }
  | {
      readonly kind: "subject";
      readonly key: string;
      /** Tokens of the subject whose session began at or before this second are revoked. */
      readonly cutoffSec: number;
      readonly expiresAtSec: number;
    };

/**
 * The entry `value` describes (a parsed JSON object, say), or undefined when it is not a well-formed
 * entry. Never throws: use it on anything read back from outside the process.
 */
export function parseRevocationEntry(value: unknown): RevocationEntry | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { kind, key, expiresAtSec, cutoffSec } = v;
  if (typeof key !== "string" || key.length === 0 || !isFiniteNumber(expiresAtSec)) {
    return undefined;
  }
  if (kind === "token") return { kind, key, expiresAtSec };
  if (kind === "subject" && isFiniteNumber(cutoffSec)) {
    return { kind, key, cutoffSec, expiresAtSec };
  }
  return undefined;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Options of {@link MemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Source of time. Default: the system clock. */
  clock?: Clock;
  /** Most entries (token ids plus subjects) kept at once. Default 100 000. */
  maxEntries?: number;
  /**
   * The verifiers' clock skew (a token's `iat` may be this far in the future), used to size the
   * fail-closed window after an eviction. Set it to at least the verifiers' `clockSkewSeconds`.
   * Default 5.
   */
  clockSkewSeconds?: number;
}

interface Entry {
  readonly kind: "token" | "subject";
  readonly key: string;
  readonly expiresAt: number;
  /** Subject entries only: tokens whose session began at or before the cutoff are revoked. */
  readonly cutoff: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * In-process revocation store with bounded memory.
 *
 * Entries are dropped lazily once they expire (the soonest-expiring entries are kept at the top
 * of a heap, so a sweep costs O(log n) per entry dropped). The store never holds more than
 * `maxEntries` entries. **Bound:** when it is full of live entries, the entry that expires
 * soonest is evicted, and to never accept the token it covered, the store fails closed: until
 * that evicted entry would have expired, every token whose session began before the eviction
 * (plus the clock skew, or up to the evicted subject cutoff if later) counts as revoked, for every
 * subject.
 * (This relies on tokens carrying a revoked `jti`/`origin_jti` having been issued before the
 * revocation, which holds because a Cognito sign-out stops the minting of new ones.)
 * Users then sign in again; a revoked token is never silently accepted. {@link evictions}
 * counts such events (alert on it and raise `maxEntries`).
 *
 * Answers synchronously. Per process only: several gateway instances need a shared store.
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #skew: number;
  readonly #tokens = new Map<string, Entry>();
  readonly #subjects = new Map<string, Entry>();
  /** Min-heap on `expiresAt`; may hold entries already replaced in the maps (skipped when popped). */
  #heap: Entry[] = [];
  #floorCutoff = -Infinity;
  #floorUntil = -Infinity;
  #evictions = 0;

  constructor(options: MemoryRevocationStoreOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new ConfigError(
        "out_of_range",
        "maxEntries",
        "MemoryRevocationStore: maxEntries must be a positive integer",
      );
    }
    const skew = numberOption(options.clockSkewSeconds, CLOCK_SKEW_RULE, "clockSkewSeconds");
    this.#maxEntries = max;
    this.#skew = skew;
    this.#clock = options.clock ?? systemClock;
  }

  /** Live entries (token ids plus subjects). */
  get size(): number {
    return this.#tokens.size + this.#subjects.size;
  }

  /** How many live entries were evicted because the store was full (each triggers fail-closed). */
  get evictions(): number {
    return this.#evictions;
  }

  revokeToken(id: string, expiresAtSec: number): void {
    checkId(id, "id");
    checkTime(expiresAtSec, "expiresAtSec");
    const previous = this.#tokens.get(id);
    const expiresAt = Math.max(expiresAtSec, previous?.expiresAt ?? -Infinity);
    this.#insert({ kind: "token", key: id, expiresAt, cutoff: -Infinity });
  }

  revokeSubject(sub: string, cutoffSec: number, expiresAtSec: number): void {
    checkId(sub, "sub");
    checkTime(cutoffSec, "cutoffSec");
    checkTime(expiresAtSec, "expiresAtSec");
    const previous = this.#subjects.get(sub);
    // Merging keeps the strongest revocation: a later sign-out never shortens an earlier one.
    const cutoff = Math.max(cutoffSec, previous?.cutoff ?? -Infinity);
    const expiresAt = Math.max(expiresAtSec, previous?.expiresAt ?? -Infinity);
    this.#insert({ kind: "subject", key: sub, expiresAt, cutoff });
  }

  /**
   * Merges one entry with the same rules as {@link revokeToken} and {@link revokeSubject}: the
   * latest expiry and cutoff win, so applying an entry twice, or an older one, changes nothing.
   * Throws a TypeError on a malformed entry (check outside data with {@link parseRevocationEntry}).
   */
  apply(entry: RevocationEntry): void {
    if (entry.kind === "token") this.revokeToken(entry.key, entry.expiresAtSec);
    else this.revokeSubject(entry.key, entry.cutoffSec, entry.expiresAtSec);
  }

  /**
   * The live entries (expired ones are left out), as plain data: a snapshot to write to a shared
   * store or a journal. The fail-closed floor left by an eviction is not an entry and is not listed.
   */
  entries(): RevocationEntry[] {
    const now = this.#nowSec();
    const out: RevocationEntry[] = [];
    for (const e of this.#tokens.values()) {
      if (e.expiresAt > now) out.push({ kind: "token", key: e.key, expiresAtSec: e.expiresAt });
    }
    for (const e of this.#subjects.values()) {
      if (e.expiresAt > now) {
        out.push({ kind: "subject", key: e.key, cutoffSec: e.cutoff, expiresAtSec: e.expiresAt });
      }
    }
    return out;
  }

  isRevoked(claims: RevocationSubject): boolean {
    const now = this.#nowSec();
    const { jti, origin_jti: originJti } = claims;
    if (originJti !== undefined && this.#live(this.#tokens, originJti, now) !== undefined) {
      return true;
    }
    if (jti !== undefined && this.#live(this.#tokens, jti, now) !== undefined) return true;
    const subject = this.#live(this.#subjects, claims.sub, now);
    const began = sessionStart(claims);
    if (subject !== undefined && began <= subject.cutoff) return true;
    return now < this.#floorUntil && began <= this.#floorCutoff;
  }

  #nowSec(): number {
    return this.#clock.now() / 1000;
  }

  /** The entry for `key` if it has not expired; an expired one is dropped on the way. */
  #live(map: Map<string, Entry>, key: string, now: number): Entry | undefined {
    const entry = map.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    map.delete(key);
    return undefined;
  }

  #insert(entry: Entry): void {
    const now = this.#nowSec();
    if (entry.expiresAt <= now) return; // the tokens concerned have expired: nothing to remember
    const map = entry.kind === "token" ? this.#tokens : this.#subjects;
    this.#sweep(now);
    if (!map.has(entry.key) && this.size >= this.#maxEntries) this.#evictSoonest(now);
    map.set(entry.key, entry);
    heapPush(this.#heap, entry);
    this.#compactHeap();
  }

  /** Drops expired entries from the top of the heap (lazy sweep). */
  #sweep(now: number): void {
    const heap = this.#heap;
    for (let top = heap[0]; top !== undefined; top = heap[0]) {
      if (this.#isCurrent(top) && top.expiresAt > now) return;
      heapPop(heap);
      if (this.#isCurrent(top)) this.#mapOf(top).delete(top.key);
    }
  }

  /** Evicts the live entry that expires soonest and widens the fail-closed floor to cover it. */
  #evictSoonest(now: number): void {
    const heap = this.#heap;
    for (let top = heapPop(heap); top !== undefined; top = heapPop(heap)) {
      if (!this.#isCurrent(top)) continue;
      this.#mapOf(top).delete(top.key);
      // A revoked token was issued before now, give or take the issuer's clock skew.
      this.#floorCutoff = Math.max(this.#floorCutoff, now + this.#skew, top.cutoff);
      this.#floorUntil = Math.max(this.#floorUntil, top.expiresAt);
      this.#evictions += 1;
      return;
    }
  }

  #mapOf(entry: Entry): Map<string, Entry> {
    return entry.kind === "token" ? this.#tokens : this.#subjects;
  }

  /** False for a heap node whose key has since been replaced or removed. */
  #isCurrent(entry: Entry): boolean {
    return this.#mapOf(entry).get(entry.key) === entry;
  }

  /** Rebuilds the heap from the maps when stale nodes make it much larger than the maps. */
  #compactHeap(): void {
    if (this.#heap.length <= 2 * this.size + 16) return;
    const fresh: Entry[] = [];
    for (const entry of this.#tokens.values()) heapPush(fresh, entry);
    for (const entry of this.#subjects.values()) heapPush(fresh, entry);
    this.#heap = fresh;
  }
}

function checkId(value: string, name: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
}

function checkTime(value: number, name: string): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number of seconds`);
  }
}

function heapPush(heap: Entry[], entry: Entry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent] as Entry;
    if (p.expiresAt <= entry.expiresAt) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = entry;
}

function heapPop(heap: Entry[]): Entry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (top === undefined || last === undefined || heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const l = heap[left] as Entry;
    const r = heap[right];
    const child = r !== undefined && r.expiresAt < l.expiresAt ? right : left;
    const c = heap[child] as Entry;
    if (c.expiresAt >= last.expiresAt) break;
    heap[i] = c;
    i = child;
  }
  heap[i] = last;
  return top;
}
