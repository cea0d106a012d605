/**
 * The gateway's challenge handle: what `/login` answers as `session` instead of Cognito's session
 * string. It is a value sealed with AES-256-GCM (the shared sealer, purpose `challenge`), holding
 * Cognito's session, the account (internal username and address) and the challenge name:
 *
 * - opaque and tamper-evident: the client can neither read Cognito's session nor change a byte;
 * - bound to the account and the challenge: the answer is sent for the account and challenge
 *   sealed inside, whatever the client claims;
 * - expiring with Cognito's session (3 minutes by default): the seal carries the deadline;
 * - single use: redeeming claims the handle's random id in the shared StateStore
 *   (`setIfAbsent`), so a replayed handle is refused on every instance sharing that store.
 *
 * Stateless sealing plus one marker per redeemed handle: nothing is stored for handles that are
 * never answered, and the store holds only random ids, never a Cognito session.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";
import type { ChallengeName, MfaType, PendingChallenge } from "../cognito/challenges";
import type { StateStore } from "../stores/state";
import type { Sealer } from "./seal";

/** What a handle holds. Short keys: the sealed value travels in every answer. */
interface HandlePayload {
  /** Random id: the single-use marker's key. */
  i: string;
  /** Challenge name. */
  n: ChallengeName;
  /** Cognito's session. */
  s: string;
  /** Internal username (USER_ID_FOR_SRP). */
  u: string;
  /** The address the person signed in with (per-account limits, clearing the login back-off). */
  a: string;
  /** SELECT_MFA_TYPE options. */
  o?: MfaType[];
  /** NEW_PASSWORD_REQUIRED attributes. */
  r?: string[];
}

/** An opened handle: the challenge it stands for. */
export interface OpenedChallenge {
  id: string;
  email: string;
  pending: PendingChallenge;
  expiresAtMs: number;
}

/** Issues and redeems challenge handles. */
export interface ChallengeHandles {
  /** Seals a challenge; answers the handle and its lifetime in seconds. */
  issue(pending: PendingChallenge, email: string): { session: string; expiresIn: number };
  /** Opens a handle without using it up (to validate an answer first); undefined if invalid. */
  open(session: string): OpenedChallenge | undefined;
  /** Uses up an opened handle; false when it was already used (a replay). */
  redeem(opened: OpenedChallenge): Promise<boolean>;
}

/** Options of {@link createChallengeHandles}. */
export interface ChallengeHandleOptions {
  sealer: Sealer;
  state: StateStore;
  clock: Clock;
  /** Handle lifetime: Cognito's session lifetime (the app client's AuthSessionValidity). */
  ttlSeconds: number;
}

const USED_PREFIX = "challenge-used:";

/** Builds the handle issuer/redeemer (see the module comment for the guarantees). */
export function createChallengeHandles(options: ChallengeHandleOptions): ChallengeHandles {
  const { sealer, state, clock, ttlSeconds } = options;
  return {
    issue(pending, email) {
      const payload: HandlePayload = {
        i: randomBytes(16).toString("base64url"),
        n: pending.name,
        s: pending.cognitoSession,
        u: pending.username,
        a: email,
        ...(pending.options ? { o: pending.options } : {}),
        ...(pending.requiredAttributes ? { r: pending.requiredAttributes } : {}),
      };
      return { session: sealer.seal(payload, ttlSeconds), expiresIn: ttlSeconds };
    },
    open(session) {
      const opened = sealer.open<HandlePayload>(session);
      const p = opened?.payload;
      if (opened === undefined || !isPayload(p)) return undefined;
      const pending: PendingChallenge = { name: p.n, cognitoSession: p.s, username: p.u };
      if (p.o) pending.options = p.o;
      if (p.r) pending.requiredAttributes = p.r;
      return { id: p.i, email: p.a, pending, expiresAtMs: opened.expiresAtMs };
    },
    async redeem(opened) {
      // Keep the marker a little past the handle's own expiry, then the seal refuses it anyway.
      const remaining = Math.ceil((opened.expiresAtMs - clock.now()) / 1000) + 5;
      return state.setIfAbsent(USED_PREFIX + opened.id, "1", Math.max(remaining, 1));
    },
  };
}

function isPayload(value: unknown): value is HandlePayload {
  if (typeof value !== "object" || value === null) return false;
  const p = value as Partial<HandlePayload>;
  return [p.i, p.n, p.s, p.u, p.a].every((field) => typeof field === "string" && field !== "");
}
