/**
 * Signing keys and Cognito-shaped tokens, minted by hand so any header or payload (even
 * malformed) can be signed: for the tests (a fixed "now", overrides per claim) and the bench
 * (many distinct tokens issued now). One pool, one app client, one key id throughout.
 */
import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from "node:crypto";

export const POOL_ID = "eu-west-1_TestPool1";
export const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL_ID}`;
export const CLIENT_ID = "7testclient0example0id1";
export const CLIENT_SECRET = "c3ecr3t-Cl1ent-S3cret";
export const OTHER_CLIENT_ID = "4otherclient0example0id";
export const KID = "kid-primary-2048";
/** Fixed "now" of the tests, in milliseconds (2023-11-14). */
export const NOW_MS = 1_700_000_000_000;
export const NOW_SEC = NOW_MS / 1000;

/** An RSA key pair and its public JWK as Cognito publishes it. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: JsonWebKey;
  /** `{ keys: [jwk] }`: a JWKS with just this key. */
  readonly jwks: { keys: JsonWebKey[] };
}

const keyCache = new Map<string, SigningKey>();

/** An RSA key pair for `kid`, generated once per process (RSA generation is slow). */
export function signingKey(kid = KID, modulusLength = 2048): SigningKey {
  const cacheKey = `${kid}/${modulusLength}`;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
  const key = { kid, privateKey, publicKey, jwk, jwks: { keys: [jwk] } };
  keyCache.set(cacheKey, key);
  return key;
}

/** A JWKS holding copies of the keys' public JWKs. */
export function jwksOf(...keys: SigningKey[]): { keys: JsonWebKey[] } {
  return { keys: keys.map((k) => ({ ...k.jwk })) };
}

export function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

/** Signs arbitrary header and payload text with RS256. */
export function signRaw(
  headerJson: string,
  payloadJson: string,
  privateKey: KeyObject = signingKey().privateKey,
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
  privateKey: KeyObject = signingKey().privateKey,
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
  key?: SigningKey;
}

/** A signed token: valid access token at {@link NOW_SEC} by default, with overrides. */
export function mint(options: MintOptions = {}): string {
  const key = options.key ?? signingKey();
  const header = merge({ kid: key.kid, alg: "RS256" }, options.header);
  const payload = merge(options.claims ?? accessClaims(), options.payload);
  return signRaw(JSON.stringify(header), JSON.stringify(payload), key.privateKey);
}

/**
 * An access token issued now (the real clock), distinct by `i` (sub, jti, origin_jti, event_id),
 * valid for `ttlSec`: what the bench sends, about 1 KB as Cognito's are.
 */
export function mintAccessToken(key: SigningKey, i: number, ttlSec = 3600, claims?: Claims) {
  const nowSec = Math.floor(Date.now() / 1000);
  const n = String(i).padStart(12, "0");
  const sub = `a1b2c3d4-0000-4000-8000-${n}`;
  const distinct = {
    sub,
    username: sub,
    origin_jti: `0a1b2c3d-1111-4111-8111-${n}`,
    event_id: `9f8e7d6c-2222-4222-8222-${n}`,
    jti: `5e6f7a8b-3333-4333-8333-${n}`,
    auth_time: nowSec - 60,
    iat: nowSec - 60,
    exp: nowSec + ttlSec,
  };
  return mint({ key, payload: { ...distinct, ...claims } });
}

/** `count` distinct tokens (about 0.45 ms each: RSA signing). */
export function mintAccessTokens(key: SigningKey, count: number): string[] {
  return Array.from({ length: count }, (_, i) => mintAccessToken(key, i));
}
