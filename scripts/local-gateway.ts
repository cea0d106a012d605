/**
 * A throw-away local-mode gateway for the audit and soak scripts and the hardening tests: the
 * embedded emulator on an ephemeral loopback port, data in a fresh temporary directory (removed
 * on close), and a small JSON client that times each request.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../src/config";
import { createLogger, type Logger } from "../src/logger";
import { startGateway, type RunningGateway } from "../src/standalone";

/** Where a gateway answers. */
export interface Target {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Lifecycle base URL, e.g. http://127.0.0.1:40123/auth */
  readonly auth: string;
}

/** A started temporary gateway. */
export interface TempGateway extends Target {
  readonly running: RunningGateway;
  close(): Promise<void>;
}

/**
 * Starts local mode with PORT=0, LOCAL_COGNITO_PORT=0, a temporary LOCAL_DATA_DIR and the
 * revocation journal inside it (LOCAL_STATE_DIR); `env`
 * adds or overrides variables (it is the whole environment: process.env is not read).
 */
export async function startTempGateway(
  env: Readonly<Record<string, string>> = {},
  logger: Logger = createLogger({ level: "silent" }),
): Promise<TempGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), "cognito-gateway-"));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOCAL_COGNITO_PORT: "0",
    LOCAL_DATA_DIR: dataDir,
    LOCAL_STATE_DIR: join(dataDir, "state"),
    SERVE_PAGE: "false",
    ...env,
  });
  const running = await startGateway(config, logger);
  return {
    running,
    url: running.url,
    auth: `${running.url}${config.basePath}`,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One answer of {@link send}. */
export interface Answer {
  status: number;
  body: unknown;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
  /** Milliseconds from sending to the whole body read. */
  ms: number;
}

/** Sends a request (JSON body unless `raw` is given) and reads the whole answer. */
export async function send(
  url: string,
  init: { method?: string; json?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined = init.raw;
  if (init.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(init.json);
  }
  const started = performance.now();
  const res = await fetch(url, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const responseHeaders: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  return { status: res.status, body: parsed, headers: responseHeaders, ms };
}

/**
 * Registers and (unless `confirm` is false) confirms an account, all over HTTP: the code comes
 * from local mode's `/_local/confirmation-code`.
 */
export async function createAccount(
  gw: Target,
  email: string,
  password: string,
  confirm = true,
): Promise<void> {
  const registered = await send(`${gw.auth}/register`, { json: { email, password } });
  if (registered.status !== 202) throw new Error(`register answered ${registered.status}`);
  if (!confirm) return;
  const query = new URLSearchParams({ email }).toString();
  const latest = await send(`${gw.url}/_local/confirmation-code?${query}`);
  const code = (latest.body as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") throw new Error("no confirmation code from the emulator");
  const confirmed = await send(`${gw.auth}/confirm`, { json: { email, code } });
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
}

/** Runs `tasks` with at most `concurrency` in flight; stops starting new ones after `deadline`. */
export async function runPool<T>(
  tasks: readonly (() => Promise<T>)[],
  concurrency: number,
  deadline = Infinity,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && performance.now() < deadline) {
      const task = tasks[next++];
      if (task) results.push(await task());
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}

/** A whole number from the environment variable `name` (scripts' own settings), checked. */
export function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}
