/**
 * Guards that keep local mode local. This module has no dependency on cognito-local, so it is
 * safe to import in every mode.
 */
import { EMULATOR_KID } from "../auth/keys";
import { ConfigError } from "../errors";

export { EMULATOR_KID };

/** Which identity provider the gateway runs against. */
export type GatewayMode = "local" | "cognito";

/** Input of {@link assertNoEmulatorKeyOutsideLocal}. */
export interface EmulatorKeyGuardInput {
  mode: GatewayMode;
  /** `process.env.NODE_ENV`. */
  nodeEnv?: string | undefined;
  /** kids of the keys pinned in jwks.json. */
  kids: readonly string[];
}

function isProduction(nodeEnv: string | undefined): boolean {
  return nodeEnv?.trim().toLowerCase() === "production";
}

/**
 * Throws ConfigError when local mode would run in production, or when jwks.json still pins the
 * emulator's key outside local mode: its private key is public, so anyone could mint tokens the
 * gateway would accept.
 */
export function assertNoEmulatorKeyOutsideLocal(input: EmulatorKeyGuardInput): void {
  const production = isProduction(input.nodeEnv);
  if (production && input.mode === "local") {
    throw new ConfigError(
      "conflict",
      "NODE_ENV",
      "Local mode is for development only, but NODE_ENV is production. Configure COGNITO_USER_POOL_ID (and the app client settings) to use a real Cognito user pool.",
    );
  }
  if ((input.mode === "cognito" || production) && input.kids.includes(EMULATOR_KID)) {
    throw new ConfigError(
      "insecure",
      "keys",
      `jwks.json still holds the local emulator's key (kid ${EMULATOR_KID}), whose private key is public: anyone could mint tokens this gateway would accept. Run \`npm run jwks:pull\` to pin your user pool's keys instead.`,
    );
  }
}

/** The parts of a public JWK that identify an RSA key. */
export interface RsaJwkLike {
  readonly kid?: unknown;
  readonly kty?: unknown;
  readonly n?: unknown;
  readonly e?: unknown;
}

/**
 * For local mode: throws ConfigError unless the keys pinned in jwks.json include the emulator's
 * key (`emulatorKey`, from `EMULATOR_PUBLIC_JWK` of ./emulator) with the same modulus and
 * exponent, so a stale or overwritten jwks.json is caught at start-up instead of as a 401 on
 * every request.
 */
export function assertPinnedEmulatorKeyCurrent(
  pinnedKeys: readonly RsaJwkLike[],
  emulatorKey: RsaJwkLike,
): void {
  const pinned = pinnedKeys.find((key) => key.kid === EMULATOR_KID);
  if (pinned === undefined) {
    throw new ConfigError(
      "missing",
      "keys",
      `Local mode needs jwks.json to hold the emulator's key (kid ${EMULATOR_KID}), and it does not (was it replaced by \`npm run jwks:pull\`?). Restore it with \`git checkout -- jwks.json\`.`,
    );
  }
  if (pinned.kty !== emulatorKey.kty || pinned.n !== emulatorKey.n || pinned.e !== emulatorKey.e) {
    throw new ConfigError(
      "conflict",
      "keys",
      `The ${EMULATOR_KID} key in jwks.json differs from the installed cognito-local's key, so no local token would verify. Restore it with \`git checkout -- jwks.json\`, or update it from node_modules/cognito-local/lib/keys/cognitoLocal.public.json.`,
    );
  }
}
