/**
 * The emulator's JWT handling on node:crypto (RS256 only): decode, re-sign and verify the tokens
 * cognito-local mints. Local mode only; the gateway's own verifier is src/auth.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/** A decoded JWT: header and JSON payload, unverified. */
export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
}

/** Thrown by {@link verifyRs256} for an expired token (the emulator answers "has expired"). */
export class JwtExpiredError extends Error {
  override readonly name = "JwtExpiredError";
}

function part(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Header and payload of a compact JWS, without checking the signature; undefined if malformed. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const segments = token.split(".");
  if (segments.length !== 3) return undefined;
  const header = part(segments[0]);
  const payload = part(segments[1]);
  return header === undefined || payload === undefined ? undefined : { header, payload };
}

/** Signs `payload` with RS256 under `kid`. */
export function signRs256(
  payload: Record<string, unknown>,
  privateKeyPem: string | KeyObject,
  kid?: string,
): string {
  const header = { alg: "RS256", typ: "JWT", ...(kid === undefined ? {} : { kid }) };
  const input = `${b64(header)}.${b64(payload)}`;
  const key = typeof privateKeyPem === "string" ? createPrivateKey(privateKeyPem) : privateKeyPem;
  return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

/**
 * The payload of an RS256 token signed by `publicKeyPem` that has not expired.
 * @throws JwtExpiredError when `exp` has passed, Error for anything else wrong
 */
export function verifyRs256(
  token: string,
  publicKeyPem: string | KeyObject,
  nowSec = Date.now() / 1000,
): Record<string, unknown> {
  const decoded = decodeJwt(token);
  if (decoded === undefined || decoded.header.alg !== "RS256") throw new Error("malformed token");
  const [header = "", payload = "", signature = ""] = token.split(".");
  const key = typeof publicKeyPem === "string" ? createPublicKey(publicKeyPem) : publicKeyPem;
  const valid = verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    key,
    Buffer.from(signature, "base64url"),
  );
  if (!valid) throw new Error("bad signature");
  const exp = decoded.payload.exp;
  if (typeof exp === "number" && exp <= nowSec) throw new JwtExpiredError("token expired");
  return decoded.payload;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}
