/**
 * Helpers of the auth tests: the keys and hand-minted tokens of `tools/lib/tokens` (re-exported,
 * so any header or payload, even malformed, can be signed), a movable clock, verifier options
 * and a small Express app behind requireAuth.
 */
import express, { type ErrorRequestHandler } from "express";
import type { Clock } from "../../src/clock";
import { isGatewayError } from "../../src/errors";
import { requireAuth, type RequireAuthOptions } from "../../src/auth/require-auth";
import { StaticKeyStore } from "../../src/auth/keys";
import type { MemoryRevocationStore } from "../../src/auth/revocation";
import type { VerifierOptions } from "../../src/auth/verifier";
import {
  CLIENT_ID,
  NOW_MS,
  NOW_SEC,
  POOL_ID,
  accessClaims,
  jwksOf,
  signingKey,
} from "../../tools/lib/tokens";

export * from "../../tools/lib/tokens";

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public ms: number = NOW_MS) {}
  now(): number {
    return this.ms;
  }
  /** Moves to `sec` seconds since the epoch. */
  setSeconds(sec: number): void {
    this.ms = sec * 1000;
  }
}

/** Verifier options accepting {@link mint}'s default token at {@link NOW_MS}. */
export function verifierOptions(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    userPoolId: POOL_ID,
    clientId: CLIENT_ID,
    tokenUse: "access",
    keys: new StaticKeyStore(jwksOf(signingKey())),
    revocations: false,
    clock: new ManualClock(),
    ...overrides,
  };
}

/** Maps errors like the gateway's error handler: status and `{error: {code}}`. */
const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (isGatewayError(err)) {
    res.status(err.status).json({ error: { code: err.code, message: err.message } });
    return;
  }
  res.status(500).json({ error: { code: "internal_error", message: "Something went wrong." } });
};

/** `GET /protected` behind {@link requireAuth}, answering the verified `sub`. */
export function protectedApp(options: RequireAuthOptions): express.Express {
  const app = express();
  app.get("/protected", requireAuth(options), (req, res) => {
    res.json({ sub: req.auth?.sub, frozen: Object.isFrozen(req.auth) });
  });
  app.use(errorHandler);
  return app;
}

/** Each way a token can be revoked, applied to a store, for table-driven tests. */
export const REVOCATION_CASES: readonly (readonly [string, (s: MemoryRevocationStore) => void])[] =
  [
    [
      "jti",
      (s) => {
        s.revokeToken(accessClaims().jti as string, NOW_SEC + 3600);
      },
    ],
    [
      "origin_jti",
      (s) => {
        s.revokeToken(accessClaims().origin_jti as string, NOW_SEC + 3600);
      },
    ],
    [
      "subject cutoff",
      (s) => {
        s.revokeSubject(accessClaims().sub as string, NOW_SEC, NOW_SEC + 3600);
      },
    ],
  ];
