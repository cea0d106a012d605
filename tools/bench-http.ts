/**
 * The HTTP parts of `npm run bench`, each against a server in its own child process (so on a
 * 2-core machine the server has one core and the load generator, in this process, the other):
 *
 * - {@link runRouteBench}: `requireAuth` over HTTP. A small Express app (this file, run as
 *   `node --import tsx tools/bench-http.ts serve <jwks.json>`) serves an open route, the
 *   gateway's `requireAuth({tokenUse: "access"})`, and the same route protected by a bare
 *   `crypto.verify`, by aws-jwt-verify and by the usual jwk-to-pem + jsonwebtoken sample.
 * - {@link runProductBench}: the real standalone server (`src/server.ts`, cognito mode) pointed
 *   at an instant-answer fake Cognito, floors and rate limits off: RSS under 200 connections,
 *   login/register overhead against the same calls made directly with the AWS SDK, and the
 *   throughput of the full app (access logs, helmet) for reference.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { verify as verifySignature, type JsonWebKey, type KeyObject } from "node:crypto";
import {
  InitiateAuthCommand,
  SignUpCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { MEMORY_PROFILE_FLAGS } from "../src/memory-profile";
import type { RequestHandler, Response } from "express";
import type JwkToPem from "jwk-to-pem";
import { bearer, cachedAwsVerifier } from "./lib/aws-jwt-verify";
import { send, freePort, waitFor200, type Answer } from "./lib/http";
import { startIpcChild, reportToParent, serveToParent, type IpcServer } from "./lib/ipc";
import { cycler, load, roundOrder, type LoadRun } from "./lib/load";
import { mainThreadCpuSeconds, memoryMb } from "./lib/proc";
import { childEnv, runMain, sleep, startChild, type Child } from "./lib/processes";
import { median, pairedMedian, percentile, ratio } from "./lib/stats";
import { CLIENT_ID, CLIENT_SECRET, ISSUER, POOL_ID, type SigningKey } from "./lib/tokens";
import { startFakeCognito } from "./lib/fake-cognito";

const ROOT = resolve(__dirname, "..");

export function writeJwks(key: SigningKey): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "cognito-gateway-bench-"));
  const path = join(dir, "jwks.json");
  writeFileSync(path, JSON.stringify(key.jwks));
  return { dir, path };
}

// =============================================================================================
// 2. requireAuth over HTTP

/** A route of the bench server and how it is loaded. */
interface RouteVariant {
  readonly name: string;
  readonly description: string;
  readonly path: string;
  readonly tokens: "distinct" | "reused";
}

const ROUTE_VARIANTS: readonly RouteVariant[] = [
  { name: "open", description: "no verification", path: "/open", tokens: "distinct" },
  {
    name: "requireAuth reused",
    description: "gateway.requireAuth, one token (cache hits)",
    path: "/ours",
    tokens: "reused",
  },
  {
    name: "requireAuth distinct",
    description: "gateway.requireAuth, every request a new token (cache misses)",
    path: "/ours",
    tokens: "distinct",
  },
  {
    name: "raw crypto.verify",
    description: "split + crypto.verify with a KeyObject, no claim checks",
    path: "/raw",
    tokens: "distinct",
  },
  {
    name: "aws-jwt-verify",
    description: "CognitoJwtVerifier + cacheJwks, await verify()",
    path: "/awsjwt",
    tokens: "distinct",
  },
  {
    name: "sample code",
    description: "jwt.decode + jwkToPem each call + jwt.verify",
    path: "/sample",
    tokens: "distinct",
  },
];

/** Options of {@link runRouteBench}. */
export interface RouteBenchOptions {
  readonly key: SigningKey;
  /** Distinct tokens; more than the verifier cache holds (10 000), so cycling them always misses. */
  readonly tokens: readonly string[];
  readonly reusedToken: string;
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly rounds: number;
  /** Extra node flags for the server (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  readonly log: (line: string) => void;
}

/** Medians over the rounds for one variant. */
export interface RouteFigure {
  readonly name: string;
  readonly description: string;
  readonly rate: number;
  readonly rates: readonly number[];
  /** Each round's rate ÷ the open route's rate in the same round. */
  readonly vsOpenByRound: readonly number[];
  readonly cpuUsPerReq: number;
  readonly serverBusy: number;
  readonly p99Ms: number;
  /** Median over rounds of rate ÷ the open route's rate in the same round. */
  readonly vsOpen: number;
  /** Median over rounds of the open route's server CPU per request ÷ this one's (1 = as cheap). */
  readonly cpuVsOpen: number;
}

export interface RouteBenchResult {
  readonly figures: readonly RouteFigure[];
  /** Server CPU per request beyond the open route's, µs (median of same-round differences). */
  readonly authCpuUs: { readonly reused: number; readonly distinct: number };
}

/** Asks the fake Cognito child how many calls of each operation it answered. */
async function fakeCalls(fake: Child): Promise<Record<string, number>> {
  const answer = once(fake.process, "message").then(([value]) => value as unknown);
  fake.process.send("calls");
  const message = await Promise.race([answer, sleep(2000, undefined)]);
  const calls = (message as { calls?: unknown } | undefined)?.calls;
  return typeof calls === "object" && calls !== null ? (calls as Record<string, number>) : {};
}

/** Asks the bench server for a full garbage collection and waits for it (bounded). */
async function collectGarbage(server: Child): Promise<void> {
  const done = once(server.process, "message");
  server.process.send("gc");
  await Promise.race([done, sleep(5000)]);
}

/** Every route accepts a valid token; the protected ones refuse a forged one. */
async function selfCheckRoutes(url: string, token: string): Promise<void> {
  const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(342)}`;
  for (const variant of ROUTE_VARIANTS) {
    const good = await send(`${url}${variant.path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (good.status !== 200) {
      throw new Error(`bench: ${variant.path} refused a valid token (${good.status})`);
    }
    if (variant.path === "/open") continue;
    const bad = await send(`${url}${variant.path}`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    if (bad.status !== 401) throw new Error(`bench: ${variant.path} accepted a forged token`);
  }
}

/**
 * Each variant warmed up once, then measured `rounds` times in rotating order (drift in machine
 * load spreads over all of them); medians reported.
 */
export async function runRouteBench(options: RouteBenchOptions): Promise<RouteBenchResult> {
  const jwks = writeJwks(options.key);
  const { child, url } = await startIpcChild("bench server", __filename, "serve", jwks.path, [
    "--expose-gc",
    ...(options.nodeFlags ?? []),
  ]);
  try {
    await selfCheckRoutes(url, options.reusedToken);
    const distinct = cycler(options.tokens);
    const run = (variant: RouteVariant, durationSec: number) =>
      load({
        url: `${url}${variant.path}`,
        connections: options.connections,
        durationSec,
        token: variant.tokens === "reused" ? () => options.reusedToken : distinct,
        serverPid: child.pid,
      });
    for (const variant of ROUTE_VARIANTS) await run(variant, options.warmupSec);
    const runs = ROUTE_VARIANTS.map((): LoadRun[] => []);
    for (let round = 0; round < options.rounds; round++) {
      for (const i of roundOrder(ROUTE_VARIANTS.length, round)) {
        const variant = ROUTE_VARIANTS[i] as RouteVariant;
        // Each run starts from a collected heap: the garbage of the previous variant (the
        // sample code makes plenty) is not collected on the next one's time.
        await collectGarbage(child);
        const result = await run(variant, options.durationSec);
        runs[i]?.push(result);
        options.log(
          `  round ${round + 1}/${options.rounds} ${variant.name}: ${Math.round(result.rate)} req/s, server ${Math.round(result.cpuUsPerReq)} µs/req, busy ${result.serverBusy.toFixed(2)}`,
        );
      }
    }
    return summarizeRoutes(runs);
  } finally {
    await child.stop();
    rmSync(jwks.dir, { recursive: true, force: true });
  }
}

function summarizeRoutes(runs: readonly (readonly LoadRun[])[]): RouteBenchResult {
  const rates = runs.map((list) => list.map((r) => r.rate));
  const cpus = runs.map((list) => list.map((r) => r.cpuUsPerReq));
  const openRates = rates[0] ?? [];
  const openCpus = cpus[0] ?? [];
  const figures = ROUTE_VARIANTS.map((variant, i) => {
    const list = runs[i] ?? [];
    const variantRates = rates[i] ?? [];
    const variantCpus = cpus[i] ?? [];
    return {
      name: variant.name,
      description: variant.description,
      rate: median(variantRates),
      rates: variantRates,
      vsOpenByRound: variantRates.map((rate, r) => ratio(rate, openRates[r] ?? NaN)),
      cpuUsPerReq: median(variantCpus),
      serverBusy: median(list.map((r) => r.serverBusy)),
      p99Ms: median(list.map((r) => r.p99Ms)),
      vsOpen: pairedMedian(variantRates, openRates, ratio),
      cpuVsOpen: pairedMedian(openCpus, variantCpus, ratio),
    };
  });
  const extraCpu = (i: number) => pairedMedian(cpus[i] ?? [], openCpus, (v, base) => v - base);
  return { figures, authCpuUs: { reused: extraCpu(1), distinct: extraCpu(2) } };
}

// =============================================================================================
// 3 + 4. The standalone server against a fake Cognito

/** Options of {@link runProductBench}. */
export interface ProductBenchOptions {
  readonly key: SigningKey;
  readonly tokens: readonly string[];
  readonly reusedToken: string;
  /** RSS: connections (200), warm-up and measuring seconds, rounds over the three builds. */
  readonly rss: { connections: number; warmupSec: number; durationSec: number; rounds: number };
  /** Latency: blocks per target (interleaved) and sequential requests per block. */
  readonly latency: { blocks: number; perBlock: number; warmup: number };
  /** Reference throughput of the full app: connections and seconds per run. */
  readonly throughput: { connections: number; warmupSec: number; durationSec: number };
  readonly nodeFlags?: readonly string[];
  readonly log: (line: string) => void;
}

/** p50/p99 of one sequential target, ms. */
export interface LatencyFigure {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
  /** Main-thread CPU per call of the process doing the work (gateway, or this one), µs. */
  readonly cpuUs: number;
}

/** The server's memory under the 200-connection load; over rounds, the highest peak, else medians. */
export interface RssFigure {
  readonly idleMb: number;
  /** VmHWM after the 200-connection run: the highest RSS ever, between samples included. */
  readonly peakMb: number;
  /** RSS when the load stopped. */
  readonly endMb: number;
  readonly rate: number;
  readonly p99Ms: number;
  /** Server CPU per request, µs. */
  readonly cpuUsPerReq: number;
}

export interface ProductBenchResult {
  /** The server as `npm start` runs it: compiled, with the memory profile. */
  readonly rss: RssFigure;
  /** The same measured on the sources run through tsx, as `npm start` did before #8. */
  readonly rssSources: RssFigure;
  /** The same measured on the compiled server with Node's defaults (no memory profile). */
  readonly rssNodeDefaults: RssFigure;
  /**
   * Under that load, `npm start` against the tsx sources: median over rounds of req/s ÷ req/s,
   * and of server CPU per request, sources ÷ compiled (above 1: the compiled server is cheaper).
   */
  readonly compiledVsSources: { readonly rate: number; readonly cpu: number };
  readonly latency: readonly LatencyFigure[];
  /** Gateway minus SDK direct: latency percentiles (ms) and main-thread CPU per call (µs). */
  readonly overhead: {
    readonly login: { readonly p50: number; readonly p99: number; readonly cpuUs: number };
    readonly register: { readonly p50: number; readonly p99: number; readonly cpuUs: number };
  };
  readonly throughput: readonly { name: string; run: LoadRun }[];
  readonly fakeCalls: Readonly<Record<string, number>>;
}

const LOGIN_EMAIL = "bench.user@example.com";
const LOGIN_PASSWORD = "Bench-Passw0rd!";

/**
 * How the standalone server runs: compiled with the memory profile (as `npm start` runs it),
 * compiled with Node's defaults, or its sources through tsx (`npm start` before #8).
 */
export type ServerBuild = "compiled" | "node-defaults" | "sources";
const SERVER_ARGS: Record<ServerBuild, readonly string[]> = {
  compiled: [...MEMORY_PROFILE_FLAGS, "dist/cjs/server.js"],
  "node-defaults": ["dist/cjs/server.js"],
  sources: ["--import", "tsx", "src/server.ts"],
};

/**
 * Starts the server (cognito mode) against the fake; resolves once /readyz answers 200.
 * `env` overrides the bench settings (e.g. the rate limits).
 */
export async function startProduct(
  fakeUrl: string,
  jwksPath: string,
  nodeFlags: readonly string[],
  env: Readonly<Record<string, string>> = {},
  build: ServerBuild = "compiled",
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = startChild(
    `gateway (${build})`,
    process.execPath,
    [...nodeFlags, ...SERVER_ARGS[build]],
    {
      cwd: ROOT,
      env: childEnv({
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(port),
        COGNITO_USER_POOL_ID: POOL_ID,
        COGNITO_CLIENT_ID: CLIENT_ID,
        COGNITO_CLIENT_SECRET: CLIENT_SECRET,
        COGNITO_ENDPOINT: fakeUrl,
        JWKS_PATH: jwksPath,
        RESPONSE_FLOOR_MS: "0",
        RESPONSE_JITTER_MS: "0",
        RATE_LIMIT: "off",
        LOG_LEVEL: "info",
        ...env,
      }),
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${url}/readyz`, {
      since: performance.now(),
      everyMs: 20,
      timeoutMs: 30_000,
      child,
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, url };
}

/** Section 4's three builds, in the order of their first round. */
const RSS_BUILDS: readonly ServerBuild[] = ["compiled", "node-defaults", "sources"];

/**
 * Section 4: each build of the server in a fresh process under the same load, `rounds` rounds in
 * rotating order, so that the machine's drift does not favour one build.
 */
async function rssByBuild(
  options: ProductBenchOptions,
  fake: { url: string; jwksPath: string },
): Promise<
  Pick<ProductBenchResult, "rss" | "rssSources" | "rssNodeDefaults" | "compiledVsSources">
> {
  const runs = RSS_BUILDS.map((): RssFigure[] => []);
  for (let round = 0; round < options.rss.rounds; round++) {
    for (const i of roundOrder(RSS_BUILDS.length, round)) {
      runs[i]?.push(await buildRss(options, fake, RSS_BUILDS[i] ?? "compiled"));
    }
  }
  const [compiled = [], nodeDefaults = [], sources = []] = runs;
  const paired = (f: (c: RssFigure, s: RssFigure) => number) =>
    median(compiled.map((c, k) => (sources[k] ? f(c, sources[k]) : NaN)));
  return {
    rss: summariseRss(compiled),
    rssNodeDefaults: summariseRss(nodeDefaults),
    rssSources: summariseRss(sources),
    compiledVsSources: {
      rate: paired((c, s) => c.rate / s.rate),
      cpu: paired((c, s) => s.cpuUsPerReq / c.cpuUsPerReq),
    },
  };
}

/** Over rounds: the highest peak (the goal is on the worst), medians of the rest. */
function summariseRss(runs: readonly RssFigure[]): RssFigure {
  const mid = (f: (r: RssFigure) => number) => median(runs.map(f));
  return {
    idleMb: mid((r) => r.idleMb),
    peakMb: Math.max(...runs.map((r) => r.peakMb)),
    endMb: mid((r) => r.endMb),
    rate: mid((r) => r.rate),
    p99Ms: mid((r) => r.p99Ms),
    cpuUsPerReq: mid((r) => r.cpuUsPerReq),
  };
}

/** {@link measureRss} of one build in a fresh process, after one checked request. */
async function buildRss(
  options: ProductBenchOptions,
  fake: { url: string; jwksPath: string },
  build: ServerBuild,
): Promise<RssFigure> {
  const server = await startProduct(fake.url, fake.jwksPath, options.nodeFlags ?? [], {}, build);
  try {
    const me = await send(`${server.url}/auth/me`, {
      headers: { authorization: `Bearer ${options.reusedToken}` },
    });
    expectStatus(me, 200, `GET /auth/me (${build})`);
    await sleep(500);
    const rss = await measureRss(options, server.child, server.url);
    options.log(
      `  ${build}: RSS idle ${rss.idleMb.toFixed(1)} MB, peak ${rss.peakMb.toFixed(1)} MB at ${Math.round(rss.rate)} req/s, ${Math.round(rss.cpuUsPerReq)} µs/req`,
    );
    return rss;
  } finally {
    await server.child.stop();
  }
}

/** RSS of the server while 200 connections send distinct tokens to GET /auth/me. */
async function measureRss(
  options: ProductBenchOptions,
  child: Child,
  url: string,
): Promise<RssFigure> {
  const idleMb = memoryMb(child.pid).rss;
  const distinct = cycler(options.tokens);
  let sampled = 0;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memoryMb(child.pid).rss);
  }, 100);
  try {
    const spec = {
      url: `${url}/auth/me`,
      connections: options.rss.connections,
      token: distinct,
      serverPid: child.pid,
    };
    await load({ ...spec, durationSec: options.rss.warmupSec });
    const run = await load({ ...spec, durationSec: options.rss.durationSec });
    const end = memoryMb(child.pid);
    return {
      idleMb,
      peakMb: Math.max(end.peak, sampled),
      endMb: end.rss,
      rate: run.rate,
      p99Ms: run.p99Ms,
      cpuUsPerReq: run.cpuUsPerReq,
    };
  } finally {
    clearInterval(sampler);
  }
}

interface LatencyTarget {
  readonly name: string;
  readonly call: () => Promise<unknown>;
  /** Main-thread CPU seconds so far of the process that does the work. */
  readonly cpu: () => number;
}

/** Sequential calls, targets interleaved block by block; each block bounded to 10 s. */
async function measureLatency(
  targets: readonly LatencyTarget[],
  options: ProductBenchOptions["latency"],
): Promise<LatencyFigure[]> {
  for (const target of targets) {
    for (let i = 0; i < options.warmup; i++) await target.call();
  }
  const samples = targets.map((): number[] => []);
  const cpu = targets.map(() => 0);
  for (let block = 0; block < options.blocks; block++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (k + block) % targets.length;
      const target = targets[i] as LatencyTarget;
      const list = samples[i] as number[];
      const deadline = performance.now() + 10_000;
      const cpuBefore = target.cpu();
      for (let n = 0; n < options.perBlock && performance.now() < deadline; n++) {
        const start = performance.now();
        await target.call();
        list.push(performance.now() - start);
      }
      cpu[i] = (cpu[i] ?? 0) + target.cpu() - cpuBefore;
    }
  }
  return targets.map((target, i) => ({
    name: target.name,
    p50: percentile(samples[i] ?? [], 50),
    p99: percentile(samples[i] ?? [], 99),
    samples: samples[i]?.length ?? 0,
    cpuUs: ((cpu[i] ?? NaN) * 1e6) / (samples[i]?.length ?? NaN),
  }));
}

function expectStatus(answer: Answer, status: number, what: string) {
  if (answer.status !== status) {
    throw new Error(`bench: ${what} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  }
}

/** What the latency targets call: the gateway, the fake it uses, and a direct SDK client. */
interface LatencyContext {
  readonly gateway: IpcServer;
  readonly fakeUrl: string;
  readonly sdk: CognitoIdentityProviderClient;
  readonly agent: http.Agent;
}

/** The InitiateAuth and SignUp inputs of the bench user, as the gateway sends them. */
function cognitoInputs(secretHash: string) {
  const initiate = {
    ClientId: CLIENT_ID,
    AuthFlow: "USER_PASSWORD_AUTH" as const,
    AuthParameters: { USERNAME: LOGIN_EMAIL, PASSWORD: LOGIN_PASSWORD, SECRET_HASH: secretHash },
  };
  const signUp = {
    ClientId: CLIENT_ID,
    SecretHash: secretHash,
    Username: LOGIN_EMAIL,
    Password: LOGIN_PASSWORD,
    UserAttributes: [{ Name: "email", Value: LOGIN_EMAIL }],
  };
  return { initiate, signUp };
}

/** Each gateway call beside the same Cognito call made with the SDK and as one raw request. */
function latencyTargets(ctx: LatencyContext, secretHash: string): LatencyTarget[] {
  const { initiate, signUp } = cognitoInputs(secretHash);
  const loginBody = JSON.stringify({ email: LOGIN_EMAIL, password: LOGIN_PASSWORD });
  const post = async (url: string, headers: Record<string, string>, body: string, ok: number) => {
    const answer = await send(url, { method: "POST", headers, raw: body, agent: ctx.agent });
    expectStatus(answer, ok, url);
  };
  const viaGateway = (path: string, ok: number) => () =>
    post(`${ctx.gateway.url}${path}`, { "content-type": "application/json" }, loginBody, ok);
  const rawDirect = (op: string, input: object) => () =>
    post(
      `${ctx.fakeUrl}/`,
      {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `AWSCognitoIdentityProviderService.${op}`,
      },
      JSON.stringify(input),
      200,
    );
  const healthz = async () => {
    const answer = await send(`${ctx.gateway.url}/healthz`, { agent: ctx.agent });
    expectStatus(answer, 200, "GET /healthz");
  };
  const targets: Omit<LatencyTarget, "cpu">[] = [
    { name: "GET /healthz via gateway", call: healthz },
    { name: "login via gateway", call: viaGateway("/auth/login", 200) },
    {
      name: "InitiateAuth, AWS SDK direct",
      call: () => ctx.sdk.send(new InitiateAuthCommand(initiate)),
    },
    { name: "InitiateAuth, raw HTTP direct", call: rawDirect("InitiateAuth", initiate) },
    { name: "register via gateway", call: viaGateway("/auth/register", 202) },
    { name: "SignUp, AWS SDK direct", call: () => ctx.sdk.send(new SignUpCommand(signUp)) },
    { name: "SignUp, raw HTTP direct", call: rawDirect("SignUp", signUp) },
  ];
  const gatewayCpu = () => mainThreadCpuSeconds(ctx.gateway.child.pid);
  const selfCpu = () => mainThreadCpuSeconds(process.pid);
  return targets.map((t) => ({ ...t, cpu: t.name.endsWith("via gateway") ? gatewayCpu : selfCpu }));
}

/** Login and register latency through the gateway, and their overhead over the SDK calls. */
async function measureOverhead(ctx: LatencyContext, options: ProductBenchOptions) {
  const { secretHash } = await import("../src/cognito/secret-hash");
  options.log("  login/register latency, sequential");
  const targets = latencyTargets(ctx, secretHash(LOGIN_EMAIL, CLIENT_ID, CLIENT_SECRET));
  const latency = await measureLatency(targets, options.latency);
  const at = (name: string) => latency.find((l) => l.name === name);
  const diff = (a: string, b: string) => ({
    p50: (at(a)?.p50 ?? NaN) - (at(b)?.p50 ?? NaN),
    p99: (at(a)?.p99 ?? NaN) - (at(b)?.p99 ?? NaN),
    cpuUs: (at(a)?.cpuUs ?? NaN) - (at(b)?.cpuUs ?? NaN),
  });
  const overhead = {
    login: diff("login via gateway", "InitiateAuth, AWS SDK direct"),
    register: diff("register via gateway", "SignUp, AWS SDK direct"),
  };
  return { latency, overhead };
}

/** Reference throughput of the full app: /healthz, and /auth/me with a reused or new token. */
async function measureThroughput(
  gateway: IpcServer,
  options: ProductBenchOptions,
): Promise<ProductBenchResult["throughput"]> {
  const throughput: { name: string; run: LoadRun }[] = [];
  const distinct = cycler(options.tokens);
  for (const [name, path, token] of [
    ["GET /healthz", "/healthz", distinct],
    ["GET /auth/me reused token", "/auth/me", () => options.reusedToken],
    ["GET /auth/me distinct tokens", "/auth/me", distinct],
  ] as const) {
    const spec = {
      url: `${gateway.url}${path}`,
      connections: options.throughput.connections,
      token,
      serverPid: gateway.child.pid,
    };
    await load({ ...spec, durationSec: options.throughput.warmupSec });
    const run = await load({ ...spec, durationSec: options.throughput.durationSec });
    throughput.push({ name, run });
    options.log(
      `  ${name}: ${Math.round(run.rate)} req/s, server ${Math.round(run.cpuUsPerReq)} µs/req`,
    );
  }
  return throughput;
}

/**
 * The fake Cognito in its own process (a direct SDK call then crosses a process boundary, as a
 * call to Cognito does, and is not flattered by sharing this process's event loop); it answers
 * logins with `accessToken` and the readiness probe.
 */
export async function startFakeChild(dir: string, accessToken: string): Promise<IpcServer> {
  const tokenFile = join(dir, "access-token.txt");
  writeFileSync(tokenFile, accessToken);
  return startIpcChild("fake Cognito", __filename, "fake", tokenFile);
}

/** Sections 3 and 4, plus reference throughput of the full app. */
export async function runProductBench(options: ProductBenchOptions): Promise<ProductBenchResult> {
  // The SDK client exactly as the gateway builds it.
  const { createCognitoClient } = await import("../src/cognito/client");
  const jwks = writeJwks(options.key);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let fake: IpcServer | undefined;
  let sdk: CognitoIdentityProviderClient | undefined;
  let gateway: IpcServer | undefined;
  try {
    fake = await startFakeChild(jwks.dir, options.reusedToken);
    const endpoint = fake.url;
    sdk = createCognitoClient({ region: "us-east-1", endpoint, timeoutMs: 3000, maxAttempts: 2 });
    // The build `npm start` runs (prestart does the same).
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "ignore" });
    options.log(`  RSS: ${options.rss.connections} connections on GET /auth/me, distinct tokens`);
    const memory = await rssByBuild(options, { url: fake.url, jwksPath: jwks.path });
    gateway = await startProduct(fake.url, jwks.path, options.nodeFlags ?? []);
    const throughput = await measureThroughput(gateway, options);
    const { latency, overhead } = await measureOverhead(
      { gateway, fakeUrl: fake.url, sdk, agent },
      options,
    );
    const calls = await fakeCalls(fake.child);
    return { ...memory, latency, overhead, throughput, fakeCalls: calls };
  } finally {
    await gateway?.child.stop();
    sdk?.destroy();
    agent.destroy();
    await fake?.child.stop();
    rmSync(jwks.dir, { recursive: true, force: true });
  }
}

// =============================================================================================
// The bench server (child process): `node --import tsx tools/bench-http.ts serve <jwks.json>`

interface Locals {
  sub?: string;
}

function refuse(res: Response): void {
  res.status(401).json({ error: { code: "invalid_token" } });
}

/** The gateway's own middleware, floors and limits off. */
async function oursHandler(jwks: { keys: JsonWebKey[] }): Promise<RequestHandler> {
  const { StaticKeyStore } = await import("../src/auth/keys");
  const { createGateway } = await import("../src/gateway");
  const { createLogger } = await import("../src/logger");
  const gateway = createGateway({
    userPoolId: POOL_ID,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    keys: new StaticKeyStore(jwks, "bench JWKS"),
    logger: createLogger({ level: "silent" }),
    responseFloorMs: 0,
    responseJitterMs: 0,
    rateLimit: false,
  });
  return gateway.requireAuth({ tokenUse: "access" });
}

/** The floor: split and `crypto.verify` with a KeyObject, no claim checks. */
async function rawHandler(jwks: { keys: JsonWebKey[] }): Promise<RequestHandler> {
  const { StaticKeyStore } = await import("../src/auth/keys");
  const keys = new StaticKeyStore(jwks, "bench JWKS");
  const key = keys.get(keys.kids[0] ?? "") as KeyObject;
  return (req, res, next) => {
    const token = bearer(req.headers.authorization);
    const dot = token.lastIndexOf(".");
    const signed = Buffer.from(token.slice(0, dot), "latin1");
    const signature = Buffer.from(token.slice(dot + 1), "base64url");
    if (dot > 0 && verifySignature("RSA-SHA256", signed, key, signature)) next();
    else refuse(res);
  };
}

/** aws-jwt-verify with the JWKS cached up front. */
function awsJwtHandler(jwks: { keys: JsonWebKey[] }): RequestHandler {
  const aws = cachedAwsVerifier(jwks);
  return (req, res, next) => {
    aws.verify(bearer(req.headers.authorization)).then(
      (payload) => {
        (res.locals as Locals).sub = payload.sub;
        next();
      },
      () => {
        refuse(res);
      },
    );
  };
}

/** The decode-verify sample most Cognito tutorials copy: PEM built from the JWK on each call. */
async function sampleHandler(jwks: { keys: JsonWebKey[] }): Promise<RequestHandler> {
  const { default: jwt } = await import("jsonwebtoken");
  const { default: jwkToPem } = await import("jwk-to-pem");
  const jwkByKid = new Map(jwks.keys.map((k) => [String(k.kid), k]));
  const sampleSub = (token: string): string | undefined => {
    const decoded = jwt.decode(token, { complete: true });
    const jwk = jwkByKid.get(String(decoded?.header.kid));
    if (jwk === undefined) return undefined;
    const pem = jwkToPem(jwk as JwkToPem.JWK);
    const payload = jwt.verify(token, pem, { algorithms: ["RS256"], issuer: ISSUER });
    if (typeof payload === "string" || payload.token_use !== "access") return undefined;
    return payload.client_id === CLIENT_ID ? payload.sub : undefined;
  };
  return (req, res, next) => {
    let sub: string | undefined;
    try {
      sub = sampleSub(bearer(req.headers.authorization));
    } catch {
      sub = undefined;
    }
    if (sub === undefined) {
      refuse(res);
      return;
    }
    (res.locals as Locals).sub = sub;
    next();
  };
}

/** Same length as a real `sub`, so every route answers the same number of bytes. */
const OPEN_SUB = "00000000-0000-4000-8000-000000000000";

/** Builds the bench app: one open route and the same route behind the other verifiers. */
async function benchApp(jwks: { keys: JsonWebKey[] }) {
  const { default: express } = await import("express");
  const answer: RequestHandler = (req, res) => {
    res.json({ sub: req.auth?.sub ?? (res.locals as Locals).sub ?? OPEN_SUB });
  };
  const app = express();
  app.disable("x-powered-by");
  app.get("/open", answer);
  app.get("/ours", await oursHandler(jwks), answer);
  app.get("/raw", await rawHandler(jwks), answer);
  app.get("/awsjwt", awsJwtHandler(jwks), answer);
  app.get("/sample", await sampleHandler(jwks), answer);
  return app;
}

/** Serves the bench app; a "gc" message runs a full collection and answers "gc-done". */
async function serve(jwksPath: string): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const jwks = JSON.parse(readFileSync(jwksPath, "utf8")) as { keys: JsonWebKey[] };
  await serveToParent(await benchApp(jwks), (message) => {
    if (message !== "gc") return;
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.("gc-done");
  });
}

/** Serves the fake Cognito; a "calls" message answers its calls per operation. */
async function serveFake(tokenFile: string): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const fake = await startFakeCognito({ accessToken: readFileSync(tokenFile, "utf8").trim() });
  reportToParent(
    Number(new URL(fake.url).port),
    () => fake.close(),
    (message) => {
      if (message === "calls") process.send?.({ calls: Object.fromEntries(fake.calls) });
    },
  );
}

if (require.main === module) {
  const [mode, file] = process.argv.slice(2);
  const run = mode === "serve" ? serve : mode === "fake" ? serveFake : undefined;
  if (run === undefined || file === undefined) {
    process.stderr.write(
      "usage: node --import tsx tools/bench-http.ts serve <jwks.json> | fake <token-file>\n",
    );
    process.exit(2);
  }
  runMain(() => run(file), { exit: false });
}
