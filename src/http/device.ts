/**
 * Device tokens (OWASP's "device cookies", Blocking Brute Force Attacks): a client that proved an
 * account's password gets a sealed token bound to that account. Presented again (the
 * `X-Device-Token` header from bearer clients, an HttpOnly cookie from browsers), it exempts the
 * client from the back-off that other clients' failures built for the account.
 */
import { randomUUID } from "node:crypto";
import type { Request } from "express";
import { parse, serialize } from "cookie";
import type { Sealer } from "../session/seal";

/** Header a bearer client sends its device token in. */
export const DEVICE_HEADER = "x-device-token";

/** The device cookie's name: `__Host-` whenever it is Secure (the browser then enforces Path=/). */
export function deviceCookieName(secure: boolean): string {
  return secure ? "__Host-cg-device" : "cg-device";
}

/** What a device token holds: the account it was earned on, and its own id. */
interface DevicePayload {
  /** Keyed hash of the address (never the address). */
  a: string;
  /** Random id of this token: the key of its own failure count. */
  d: string;
}

/** Issues and reads device tokens of one gateway. */
export interface DeviceTokens {
  /** A new token for `accountKey` (after a completed sign-in). */
  issue(accountKey: string): string;
  /** The id of a valid token for `accountKey` the request presents (header, then cookie). */
  idFor(req: Pick<Request, "headers">, accountKey: string): string | undefined;
  /** The Set-Cookie value carrying `token` for a browser. */
  cookie(token: string): string;
}

/** Options of {@link createDeviceTokens}. */
export interface DeviceTokenOptions {
  /** The sealer of purpose `device` (AES-256-GCM, expiring, key rotation). */
  sealer: Sealer;
  ttlSeconds: number;
  /** Secure cookie (false only for plain-http loopback in local mode). */
  secure: boolean;
  /** SameSite of the cookie: the session cookies' (Strict by default). */
  sameSite: "strict" | "lax" | "none";
}

const MAX_TOKEN_LENGTH = 2048;
const MAX_COOKIE_HEADER = 16 * 1024;

export function createDeviceTokens(options: DeviceTokenOptions): DeviceTokens {
  const { sealer, ttlSeconds } = options;
  const name = deviceCookieName(options.secure);
  const presented = (req: Pick<Request, "headers">): string[] => {
    const found: string[] = [];
    const header = req.headers[DEVICE_HEADER];
    if (typeof header === "string" && header.length <= MAX_TOKEN_LENGTH) found.push(header.trim());
    const cookies = req.headers.cookie;
    if (typeof cookies === "string" && cookies.length <= MAX_COOKIE_HEADER) {
      const value = parse(cookies)[name];
      if (value !== undefined && value.length <= MAX_TOKEN_LENGTH) found.push(value);
    }
    return found;
  };
  return {
    issue: (accountKey) =>
      sealer.seal({ a: accountKey, d: randomUUID() } satisfies DevicePayload, ttlSeconds),
    idFor(req, accountKey) {
      for (const sealed of presented(req)) {
        const payload = sealer.open<Partial<DevicePayload>>(sealed)?.payload;
        if (payload?.a === accountKey && typeof payload.d === "string") return payload.d;
      }
      return undefined;
    },
    cookie: (token) =>
      serialize(name, token, {
        httpOnly: true,
        secure: options.secure,
        sameSite: options.sameSite,
        path: "/",
        maxAge: ttlSeconds,
      }),
  };
}
