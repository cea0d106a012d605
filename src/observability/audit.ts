import { createHmac } from "node:crypto";
import type { Request } from "express";
import { normaliseEmail } from "../http/schemas";
import type { Logger } from "../logger";

/** Account events written to the log, one line each (`"audit": <event>`). */
export const AUDIT_EVENTS = Object.freeze([
  "registered",
  "confirmed",
  "logged_in",
  "login_failed",
  "logged_out",
  "password_reset",
  "password_changed",
  "deleted",
] as const);

/** One of {@link AUDIT_EVENTS}. */
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** Who the event is about: the address, Cognito's username, or both when known. */
export interface AuditAccount {
  email?: string | undefined;
  username?: string | undefined;
}

/**
 * Writes one audit line: `{"audit": event, "account": HMAC(email), "user": HMAC(username),
 * "reqId"}`. Addresses and usernames are never written in clear; the same account always gets
 * the same HMAC under one key, so its events can be followed and counted. Never throws.
 *
 * Routes call it through `deps.audit` once the outcome is known, e.g.
 * `deps.audit("password_reset", { email: body.email }, req)`.
 */
export type Audit = (event: AuditEvent, account: AuditAccount, req?: Request) => void;

/**
 * An {@link Audit} writing through `logger` at info level. The HMAC key is derived from `secret`
 * (the audit secret, else the client secret), so every instance of one deployment agrees, and it
 * never equals a key used for anything else.
 */
export function createAudit(logger: Logger, secret: string): Audit {
  const key = createHmac("sha256", secret).update("cognito-gateway/audit/v1").digest();
  const pseudonym = (value: string) =>
    createHmac("sha256", key).update(value).digest("base64url").slice(0, 32);
  return function audit(event, account, req) {
    const { email, username } = account;
    logger.info(
      {
        audit: event,
        ...(email === undefined ? {} : { account: pseudonym(`email\n${normaliseEmail(email)}`) }),
        ...(username === undefined ? {} : { user: pseudonym(`username\n${username}`) }),
        ...(req?.id === undefined ? {} : { reqId: req.id }),
      },
      "audit",
    );
  };
}
