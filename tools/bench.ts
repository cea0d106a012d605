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
  type RouteBenchResult,
} from "./bench-http";
import { freePort, waitFor200 } from "./lib/http";
import { childEnv, installChildCleanup, startChild, stopAllChildren } from "./lib/processes";
import { fixed, markdownTable, whole } from "./lib/report";
import { median } from "./lib/stats";
import { mintAccessToken, mintAccessTokens, signingKey } from "./lib/tokens";
import { runScaleOutBench, type ScaleOutResult } from "./bench-scaleout";
import { runVerifyBench, type VerifyBenchResult } from "./bench-verify";
import { redisRows, runRedisBench } from "./bench-redis";
import { runStackBench, stackSection } from "./bench-stack";

const ROOT = resolve(__dirname, "..");
const ARTIFACTS = join(ROOT, "artifacts");

/** Durations of one run. */
interface Plan {
  readonly verify: { durationMs: number; rounds: number; distinctTokens: number };
  readonly http: { connections: number; warmupSec: number; durationSec: number; rounds: number };
  /** More than the verifier cache's 10 000 entries: cycling them never hits. */
  readonly distinctTokens: number;
  readonly rss: { connections: number; warmupSec: number; durationSec: number };
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
}

const FULL: Plan = {
  verify: { durationMs: 1000, rounds: 3, distinctTokens: 2000 },
  http: { connections: 50, warmupSec: 1, durationSec: 2, rounds: 7 },
  distinctTokens: 12_000,
  rss: { connections: 200, warmupSec: 1, durationSec: 5 },
  latency: { blocks: 5, perBlock: 300, warmup: 200 },
  throughput: { connections: 50, warmupSec: 1, durationSec: 3 },
  starts: 3,
  scaleOut: { connections: 50, warmupSec: 1, durationSec: 3, rounds: 3 },
};

const QUICK: Plan = {
  verify: { durationMs: 300, rounds: 1, distinctTokens: 500 },
  http: { connections: 50, warmupSec: 1, durationSec: 1, rounds: 1 },
  distinctTokens: 12_000,
  rss: { connections: 200, warmupSec: 1, durationSec: 2 },
  latency: { blocks: 2, perBlock: 100, warmup: 50 },
  throughput: { connections: 50, warmupSec: 1, durationSec: 1 },
  starts: 1,
  scaleOut: { connections: 50, warmupSec: 1, durationSec: 1, rounds: 1 },
};

/** Goals of issue #4. */
const GOALS = {
  verifyMissVsAwsJwt: 1.05,
  verifyHitVsAwsJwt: 12,
  rejectVsRaw: 5,
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

async function runStartBench(
  times: number,
): Promise<{ name: string; medianMs: number; samples: number[] }[]> {
  const samples = START_METHODS.map((): number[] => []);
  for (let round = 0; round < times; round++) {
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
// Report

interface Results {
  readonly verify: VerifyBenchResult;
  readonly routes: RouteBenchResult;
  readonly product: ProductBenchResult;
  readonly starts: { name: string; medianMs: number; samples: number[] }[];
  readonly scaleOut: ScaleOutResult;
}

interface Goal {
  readonly name: string;
  readonly met: boolean;
}

function mark(met: boolean): string {
  return met ? "✅ met" : "❌ missed";
}

function x(value: number): string {
  return `${fixed(value, 2)}×`;
}

function ms(value: number, digits = 2): string {
  return `${fixed(value, digits)} ms`;
}

function report(
  results: Results,
  plan: Plan,
  header: string,
): { markdown: string; goals: Goal[]; result: string } {
  const { verify, routes, product, starts, scaleOut } = results;
  const goals: Goal[] = [];
  const goal = (name: string, met: boolean) => {
    goals.push({ name, met });
    return mark(met);
  };
  const caseGoal = (name: string): string => {
    if (name === "ours miss")
      return goal("verify miss", verify.missVsAwsJwt >= GOALS.verifyMissVsAwsJwt);
    if (name === "ours hit")
      return goal("verify hit", verify.hitVsAwsJwt >= GOALS.verifyHitVsAwsJwt);
    return "";
  };
  const goalText: Record<string, string> = {
    "ours miss": `≥ ${GOALS.verifyMissVsAwsJwt}× aws-jwt-verify`,
    "ours hit": `≥ ${GOALS.verifyHitVsAwsJwt}× aws-jwt-verify`,
  };
  const verifyRows = verify.cases.map((c) => [
    c.name,
    whole(c.opsPerSec),
    x(c.vsRaw),
    x(c.vsAwsJwtVerify),
    goalText[c.name] ?? "",
    caseGoal(c.name),
    c.description,
  ]);
  verifyRows.push([
    "slowest rejection (malformed, unknown kid, expired)",
    "",
    x(verify.rejectVsRaw),
    "",
    `≥ ${GOALS.rejectVsRaw}× raw`,
    goal("rejections", verify.rejectVsRaw >= GOALS.rejectVsRaw),
    "min over the three cases",
  ]);

  const fig = (name: string) => routes.figures.find((f) => f.name === name);
  const reused = fig("requireAuth reused");
  const distinct = fig("requireAuth distinct");
  const routeGoal: Record<string, [string, string]> = {
    "requireAuth reused": [
      `≥ ${GOALS.httpReusedVsOpen}× open`,
      goal("http reused", (reused?.vsOpen ?? 0) >= GOALS.httpReusedVsOpen),
    ],
    "requireAuth distinct": [
      `≥ ${GOALS.httpDistinctVsOpen}× open`,
      goal("http distinct", (distinct?.vsOpen ?? 0) >= GOALS.httpDistinctVsOpen),
    ],
  };
  const routeRows = routes.figures.map((f) => [
    f.name,
    whole(f.rate),
    x(f.vsOpen),
    fixed(f.cpuUsPerReq, 0),
    x(f.cpuVsOpen),
    fixed(f.serverBusy, 2),
    ms(f.p99Ms, 0),
    routeGoal[f.name]?.[0] ?? "",
    routeGoal[f.name]?.[1] ?? "",
    `${f.description}; per round ${f.vsOpenByRound.map((r) => fixed(r, 2)).join(" / ")}`,
  ]);

  const { overhead, latency, rss, rssSources, throughput } = product;
  const compiledVsSources = rss.rate / rssSources.rate;
  const latencyRows = latency.map((l) => [
    l.name,
    ms(l.p50, 3),
    ms(l.p99, 3),
    `${fixed(l.cpuUs, 0)} µs`,
    String(l.samples),
  ]);
  const overheadRows = [
    [
      "login: gateway − SDK direct",
      ms(overhead.login.p50, 3),
      ms(overhead.login.p99, 3),
      `${fixed(overhead.login.cpuUs, 0)} µs`,
      `≤ ${GOALS.overheadP50Ms} ms p50`,
      goal("login overhead", overhead.login.p50 <= GOALS.overheadP50Ms),
    ],
    [
      "register: gateway − SDK direct",
      ms(overhead.register.p50, 3),
      ms(overhead.register.p99, 3),
      `${fixed(overhead.register.cpuUs, 0)} µs`,
      `≤ ${GOALS.overheadP50Ms} ms p50`,
      goal("register overhead", overhead.register.p50 <= GOALS.overheadP50Ms),
    ],
  ];
  const openRate = fig("open")?.rate ?? NaN;
  const rssRows = [
    ["idle, after start", `${fixed(rss.idleMb, 1)} MB`, "", ""],
    [
      `peak (VmHWM) under ${plan.rss.connections} connections`,
      `${fixed(rss.peakMb, 1)} MB`,
      `≤ ${GOALS.rssMb} MB`,
      goal("rss", rss.peakMb <= GOALS.rssMb),
    ],
    ["end of the load", `${fixed(rss.endMb, 1)} MB`, "", ""],
    [
      `GET /auth/me, ${plan.rss.connections} connections, distinct tokens`,
      `${whole(rss.rate)} req/s, p99 ${ms(rss.p99Ms, 0)}`,
      "",
      "",
    ],
    [
      "before #8: peak of the sources through tsx (`node --import tsx src/server.ts`)",
      `${fixed(rssSources.peakMb, 1)} MB (idle ${fixed(rssSources.idleMb, 1)} MB)`,
      "",
      "",
    ],
    [
      "throughput under that load: compiled ÷ sources through tsx",
      `${x(compiledVsSources)} (${whole(rss.rate)} vs ${whole(rssSources.rate)} req/s)`,
      `≥ ${fixed(GOALS.compiledVsSources, 2)}×`,
      goal("compiled throughput", compiledVsSources >= GOALS.compiledVsSources),
    ],
  ];
  const appRows = throughput.map(({ name, run }) => [
    name,
    whole(run.rate),
    x(run.rate / openRate),
    fixed(run.cpuUsPerReq, 0),
    fixed(run.serverBusy, 2),
    ms(run.p99Ms, 0),
  ]);
  const npmStart = starts.find((s) => s.name === "npm start")?.medianMs ?? NaN;
  const startRows = starts.map((s) => [
    s.name,
    ms(s.medianMs, 0),
    s.samples.map((v) => Math.round(v)).join(" / "),
    s.name === "npm start" ? `≤ ${GOALS.startReadyMs} ms` : "",
    s.name === "npm start" ? goal("start", npmStart <= GOALS.startReadyMs) : "",
  ]);

  const met = goals.filter((g) => g.met).length;
  const markdown = [
    "## Benchmarks (`npm run bench`)",
    "",
    header,
    "",
    `### 1. Verification in process (median of ${plan.verify.rounds} × ${plan.verify.durationMs} ms, RSA-2048, Cognito-shaped access tokens)`,
    "",
    markdownTable(["case", "ops/s", "vs raw", "vs aws-jwt-verify", "goal", "", "what"], verifyRows),
    "",
    `### 2. requireAuth over HTTP (Express 5, autocannon ${plan.http.connections} connections, ${plan.http.rounds} rounds × ${plan.http.durationSec} s per variant after ${plan.http.warmupSec} s warm-up; server in a child process, the load generator in this one)`,
    "",
    "Variants run in rotating order within each round; \"vs open\" is the median over rounds of req/s ÷ the open route's req/s in the same round (drift in machine load between rounds cancels out). Server µs/req is the server process's CPU time per answer (from /proc); \"CPU vs open\" is open's µs/req ÷ this one's, paired the same way, a ratio that does not depend on the load generator. Busy = server CPU seconds per wall second (above 1: GC helper threads).",
    "",
    markdownTable(
      [
        "route",
        "req/s",
        "vs open",
        "server µs/req",
        "CPU vs open",
        "busy",
        "p99",
        "goal",
        "",
        "what",
      ],
      routeRows,
    ),
    "",
    `requireAuth's own server cost: ${fixed(routes.authCpuUs.reused, 1)} µs/req with a reused token, ${fixed(routes.authCpuUs.distinct, 1)} µs/req with distinct tokens.`,
    "",
    `### 3. Login/register overhead (standalone server → instant fake Cognito in its own process; RESPONSE_FLOOR_MS=0, RESPONSE_JITTER_MS=0, RATE_LIMIT=off; sequential keep-alive requests, ${plan.latency.blocks} interleaved blocks × ${plan.latency.perBlock})`,
    "",
    '"AWS SDK direct" is the same call made with the gateway\'s own SDK client settings; "raw HTTP direct" is one HTTP round trip to the fake (the network floor). GET /healthz through the gateway is its fixed per-request cost (one more hop, request log, helmet). CPU/call is the main-thread CPU time per call of the process doing the work (the gateway for \'via gateway\', the bench client otherwise; /proc schedstat): unlike latency, it does not grow when other processes compete for the cores.',
    "",
    markdownTable(["call", "p50", "p99", "CPU/call", "samples"], latencyRows),
    "",
    markdownTable(["overhead", "p50", "p99", "CPU/call", "goal", ""], overheadRows),
    "",
    `Fake Cognito answered: ${Object.entries(product.fakeCalls)
      .map(([op, n]) => `${op || "(no target)"} ${n}`)
      .join(", ")}.`,
    "",
    "### 4. Memory of the standalone server (`node dist/cjs/server.js`, the compiled build `npm start` runs, cognito mode against the fake, access log on to /dev/null; RSS from /proc), against its sources run through tsx in the same run",
    "",
    markdownTable(["RSS", "value", "goal", ""], rssRows),
    "",
    `Full standalone app for reference (request log, helmet, ${plan.throughput.connections} connections, ${plan.throughput.durationSec} s; ratio against the bare bench app's open route of section 2):`,
    "",
    markdownTable(["route", "req/s", "vs bare open", "server µs/req", "busy", "p99"], appRows),
    "",
    `### 5. Start to ready (local mode, embedded emulator, fresh data dir; GET /readyz polled every 20 ms; median of ${plan.starts})`,
    "",
    markdownTable(["command", "median", "runs", "goal", ""], startRows),
    "",
    ...scaleOutSection(scaleOut, plan),
    "",
    `Goals met: ${met}/${goals.length}${
      goals.some((g) => !g.met)
        ? ` (missed: ${goals
            .filter((g) => !g.met)
            .map((g) => g.name)
            .join(", ")})`
        : ""
    }.`,
  ].join("\n");

  const r2 = (v: number) => fixed(v, 2);
  const result = [
    `RESULT verify_miss_vs_awsjwt=${r2(verify.missVsAwsJwt)}`,
    `verify_hit_vs_awsjwt=${fixed(verify.hitVsAwsJwt, 1)}`,
    `reject_vs_raw=${fixed(verify.rejectVsRaw, 1)}`,
    `http_reused_vs_open=${r2(reused?.vsOpen ?? NaN)}`,
    `http_distinct_vs_open=${r2(distinct?.vsOpen ?? NaN)}`,
    `http_awsjwt_vs_open=${r2(fig("aws-jwt-verify")?.vsOpen ?? NaN)}`,
    `http_sample_vs_open=${r2(fig("sample code")?.vsOpen ?? NaN)}`,
    `login_overhead_p50_ms=${r2(overhead.login.p50)}`,
    `register_overhead_p50_ms=${r2(overhead.register.p50)}`,
    `rss_200c_mb=${fixed(rss.peakMb, 0)}`,
    `rss_200c_tsx_mb=${fixed(rssSources.peakMb, 0)}`,
    `compiled_vs_tsx=${r2(compiledVsSources)}`,
    `start_ready_ms=${fixed(npmStart, 0)}`,
    `scaleout_haproxy${String(scaleOut.instances)}_vs_direct1=${r2(scaleOut.ratio)}`,
    `goals_met=${met}/${goals.length}`,
  ].join(" ");
  return { markdown, goals, result };
}

/** Section 6: the scale-out ratio, with what bounds it on this machine. */
function scaleOutSection(s: ScaleOutResult, plan: Plan): string[] {
  const p = plan.scaleOut;
  const row = (name: string, f: ScaleOutResult["direct"], vs: string) => [
    name,
    whole(f.rate),
    vs,
    fixed(f.cpuUsPerReq, 0),
    ms(f.p99Ms, 0),
  ];
  return [
    `### 6. Scale-out through HAProxy (tools/lib/cluster.ts, as \`npm run demo:cluster\` starts it: redis-server, the shared emulator, ${String(s.instances)} gateway instances, HAProxy round-robin; GET /auth/me with one valid token, autocannon ${String(p.connections)} connections, ${String(p.rounds)} rounds × ${String(p.durationSec)} s per variant, alternating)`,
    "",
    `Ratio per round: ${s.ratioByRound.map((r) => fixed(r, 2)).join(" / ")}. CPU/req counts every process that served the variant (the instance alone, or HAProxy plus all instances). On ${String(os.availableParallelism())} cores shared with the load generator, HAProxy and the other instances, extra instances cannot add cores: the ratio shows the cost of the balancer hop, not the scale-out a machine with free cores would give.`,
    "",
    markdownTable(
      ["variant", "req/s", "vs one direct", "CPU µs/req", "p99"],
      [
        row("one instance, direct", s.direct, "1.00×"),
        row(`HAProxy → ${String(s.instances)} instances`, s.balanced, x(s.ratio)),
      ],
    ),
  ];
}

function machineHeader(quick: boolean): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return [
    `Date: ${new Date().toISOString()}`,
    `Machine: ${os.availableParallelism()} × ${cpu}, ${fixed(os.totalmem() / 2 ** 30, 0)} GiB, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start`,
    `Node ${process.version} (${process.platform}/${process.arch})${quick ? "; QUICK run (--quick): figures are indicative only" : ""}`,
  ].join("  \n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const cpuProf = args.includes("--cpu-prof");
  const plan = quick ? QUICK : FULL;
  installChildCleanup();
  const watchdog = setTimeout(() => {
    log("bench: over 10 minutes, giving up");
    void stopAllChildren().then(() => process.exit(1));
  }, 600_000);
  watchdog.unref();
  const started = performance.now();
  const header = machineHeader(quick);
  const nodeFlags = cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${join(ARTIFACTS, "cpu-prof")}`] : [];

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
    key,
    tokens,
    reusedToken,
    rss: plan.rss,
    latency: plan.latency,
    throughput: plan.throughput,
    nodeFlags,
    log,
  });

  log("5/5 start to ready");
  const starts = await runStartBench(plan.starts);

  log("6. scale-out: HAProxy over three instances against one instance direct");
  const scaleOut = await runScaleOutBench({ ...plan.scaleOut, log });

  log("7. shared state on Redis (a redis-server on loopback)");
  const redis = redisRows(
    await runRedisBench({
      rounds: quick ? 7 : 21,
      roundMs: 250,
      logouts: quick ? 200 : 1000,
      log,
    }),
  );

  log("8. the gateway against Express + helmet + pino-http + aws-jwt-verify, and bare Express");
  const stack = stackSection(
    await runStackBench({
      key,
      tokens,
      reusedToken,
      ...plan.http,
      rounds: quick ? 3 : 7,
      nodeFlags,
      log,
    }),
  );

  const core = report({ verify, routes, product, starts, scaleOut }, plan, header);
  const stackMet = stack.goals.filter((g) => g.met).length;
  const markdown = `${core.markdown}\n\n${redis.markdown}\n\n${stack.markdown}\n\nSection 8 goals met: ${stackMet}/${stack.goals.length}.`;
  const result = `${core.result} ${redis.summary} ${stack.summary} stack_goals_met=${stackMet}/${stack.goals.length}`;
  const footer = `\nWhole run: ${fixed((performance.now() - started) / 1000, 0)} s; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(
      " ",
    )} (other processes on this machine compete for its ${os.availableParallelism()} cores).\n`;
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, "bench.md"), `${markdown}\n${footer}\n${result}\n`);
  process.stdout.write(
    `${markdown}\n${footer}\nTable written to artifacts/bench.md\n\n${result}\n`,
  );
}

main()
  .catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAllChildren();
    // Whatever is still open (a fake server or keep-alive socket after an error) must not keep
    // the bench alive.
    process.exit();
  });
