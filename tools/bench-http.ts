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
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { verify as verifySignature, type JsonWebKey, type KeyObject } from "node:crypto";
import {
  InitiateAuthCommand,
  SignUpCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import autocannon from "autocannon";
import type { RequestHandler, Response } from "express";
import type JwkToPem from "jwk-to-pem";
import { send, freePort, waitFor200, type Answer } from "./lib/http";
import { cpuSeconds, mainThreadCpuSeconds, memoryMb } from "./lib/proc";
import { childEnv, sleep, startChild, type Child } from "./lib/processes";
import { median, pairedMedian, percentile, ratio } from "./lib/stats";
import { CLIENT_ID, CLIENT_SECRET, ISSUER, POOL_ID, type SigningKey } from "./lib/tokens";
import { startFakeCognito } from "./lib/fake-cognito";

const ROOT = resolve(__dirname, "..");

/** A load-generator run: what it got and what the server spent. */
export interface LoadRun {
  /** 2xx answers per second. */
  readonly rate: number;
  readonly ok: number;
  readonly elapsedSec: number;
  /** Server CPU time (user + system) per answer, µs. */
  readonly cpuUsPerReq: number;
  /** Server CPU seconds per wall second (1 = one core busy). */
  readonly serverBusy: number;
  /** autocannon's latency (1 ms resolution). */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationSec: number;
  /** The bearer token of each request, called once per request. */
  readonly token: () => string;
  /** Process whose CPU time is charged to the run. */
  readonly serverPid: number;
}

/** One autocannon run; throws unless every answer was 2xx with no errors or timeouts. */
export async function load(spec: LoadSpec): Promise<LoadRun> {
  const cpuBefore = cpuSeconds(spec.serverPid);
  const started = performance.now();
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSec,
    timeout: 10,
    requests: [
      {
        method: "GET",
        // Every variant rebuilds its request with a token, so the client's cost is the same
        // for all of them (the open route ignores the header).
        setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${spec.token()}` } }),
      },
    ],
  });
  const elapsedSec = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(spec.serverPid) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `bench: ${spec.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  const ok = result["2xx"];
  return {
    rate: ok / elapsedSec,
    ok,
    elapsedSec,
    cpuUsPerReq: (cpu * 1e6) / ok,
    serverBusy: cpu / elapsedSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/** Cycles through `items`. */
export function cycler<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new RangeError("cycler: nothing to cycle through");
  let i = 0;
  return () => {
    const item = items[i] as T;
    i = i + 1 === items.length ? 0 : i + 1;
    return item;
  };
}

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

/**
 * Starts `node --import tsx <script> <mode> <file>` (by default this file) and waits for the
 * port it reports over IPC (bounded), so no port can be taken between choosing and binding it.
 */
export async function startIpcChild(
  name: string,
  mode: string,
  file: string,
  nodeFlags: readonly string[],
  script: string = __filename,
): Promise<{ child: Child; url: string }> {
  const child = startChild(
    name,
    process.execPath,
    [...nodeFlags, "--import", "tsx", script, mode, file],
    { cwd: ROOT, env: childEnv({ NODE_ENV: "production" }), ipc: true },
  );
  const message = await Promise.race([
    once(child.process, "message").then(([value]) => value as unknown),
    child.exited.then(() => undefined),
    sleep(30_000, undefined),
  ]);
  const port = (message as { port?: unknown } | undefined)?.port;
  if (typeof port !== "number") {
    await child.stop();
    throw new Error(`bench: the ${name} did not start:\n${child.stderrTail()}`);
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

/** Asks the fake Cognito child how many calls of each operation it answered. */
async function fakeCalls(fake: Child): Promise<Record<string, number>> {
  const answer = once(fake.process, "message").then(([value]) => value as unknown);
  fake.process.send("calls");
  const message = await Promise.race([answer, sleep(2000, undefined)]);
  const calls = (message as { calls?: unknown } | undefined)?.calls;
  return typeof calls === "object" && calls !== null ? (calls as Record<string, number>) : {};
}

/**
 * Order of the variants in a round: rotated by one each round and reversed every other round,
 * so no variant always follows the same one.
 */
export function roundOrder(count: number, round: number): number[] {
  const order = Array.from({ length: count }, (_, k) => (k + round) % count);
  return round % 2 === 1 ? order.reverse() : order;
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
  const { child, url } = await startIpcChild("bench server", "serve", jwks.path, [
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
  /** RSS: connections (200), warm-up and measuring seconds. */
  readonly rss: { connections: number; warmupSec: number; durationSec: number };
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

export interface ProductBenchResult {
  readonly rss: {
    readonly idleMb: number;
    /** VmHWM after the 200-connection run: the highest RSS ever, between samples included. */
    readonly peakMb: number;
    /** RSS when the load stopped. */
    readonly endMb: number;
    readonly rate: number;
    readonly p99Ms: number;
  };
  /** The same measured on the sources run through tsx, as `npm start` did before #8. */
  readonly rssSources: ProductBenchResult["rss"];
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

/** How the standalone server runs: compiled (`npm start`) or its sources through tsx (before #8). */
type ServerBuild = "compiled" | "sources";
const SERVER_ARGS: Record<ServerBuild, readonly string[]> = {
  compiled: ["dist/cjs/server.js"],
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

/** {@link measureRss} of the sources run through tsx (the baseline of the compiled server). */
async function sourcesRss(
  options: ProductBenchOptions,
  fakeUrl: string,
  jwksPath: string,
): Promise<ProductBenchResult["rss"]> {
  const sources = await startProduct(fakeUrl, jwksPath, options.nodeFlags ?? [], {}, "sources");
  try {
    await sleep(500);
    const rss = await measureRss(options, sources.child, sources.url);
    options.log(
      `  sources through tsx: RSS peak ${rss.peakMb.toFixed(1)} MB at ${Math.round(rss.rate)} req/s`,
    );
    return rss;
  } finally {
    await sources.child.stop();
  }
}

/** RSS of the server while 200 connections send distinct tokens to GET /auth/me. */
async function measureRss(
  options: ProductBenchOptions,
  child: Child,
  url: string,
): Promise<ProductBenchResult["rss"]> {
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

function latencyTargets(
  gatewayPid: number,
  gatewayUrl: string,
  fakeUrl: string,
  sdk: CognitoIdentityProviderClient,
  secretHash: string,
  agent: http.Agent,
): LatencyTarget[] {
  const json = { "content-type": "application/json" };
  const loginBody = JSON.stringify({ email: LOGIN_EMAIL, password: LOGIN_PASSWORD });
  const amz = (op: string) => ({
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": `AWSCognitoIdentityProviderService.${op}`,
  });
  const initiateInput = {
    ClientId: CLIENT_ID,
    AuthFlow: "USER_PASSWORD_AUTH" as const,
    AuthParameters: { USERNAME: LOGIN_EMAIL, PASSWORD: LOGIN_PASSWORD, SECRET_HASH: secretHash },
  };
  const signUpInput = {
    ClientId: CLIENT_ID,
    SecretHash: secretHash,
    Username: LOGIN_EMAIL,
    Password: LOGIN_PASSWORD,
    UserAttributes: [{ Name: "email", Value: LOGIN_EMAIL }],
  };
  const post = async (url: string, headers: Record<string, string>, body: string, ok: number) => {
    expectStatus(await send(url, { method: "POST", headers, raw: body, agent }), ok, url);
  };
  const gateway = () => mainThreadCpuSeconds(gatewayPid);
  const self = () => mainThreadCpuSeconds(process.pid);
  const targets: Omit<LatencyTarget, "cpu">[] = [
    {
      name: "GET /healthz via gateway",
      call: async () => {
        expectStatus(await send(`${gatewayUrl}/healthz`, { agent }), 200, "GET /healthz");
      },
    },
    {
      name: "login via gateway",
      call: () => post(`${gatewayUrl}/auth/login`, json, loginBody, 200),
    },
    {
      name: "InitiateAuth, AWS SDK direct",
      call: () => sdk.send(new InitiateAuthCommand(initiateInput)),
    },
    {
      name: "InitiateAuth, raw HTTP direct",
      call: () => post(`${fakeUrl}/`, amz("InitiateAuth"), JSON.stringify(initiateInput), 200),
    },
    {
      name: "register via gateway",
      call: () => post(`${gatewayUrl}/auth/register`, json, loginBody, 202),
    },
    { name: "SignUp, AWS SDK direct", call: () => sdk.send(new SignUpCommand(signUpInput)) },
    {
      name: "SignUp, raw HTTP direct",
      call: () => post(`${fakeUrl}/`, amz("SignUp"), JSON.stringify(signUpInput), 200),
    },
  ];
  return targets.map((t) => ({ ...t, cpu: t.name.endsWith("via gateway") ? gateway : self }));
}

/** Sections 3 and 4, plus reference throughput of the full app. */
export async function runProductBench(options: ProductBenchOptions): Promise<ProductBenchResult> {
  // The SDK client and SECRET_HASH exactly as the gateway builds them.
  const { createCognitoClient } = await import("../src/cognito/client");
  const { secretHash } = await import("../src/cognito/secret-hash");
  const jwks = writeJwks(options.key);
  // The fake runs in its own process: a direct SDK call then crosses a process boundary, as a
  // call to Cognito does, and is not flattered by sharing this process's event loop.
  const tokenFile = join(jwks.dir, "access-token.txt");
  writeFileSync(tokenFile, options.reusedToken);
  let fake: { child: Child; url: string } | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let sdk: CognitoIdentityProviderClient | undefined;
  let product: { child: Child; url: string } | undefined;
  try {
    fake = await startIpcChild("fake Cognito", "fake", tokenFile, []);
    sdk = createCognitoClient({
      region: "us-east-1",
      endpoint: fake.url,
      timeoutMs: 3000,
      maxAttempts: 2,
    });
    // The build `npm start` runs (prestart does the same).
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "ignore" });
    const rssSources = await sourcesRss(options, fake.url, jwks.path);
    product = await startProduct(fake.url, jwks.path, options.nodeFlags ?? []);
    const { child, url } = product;
    const me = await send(`${url}/auth/me`, {
      headers: { authorization: `Bearer ${options.reusedToken}` },
    });
    expectStatus(me, 200, "GET /auth/me");
    await sleep(500);
    options.log(`  RSS: ${options.rss.connections} connections on GET /auth/me, distinct tokens`);
    const rss = await measureRss(options, child, url);
    options.log(
      `  RSS idle ${rss.idleMb.toFixed(1)} MB, peak ${rss.peakMb.toFixed(1)} MB, end ${rss.endMb.toFixed(1)} MB at ${Math.round(rss.rate)} req/s`,
    );
    const throughput: { name: string; run: LoadRun }[] = [];
    const distinct = cycler(options.tokens);
    for (const [name, path, token] of [
      ["GET /healthz", "/healthz", distinct],
      ["GET /auth/me reused token", "/auth/me", () => options.reusedToken],
      ["GET /auth/me distinct tokens", "/auth/me", distinct],
    ] as const) {
      const spec = {
        url: `${url}${path}`,
        connections: options.throughput.connections,
        token,
        serverPid: child.pid,
      };
      await load({ ...spec, durationSec: options.throughput.warmupSec });
      const run = await load({ ...spec, durationSec: options.throughput.durationSec });
      throughput.push({ name, run });
      options.log(
        `  ${name}: ${Math.round(run.rate)} req/s, server ${Math.round(run.cpuUsPerReq)} µs/req`,
      );
    }
    options.log("  login/register latency, sequential");
    const targets = latencyTargets(
      child.pid,
      url,
      fake.url,
      sdk,
      secretHash(LOGIN_EMAIL, CLIENT_ID, CLIENT_SECRET),
      agent,
    );
    const latency = await measureLatency(targets, options.latency);
    const at = (name: string) => latency.find((l) => l.name === name);
    const diff = (a: string, b: string) => ({
      p50: (at(a)?.p50 ?? NaN) - (at(b)?.p50 ?? NaN),
      p99: (at(a)?.p99 ?? NaN) - (at(b)?.p99 ?? NaN),
      cpuUs: (at(a)?.cpuUs ?? NaN) - (at(b)?.cpuUs ?? NaN),
    });
    return {
      rss,
      rssSources,
      latency,
      overhead: {
        login: diff("login via gateway", "InitiateAuth, AWS SDK direct"),
        register: diff("register via gateway", "SignUp, AWS SDK direct"),
      },
      throughput,
      fakeCalls: await fakeCalls(fake.child),
    };
  } finally {
    await product?.child.stop();
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

/** Builds the bench app: one open route and the same route behind five verifiers. */
async function benchApp(jwks: { keys: JsonWebKey[] }) {
  const { default: express } = await import("express");
  const { CognitoJwtVerifier } = await import("aws-jwt-verify");
  const { default: jwt } = await import("jsonwebtoken");
  const { default: jwkToPem } = await import("jwk-to-pem");
  const { StaticKeyStore } = await import("../src/auth/keys");
  const { createGateway } = await import("../src/gateway");
  const { createLogger } = await import("../src/logger");
  type Handler = RequestHandler;

  const keys = new StaticKeyStore(jwks, "bench JWKS");
  const gateway = createGateway({
    userPoolId: POOL_ID,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    keys,
    logger: createLogger({ level: "silent" }),
    responseFloorMs: 0,
    responseJitterMs: 0,
    rateLimit: false,
  });
  const key = keys.get(keys.kids[0] ?? "") as KeyObject;
  const jwkByKid = new Map(jwks.keys.map((k) => [String(k.kid), k]));
  const bearer = (header: string | undefined) =>
    header?.startsWith("Bearer ") === true ? header.slice(7) : "";
  const refuse = (res: Response) => {
    res.status(401).json({ error: { code: "invalid_token" } });
  };

  const raw: Handler = (req, res, next) => {
    const token = bearer(req.headers.authorization);
    const dot = token.lastIndexOf(".");
    const signed = Buffer.from(token.slice(0, dot), "latin1");
    const signature = Buffer.from(token.slice(dot + 1), "base64url");
    if (dot > 0 && verifySignature("RSA-SHA256", signed, key, signature)) next();
    else refuse(res);
  };

  const aws = CognitoJwtVerifier.create({
    userPoolId: POOL_ID,
    tokenUse: "access",
    clientId: CLIENT_ID,
  });
  aws.cacheJwks(jwks as Parameters<typeof aws.cacheJwks>[0]);
  const awsJwt: Handler = (req, res, next) => {
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

  // The decode-verify sample most Cognito tutorials copy: PEM built from the JWK on each call.
  const sampleSub = (token: string): string | undefined => {
    const decoded = jwt.decode(token, { complete: true });
    const jwk = jwkByKid.get(String(decoded?.header.kid));
    if (jwk === undefined) return undefined;
    const pem = jwkToPem(jwk as JwkToPem.JWK);
    const payload = jwt.verify(token, pem, { algorithms: ["RS256"], issuer: ISSUER });
    if (typeof payload === "string" || payload.token_use !== "access") return undefined;
    return payload.client_id === CLIENT_ID ? payload.sub : undefined;
  };
  const sample: Handler = (req, res, next) => {
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

  const answer: Handler = (req, res) => {
    res.json({ sub: req.auth?.sub ?? (res.locals as Locals).sub ?? OPEN_SUB });
  };
  const app = express();
  app.disable("x-powered-by");
  app.get("/open", answer);
  app.get("/ours", gateway.requireAuth({ tokenUse: "access" }), answer);
  app.get("/raw", raw, answer);
  app.get("/awsjwt", awsJwt, answer);
  app.get("/sample", sample, answer);
  return app;
}

/** Same length as a real `sub`, so every route answers the same number of bytes. */
const OPEN_SUB = "00000000-0000-4000-8000-000000000000";

async function serve(jwksPath: string): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const jwks = JSON.parse(readFileSync(jwksPath, "utf8")) as { keys: JsonWebKey[] };
  const app = await benchApp(jwks);
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.once("disconnect", stop); // the bench died: do not linger
  process.on("message", (message) => {
    if (message !== "gc") return;
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.("gc-done");
  });
  process.send?.({ port: (server.address() as AddressInfo).port });
}

async function serveFake(tokenFile: string): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const fake = await startFakeCognito({ accessToken: readFileSync(tokenFile, "utf8").trim() });
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.once("disconnect", stop);
  process.on("message", (message) => {
    if (message === "calls") process.send?.({ calls: Object.fromEntries(fake.calls) });
  });
  process.send?.({ port: Number(new URL(fake.url).port) });
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
  run(file).catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
