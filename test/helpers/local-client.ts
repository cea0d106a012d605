/** A small JSON client for a local-mode test gateway, and the account steps tests share. */
import { generate } from "cognito-local/lib/services/totp";
import type { TestGateway } from "./gateway";

export const LOCAL_PASSWORD = "Sup3r-secret!";

export interface Reply {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

/** POSTs (with a body) or GETs (without) a path of the gateway, with an optional bearer token. */
export function clientOf(gw: TestGateway) {
  return async function send(path: string, body?: object, token?: string): Promise<Reply> {
    const res = await fetch(gw.url + path, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? (JSON.parse(text) as Reply["json"]) : {} };
  };
}

/** A fresh address no other test uses. */
export const uniqueEmail = (tag: string) =>
  `${tag}.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;

/** Registers and confirms an account through the gateway (code from the emulator). */
export async function confirmedAccount(gw: TestGateway, email: string): Promise<void> {
  const send = clientOf(gw);
  const registered = await send("/auth/register", { email, password: LOCAL_PASSWORD });
  if (registered.status !== 202) throw new Error(`register: ${registered.text}`);
  const code = gw.latestCode(email);
  const confirmed = await send("/auth/confirm", { email, code });
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.text}`);
}

/** The current code of an authenticator app holding `secret` (RFC 6238, 30 s, 6 digits). */
export function totpCode(secret: string): string {
  return generate(secret);
}
