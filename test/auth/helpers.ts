/**
 * Shared helpers of the auth tests: RSA keys generated here, tokens minted by hand (so any
 * header or payload, even malformed, can be signed), a movable clock and a small Express app.
 */
import type { MemoryRevocationStore } from "../../src/auth/revocation";
import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import express, { type ErrorRequestHandler } from "express";
import type { Clock } from "../../src/clock";
import { isGatewayError } from "../../src/errors";
import { requireAuth, type RequireAuthOptions } from "../../src/auth/require-auth";
import { StaticKeyStore } from "../../src/auth/keys";
import type { VerifierOptions } from "../../src/auth/verifier";

export const POOL_ID = "eu-west-1_TestPool1";
export const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL_ID}`;
export const CLIENT_ID = "7testclient0example0id1";
export const OTHER_CLIENT_ID = "4otherclient0example0id";
export const KID = "kid-primary-2048";
/** Fixed "now" of the tests, in milliseconds (2023-11-14). */
export const NOW_MS = 1_700_000_000_000;
export const NOW_SEC = NOW_MS / 1000;

export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK as Cognito publishes it. */
  readonly jwk: JsonWebKey;
}

const keyCache = new Map<string, TestKey>();

/** An RSA key pair for `kid`, generated once per test file. */
export function testKey(kid = KID, modulusLength = 2048): TestKey {
  const cacheKey = `${kid}/${modulusLength}`;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
  const key = { kid, privateKey, publicKey, jwk };
  keyCache.set(cacheKey, key);
  return key;
}

export function jwksOf(...keys: TestKey[]): { keys: JsonWebKey[] } {
  return { keys: keys.map((k) => ({ ...k.jwk })) };
}

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

export function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

/** Signs arbitrary header and payload text with RS256. */
export function signRaw(
  headerJson: string,
  payloadJson: string,
  privateKey: KeyObject = testKey().privateKey,
): string {
  return signSegments(b64url(headerJson), b64url(payloadJson), privateKey);
}

/**
 * Signs two segments exactly as given (even if they are not canonical base64url), so a test can
 * show that only the encoding check refuses the result.
 */
export function signSegments(
  headerB64: string,
  payloadB64: string,
  privateKey: KeyObject = testKey().privateKey,
): string {
  const input = `${headerB64}.${payloadB64}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

type Claims = Record<string, unknown>;

/** Applies overrides; an `undefined` value removes the member. */
export function merge(base: Claims, overrides: Claims = {}): Claims {
  const merged = Object.entries({ ...base, ...overrides });
  return Object.fromEntries(merged.filter(([, value]) => value !== undefined));
}

/** Claims of a valid Cognito access token at {@link NOW_SEC}. */
export function accessClaims(overrides?: Claims): Claims {
  return merge(
    {
      sub: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      iss: ISSUER,
      client_id: CLIENT_ID,
      origin_jti: "11111111-2222-3333-4444-555555555555",
      event_id: "99999999-8888-7777-6666-555555555555",
      token_use: "access",
      scope: "aws.cognito.signin.user.admin profile/read",
      "cognito:groups": ["readers"],
      auth_time: NOW_SEC - 60,
      exp: NOW_SEC + 3600,
      iat: NOW_SEC - 60,
      jti: "66666666-7777-8888-9999-000000000000",
      username: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    },
    overrides,
  );
}

/** Claims of a valid Cognito id token at {@link NOW_SEC}. */
export function idClaims(overrides?: Claims): Claims {
  return merge(
    {
      sub: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      email_verified: true,
      iss: ISSUER,
      "cognito:username": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      origin_jti: "11111111-2222-3333-4444-555555555555",
      aud: CLIENT_ID,
      event_id: "99999999-8888-7777-6666-555555555555",
      token_use: "id",
      auth_time: NOW_SEC - 60,
      exp: NOW_SEC + 3600,
      iat: NOW_SEC - 60,
      jti: "12121212-3434-5656-7878-909090909090",
      email: "user@example.com",
    },
    overrides,
  );
}

export interface MintOptions {
  header?: Claims;
  payload?: Claims;
  /** Whole payload instead of the access-token claims. */
  claims?: Claims;
  key?: TestKey;
}

/** A signed token: valid access token by default, with header/payload overrides. */
export function mint(options: MintOptions = {}): string {
  const key = options.key ?? testKey();
  const header = merge({ kid: key.kid, alg: "RS256" }, options.header);
  const payload = merge(options.claims ?? accessClaims(), options.payload);
  return signRaw(JSON.stringify(header), JSON.stringify(payload), key.privateKey);
}

/** Verifier options accepting {@link mint}'s default token at {@link NOW_MS}. */
export function verifierOptions(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    userPoolId: POOL_ID,
    clientId: CLIENT_ID,
    tokenUse: "access",
    keys: new StaticKeyStore(jwksOf(testKey())),
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
