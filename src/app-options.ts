/**
 * The options of the standalone app (src/app.ts), apart from the app itself: config and the
 * command line read the defaults without loading Express.
 */
import type { HostOptions } from "./http/hosts";
import { keysOf } from "./option-rules";

/** Settings of the standalone app around a gateway. */
export interface AppOptions {
  /** Where the lifecycle router is mounted. Default `/auth`. */
  basePath?: string;
  /** Express `trust proxy`. Default false: the socket's address is the client IP. */
  trustProxy?: boolean | number | string;
  /** Origins allowed by CORS. Default none (same origin only). */
  corsOrigins?: readonly string[];
  /** Serve the account page at `/`. Default false. */
  servePage?: boolean;
  /** Local mode only: the latest confirmation code per address, for unattended clients. */
  localCodes?: (email: string) => string | undefined | Promise<string | undefined>;
  /** Local mode only: creates a user with a temporary password, answered to the caller. */
  localInvite?: (email: string) => Promise<string>;
  /** Local mode only: sets a user's SMS / e-mail MFA as an administrator would. */
  localMfa?: LocalMfaSetter;
  /**
   * Which `Host` headers are answered (DNS-rebinding defence). Default: any host, unless
   * `local` is true, when only loopback names are.
   */
  hosts?: HostOptions;
}

/** Where the lifecycle router is mounted unless `basePath` (`BASE_PATH`) says otherwise. */
export const DEFAULT_BASE_PATH = "/auth";

export const APP_OPTION_KEYS = keysOf<AppOptions>({
  basePath: true,
  trustProxy: true,
  corsOrigins: true,
  servePage: true,
  localCodes: true,
  localInvite: true,
  localMfa: true,
  hosts: true,
});

/** Sets a user's MFA by code; answers every MFA method the user now has. */
export type LocalMfaSetter = (
  email: string,
  methods: readonly ("SMS_MFA" | "EMAIL_OTP")[],
  phoneNumber?: string,
) => Promise<string[]>;
