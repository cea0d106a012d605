/**
 * The session cookies: names, attributes and size. Every cookie is `HttpOnly`, `SameSite` as
 * configured (Strict by default), host-only (no `Domain`), and — unless the plain-http loopback
 * exception of local mode is configured — `Secure` with a prefix the browser enforces:
 * `__Host-` (Secure, Path=/, no Domain) for the session cookie and `__Secure-` for the refresh
 * cookie, which must stay scoped to the refresh path (`__Host-` requires Path=/).
 */
import type { Request } from "express";
import { parse, serialize, type SerializeOptions } from "cookie";
import type { SessionConfig } from "./options";

/** Browser limit per cookie (RFC 6265bis §5.4 / 6265 §6.1), checked on the whole Set-Cookie value. */
export const MAX_COOKIE_BYTES = 4096;

/** Longest Cookie header read; beyond it no session cookie is looked at. */
const MAX_COOKIE_HEADER = 16 * 1024;

/** The two cookies of a session. */
export type CookieKind = "session" | "refresh";

/** Names and attribute builders of one configuration. */
export interface SessionCookies {
  readonly names: Readonly<Record<CookieKind, string>>;
  /** The Set-Cookie value carrying `value` for `maxAgeSeconds`, scoped for `basePath`. */
  set(kind: CookieKind, value: string, maxAgeSeconds: number, basePath: string): string;
  /** The Set-Cookie value that deletes the cookie (same name, path and attributes). */
  clear(kind: CookieKind, basePath: string): string;
  /** The value of a session cookie the request carries, if any. */
  read(req: Pick<Request, "headers">, kind: CookieKind): string | undefined;
}

/** Path the refresh cookie is scoped to, under the router's mount path. */
export function refreshPath(basePath: string): string {
  return `${basePath}/session/refresh`;
}

/** Builds the cookie names and attributes of a configuration, once. */
export function sessionCookies(config: Pick<SessionConfig, "secure" | "sameSite">): SessionCookies {
  const names = Object.freeze({
    session: config.secure ? "__Host-cg-session" : "cg-session",
    refresh: config.secure ? "__Secure-cg-refresh" : "cg-refresh",
  });
  const sameSite = config.sameSite.toLowerCase() as "strict" | "lax" | "none";
  const attributes = (kind: CookieKind, basePath: string): SerializeOptions => ({
    httpOnly: true,
    secure: config.secure,
    sameSite,
    path: kind === "session" ? "/" : refreshPath(basePath),
  });
  return {
    names,
    set(kind, value, maxAgeSeconds, basePath) {
      const maxAge = Math.max(1, Math.floor(maxAgeSeconds));
      return serialize(names[kind], value, { ...attributes(kind, basePath), maxAge });
    },
    clear(kind, basePath) {
      return serialize(names[kind], "", {
        ...attributes(kind, basePath),
        maxAge: 0,
        expires: new Date(0),
      });
    },
    read(req, kind) {
      const header = req.headers.cookie;
      if (typeof header !== "string" || header.length > MAX_COOKIE_HEADER) return undefined;
      const value = parse(header)[names[kind]];
      return value === undefined || value === "" ? undefined : value;
    },
  };
}

/** Whether a Set-Cookie value stays within the browser limit (bytes, attributes included). */
export function fits(setCookie: string): boolean {
  return Buffer.byteLength(setCookie, "utf8") <= MAX_COOKIE_BYTES;
}
