/**
 * Servers of the bench in child processes that report their port over IPC: the parent side
 * ({@link startIpcChild}) and the child side ({@link serveToParent}, {@link reportToParent}).
 * The child binds port 0 itself, so no port can be taken between choosing and binding it.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { childEnv, sleep, startChild, type Child } from "./processes";

const ROOT = resolve(__dirname, "..", "..");

/** A started server child and where it answers. */
export interface IpcServer {
  readonly child: Child;
  readonly url: string;
}

/**
 * Starts `node --import tsx <script> <mode> <file>` (NODE_ENV=production) and waits, at most
 * 30 s, for the port it reports over IPC.
 */
export async function startIpcChild(
  name: string,
  script: string,
  mode: string,
  file: string,
  nodeFlags: readonly string[] = [],
): Promise<IpcServer> {
  const child = startChild(
    name,
    process.execPath,
    [...nodeFlags, "--import", "tsx", script, mode, file],
    { cwd: ROOT, env: childEnv({ NODE_ENV: "production" }), ipc: true },
  );
  const message = await Promise.race([
    once(child.process, "message").then(([value]) => value as unknown),
    child.exited.then(() => undefined),
    sleep(30_000, undefined),
  ]);
  const port = (message as { port?: unknown } | undefined)?.port;
  if (typeof port !== "number") {
    await child.stop();
    throw new Error(`bench: the ${name} did not start:\n${child.stderrTail()}`);
  }
  return { child, url: `http://127.0.0.1:${String(port)}` };
}

/** Handles a message from the parent (e.g. "gc", "calls"); answers with `process.send`. */
export type ParentMessageHandler = (message: unknown) => void;

/**
 * Child side: reports `port` to the parent, hands its messages to `onMessage`, and on SIGTERM,
 * SIGINT or the parent going away (do not linger) runs `close` and exits.
 */
export function reportToParent(
  port: number,
  close: () => Promise<void>,
  onMessage?: ParentMessageHandler,
): void {
  const stop = () => {
    void close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.once("disconnect", stop);
  if (onMessage) process.on("message", onMessage);
  process.send?.({ port });
}

/** Child side: serves `listener` on a free loopback port and reports it ({@link reportToParent}). */
export async function serveToParent(
  listener: http.RequestListener,
  onMessage?: ParentMessageHandler,
): Promise<void> {
  const server = http.createServer(listener);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => {
        done();
      });
    });
  reportToParent((server.address() as AddressInfo).port, close, onMessage);
}
