/**
 * Defaults and bounds of the emulator's own settings (`LOCAL_MFA`, `LOCAL_REFRESH_GRACE_SECONDS`),
 * apart from the emulator so that reading the environment never loads cognito-local (a dev
 * dependency).
 */
import type { NumberRule } from "../option-rules";
import type { LocalMfa } from "./challenges";

/** What `LOCAL_MFA` may be. */
export const LOCAL_MFA_MODES: readonly LocalMfa[] = Object.freeze(["off", "optional", "on"]);

/** MFA of the seeded pool unless `LOCAL_MFA` says otherwise. */
export const DEFAULT_LOCAL_MFA: LocalMfa = "off";

/** Seconds a rotated-out refresh token still works in the emulator. */
export const LOCAL_REFRESH_GRACE_RULE: NumberRule = Object.freeze({
  default: 0,
  min: 0,
  max: 60,
  integer: true,
});
