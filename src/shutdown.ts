/**
 * Graceful stop of an HTTP server: stop accepting, let requests in flight finish (bounded), then
 * cut what is left.
 */
import type { Server } from "node:http";
import type { NumberRule } from "./option-rules";

/** Longest wait for requests in flight on SIGTERM, ms (`SHUTDOWN_TIMEOUT_MS`): default and bounds. */
export const SHUTDOWN_TIMEOUT_RULE: NumberRule = Object.freeze({
  default: 10_000,
  min: 0,
  max: 600_000,
  integer: true,
});

/** Longest wait for requests in flight on SIGTERM, ms, when nothing else is said. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = SHUTDOWN_TIMEOUT_RULE.default;

/** How often idle keep-alive sockets are closed while draining. */
const IDLE_SWEEP_MS = 50;

/**
 * Stops `server` taking connections and waits for the requests in flight, at most `timeoutMs`;
 * then closes every connection left. Requests arriving on open keep-alive connections meanwhile
 * are still answered, with `Connection: close`; a keep-alive socket is closed as soon as it is
 * idle (Node would otherwise keep it for its keep-alive timeout).
 * @returns whether every request in flight finished in time
 */
export async function drainServer(server: Server, timeoutMs: number): Promise<boolean> {
  if (!server.listening) return true;
  // Before the app's own listener, so the header is set before anything is answered.
  server.prependListener("request", (_req, res) => {
    if (!res.headersSent) res.setHeader("Connection", "close");
  });
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  const sweep = setInterval(() => {
    server.closeIdleConnections();
  }, IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
  });
  try {
    const drained = await Promise.race([closed.then(() => true), late]);
    if (!drained) {
      server.closeAllConnections();
      await closed;
    }
    return drained;
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
