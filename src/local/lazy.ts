/**
 * Loads the emulator's modules on demand. Local mode needs `cognito-local`, a development
 * dependency of this project that an installed package does not bring: without it, local mode
 * (and `cognito-gateway/local`) fails with one clear message instead of a module-not-found trace.
 */
import { ConfigError } from "../errors";
import { EMULATOR_MISSING } from "./types";

/** The embedded emulator (src/local/emulator.ts). @throws ConfigError without cognito-local */
export async function loadEmulator(): Promise<typeof import("./emulator")> {
  return withClearError(() => import("./emulator"));
}

/** The emulator's public key (src/local/tokens.ts). @throws ConfigError without cognito-local */
export async function loadEmulatorTokens(): Promise<typeof import("./tokens")> {
  return withClearError(() => import("./tokens"));
}

async function withClearError<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, "cognito-local"))
      throw new ConfigError("unavailable", "cognito-local", EMULATOR_MISSING, { cause: error });
    throw error;
  }
}

function isMissing(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") &&
    error.message.includes(`'${name}`)
  );
}
