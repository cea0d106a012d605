/**
 * Shared pieces of `npm run bench`: small statistics, child processes that are always killed,
 * /proc readings (CPU time, RSS), free loopback ports, bench keys and tokens, an instant-answer
 * fake Cognito, and the markdown table.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

// ---------------------------------------------------------------------------------------------
// Statistics

/** Median (mean of the two middle values for an even count); NaN for an empty sample. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] ?? NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? NaN) + upper) / 2;
}

/** Nearest-rank percentile, `p` in 0–100; NaN for an empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

/** `value / baseline`, NaN unless both are finite and the baseline is positive. */
export function ratio(value: number, baseline: number): number {
  return Number.isFinite(value) && Number.isFinite(baseline) && baseline > 0
    ? value / baseline
    : NaN;
}

/**
 * Median over rounds of `f(values[r], baseline[r])`: each round's figure compared with the
 * baseline measured in the same round, so drift in machine load between rounds cancels out.
 */
export function pairedMedian(
  values: readonly number[],
  baseline: readonly number[],
  f: (value: number, base: number) => number,
): number {
  const n = Math.min(values.length, baseline.length);
  return median(Array.from({ length: n }, (_, r) => f(values[r] ?? NaN, baseline[r] ?? NaN)));
}

/** Fixed decimals, or "n/a" for NaN. */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** Rounded with thousands separators, or "n/a". */
export function whole(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a";
}

// ---------------------------------------------------------------------------------------------
// Child processes: each one leads its own process group, so stopping it stops its children
// (npm → sh → tsx → node) too. Every child started here is stopped on exit, error or signal.

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
  if (pid === undefined) throw new Error(`bench: could not start ${name} (${command})`);
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

// ---------------------------------------------------------------------------------------------
// /proc readings (Linux)

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!(ticksPerSecond > 0)) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** utime + stime, in clock ticks, from the text of `/proc/<pid>/stat`. */
export function parseProcStatTicks(stat: string): number {
  // The command name (field 2) may contain spaces and parentheses: parse after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU seconds (user + system) a process has used so far, or NaN. */
export function cpuSeconds(pid: number): number {
  try {
    return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, "utf8")) / clockTicks();
  } catch {
    return NaN;
  }
}

/**
 * CPU time of a process's main thread (where its JavaScript runs), in seconds with nanosecond
 * resolution, from `/proc/<pid>/task/<pid>/schedstat`; NaN if unreadable.
 */
export function mainThreadCpuSeconds(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8");
    return Number(text.split(" ")[0]) / 1e9;
  } catch {
    return NaN;
  }
}

/** A `kB` field (e.g. `VmRSS`) of the text of `/proc/<pid>/status`, or NaN. */
export function parseStatusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  return match ? Number(match[1]) : NaN;
}

/** Resident set size now and its peak so far (VmHWM), in MB (10^6 bytes); NaN if unreadable. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return {
      rss: (parseStatusKb(status, "VmRSS") * 1024) / 1e6,
      peak: (parseStatusKb(status, "VmHWM") * 1024) / 1e6,
    };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

// ---------------------------------------------------------------------------------------------
// Loopback

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

/** Status and body of one loopback request. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP request (an agent keeps connections alive), bounded by `timeoutMs`. */
export function request(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    agent?: http.Agent;
    timeoutMs?: number;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers,
        agent: options.agent,
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => {
      req.destroy(new Error(`timeout: ${url}`));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * Polls `url` every `everyMs` until it answers 200; resolves with the milliseconds since `since`
 * (a `performance.now()` value). Rejects after `timeoutMs` or when `child` exits first.
 */
export async function waitFor200(
  url: string,
  options: { since: number; everyMs: number; timeoutMs: number; child?: Child },
): Promise<number> {
  const deadline = options.since + options.timeoutMs;
  const state = { exited: false };
  void options.child?.exited.then(() => {
    state.exited = true;
  });
  while (performance.now() < deadline) {
    if (state.exited) {
      throw new Error(
        `bench: ${options.child?.name ?? "child"} exited before ${url} answered 200:\n${options.child?.stderrTail() ?? ""}`,
      );
    }
    const answer = await request(url, { timeoutMs: 1000 }).catch(() => undefined);
    if (answer?.status === 200) return performance.now() - options.since;
    await sleep(options.everyMs);
  }
  throw new Error(`bench: ${url} did not answer 200 within ${options.timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Bench key and tokens

export const BENCH_POOL_ID = "us-east-1_BenchPool1";
export const BENCH_ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${BENCH_POOL_ID}`;
export const BENCH_CLIENT_ID = "3benchclient0example0id9";
export const BENCH_CLIENT_SECRET = "bench-client-secret-not-a-real-one";
export const BENCH_KID = "bench-kid-1";

/** An RSA-2048 key pair and its public JWKS. */
export interface BenchKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwks: { keys: JsonWebKey[] };
}

export function createBenchKey(): BenchKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: BENCH_KID, alg: "RS256", use: "sig" };
  return { privateKey, publicKey, jwks: { keys: [jwk] } };
}

/**
 * A Cognito-shaped access token (about 1 KB), distinct by `i`, valid for `ttlSec`. Claims as
 * Cognito issues them after USER_PASSWORD_AUTH, `username` included.
 */
export function mintAccessToken(key: BenchKey, i: number, ttlSec = 3600): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const n = String(i).padStart(12, "0");
  const sub = `a1b2c3d4-0000-4000-8000-${n}`;
  const header = { kid: BENCH_KID, alg: "RS256" };
  const claims = {
    sub,
    iss: BENCH_ISSUER,
    client_id: BENCH_CLIENT_ID,
    origin_jti: `0a1b2c3d-1111-4111-8111-${n}`,
    event_id: `9f8e7d6c-2222-4222-8222-${n}`,
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    auth_time: nowSec - 60,
    exp: nowSec + ttlSec,
    iat: nowSec - 60,
    jti: `5e6f7a8b-3333-4333-8333-${n}`,
    username: sub,
  };
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), key.privateKey).toString("base64url")}`;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** `count` distinct tokens (about 0.45 ms each: RSA signing). */
export function mintAccessTokens(key: BenchKey, count: number): string[] {
  return Array.from({ length: count }, (_, i) => mintAccessToken(key, i));
}

// ---------------------------------------------------------------------------------------------
// Instant-answer fake Cognito (AWS JSON 1.1: POST /, x-amz-target names the operation)

/** A running fake; `calls` counts requests per operation. */
export interface FakeCognito {
  readonly url: string;
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";

/**
 * Answers SignUp, ResendConfirmationCode, InitiateAuth and AdminInitiateAuth at once with canned
 * bodies (the AccessToken is `accessToken`), GetUser with NotAuthorizedException (what a
 * readiness probe expects), and anything else with InvalidParameterException. Loopback only.
 */
export async function startFakeCognito(options: { accessToken: string }): Promise<FakeCognito> {
  const json = (status: number, body: unknown) => ({
    status,
    body: Buffer.from(JSON.stringify(body)),
  });
  const tokens = {
    AuthenticationResult: {
      AccessToken: options.accessToken,
      ExpiresIn: 3600,
      IdToken: options.accessToken,
      RefreshToken: "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.bench.refresh",
      TokenType: "Bearer",
    },
    ChallengeParameters: {},
  };
  const delivery = {
    CodeDeliveryDetails: {
      AttributeName: "email",
      DeliveryMedium: "EMAIL",
      Destination: "b***@e***",
    },
  };
  const answers = new Map([
    [
      "SignUp",
      json(200, {
        UserConfirmed: false,
        UserSub: "f0e1d2c3-4444-4444-8444-000000000001",
        ...delivery,
      }),
    ],
    ["ResendConfirmationCode", json(200, delivery)],
    ["InitiateAuth", json(200, tokens)],
    ["AdminInitiateAuth", json(200, tokens)],
    ["GetUser", json(400, { __type: "NotAuthorizedException", message: "Invalid Access Token" })],
  ]);
  const unknown = json(400, { __type: "InvalidParameterException", message: "not faked" });
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume(); // read and drop the body
    req.on("end", () => {
      const target = req.headers["x-amz-target"];
      const op =
        typeof target === "string" && target.startsWith(TARGET_PREFIX)
          ? target.slice(TARGET_PREFIX.length)
          : "";
      calls.set(op, (calls.get(op) ?? 0) + 1);
      const answer = req.method === "POST" ? (answers.get(op) ?? unknown) : unknown;
      res.writeHead(answer.status, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": answer.body.length,
        "x-amzn-requestid": "00000000-0000-4000-8000-000000000000",
      });
      res.end(answer.body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Output

/** A markdown table; cells are escaped for `|`. */
export function markdownTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
