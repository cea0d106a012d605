/**
 * The one HTTP client of the tools and tests (bench, soak, timing audit, integration tests): a
 * whole answer read and timed, over node:http so a keep-alive agent and a bound can be given.
 * Plus free loopback ports and a bounded pool of concurrent tasks.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { waitUntil, type Child } from "./processes";

/** Where a gateway answers. */
export interface Target {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Lifecycle base URL, e.g. http://127.0.0.1:40123/auth */
  readonly auth: string;
}

/** What {@link send} sends. */
export interface SendInit {
  /** Default: POST with a body, GET without. */
  readonly method?: string;
  /** Sent as JSON (content-type application/json unless `headers` sets one). */
  readonly json?: unknown;
  /** Sent as is (when `json` is not given). */
  readonly raw?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A keep-alive agent, for load loops. Default: Node's global agent. */
  readonly agent?: http.Agent;
  /** Fails the request after this long without an answer. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** One answer of {@link send}. */
export interface Answer {
  readonly status: number;
  /** The body parsed as JSON, the text itself when it is not JSON, undefined when empty. */
  readonly body: unknown;
  /** The body as received. */
  readonly text: string;
  /** Response headers, names in lower case (repeated ones joined with ", "). */
  readonly headers: Readonly<Record<string, string>>;
  /** Milliseconds from sending to the whole body read. */
  readonly ms: number;
}

/** Sends one request and reads the whole answer. */
export function send(url: string, init: SendInit = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.raw;
  if (init.json !== undefined) {
    if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
      headers["content-type"] = "application/json";
    }
    body = JSON.stringify(init.json);
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: init.method ?? (body === undefined ? "GET" : "POST"),
        headers,
        agent: init.agent,
        timeout: init.timeoutMs ?? 10_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          const ms = performance.now() - started;
          resolve({ status: res.statusCode ?? 0, body: parse(text), text, headers: flat(res), ms });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => {
      req.destroy(new Error(`timeout: ${url}`));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function parse(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: keep the text
  }
}

function flat(res: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** A TCP port free on 127.0.0.1 right now (bound and released). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

/**
 * Polls `url` every `everyMs` until it answers 200; resolves with the milliseconds since `since`
 * (a `performance.now()` value). Rejects after `timeoutMs` or when `child` exits first.
 */
export function waitFor200(
  url: string,
  options: { since: number; everyMs: number; timeoutMs: number; child?: Child },
): Promise<number> {
  const ok = () =>
    send(url, { timeoutMs: 1000 }).then(
      (answer) => answer.status === 200,
      () => false,
    );
  return waitUntil(ok, { ...options, what: `${url} answering 200` });
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

/** A whole number from the environment variable `name` (a tool's own setting), checked. */
export function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}
