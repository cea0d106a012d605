/**
 * A real `redis-server` (Debian package) for tests and `npm run bench`: loopback, a free port, no persistence, so
 * a kill and restart gives an empty server on the same port. Tests kill it, restart it, or
 * pause it (SIGSTOP) to produce the faults the shared state must survive.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./http";

/** A redis-server the test controls. */
export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Starts the server (empty) if it is not running; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL: the data is gone with it. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** One command through a fresh connection (RESP, inline), e.g. `["DBSIZE"]`. */
  cli(args: readonly string[]): Promise<string>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * A redis-server on a free port (`started: false` only reserves the port: "Redis down at start").
 * `args` adds server options, e.g. `["--maxmemory-policy", "allkeys-lru"]`.
 */
export async function startRedis(
  options: { started?: boolean; args?: readonly string[] } = {},
): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "gateway-redis-"));
  let child: ChildProcess | undefined;
  const serverArgs = [
    ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
    ...["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"],
    ...(options.args ?? []),
  ];
  const redis: TestRedis = {
    port,
    url: `redis://127.0.0.1:${String(port)}`,
    async start() {
      if (child !== undefined) return;
      child = spawn("redis-server", serverArgs, { stdio: ["ignore", "pipe", "inherit"] });
      await readyToAccept(child);
    },
    async kill() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      running.kill("SIGCONT"); // a paused process must be able to die
      running.kill("SIGKILL");
      await once(running, "exit");
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    cli: (args) => command(port, args),
    async stop() {
      await redis.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.started !== false) await redis.start();
  return redis;
}

/** Resolves when the server logs it accepts connections; rejects if it exits first. */
async function readyToAccept(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      reject(new Error(`redis-server did not start: ${seen}`));
    }, 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      if (seen.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${String(code)}): ${seen}`));
    });
  });
}

/** Sends one command and returns the raw reply text (enough for tests: DBSIZE, CONFIG, INFO). */
async function command(port: number, args: readonly string[]): Promise<string> {
  const socket = new Socket();
  socket.connect(port, "127.0.0.1");
  await once(socket, "connect");
  const wire = `*${String(args.length)}\r\n${args.map((a) => `$${String(Buffer.byteLength(a))}\r\n${a}\r\n`).join("")}`;
  socket.write(wire);
  const [chunk] = (await once(socket, "data")) as [Buffer];
  socket.destroy();
  return chunk.toString("utf8");
}
