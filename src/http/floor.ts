import { randomInt } from "node:crypto";
import type { Clock } from "../clock";
import type { NumberRule } from "../option-rules";

/**
 * Defaults and bounds of the response floor, ms. The default floor sits above Cognito's usual
 * latency for the floored calls; {@link LOCAL_RESPONSE_FLOOR_MS} above the embedded emulator's.
 */
export const FLOOR_RULES = Object.freeze({
  responseFloorMs: { default: 800, min: 0, max: 600_000, integer: true },
  responseJitterMs: { default: 40, min: 0, max: 1000, integer: true },
} satisfies Record<string, NumberRule>);

/** The floor's default in local mode (the embedded emulator answers in a few ms). */
export const LOCAL_RESPONSE_FLOOR_MS = 150;

/** Waits `ms` milliseconds; injectable so tests need not sleep. */
export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A response floor: `run` is awaited, then the answer (value or error) waits until at least
 * `floorMs` plus a random jitter have passed since the start. Applied to success and failure
 * alike, it hides how many Cognito calls a request needed and which branch it took.
 */
export function createResponseFloor(options: {
  floorMs: number;
  jitterMs: number;
  clock: Clock;
  sleep?: Sleep;
}) {
  const sleep = options.sleep ?? realSleep;
  const { floorMs, jitterMs, clock } = options;
  return async function withResponseFloor<T>(run: () => Promise<T>): Promise<T> {
    if (floorMs === 0 && jitterMs === 0) return run();
    const started = clock.now();
    const target = floorMs + (jitterMs > 0 ? randomInt(jitterMs + 1) : 0);
    const settle = async () => {
      const remaining = started + target - clock.now();
      if (remaining > 0) await sleep(remaining);
    };
    try {
      const value = await run();
      await settle();
      return value;
    } catch (error) {
      await settle();
      throw error;
    }
  };
}

export type ResponseFloor = ReturnType<typeof createResponseFloor>;
