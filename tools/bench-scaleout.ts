/**
 * `npm run bench`, scale-out row: requests per second through HAProxy round-robin over three
 * gateway instances against one of those instances reached directly, in the same run (see
 * tools/lib/cluster.ts for the cluster). The route is GET /auth/me with a valid access token from
 * the shared emulator: verification and the full standalone app, no Cognito call per request.
 * Both variants alternate within each round, so drift in machine load cancels out in the ratio.
 */
import os from "node:os";
import { startCluster, type Cluster } from "./lib/cluster";
import { createAccount } from "./lib/gateways";
import { send } from "./lib/http";
import { load, type LoadRun } from "./lib/load";
import { cpuSeconds } from "./lib/proc";
import { fixed, millis, times, whole, type Section } from "./lib/report";
import { median } from "./lib/stats";

/** Options of {@link runScaleOutBench}. */
export interface ScaleOutOptions {
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly rounds: number;
  readonly log: (line: string) => void;
}

/** One variant's figures (medians over rounds). */
export interface ScaleOutFigure {
  readonly rate: number;
  readonly p99Ms: number;
  /** CPU time of every cluster process that served it (HAProxy and gateways) per answer, µs. */
  readonly cpuUsPerReq: number;
}

/** What the scale-out row reports. */
export interface ScaleOutResult {
  readonly instances: number;
  readonly direct: ScaleOutFigure;
  readonly balanced: ScaleOutFigure;
  /** Median over rounds of balanced req/s ÷ direct req/s in the same round. */
  readonly ratio: number;
  readonly ratioByRound: readonly number[];
}

const PASSWORD = "Bench-Corr3ct-Horse!";

/** Starts the cluster, signs one account in through it, and measures both variants. */
export async function runScaleOutBench(options: ScaleOutOptions): Promise<ScaleOutResult> {
  const cluster = await startCluster({
    instances: 3,
    redis: true,
    gatewayEnv: {
      RATE_LIMIT: "off",
      RESPONSE_FLOOR_MS: "0",
      RESPONSE_JITTER_MS: "0",
      LOG_LEVEL: "warn",
    },
  });
  try {
    const token = await signIn(cluster);
    const first = cluster.instances[0];
    if (first === undefined) throw new Error("bench: no instance");
    const pids = [...cluster.instances.map((g) => g.child.pid), cluster.haproxyPid];
    const variants = {
      direct: { url: `${first.url}/auth/me`, pids: [first.child.pid] },
      balanced: { url: `${cluster.url}/auth/me`, pids },
    };
    const run = (v: { url: string; pids: number[] }, durationSec: number) =>
      measure(v.url, v.pids, token, options.connections, durationSec);
    await run(variants.direct, options.warmupSec);
    await run(variants.balanced, options.warmupSec);
    const direct: (LoadRun & { cpu: number })[] = [];
    const balanced: (LoadRun & { cpu: number })[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      // Alternate which goes first, so neither always runs on a warmer or cooler machine.
      const order =
        round % 2 === 0 ? (["direct", "balanced"] as const) : (["balanced", "direct"] as const);
      for (const name of order) {
        const result = await run(variants[name], options.durationSec);
        (name === "direct" ? direct : balanced).push(result);
        options.log(`  ${name}: ${Math.round(result.rate).toLocaleString("en-US")} req/s`);
      }
    }
    const ratioByRound = direct.map((d, i) => (balanced[i]?.rate ?? NaN) / d.rate);
    return {
      instances: cluster.instances.length,
      direct: summarize(direct),
      balanced: summarize(balanced),
      ratio: median(ratioByRound),
      ratioByRound,
    };
  } finally {
    await cluster.stop();
  }
}

async function signIn(cluster: Cluster): Promise<string> {
  const target = { url: cluster.url, auth: `${cluster.url}/auth` };
  const email = `bench-scaleout-${String(Date.now())}@example.com`;
  // Through one instance directly: /_local/confirmation-code refuses forwarded requests (#9).
  const direct = cluster.instances[0]?.url ?? cluster.url;
  await createAccount({ url: direct, auth: `${direct}/auth` }, email, PASSWORD);
  const login = await send(`${target.auth}/login`, { json: { email, password: PASSWORD } });
  const token = (login.body as { accessToken?: unknown } | undefined)?.accessToken;
  if (login.status !== 200 || typeof token !== "string") {
    throw new Error(`bench: login through HAProxy answered ${String(login.status)}`);
  }
  return token;
}

async function measure(
  url: string,
  pids: readonly number[],
  token: string,
  connections: number,
  durationSec: number,
): Promise<LoadRun & { cpu: number }> {
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const [first] = pids;
  if (first === undefined) throw new Error("bench: no process to charge");
  const result = await load({
    url,
    connections,
    durationSec,
    token: () => token,
    serverPid: first,
  });
  const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore;
  return { ...result, cpu: (cpu * 1e6) / result.ok };
}

function summarize(runs: readonly (LoadRun & { cpu: number })[]): ScaleOutFigure {
  return {
    rate: median(runs.map((r) => r.rate)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuUsPerReq: median(runs.map((r) => r.cpu)),
  };
}

/** Section 6 of the bench report: the scale-out ratio, with what bounds it on this machine. */
export function scaleOutSection(
  s: ScaleOutResult,
  plan: Pick<ScaleOutOptions, "connections" | "rounds" | "durationSec">,
): Section {
  const cells = (name: string, f: ScaleOutFigure, vs: string) => [
    name,
    whole(f.rate),
    vs,
    fixed(f.cpuUsPerReq, 0),
    millis(f.p99Ms, 0),
  ];
  const n = String(s.instances);
  return {
    title: `### 6. Scale-out through HAProxy (tools/lib/cluster.ts, as \`npm run demo:cluster\` starts it: redis-server, the shared emulator, ${n} gateway instances, HAProxy round-robin; GET /auth/me with one valid token, autocannon ${String(plan.connections)} connections, ${String(plan.rounds)} rounds × ${String(plan.durationSec)} s per variant, alternating)`,
    blocks: [
      `Ratio per round: ${s.ratioByRound.map((r) => fixed(r, 2)).join(" / ")}. CPU/req counts every process that served the variant (the instance alone, or HAProxy plus all instances). On ${String(os.availableParallelism())} cores shared with the load generator, HAProxy and the other instances, extra instances cannot add cores: the ratio shows the cost of the balancer hop, not the scale-out a machine with free cores would give.`,
      {
        head: ["variant", "req/s", "vs one direct", "CPU µs/req", "p99"],
        rows: [
          { cells: cells("one instance, direct", s.direct, "1.00×") },
          {
            cells: cells(`HAProxy → ${n} instances`, s.balanced, times(s.ratio)),
            result: { [`scaleout_haproxy${n}_vs_direct1`]: fixed(s.ratio, 2) },
          },
        ],
      },
    ],
  };
}
