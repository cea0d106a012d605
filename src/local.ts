/**
 * `cognito-gateway/local`: the embedded Cognito emulator, for development and tests only. It
 * needs the `cognito-local` package (a development dependency, never installed with the
 * gateway); it is loaded on first use, and {@link startLocalCognito} rejects with a
 * {@link ConfigError} that says so when it is missing.
 *
 * ```ts
 * import { createLogger } from "cognito-gateway";
 * import { startLocalCognito } from "cognito-gateway/local";
 * const local = await startLocalCognito({ port: 0, logger: createLogger() });
 * // local.endpoint, local.userPoolId, local.clientId, local.clientSecret, local.issuer: what
 * // createGateway needs (with region "local" and any credentials), as local mode does.
 * ```
 */
import type { LocalCognito, LocalCognitoOptions } from "./local/types";
import { loadEmulator } from "./local/lazy";

export type { LocalCognito, LocalCognitoOptions } from "./local/types";
export type { LocalCognitoLink } from "./local/link";
export type { LocalMfa } from "./local/mfa";
export { EMULATOR_MISSING } from "./local/types";
export { ConfigError } from "./errors";

/**
 * Starts the emulator on loopback with a seeded user pool and app client (with a secret).
 * @throws ConfigError when cognito-local is not installed
 */
export async function startLocalCognito(options: LocalCognitoOptions): Promise<LocalCognito> {
  const emulator = await loadEmulator();
  return emulator.startLocalCognito(options);
}
