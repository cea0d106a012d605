import { waitUntil } from "../../tools/lib/processes";

/**
 * Waits until `check` holds, polling every 10 ms; fails the test after `timeoutMs`. For
 * behaviour that is eventually true across processes or connections (a push arriving, a
 * reconnection), asserted without sleeping a fixed time.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
): Promise<void> {
  await waitUntil(check, { timeoutMs, everyMs: 10 });
}
