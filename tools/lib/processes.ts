/**
 * Child processes of the tools and tests (gateways, the emulator, redis-server, HAProxy): each
 * leads its own process group, so stopping it stops its children (npm → sh → tsx → node) too,
 * and every child started here is stopped on exit, error or signal. Also the one polling loop
 * ({@link waitUntil}) everything that waits for a process to be ready uses.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

/** A started child process. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last few KB of its stderr (for error messages). */
  stderrTail(): string;
  /** Resolves with the exit code (or null after a signal) once it has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM to the group, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();

/** Options of {@link startChild}. */
export interface ChildOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** An IPC channel (for `process.send` in the child). Default false. */
  readonly ipc?: boolean;
  /** A file descriptor to write stdout to. Default: discarded. */
  readonly stdout?: number;
}

/** Starts `command args` in its own process group; stdout is discarded (or sent to `options.stdout`), stderr kept in part. */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: ChildOptions,
): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true, // own process group: kill(-pid) reaches every descendant
    stdio:
      options.ipc === true
        ? ["ignore", options.stdout ?? "ignore", "pipe", "ipc"]
        : ["ignore", options.stdout ?? "ignore", "pipe"],
  });
  const { pid } = proc;
  if (pid === undefined) throw new Error(`could not start ${name} (${command})`);
  let tail = "";
  proc.stderr?.setEncoding("utf8");
  proc.stderr?.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      resolve(code);
    });
    proc.once("error", () => {
      resolve(null);
    });
  });
  const child: Child = {
    name,
    pid,
    process: proc,
    stderrTail: () => tail,
    exited,
    async stop(graceMs = 3000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        signalGroup(pid, "SIGTERM");
        const done = await Promise.race([exited.then(() => true), sleep(graceMs, false)]);
        if (!done) {
          signalGroup(pid, "SIGKILL");
          await Promise.race([exited, sleep(2000)]);
        }
      }
      signalGroup(pid, "SIGKILL"); // stragglers of the group, if any
      running.delete(child);
    },
  };
  running.add(child);
  void exited.then(() => {
    if (proc.signalCode !== null || proc.exitCode !== null) signalGroup(pid, "SIGKILL");
  });
  return child;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Stops every child still running. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(1000)));
}

/**
 * Kills every child group on exit and on SIGINT/SIGTERM (synchronously: an exiting process
 * cannot await), so an interrupted or failed bench leaves nothing running.
 */
export function installChildCleanup(): void {
  const killAll = () => {
    for (const child of running) signalGroup(child.pid, "SIGKILL");
    running.clear();
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Inherited variables that would change what is measured: every setting the gateway reads
 * (src/config.ts), the AWS SDK's own, and runtime flags. They are never passed on.
 */
const MEASURED_SETTINGS =
  /^(?:COGNITO_|LOCAL_|PASSWORD_|RATE_LIMIT|RESPONSE_|TOKEN_CACHE_|AWS_)|^(?:PORT|HOST|BASE_PATH|LOG_LEVEL|TRUST_PROXY|CORS_ORIGINS|SERVE_PAGE|JWKS_PATH|SIGNUP_ATTRIBUTES|CONTEXT_HEADERS|SESSION_MAX_SECONDS|REFRESH_TOKEN_MAX_SECONDS|RETRY_AFTER_SECONDS|CLOCK_SKEW_SECONDS|NODE_ENV|NODE_OPTIONS)$/;

/** This process's environment without {@link MEASURED_SETTINGS}, plus `set`. */
export function childEnv(set: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!MEASURED_SETTINGS.test(name)) env[name] = value;
  }
  return { ...env, ...set };
}

/** Finds a Debian binary even when /usr/sbin is not on PATH. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin"];
  for (const dir of dirs) {
    if (dir !== "" && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between checks. Default 10 ms. */
  readonly everyMs?: number;
  /** Counted from here (a `performance.now()` value). Default: now. */
  readonly since?: number;
  /** Fail at once, with its stderr, when this child exits first. */
  readonly child?: Child;
  /** Named in the error messages. Default "condition". */
  readonly what?: string;
}

/**
 * Polls `check` until it holds; resolves with the milliseconds since `options.since`. Rejects
 * after `timeoutMs`, when `child` exits first, or with the error `check` throws.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<number> {
  const since = options.since ?? performance.now();
  const what = options.what ?? "condition";
  const state = { exited: false };
  void options.child?.exited.then(() => {
    state.exited = true;
  });
  for (;;) {
    if (state.exited) {
      const child = options.child;
      throw new Error(
        `${child?.name ?? "child"} exited before ${what}:\n${child?.stderrTail() ?? ""}`,
      );
    }
    if (await check()) return performance.now() - since;
    if (performance.now() - since > options.timeoutMs) {
      throw new Error(`${what} not met within ${String(options.timeoutMs)} ms`);
    }
    await sleep(options.everyMs ?? 10);
  }
}

/**
 * Runs a tool's `main`. An error is printed with its stack, every child is stopped and the
 * process exits with 1. On success, with `exit`, every child is stopped and the process exits
 * (a keep-alive socket must not keep it alive); without, it goes on (a server child serving).
 */
export function runMain(main: () => Promise<void>, options: { exit: boolean }): void {
  main().then(
    async () => {
      if (!options.exit) return;
      await stopAllChildren();
      process.exit();
    },
    async (error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      await stopAllChildren();
      process.exit(1);
    },
  );
}
