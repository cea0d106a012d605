/** Tests assert on a ConfigError's coded `reason` and `option`, not on its prose. */
import { ConfigError } from "../../src/errors";

/** The error of class `type` that `run` throws; fails the test on nothing or something else. */
export function errorOf<E extends Error>(
  type: abstract new (...args: never[]) => E,
  run: () => unknown,
): E {
  try {
    run();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`no ${type.name} thrown`);
}

/** The ConfigError `run` throws; fails the test if it throws nothing or something else. */
export function configError(run: () => unknown): ConfigError {
  return errorOf(ConfigError, run);
}

/** The ConfigError `promise` rejects with. */
export async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("no ConfigError thrown");
}
