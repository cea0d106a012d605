import { createHmac, createPublicKey, verify, type JsonWebKey } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { createLogger, type Logger } from "../../src/logger";
import type { LocalCognito } from "../../src/local/emulator";

/** A fresh data directory under the OS temp dir; removed by {@link removeDir}. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cognito-local-test-"));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Our logger, writing JSON lines into an array instead of stdout. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (line) => raw.push(line) } });
  return {
    logger,
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
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
  return `${label}-${String(counter)}-${String(Date.now())}@example.com`;
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
