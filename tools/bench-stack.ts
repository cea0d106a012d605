/**
 * Section 8 of `npm run bench`: the gateway against what a team would assemble by hand, every
 * figure a ratio against a baseline measured in the same rounds.
 *
 * - the gateway: the real standalone server as the bench starts it (`startProduct`, cognito mode
 *   against the instant fake Cognito), with its per-IP rate limit ON (a limit high enough for the
 *   run): `GET /auth/me` behind requireAuth, and `GET /healthz`;
 * - "assembled stack": Express 5 + helmet + pino-http + aws-jwt-verify protecting one route that
 *   answers what `GET /auth/me` answers (`node --import tsx tools/bench-stack.ts stack <jwks>`);
 * - "bare Express": one route answering `{"status":"ok"}`, nothing else (`… bare <jwks>`).
 *
 * Every server runs in its own child process and logs to /dev/null. The six variants run in a
 * rotating order within each round, so machine drift spreads over all of them.
 *
 *   npx tsx tools/bench-stack.ts run [--quick]   (this section alone, while iterating)
 */
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import type { JsonWebKey } from "node:crypto";
import type { RequestHandler } from "express";
import { startFakeChild, startProduct, writeJwks, type RouteBenchOptions } from "./bench-http";
import { bearer, cachedAwsVerifier } from "./lib/aws-jwt-verify";
import { startIpcChild, serveToParent } from "./lib/ipc";
import { cycler, load, roundOrder, type LoadRun } from "./lib/load";
import { send } from "./lib/http";
import { loadAverage } from "./lib/proc";
import { installChildCleanup, runMain, type Child } from "./lib/processes";
import {
  fixed,
  renderSection,
  resultPairs,
  times,
  whole,
  type Row,
  type Section,
} from "./lib/report";
import { median, pairedMedian, ratio } from "./lib/stats";
import { mintAccessToken, mintAccessTokens, signingKey } from "./lib/tokens";

type Server = "gateway" | "stack" | "bare";

/** One measured load: which server, which path, which tokens. */
interface Variant {
  readonly name: string;
  readonly server: Server;
  readonly path: string;
  readonly tokens: "reused" | "distinct";
}

const VARIANTS: readonly Variant[] = [
  {
    name: "gateway GET /auth/me, reused token",
    server: "gateway",
    path: "/auth/me",
    tokens: "reused",
  },
  {
    name: "gateway GET /auth/me, distinct tokens",
    server: "gateway",
    path: "/auth/me",
    tokens: "distinct",
  },
  { name: "gateway GET /healthz", server: "gateway", path: "/healthz", tokens: "distinct" },
  { name: "assembled stack GET /me, reused token", server: "stack", path: "/me", tokens: "reused" },
  {
    name: "assembled stack GET /me, distinct tokens",
    server: "stack",
    path: "/me",
    tokens: "distinct",
  },
  { name: "bare Express GET /healthz", server: "bare", path: "/healthz", tokens: "distinct" },
];

/** A gateway variant, the baseline it is divided by (indexes in VARIANTS), and the goal. */
interface Pair {
  readonly name: string;
  readonly key: string;
  readonly ours: number;
  readonly base: number;
  /** Least ratio issue #8 asks for. */
  readonly goal: number;
}

const PAIRS: readonly Pair[] = [
  {
    name: "requireAuth route, reused token ÷ assembled stack",
    key: "stack_reused",
    ours: 0,
    base: 3,
    goal: 1.2,
  },
  {
    name: "requireAuth route, distinct tokens ÷ assembled stack",
    key: "stack_distinct",
    ours: 1,
    base: 4,
    goal: 1.0,
  },
  {
    name: "GET /healthz ÷ bare Express route",
    key: "healthz_vs_bare",
    ours: 2,
    base: 5,
    goal: 0.8,
  },
];

/** Options of {@link runStackBench}: the same as the route bench's (section 4). */
export type StackBenchOptions = RouteBenchOptions;

/** One pair's figures: medians over rounds of same-round ratios. */
export interface StackFigure {
  readonly name: string;
  readonly key: string;
  readonly goal: number;
  readonly ratio: number;
  readonly byRound: readonly number[];
  readonly gatewayRate: number;
  readonly baselineRate: number;
  readonly gatewayCpuUs: number;
  readonly baselineCpuUs: number;
  /** Baseline server CPU per request ÷ the gateway's (above 1: the gateway is cheaper). */
  readonly cpuRatio: number;
}

export interface StackBenchResult {
  readonly figures: readonly StackFigure[];
  readonly rounds: number;
  readonly connections: number;
  readonly durationSec: number;
}

/** Gateway settings of this section: defaults, except an IP limit no bench run can reach. */
const GATEWAY_ENV = {
  RATE_LIMIT: "on",
  RATE_LIMIT_IP_MAX: "1000000",
  RATE_LIMIT_IP_WINDOW_SECONDS: "3600",
};

/** Starts one baseline server child (this file's `stack` or `bare` mode). */
function startBaseline(mode: "stack" | "bare", jwksPath: string) {
  return startIpcChild(`${mode} baseline`, __filename, mode, jwksPath);
}

/** The gateway and the stack answer the same bytes; both refuse a forged token. */
async function selfCheck(urls: Record<Server, string>, token: string): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const [ours, theirs] = await Promise.all([
    send(`${urls.gateway}/auth/me`, { headers: auth }),
    send(`${urls.stack}/me`, { headers: auth }),
  ]);
  if (ours.status !== 200 || theirs.status !== 200 || ours.text !== theirs.text) {
    throw new Error(`bench: /auth/me and the stack's /me differ: ${ours.text} / ${theirs.text}`);
  }
  const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(342)}`;
  for (const url of [`${urls.gateway}/auth/me`, `${urls.stack}/me`]) {
    const refused = await send(url, { headers: { authorization: `Bearer ${forged}` } });
    if (refused.status !== 401) throw new Error(`bench: ${url} accepted a forged token`);
  }
  const health = await send(`${urls.bare}/healthz`);
  if (health.status !== 200) throw new Error("bench: the bare route did not answer");
}

/** Section 8: every variant warmed up once, then measured `rounds` times in rotating order. */
export async function runStackBench(options: StackBenchOptions): Promise<StackBenchResult> {
  const jwks = writeJwks(options.key);
  const started: Child[] = [];
  try {
    // The fake answers /readyz's reachability probe (and would answer logins with this token).
    const fake = await startFakeChild(jwks.dir, options.reusedToken);
    started.push(fake.child);
    const gateway = await startProduct(fake.url, jwks.path, options.nodeFlags ?? [], GATEWAY_ENV);
    started.push(gateway.child);
    const stack = await startBaseline("stack", jwks.path);
    started.push(stack.child);
    const bare = await startBaseline("bare", jwks.path);
    started.push(bare.child);
    const servers = { gateway, stack, bare };
    await selfCheck(
      { gateway: gateway.url, stack: stack.url, bare: bare.url },
      options.reusedToken,
    );
    const distinct = cycler(options.tokens);
    const run = (variant: Variant, durationSec: number) =>
      load({
        url: `${servers[variant.server].url}${variant.path}`,
        connections: options.connections,
        durationSec,
        token: variant.tokens === "reused" ? () => options.reusedToken : distinct,
        serverPid: servers[variant.server].child.pid,
      });
    // Three warm-ups each: at a few hundred req/s on a loaded machine one second leaves the
    // baselines' hot paths unoptimised (the bare route's first rounds ran at a third of its rate).
    for (let pass = 0; pass < 3; pass++) {
      for (const variant of VARIANTS) await run(variant, options.warmupSec);
    }
    const runs = VARIANTS.map((): LoadRun[] => []);
    for (let round = 0; round < options.rounds; round++) {
      for (const i of roundOrder(VARIANTS.length, round)) {
        const variant = VARIANTS[i] as Variant;
        const result = await run(variant, options.durationSec);
        runs[i]?.push(result);
        options.log(
          `  round ${round + 1}/${options.rounds} ${variant.name}: ${Math.round(result.rate)} req/s, server ${Math.round(result.cpuUsPerReq)} µs/req`,
        );
      }
    }
    return {
      figures: PAIRS.map((pair) => summarize(pair, runs[pair.ours] ?? [], runs[pair.base] ?? [])),
      rounds: options.rounds,
      connections: options.connections,
      durationSec: options.durationSec,
    };
  } finally {
    for (const child of started.reverse()) await child.stop();
    rmSync(jwks.dir, { recursive: true, force: true });
  }
}

function summarize(pair: Pair, ours: readonly LoadRun[], theirs: readonly LoadRun[]): StackFigure {
  const oursRates = ours.map((r) => r.rate);
  const theirRates = theirs.map((r) => r.rate);
  const oursCpu = ours.map((r) => r.cpuUsPerReq);
  const theirCpu = theirs.map((r) => r.cpuUsPerReq);
  return {
    name: pair.name,
    key: pair.key,
    goal: pair.goal,
    ratio: pairedMedian(oursRates, theirRates, ratio),
    byRound: oursRates.map((rate, r) => ratio(rate, theirRates[r] ?? NaN)),
    gatewayRate: median(oursRates),
    baselineRate: median(theirRates),
    gatewayCpuUs: median(oursCpu),
    baselineCpuUs: median(theirCpu),
    cpuRatio: pairedMedian(theirCpu, oursCpu, ratio),
  };
}

/** Section 8 of the bench report: one row per pair, its goal, and its `RESULT` key. */
export function stackSection(result: StackBenchResult): Section {
  const rows = result.figures.map((f): Row => ({
    cells: [
      f.name,
      `${whole(f.gatewayRate)} / ${whole(f.baselineRate)}`,
      times(f.ratio),
      f.byRound.map((r) => fixed(r, 2)).join(" / "),
      `${fixed(f.gatewayCpuUs, 0)} / ${fixed(f.baselineCpuUs, 0)}`,
      times(f.cpuRatio),
    ],
    goal: { name: f.key, value: f.ratio, op: "≥", bound: f.goal, unit: "×", digits: 1 },
    result: { [f.key]: fixed(f.ratio, 2) },
  }));
  const head = [
    "pair",
    "req/s (gateway / baseline)",
    "ratio",
    "per round",
    "server µs/req",
    "CPU ratio",
  ];
  return {
    title: `### 8. Against what a team assembles by hand (autocannon ${String(result.connections)} connections, ${String(result.rounds)} rounds × ${String(result.durationSec)} s per variant after three warm-ups each, six variants in rotating order per round)`,
    blocks: [
      'The gateway is the standalone server as section 4 starts it, with its per-IP rate limit on (a limit the run cannot reach), access log, request ids, helmet headers with its CSP, host/method guards and body limits. The assembled stack is Express 5 + helmet() + pino-http + aws-jwt-verify (JWKS cached up front) in front of one route answering the same bytes as `GET /auth/me`; the bare route is Express 5 answering `{"status":"ok"}` with nothing else. Every server is its own process logging to /dev/null. Ratios are medians over rounds of req/s ÷ the baseline\'s req/s in the same round; CPU is server CPU µs per answer (/proc), its ratio baseline ÷ gateway.',
      { head, rows },
    ],
  };
}

// =============================================================================================
// The baseline servers (child processes)

/**
 * What a team writes by hand: Express 5, helmet's defaults, pino-http's access log, and
 * aws-jwt-verify (JWKS given up front, as the gateway pins it) in front of one route.
 */
async function stackApp(jwks: { keys: JsonWebKey[] }) {
  const { default: express } = await import("express");
  const { default: helmet } = await import("helmet");
  // Loaded untyped: pino-http's type declarations retype `req.id` for the whole program.
  const pinoHttp = createRequire(__filename)("pino-http") as () => RequestHandler;
  const verifier = cachedAwsVerifier(jwks);
  const app = express();
  app.disable("x-powered-by");
  app.use(pinoHttp());
  app.use(helmet());
  app.get("/me", (req, res) => {
    verifier.verify(bearer(req.headers.authorization)).then(
      (claims) => {
        const groups = claims["cognito:groups"];
        res.json({
          sub: claims.sub,
          username: claims.username,
          scope: claims.scope,
          groups: Array.isArray(groups) ? groups : [],
        });
      },
      () => {
        res.status(401).json({ error: { code: "invalid_token" } });
      },
    );
  });
  return app;
}

async function bareApp() {
  const { default: express } = await import("express");
  const app = express();
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  return app;
}

async function serve(mode: "stack" | "bare", jwksPath: string): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const jwks = JSON.parse(readFileSync(jwksPath, "utf8")) as { keys: JsonWebKey[] };
  await serveToParent(mode === "stack" ? await stackApp(jwks) : await bareApp());
}

/** `run [--quick]`: this section alone, with the plan `npm run bench` uses. */
async function runAlone(quick: boolean): Promise<void> {
  installChildCleanup();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const load0 = loadAverage();
  const key = signingKey();
  const tokens = mintAccessTokens(key, 12_000);
  const reusedToken = mintAccessToken(key, 12_000);
  const result = await runStackBench({
    key,
    tokens,
    reusedToken,
    connections: 50,
    warmupSec: 1,
    durationSec: quick ? 1 : 2,
    rounds: quick ? 3 : 7,
    log,
  });
  const section = stackSection(result);
  const markdown = renderSection(section);
  const summary = resultPairs([section]).join(" ");
  const load1 = loadAverage();
  process.stdout.write(
    `${markdown}\n\nLoad average: ${load0} at start, ${load1} at the end.\n\nRESULT ${summary}\n`,
  );
}

if (require.main === module) {
  const [mode, file] = process.argv.slice(2);
  const main =
    mode === "run"
      ? () => runAlone(process.argv.includes("--quick"))
      : (mode === "stack" || mode === "bare") && file !== undefined
        ? () => serve(mode, file)
        : undefined;
  if (main === undefined) {
    process.stderr.write(
      "usage: npx tsx tools/bench-stack.ts run [--quick] | stack|bare <jwks.json>\n",
    );
    process.exit(2);
  }
  runMain(main, { exit: mode === "run" });
}
