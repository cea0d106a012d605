/**
 * Local mode only: a sealing secret generated once and kept beside the emulator's data (in the
 * git-ignored `.local/cognito/session-secret`, mode 0600), so `npm start` works with no
 * configuration and browser sessions survive a restart. Never used with a real user pool: there
 * `SESSION_SECRET` must be set explicitly.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MIN_SECRET_LENGTH } from "../session/seal";

/** The file's name inside the local data folder (cognito-local reads only `*.json` there). */
export const LOCAL_SECRET_FILE = "session-secret";

/** Reads the local secret, creating it first if needed. */
export function localSessionSecret(dataDir: string): string {
  const dir = resolve(dataDir);
  const file = join(dir, LOCAL_SECRET_FILE);
  const existing = read(file);
  if (existing !== undefined) return existing;
  mkdirSync(dir, { recursive: true });
  try {
    // "wx": if two processes start at once, one writes and both then read the same secret.
    writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const created = read(file);
  if (created === undefined) throw new Error(`${file} holds no usable secret; delete it`);
  return created;
}

function read(file: string): string | undefined {
  try {
    const value = readFileSync(file, "utf8").trim();
    return value.length >= MIN_SECRET_LENGTH ? value : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
