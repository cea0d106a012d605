/**
 * Soak test (`npm run soak`): a local-mode gateway (embedded emulator, loopback, ephemeral
 * ports, temporary data) in a child process of its own, so its memory is measured apart from
 * the load generator, under mixed traffic — logins, refreshes, /me, whole sessions ending in
 * logout, bad tokens, bad bodies — with bounded concurrency, count and time. Prints requests,
 * counts by status, unexpected statuses, error log lines, and the gateway's RSS and heap after
 * warm-up and at the end (each after a GC: the child runs with --expose-gc). Exits 1 on an
 * unexpected status, an error log line, a crash or RSS growth of 10 % or more.
 *
 *   SOAK_SECONDS=60 SOAK_CONCURRENCY=16 SOAK_MAX_REQUESTS=500000 npm run soak
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import { createLogger } from "../src/logger";
import { createAccount, startTempGateway } from "./lib/gateways";
import { intFromEnv, send, type Target } from "./lib/http";

const SECONDS = intFromEnv("SOAK_SECONDS", 60, 5, 3600);
const CONCURRENCY = intFromEnv("SOAK_CONCURRENCY", 16, 1, 256);
const MAX_REQUESTS = intFromEnv("SOAK_MAX_REQUESTS", 500_000, 100, 10_000_000);
/** Long enough for JIT, lazy loading and the heap to settle before the first measurement. */
const WARM_UP_SECONDS = Math.max(5, Math.round(SECONDS / 4));
const ACCOUNTS = 8;
const PASSWORD = "Soak-Passw0rd!";
const MAX_GROWTH = 0.1;

interface Account {
  email: string;
  refreshToken: string;
  username: string;
  accessToken: string;
}

/** One request kind: what it sends, and the status it got and must get. */
type Step = (gw: Target, a: Account) => Promise<[kind: string, status: number, expected: number]>;

const post = (gw: Target, path: string, json: unknown, headers?: Record<string, string>) =>
  send(`${gw.auth}${path}`, { json, ...(headers ? { headers } : {}) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const unknownEmail = () => `soak-${randomBytes(6).toString("hex")}@unknown.example`;
const junkToken = () => `${randomBytes(24).toString("base64url")}.e30.x`;

/** Accounts that sessions log out of: one session at a time each, as logout is global. */
const sessionAccounts: Account[] = [];

const STEPS: readonly [weight: number, step: Step][] = [
  [
    3,
    async (gw, a) => [
      "me",
      (await send(`${gw.auth}/me`, { headers: bearer(a.accessToken) })).status,
      200,
    ],
  ],
  [
    2,
    async (gw, a) => [
      "refresh",
      (await post(gw, "/refresh", { refreshToken: a.refreshToken, username: a.username })).status,
      200,
    ],
  ],
  [
    2,
    async (gw, a) => [
      "login",
      (await post(gw, "/login", { email: a.email, password: PASSWORD })).status,
      200,
    ],
  ],
  [
    1,
    async (gw) => [
      "login-unknown",
      (await post(gw, "/login", { email: unknownEmail(), password: PASSWORD })).status,
      401,
    ],
  ],
  [
    1,
    async (gw, a) => [
      "register-existing",
      (await post(gw, "/register", { email: a.email, password: PASSWORD })).status,
      202,
    ],
  ],
  [
    2,
    async (gw) => [
      "me-bad-token",
      (await send(`${gw.auth}/me`, { headers: bearer(junkToken()) })).status,
      401,
    ],
  ],
  [1, async (gw) => ["me-no-token", (await send(`${gw.auth}/me`)).status, 401]],
  [
    1,
    async (gw) => [
      "bad-json",
      (
        await send(`${gw.auth}/login`, {
          raw: '{"email":',
          headers: { "content-type": "application/json" },
        })
      ).status,
      400,
    ],
  ],
  [
    1,
    async (gw) => [
      "bad-fields",
      (await post(gw, "/login", { email: 42, extra: true })).status,
      400,
    ],
  ],
  [
    1,
    async (gw) => [
      "not-json",
      (
        await send(`${gw.auth}/login`, {
          raw: "email=a",
          headers: { "content-type": "text/plain" },
        })
      ).status,
      415,
    ],
  ],
  [
    1,
    async (gw) => [
      "too-large",
      (await post(gw, "/refresh", { refreshToken: "a".repeat(20_000), username: "u" })).status,
      413,
    ],
  ],
  [
    1,
    async (gw) => [
      "refresh-bad",
      (await post(gw, "/refresh", { refreshToken: "a.b.c", username: "u" })).status,
      401,
    ],
  ],
  [
    1,
    async (gw) => ["not-found", (await send(`${gw.url}/nothing-${randomInt(1000)}`)).status, 404],
  ],
  [1, session],
];

/**
 * A whole session on an account of its own: login, logout, then the token must be refused.
 * Logout signs the user out everywhere, so no other traffic may use that account meanwhile.
 */
async function session(gw: Target): ReturnType<Step> {
  const account = sessionAccounts.pop();
  if (account === undefined) return ["session-skipped", 0, 0]; // all busy
  try {
    return await loginLogout(gw, account);
  } finally {
    sessionAccounts.push(account);
  }
}

async function loginLogout(gw: Target, a: Account): ReturnType<Step> {
  const login = await post(gw, "/login", { email: a.email, password: PASSWORD });
  const tokens = login.body as Partial<Account>;
  if (login.status !== 200 || tokens.accessToken === undefined) {
    return ["session-login", login.status, 200];
  }
  const access = tokens.accessToken;
  const out = await post(gw, "/logout", { refreshToken: tokens.refreshToken }, bearer(access));
  if (out.status !== 204) return ["session-logout", out.status, 204];
  const me = await send(`${gw.auth}/me`, { headers: bearer(access) });
  return ["session-after-logout", me.status, 401];
}

function pickStep(): Step {
  const total = STEPS.reduce((sum, [w]) => sum + w, 0);
  let r = randomInt(total);
  for (const [weight, step] of STEPS) {
    if (r < weight) return step;
    r -= weight;
  }
  throw new Error("unreachable");
}

async function setUp(gw: Target): Promise<Account[]> {
  const accounts: Account[] = [];
  for (let i = 0; i < ACCOUNTS * 2; i++) {
    const email = `soak-${i}-${randomBytes(4).toString("hex")}@soak.example`;
    await createAccount(gw, email, PASSWORD);
    const login = await post(gw, "/login", { email, password: PASSWORD });
    accounts.push({ email, ...(login.body as Omit<Account, "email">) });
  }
  sessionAccounts.push(...accounts.splice(ACCOUNTS));
  return accounts;
}

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  unexpected: Map<string, number>;
}

async function traffic(gw: Target, accounts: Account[], until: number, tally: Tally) {
  const worker = async () => {
    while (performance.now() < until && tally.requests < MAX_REQUESTS) {
      const account = accounts[randomInt(accounts.length)] as Account;
      const [kind, status, expected] = await pickStep()(gw, account);
      if (status === 0) continue;
      tally.requests++;
      tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
      if (status !== expected) {
        const key = `${kind}: ${status} (expected ${expected})`;
        tally.unexpected.set(key, (tally.unexpected.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

// ---- the gateway process -------------------------------------------------------------------

/** What the gateway process reports. */
type Report =
  { type: "ready"; url: string; auth: string } | ({ type: "memory"; errorLines: number } & Memory);

/** The gateway process's memory, after a GC. */
interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** Counts log lines at level error or above, and drops the rest. */
class ErrorCounter extends Writable {
  errors = 0;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (/"level":(5|6)\d/.test(line)) this.errors++;
    }
    done();
  }
}

/** Child mode: runs the gateway, answers memory requests (after a GC), stops on "close". */
async function serve(): Promise<void> {
  const logs = new ErrorCounter();
  const gw = await startTempGateway(
    {
      LOG_LEVEL: "info",
      RATE_LIMIT_IP_MAX: "1000000",
      RATE_LIMIT_ACCOUNT_MAX: "1000000",
      RATE_LIMIT_LOGIN_FREE_FAILURES: "1000",
    },
    createLogger({ level: "info", destination: logs }),
  );
  const reply = (report: Report) => process.send?.(report);
  process.on("message", (message: unknown) => {
    if (message === "memory") {
      void settledMemory().then((m) => {
        reply({ type: "memory", ...m, errorLines: logs.errors });
      });
    } else if (message === "close") {
      void gw.close().then(() => process.exit(0));
    }
  });
  reply({ type: "ready", url: gw.url, auth: gw.auth });
}

/**
 * Memory once V8 has settled: a few full GCs a little apart (traffic is paused meanwhile), so
 * the heap the young generation grew under load is given back before RSS is read.
 */
async function settledMemory(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 5; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
}

async function next(child: ChildProcess, type: Report["type"]): Promise<Report> {
  for (;;) {
    const [message] = (await once(child, "message")) as [Report];
    if (message.type === type) return message;
  }
}

async function memory(child: ChildProcess) {
  child.send("memory");
  return (await next(child, "memory")) as Extract<Report, { type: "memory" }>;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const describe = (m: Memory) =>
  `rss ${mb(m.rss)}, heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}`;

async function main(): Promise<number> {
  const child = fork(__filename, ["--serve"], {
    execArgv: ["--expose-gc", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let crashed = false;
  child.on("exit", (code) => (crashed ||= code !== 0));
  try {
    const { url, auth } = (await next(child, "ready")) as Extract<Report, { type: "ready" }>;
    const gw: Target = { url, auth };
    const accounts = await setUp(gw);
    console.log(`soak: ${SECONDS} s (warm-up ${WARM_UP_SECONDS} s), concurrency ${CONCURRENCY}`);
    const tally: Tally = { requests: 0, byStatus: new Map(), unexpected: new Map() };
    const started = performance.now();
    await traffic(gw, accounts, started + WARM_UP_SECONDS * 1000, tally);
    const before = await memory(child);
    const end = started + SECONDS * 1000;
    let after = before;
    // Slices of 10 s with a sample after each: a trend, not just two points.
    while (performance.now() < end && tally.requests < MAX_REQUESTS) {
      await traffic(gw, accounts, Math.min(end, performance.now() + 10_000), tally);
      after = await memory(child);
      const t = ((performance.now() - started) / 1000).toFixed(0);
      console.log(`  t=${t}s requests ${tally.requests} ${describe(after)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    return summary(tally, seconds, before, after, crashed);
  } finally {
    child.send("close");
    await once(child, "exit").catch(() => undefined);
  }
}

function summary(
  tally: Tally,
  seconds: number,
  before: Memory,
  after: Memory & { errorLines: number },
  crashed: boolean,
): number {
  const growth = (after.rss - before.rss) / before.rss;
  const unexpected = [...tally.unexpected.values()].reduce((s, n) => s + n, 0);
  const statuses = [...tally.byStatus].sort(([a], [b]) => a - b);
  console.log(
    `requests ${tally.requests} in ${seconds.toFixed(1)} s (${(tally.requests / seconds).toFixed(0)}/s)`,
  );
  console.log(`by status: ${statuses.map(([s, n]) => `${s}: ${n}`).join(", ")}`);
  console.log(`unexpected statuses: ${unexpected}`);
  for (const [key, n] of tally.unexpected) console.log(`  ${key} × ${n}`);
  console.log(`gateway error log lines: ${after.errorLines}, crashed: ${crashed ? "yes" : "no"}`);
  console.log(`gateway after warm-up: ${describe(before)}`);
  console.log(`gateway at end:       ${describe(after)}`);
  console.log(`gateway RSS growth: ${(growth * 100).toFixed(1)} %`);
  const ok = unexpected === 0 && after.errorLines === 0 && !crashed && growth < MAX_GROWTH;
  console.log(ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

const run = process.argv.includes("--serve") ? serve().then(() => undefined) : main();
run.then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
