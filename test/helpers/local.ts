/**
 * Helpers of the tests against local mode: temporary data folders, a capturing logger, the
 * real SDK client against the emulator, JWT decoding and the pinned jwks.json, and a small
 * JSON client and account steps for a test gateway.
 */
import { createHmac, createPublicKey, verify, type JsonWebKey } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { createLogger, type Logger } from "../../src/logger";
import { send, type Target } from "../../tools/lib/http";
import { createAccount } from "../../tools/lib/gateways";
import { generate } from "cognito-local/lib/services/totp";
import { LogCapture } from "./mocked-gateway";
import type { LocalCognito } from "../../src/local/emulator";

/** A fresh data directory under the OS temp dir; removed by {@link removeDir}. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cognito-local-test-"));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Our logger, writing JSON lines into a {@link LogCapture} instead of stdout. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const capture = new LogCapture();
  const logger = createLogger({ level: "info", destination: capture });
  return {
    logger,
    lines: () => capture.lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** The real AWS SDK v3 client against the emulator, without retries (a 500 fails at once). */
export function sdkClient(local: LocalCognito): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: local.endpoint,
    region: local.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}

/**
 * The real SDK client against the emulator, and the app client's sign-up, confirmation and
 * password sign-in through it, each with the SecretHash the emulator's client requires.
 */
export function emulatorClient(local: LocalCognito) {
  const sdk = sdkClient(local);
  const base = (email: string) => ({
    ClientId: local.clientId,
    Username: email,
    SecretHash: hashFor(local, email),
  });
  return {
    sdk,
    signUp: (email: string, password: string) =>
      sdk.send(new SignUpCommand({ ...base(email), Password: password })),
    confirm: (email: string, code: string | undefined) =>
      sdk.send(new ConfirmSignUpCommand({ ...base(email), ConfirmationCode: code })),
    login: (email: string, password: string) =>
      sdk.send(
        new InitiateAuthCommand({
          ClientId: local.clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: {
            USERNAME: email,
            PASSWORD: password,
            SECRET_HASH: hashFor(local, email),
          },
        }),
      ),
  };
}

/** Base64 HMAC-SHA256 of username + clientId keyed by the client secret, computed independently. */
export function hashFor(local: LocalCognito, username: string): string {
  return createHmac("sha256", local.clientSecret)
    .update(username + local.clientId)
    .digest("base64");
}

let counter = 0;
/** A unique address per call, so tests sharing one emulator never collide. */
export function uniqueEmail(label: string): string {
  counter += 1;
  const nonce = Math.random().toString(36).slice(2, 8);
  return `${label}-${String(counter)}-${String(Date.now())}-${nonce}@example.com`;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export function decodeJwt(token: string): DecodedJwt {
  const [header, payload] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header ?? "", "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")),
  };
}

/** The repository's pinned jwks.json. */
export function rootJwks(): { keys: (JsonWebKey & { kid?: string })[] } {
  const file = path.join(__dirname, "..", "..", "jwks.json");
  return JSON.parse(fs.readFileSync(file, "utf8")) as { keys: (JsonWebKey & { kid?: string })[] };
}

/** Verifies an RS256 JWT against the pinned jwks.json with node:crypto only. */
export function verifiesAgainstRootJwks(token: string): boolean {
  const [header, payload, signature] = token.split(".");
  const kid = decodeJwt(token).header.kid;
  const jwk = rootJwks().keys.find((key) => key.kid === kid);
  if (jwk === undefined || signature === undefined) return false;
  const key = createPublicKey({ key: jwk, format: "jwk" });
  return verify(
    "RSA-SHA256",
    Buffer.from(`${header ?? ""}.${payload ?? ""}`),
    key,
    Buffer.from(signature, "base64url"),
  );
}

/** Runs `call` and returns the SDK error name (`err.name`), or "OK". */
export async function errorName(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "OK";
  } catch (err: unknown) {
    return err instanceof Error ? err.name : "non-error";
  }
}

export const LOCAL_PASSWORD = "Sup3r-secret!";

export interface Reply {
  status: number;
  json: Record<string, unknown>;
  text: string;
  /** Response headers, names in lower case. */
  headers: Readonly<Record<string, string>>;
}

/** POSTs (with a body) or GETs (without) a path of the gateway, with an optional bearer token. */
export function clientOf(gw: Target) {
  return async function request(path: string, body?: object, token?: string): Promise<Reply> {
    const answer = await send(gw.url + path, {
      json: body,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    const json = answer.text ? (JSON.parse(answer.text) as Reply["json"]) : {};
    return { status: answer.status, text: answer.text, json, headers: answer.headers };
  };
}

/** Registers and confirms an account through the gateway (code from the emulator). */
export async function confirmedAccount(gw: Target, email: string): Promise<void> {
  await createAccount(gw, email, LOCAL_PASSWORD);
}

/** The current code of an authenticator app holding `secret` (RFC 6238, 30 s, 6 digits). */
export function totpCode(secret: string): string {
  return generate(secret);
}
