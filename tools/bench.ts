/**
 * `npm run bench`: the whole performance picture in one run (about 3 minutes).
 *
 *   1. verifiers in process (tools/bench-verify.ts): raw crypto.verify, aws-jwt-verify, the
 *      jwk-to-pem + jsonwebtoken sample, ours (miss, hit, rejections);
 *   2. requireAuth over HTTP (autocannon, 50 connections) against an open route and the same
 *      route behind aws-jwt-verify, the sample code and a bare crypto.verify;
 *   3. login/register overhead of the gateway over an instant fake Cognito, floors and limits off;
 *   4. RSS of the standalone server under 200 connections;
 *   5. time from `npm start` (local mode) to GET /readyz answering 200;
 *   6-7. scale-out through HAProxy, shared state on Redis;
 *   8. the gateway against the stack a team assembles by hand (tools/bench-stack.ts).
 *
 * Servers run in child processes (the load generator keeps this process's core). Prints a
 * markdown table and a final `RESULT ...` line, and writes the table to artifacts/bench.md.
 *
 *   npm run bench [-- --quick] [-- --cpu-prof]
 *
 * `--quick` shortens every phase (a smoke run, figures are noisier); `--cpu-prof` also writes
 * CPU profiles of both servers to artifacts/cpu-prof/ (profiling slows them: ratios then skew).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import {
  runProductBench,
  runRouteBench,
  type ProductBenchResult,
  type RssFigure,
  type RouteBenchResult,
  type RouteFigure,
} from "./bench-http";
import { freePort, waitFor200 } from "./lib/http";
import { loadAverage } from "./lib/proc";
import {
  childEnv,
  installChildCleanup,
  runMain,
  startChild,
  stopAllChildren,
} from "./lib/processes";
import {
  fixed,
  goalsOf,
  millis,
  renderSection,
  resultPairs,
  tally,
  tallyLine,
  times,
  whole,
  type Row,
  type Section,
} from "./lib/report";
import { median } from "./lib/stats";
import { mintAccessToken, mintAccessTokens, signingKey } from "./lib/tokens";
import { runScaleOutBench, scaleOutSection, type ScaleOutResult } from "./bench-scaleout";
import { runVerifyBench, verifySection, type VerifyBenchResult } from "./bench-verify";
import { redisSection, runRedisBench, type RedisBenchResult } from "./bench-redis";
import { runStackBench, stackSection, type StackBenchResult } from "./bench-stack";

const ROOT = resolve(__dirname, "..");
const ARTIFACTS = join(ROOT, "artifacts");

/** Durations of one run. */
interface Plan {
  readonly verify: { durationMs: number; rounds: number; distinctTokens: number };
  readonly http: { connections: number; warmupSec: number; durationSec: number; rounds: number };
  /** More than the verifier cache's 10 000 entries: cycling them never hits. */
  readonly distinctTokens: number;
  readonly rss: { connections: number; warmupSec: number; durationSec: number; rounds: number };
  readonly latency: { blocks: number; perBlock: number; warmup: number };
  readonly throughput: { connections: number; warmupSec: number; durationSec: number };
  readonly starts: number;
  /** Scale-out row: HAProxy over three instances against one instance direct. */
  readonly scaleOut: {
    connections: number;
    warmupSec: number;
    durationSec: number;
    rounds: number;
  };
  /** Shared state on Redis: verify rounds of `roundMs`, and logouts propagated. */
  readonly redis: { rounds: number; roundMs: number; logouts: number };
  /** Rounds of section 8 (the other settings are section 2's). */
  readonly stackRounds: number;
}

const FULL: Plan = {
  verify: { durationMs: 1000, rounds: 3, distinctTokens: 2000 },
  http: { connections: 50, warmupSec: 1, durationSec: 2, rounds: 7 },
  distinctTokens: 12_000,
  rss: { connections: 200, warmupSec: 1, durationSec: 5, rounds: 3 },
  latency: { blocks: 5, perBlock: 300, warmup: 200 },
  throughput: { connections: 50, warmupSec: 1, durationSec: 3 },
  starts: 3,
  scaleOut: { connections: 50, warmupSec: 1, durationSec: 3, rounds: 3 },
  redis: { rounds: 21, roundMs: 250, logouts: 1000 },
  stackRounds: 7,
};

const QUICK: Plan = {
  verify: { durationMs: 300, rounds: 1, distinctTokens: 500 },
  http: { connections: 50, warmupSec: 1, durationSec: 1, rounds: 1 },
  distinctTokens: 12_000,
  rss: { connections: 200, warmupSec: 1, durationSec: 2, rounds: 1 },
  latency: { blocks: 2, perBlock: 100, warmup: 50 },
  throughput: { connections: 50, warmupSec: 1, durationSec: 1 },
  starts: 1,
  scaleOut: { connections: 50, warmupSec: 1, durationSec: 1, rounds: 1 },
  redis: { rounds: 7, roundMs: 250, logouts: 200 },
  stackRounds: 3,
};

/** Goals of issue #4 (the verifier's own are in tools/bench-verify.ts). */
const GOALS = {
  httpReusedVsOpen: 0.9,
  httpDistinctVsOpen: 0.6,
  overheadP50Ms: 1,
  rssMb: 120,
  /** Throughput of the compiled server against its sources run through tsx (no loss, ±5 % noise). */
  compiledVsSources: 0.95,
  startReadyMs: 3000,
};

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// 5. Start to ready

interface StartMethod {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

const START_METHODS: readonly StartMethod[] = [
  { name: "npm start", command: "npm", args: ["start"] },
  { name: "node dist/cjs/server.js", command: process.execPath, args: ["dist/cjs/server.js"] },
  {
    name: "tsx src/server.ts",
    command: join(ROOT, "node_modules", ".bin", "tsx"),
    args: ["src/server.ts"],
  },
  {
    name: "node --import tsx src/server.ts",
    command: process.execPath,
    args: ["--import", "tsx", "src/server.ts"],
  },
];

/** Milliseconds from spawning `method` (local mode, fresh data dir) to GET /readyz → 200. */
async function timeToReady(method: StartMethod): Promise<number> {
  const dataDir = mkdtempSync(join(os.tmpdir(), "cognito-gateway-bench-start-"));
  const port = await freePort();
  let localPort = await freePort();
  while (localPort === port) localPort = await freePort();
  const since = performance.now();
  const child = startChild(method.name, method.command, method.args, {
    cwd: ROOT,
    // An empty COGNITO_USER_POOL_ID keeps a .env from switching to cognito mode (dotenv never
    // overrides a variable that is set); NODE_ENV is not passed (local mode refuses production).
    env: childEnv({
      COGNITO_USER_POOL_ID: "",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOCAL_COGNITO_PORT: String(localPort),
      LOCAL_DATA_DIR: dataDir,
      LOCAL_STATE_DIR: join(dataDir, "state"),
    }),
  });
  try {
    return await waitFor200(`http://127.0.0.1:${port}/readyz`, {
      since,
      everyMs: 20,
      timeoutMs: 30_000,
      child,
    });
  } finally {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One start method's times to ready, ms. */
interface StartFigure {
  readonly name: string;
  readonly medianMs: number;
  readonly samples: readonly number[];
}

async function runStartBench(count: number): Promise<StartFigure[]> {
  const samples = START_METHODS.map((): number[] => []);
  for (let round = 0; round < count; round++) {
    for (const [i, method] of START_METHODS.entries()) {
      const ms = await timeToReady(method);
      samples[i]?.push(ms);
      log(`  ${method.name}: ready in ${Math.round(ms)} ms`);
    }
  }
  return START_METHODS.map((method, i) => ({
    name: method.name,
    medianMs: median(samples[i] ?? []),
    samples: samples[i] ?? [],
  }));
}

// ---------------------------------------------------------------------------------------------
// Report: every section as data (tools/lib/report.ts renders it)

interface Results {
  readonly verify: VerifyBenchResult;
  readonly routes: RouteBenchResult;
  readonly product: ProductBenchResult;
  readonly starts: StartFigure[];
  readonly scaleOut: ScaleOutResult;
  readonly redis: RedisBenchResult;
  readonly stack: StackBenchResult;
}

/** Per route of section 2 (by name): its `RESULT` key, and its goal on "vs open" if any. */
const ROUTE_REPORT: Readonly<
  Record<string, { key: string; goal?: { name: string; bound: number } }>
> = {
  "requireAuth reused": {
    key: "http_reused_vs_open",
    goal: { name: "http reused", bound: GOALS.httpReusedVsOpen },
  },
  "requireAuth distinct": {
    key: "http_distinct_vs_open",
    goal: { name: "http distinct", bound: GOALS.httpDistinctVsOpen },
  },
  "aws-jwt-verify": { key: "http_awsjwt_vs_open" },
  "sample code": { key: "http_sample_vs_open" },
};

function routeRow(f: RouteFigure): Row {
  const { key, goal } = ROUTE_REPORT[f.name] ?? {};
  return {
    cells: [
      f.name,
      whole(f.rate),
      times(f.vsOpen),
      fixed(f.cpuUsPerReq, 0),
      times(f.cpuVsOpen),
      fixed(f.serverBusy, 2),
      millis(f.p99Ms, 0),
    ],
    goal: goal && { ...goal, value: f.vsOpen, op: "≥", unit: "× open" },
    notes: [`${f.description}; per round ${f.vsOpenByRound.map((r) => fixed(r, 2)).join(" / ")}`],
    result: key === undefined ? undefined : { [key]: fixed(f.vsOpen, 2) },
  };
}

/** Section 2: requireAuth and the other verifiers over HTTP, against the open route. */
function routeSection({ routes }: Results, plan: Plan): Section {
  const { connections, rounds, durationSec, warmupSec } = plan.http;
  const head = ["route", "req/s", "vs open", "server µs/req", "CPU vs open", "busy", "p99"];
  return {
    title: `### 2. requireAuth over HTTP (Express 5, autocannon ${connections} connections, ${rounds} rounds × ${durationSec} s per variant after ${warmupSec} s warm-up; server in a child process, the load generator in this one)`,
    blocks: [
      "Variants run in rotating order within each round; \"vs open\" is the median over rounds of req/s ÷ the open route's req/s in the same round (drift in machine load between rounds cancels out). Server µs/req is the server process's CPU time per answer (from /proc); \"CPU vs open\" is open's µs/req ÷ this one's, paired the same way, a ratio that does not depend on the load generator. Busy = server CPU seconds per wall second (above 1: GC helper threads).",
      { head, notesHead: ["what"], rows: routes.figures.map(routeRow) },
      `requireAuth's own server cost: ${fixed(routes.authCpuUs.reused, 1)} µs/req with a reused token, ${fixed(routes.authCpuUs.distinct, 1)} µs/req with distinct tokens.`,
    ],
  };
}

/** An overhead row of section 3: the gateway's call minus the same call made directly. */
function overheadRow(step: "login" | "register", o: ProductBenchResult["overhead"]["login"]): Row {
  return {
    cells: [`${step}: gateway − SDK direct`, millis(o.p50, 3), millis(o.p99, 3), micros(o.cpuUs)],
    goal: {
      name: `${step} overhead`,
      value: o.p50,
      op: "≤",
      bound: GOALS.overheadP50Ms,
      unit: " ms p50",
    },
    result: { [`${step}_overhead_p50_ms`]: fixed(o.p50, 2) },
  };
}

/** Section 3: login/register latency through the gateway against the same calls made directly. */
function latencySection({ product }: Results, plan: Plan): Section {
  const rows = product.latency.map((l) => ({
    cells: [l.name, millis(l.p50, 3), millis(l.p99, 3), micros(l.cpuUs), String(l.samples)],
  }));
  const calls = Object.entries(product.fakeCalls).map(([op, n]) => `${op || "(no target)"} ${n}`);
  return {
    title: `### 3. Login/register overhead (standalone server → instant fake Cognito in its own process; RESPONSE_FLOOR_MS=0, RESPONSE_JITTER_MS=0, RATE_LIMIT=off; sequential keep-alive requests, ${plan.latency.blocks} interleaved blocks × ${plan.latency.perBlock})`,
    blocks: [
      '"AWS SDK direct" is the same call made with the gateway\'s own SDK client settings; "raw HTTP direct" is one HTTP round trip to the fake (the network floor). GET /healthz through the gateway is its fixed per-request cost (one more hop, request log, helmet). CPU/call is the main-thread CPU time per call of the process doing the work (the gateway for \'via gateway\', the bench client otherwise; /proc schedstat): unlike latency, it does not grow when other processes compete for the cores.',
      { head: ["call", "p50", "p99", "CPU/call", "samples"], rows },
      {
        head: ["overhead", "p50", "p99", "CPU/call"],
        rows: [
          overheadRow("login", product.overhead.login),
          overheadRow("register", product.overhead.register),
        ],
      },
      `Fake Cognito answered: ${calls.join(", ")}.`,
    ],
  };
}

/** The rows of section 4's RSS table, one entry each (add a row here). */
function rssRows({ product }: Results, plan: Plan): Row[] {
  const { rss, rssSources, rssNodeDefaults, compiledVsSources } = product;
  const load = `${plan.rss.connections} connections`;
  const peak = (figure: RssFigure) =>
    `${megabytes(figure.peakMb)} (idle ${megabytes(figure.idleMb)}; ${whole(figure.rate)} req/s, ${fixed(figure.cpuUsPerReq, 0)} µs/req)`;
  return [
    {
      cells: [
        `\`npm start\`: peak (VmHWM) under ${load}, highest of ${plan.rss.rounds}`,
        peak(rss),
      ],
      goal: { name: "rss", value: rss.peakMb, op: "≤", bound: GOALS.rssMb, unit: " MB" },
      result: { rss_200c_mb: fixed(rss.peakMb, 0) },
    },
    { cells: ["`npm start`: end of the load", megabytes(rss.endMb)] },
    {
      cells: [
        "the same compiled server with Node's defaults (no memory profile)",
        peak(rssNodeDefaults),
      ],
      result: { rss_200c_node_defaults_mb: fixed(rssNodeDefaults.peakMb, 0) },
    },
    {
      cells: [
        "before #8: the sources through tsx (`node --import tsx src/server.ts`)",
        peak(rssSources),
      ],
      result: { rss_200c_tsx_mb: fixed(rssSources.peakMb, 0) },
    },
    {
      cells: [
        `throughput under that load, \`npm start\` ÷ sources through tsx (median of ${plan.rss.rounds} paired rounds)`,
        `${times(compiledVsSources.rate)} (server CPU per request, sources ÷ compiled: ${times(compiledVsSources.cpu)})`,
      ],
      goal: {
        name: "compiled throughput",
        value: compiledVsSources.rate,
        op: "≥",
        bound: GOALS.compiledVsSources,
        unit: "×",
        digits: 2,
      },
      result: { compiled_vs_tsx: fixed(compiledVsSources.rate, 2) },
    },
  ];
}

/** Section 4: RSS of the compiled server under load, and the full app's throughput. */
function rssSection(results: Results, plan: Plan): Section {
  const openRate = results.routes.figures.find((f) => f.name === "open")?.rate ?? NaN;
  const appRows = results.product.throughput.map(({ name, run }) => ({
    cells: [
      name,
      whole(run.rate),
      times(run.rate / openRate),
      fixed(run.cpuUsPerReq, 0),
      fixed(run.serverBusy, 2),
      millis(run.p99Ms, 0),
    ],
  }));
  const appHead = ["route", "req/s", "vs bare open", "server µs/req", "busy", "p99"];
  return {
    title:
      "### 4. Memory of the standalone server as `npm start` runs it (compiled, with the memory profile's V8 flags; cognito mode against the fake, access log on to /dev/null; RSS from /proc), against the same server with Node's defaults and its sources run through tsx, in the same run",
    blocks: [
      { head: ["RSS", "value"], rows: rssRows(results, plan) },
      `Full standalone app for reference (request log, helmet, ${plan.throughput.connections} connections, ${plan.throughput.durationSec} s; ratio against the bare bench app's open route of section 2):`,
      { head: appHead, rows: appRows },
    ],
  };
}

/** Section 5: start to ready, the goal on `npm start`. */
function startSection({ starts }: Results, plan: Plan): Section {
  const rows = starts.map((s): Row => ({
    cells: [s.name, millis(s.medianMs, 0), s.samples.map((v) => Math.round(v)).join(" / ")],
    // The goal is on `npm start`; the others show what the time goes to.
    goal:
      s.name === "npm start"
        ? { name: "start", value: s.medianMs, op: "≤", bound: GOALS.startReadyMs, unit: " ms" }
        : undefined,
    result: s.name === "npm start" ? { start_ready_ms: fixed(s.medianMs, 0) } : undefined,
  }));
  return {
    title: `### 5. Start to ready (local mode, embedded emulator, fresh data dir; GET /readyz polled every 20 ms; median of ${plan.starts})`,
    blocks: [{ head: ["command", "median", "runs"], rows }],
  };
}

function micros(value: number): string {
  return `${fixed(value, 0)} µs`;
}

function megabytes(value: number): string {
  return `${fixed(value, 1)} MB`;
}

/**
 * The report: sections 1-6 with their goal tally, section 7 (its goals are not tallied), section
 * 8 with its own tally; the `RESULT` line from the same rows and verdicts.
 */
function report(
  results: Results,
  plan: Plan,
  header: string,
): { markdown: string; result: string } {
  const core = [
    verifySection(results.verify, plan.verify),
    routeSection(results, plan),
    latencySection(results, plan),
    rssSection(results, plan),
    startSection(results, plan),
    scaleOutSection(results.scaleOut, plan.scaleOut),
  ];
  const redis = redisSection(results.redis);
  const stack = stackSection(results.stack);
  const markdown = [
    "## Benchmarks (`npm run bench`)",
    header,
    ...core.map(renderSection),
    tallyLine("Goals met", goalsOf(core)),
    renderSection(redis),
    renderSection(stack),
    tallyLine("Section 8 goals met", goalsOf([stack])),
  ].join("\n\n");
  const result = [
    "RESULT",
    ...resultPairs(core),
    `goals_met=${tally(goalsOf(core))}`,
    ...resultPairs([redis, stack]),
    `stack_goals_met=${tally(goalsOf([stack]))}`,
  ].join(" ");
  return { markdown, result };
}

function machineHeader(quick: boolean): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return [
    `Date: ${new Date().toISOString()}`,
    `Machine: ${os.availableParallelism()} × ${cpu}, ${fixed(os.totalmem() / 2 ** 30, 0)} GiB, load average ${loadAverage()} at start`,
    `Node ${process.version} (${process.platform}/${process.arch})${quick ? "; QUICK run (--quick): figures are indicative only" : ""}`,
  ].join("  \n");
}

/** Runs every section in turn (progress on stderr). */
async function measure(plan: Plan, nodeFlags: readonly string[]): Promise<Results> {
  log("1/5 verifiers in process");
  const verify = await runVerifyBench({
    ...plan.verify,
    log: (line) => {
      log(`  ${line}`);
    },
  });

  log(`2/5 requireAuth over HTTP (minting ${plan.distinctTokens} tokens)`);
  const key = signingKey();
  const tokens = mintAccessTokens(key, plan.distinctTokens);
  const reusedToken = mintAccessToken(key, plan.distinctTokens);
  const routes = await runRouteBench({ key, tokens, reusedToken, ...plan.http, nodeFlags, log });

  log("3-4/5 standalone server: RSS at 200 connections, login/register overhead");
  const product = await runProductBench({
    ...{ key, tokens, reusedToken, nodeFlags, log },
    ...{ rss: plan.rss, latency: plan.latency, throughput: plan.throughput },
  });

  log("5/5 start to ready");
  const starts = await runStartBench(plan.starts);

  log("6. scale-out: HAProxy over three instances against one instance direct");
  const scaleOut = await runScaleOutBench({ ...plan.scaleOut, log });

  log("7. shared state on Redis (a redis-server on loopback)");
  const redis = await runRedisBench({ ...plan.redis, log });

  log("8. the gateway against Express + helmet + pino-http + aws-jwt-verify, and bare Express");
  const stack = await runStackBench({
    ...{ key, tokens, reusedToken, nodeFlags, log },
    ...{ ...plan.http, rounds: plan.stackRounds },
  });
  return { verify, routes, product, starts, scaleOut, redis, stack };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const plan = quick ? QUICK : FULL;
  const nodeFlags = args.includes("--cpu-prof")
    ? ["--cpu-prof", `--cpu-prof-dir=${join(ARTIFACTS, "cpu-prof")}`]
    : [];
  installChildCleanup();
  const watchdog = setTimeout(() => {
    log("bench: over 10 minutes, giving up");
    void stopAllChildren().then(() => process.exit(1));
  }, 600_000);
  watchdog.unref();
  const started = performance.now();
  const header = machineHeader(quick);
  const { markdown, result } = report(await measure(plan, nodeFlags), plan, header);
  const footer = `\nWhole run: ${fixed((performance.now() - started) / 1000, 0)} s; load average at the end ${loadAverage()} (other processes on this machine compete for its ${os.availableParallelism()} cores).\n`;
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, "bench.md"), `${markdown}\n${footer}\n${result}\n`);
  process.stdout.write(
    `${markdown}\n${footer}\nTable written to artifacts/bench.md\n\n${result}\n`,
  );
}

runMain(main, { exit: true });
