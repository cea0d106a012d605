/**
 * The emulator's public types (and the message when it is missing), in a file free of
 * cognito-local's types: the published
 * declarations (startGateway's RunningGateway, `cognito-gateway/local`) mention them, and an
 * installed package has no cognito-local.
 */
import type { Logger } from "../logger";
import type { LocalCognitoLink } from "./link";
import type { LocalMfa } from "./mfa";

/** Options of `startLocalCognito` (./emulator). */
export interface LocalCognitoOptions {
  /** Our logger. The emulator's own logs go to a child at level `error`. */
  logger: Logger;
  /** TCP port on 127.0.0.1. Default 9229; 0 picks a free one. */
  port?: number;
  /** Data directory, resolved against the working directory. Default `.local/cognito`. */
  dataDir?: string;
  /** If set (six digits), every code the emulator sends is this one: for unattended runs. */
  fixedCode?: string;
  /** Called with the destination e-mail and the code each time the emulator "sends" a code. */
  onCode?: (email: string, code: string) => void;
  /**
   * If set, the emulator also answers its link routes (`/_local/link`, `/_local/confirmation-code`)
   * to callers presenting this bearer token: what gateways started with LOCAL_COGNITO_URL use.
   */
  linkToken?: string;
  /** MFA of the seeded pool (`LOCAL_MFA`): off, optional or on. Default off. */
  mfa?: LocalMfa;
  /** The app client rotates refresh tokens (`COGNITO_REFRESH_ROTATION`). Default false. */
  refreshRotation?: boolean;
  /** Seconds a rotated-out refresh token still works (`LOCAL_REFRESH_GRACE_SECONDS`). Default 0. */
  refreshGraceSeconds?: number;
}

/**
 * A running emulator, seeded with the local pool and app client. Its `userPoolId` (pool
 * `cognito-gateway-local`) and `clientId` are stable across runs; its `issuer` is
 * `http://127.0.0.1:<port>/<userPoolId>`; its region is `local`.
 */
export interface LocalCognito extends LocalCognitoLink {
  /**
   * `http://127.0.0.1:<port>`: where the public discovery document and JWKS are. `endpoint` is
   * this origin plus the run's secret path key (see ./access): log the origin, never the endpoint.
   */
  readonly origin: string;
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** Milliseconds startLocalCognito took. */
  readonly startupMs: number;
  /** Latest code sent to this address (case-insensitive), if any since start. */
  latestCode(email: string): string | undefined;
  /** Creates a user with a temporary password (NEW_PASSWORD_REQUIRED at sign-in); answers it. */
  invite(email: string): Promise<string>;
  /**
   * Sets a user's MFA by code (SMS, e-mail) as an administrator would, storing `phoneNumber`
   * first when given; answers every MFA method the user now has.
   */
  setCodeMfa(
    email: string,
    methods: readonly ("SMS_MFA" | "EMAIL_OTP")[],
    phoneNumber?: string,
  ): Promise<string[]>;
  /** Stops listening and drops open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** The message when cognito-local is missing (also what tests look for). */
export const EMULATOR_MISSING =
  "Local mode runs the Cognito emulator cognito-local, a development-only package that is not installed here. Install it (`npm install --save-dev cognito-local@^5`) or configure a real user pool (COGNITO_USER_POOL_ID, see .env.example).";
