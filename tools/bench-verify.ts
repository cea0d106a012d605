/**
 * Verification throughput, in one process with one RSA-2048 key: the raw `crypto.verify` limit,
 * aws-jwt-verify, the usual jwk-to-pem + jsonwebtoken sample, jsonwebtoken with a KeyObject, and
 * this gateway's verifier (miss, hit, rejections).
 *
 *   npx tsx tools/bench-verify.ts [--duration-ms 2000] [--rounds 3] [--tokens 2000]
 *
 * After a warm-up, each round gives every case ~2 s in short slices taken in turn (so drift in
 * machine load spreads over all cases alike); the median of the rounds is reported.
 */
import { verify, type JsonWebKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import jwkToPem from "jwk-to-pem";
import { MemoryRevocationStore } from "../src/auth/revocation";
import { StaticKeyStore } from "../src/auth/keys";
import { GatewayError } from "../src/errors";
import { createVerifier, type TokenVerifier, type VerifyOutcome } from "../src/auth/verifier";
import {
  fixed,
  renderSection,
  resultPairs,
  times,
  whole,
  type Goal,
  type Row,
  type Section,
} from "./lib/report";
import { cachedAwsVerifier } from "./lib/aws-jwt-verify";
import { cycler } from "./lib/load";
import { median } from "./lib/stats";
import {
  CLIENT_ID,
  ISSUER,
  POOL_ID,
  mintAccessToken,
  mintAccessTokens,
  signingKey,
} from "./lib/tokens";

/** Options of {@link runVerifyBench}. */
export interface VerifyBenchOptions {
  /** Measuring time per case and round. Default 2000 ms. */
  durationMs?: number;
  /** Rounds; the median is reported. Default 3. */
  rounds?: number;
  /** Distinct tokens minted for the miss paths. Default 2000. */
  distinctTokens?: number;
  /** Progress output. Default: none. */
  log?: (line: string) => void;
  /** Only these cases (by name), plus "raw" and "aws-jwt-verify" which the ratios need. */
  only?: readonly string[];
}

/** One measured case. */
export interface VerifyBenchCase {
  readonly name: string;
  readonly description: string;
  /** Median over the rounds. */
  readonly opsPerSec: number;
  readonly samples: readonly number[];
  readonly vsRaw: number;
  readonly vsAwsJwtVerify: number;
}

/** All cases, plus the ratios the gateway's goals are stated in. */
export interface VerifyBenchResult {
  readonly cases: readonly VerifyBenchCase[];
  /** Ours, distinct tokens (cache misses) ÷ aws-jwt-verify. Goal ≥ 1.05. */
  readonly missVsAwsJwt: number;
  /** Ours, a reused token (cache hits) ÷ aws-jwt-verify. Goal ≥ 12. */
  readonly hitVsAwsJwt: number;
  /** Slowest of the malformed, unknown-kid and expired rejections ÷ raw verify. Goal ≥ 5. */
  readonly rejectVsRaw: number;
}

interface Fixture {
  readonly jwk: JsonWebKey;
  readonly publicKey: KeyObject;
  readonly tokens: readonly string[];
  readonly expired: string;
  readonly unknownKid: string;
  readonly badSignature: string;
  readonly malformed: string;
}

/** Realistic Cognito access tokens (about 1 KB), distinct by `jti`, and refused variants. */
function mintTokens(count: number): Fixture {
  const key = signingKey();
  const tokens = mintAccessTokens(key, count);
  const first = tokens[0] ?? "";
  const flipped = first.endsWith("A") ? "Q" : "A"; // keeps the encoding canonical
  return {
    jwk: key.jwk,
    publicKey: key.publicKey,
    tokens,
    expired: mintAccessToken(key, count, -3600), // exp an hour ago
    unknownKid: mintAccessToken({ ...key, kid: "not-pinned" }, count + 1),
    badSignature: `${first.slice(0, first.length - 6)}AAAAA${flipped}`,
    malformed: `${first.slice(0, 40)}!${first.slice(41)}`,
  };
}

type Op = () => unknown;

interface CaseSpec {
  readonly name: string;
  readonly description: string;
  /** Called once per operation; a returned promise is awaited. */
  readonly make: () => Op;
  readonly async: boolean;
}

/** Requires a synchronous acceptance from `check()`: anything else makes the bench invalid. */
function accepted(outcome: VerifyOutcome | Promise<VerifyOutcome>): VerifyOutcome {
  if (outcome instanceof Promise || outcome instanceof GatewayError) {
    throw new Error("bench: a valid token was not accepted synchronously");
  }
  return outcome;
}

/** Runs `op` and requires a refusal: a rejection case that accepted would be a bug. */
function refused(op: () => VerifyOutcome | Promise<VerifyOutcome>): Op {
  return () => {
    const outcome = op();
    if (!(outcome instanceof GatewayError)) throw new Error("bench: a bad token was accepted");
    return outcome;
  };
}

function ourVerifier(fixture: Fixture, cache: false | { maxEntries: number }): TokenVerifier {
  const revocations = new MemoryRevocationStore();
  revocations.revokeToken("some-other-token", Date.now() / 1000 + 3600); // realistic: not empty
  return createVerifier({
    userPoolId: POOL_ID,
    clientId: CLIENT_ID,
    tokenUse: "access",
    keys: new StaticKeyStore({ keys: [fixture.jwk] }),
    revocations,
    cache,
  });
}

function syncCase(name: string, description: string, make: () => Op): CaseSpec {
  return { name, description, make, async: false };
}

/** The libraries' cases: the raw `crypto.verify` limit, aws-jwt-verify, the samples. */
function baselineCases(f: Fixture): CaseSpec[] {
  const split = f.tokens.map((t) => {
    const dot = t.lastIndexOf(".");
    return { data: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), "base64url") };
  });
  const aws = cachedAwsVerifier({ keys: [f.jwk] });
  const opts: jwt.VerifyOptions = { algorithms: ["RS256"], issuer: ISSUER };
  return [
    syncCase("raw", "crypto.verify + cached KeyObject only", () => {
      const next = cycler(split);
      return () => {
        const { data, sig } = next();
        return verify("RSA-SHA256", data, f.publicKey, sig);
      };
    }),
    syncCase("aws-jwt-verify", "CognitoJwtVerifier + cacheJwks + verifySync", () => {
      const next = cycler(f.tokens);
      return () => aws.verifySync(next());
    }),
    syncCase("jwk-to-pem+jsonwebtoken", "jwkToPem(jwk) each call + jwt.verify", () => {
      const next = cycler(f.tokens);
      return () => jwt.verify(next(), jwkToPem(f.jwk as jwkToPem.JWK), opts);
    }),
    syncCase("jsonwebtoken+KeyObject", "jwt.verify with a cached KeyObject", () => {
      const next = cycler(f.tokens);
      return () => jwt.verify(next(), f.publicKey, opts);
    }),
  ];
}

/** Our verifier accepting: cache misses and hits, through `verify()` and `check()`. */
function acceptCases(f: Fixture): CaseSpec[] {
  // Cache smaller than the token set, cycled in order: every lookup misses, eviction included.
  const missVerifier = ourVerifier(f, { maxEntries: Math.max(1, Math.floor(f.tokens.length / 2)) });
  const hitVerifier = ourVerifier(f, { maxEntries: 10_000 });
  const hitToken = f.tokens[0] ?? "";
  return [
    {
      name: "ours miss",
      description: "verify(), distinct tokens, cache cycled beyond capacity",
      async: true,
      make: () => {
        const next = cycler(f.tokens);
        return () => missVerifier.verify(next());
      },
    },
    syncCase("ours miss (check)", "check(), as the middleware calls it, same tokens", () => {
      const next = cycler(f.tokens);
      return () => accepted(missVerifier.check(next()));
    }),
    {
      name: "ours hit",
      description: "verify(), one reused token (revocation checked)",
      async: true,
      make: () => () => hitVerifier.verify(hitToken),
    },
    syncCase("ours hit (check)", "check(), as the middleware calls it", () => () => {
      return accepted(hitVerifier.check(hitToken));
    }),
    syncCase("ours hit (fresh string)", "check(), a new copy of the token string each time", () => {
      const bytes = Buffer.from(hitToken, "latin1");
      // An HTTP server builds a new header string per request: its hash is not cached yet.
      return () => accepted(hitVerifier.check(bytes.toString("latin1")));
    }),
  ];
}

/** Our verifier refusing, cheapest first; the bad signature needs the RSA operation. */
function rejectCases(f: Fixture): CaseSpec[] {
  const rejectVerifier = ourVerifier(f, false);
  const reject = (name: string, description: string, token: string) =>
    syncCase(name, description, () => refused(() => rejectVerifier.check(token)));
  return [
    reject("reject malformed", "check(): bad base64url character", f.malformed),
    reject("reject unknown kid", "check(): kid not pinned", f.unknownKid),
    reject("reject expired", "check(): exp an hour ago", f.expired),
    reject("reject bad signature", "check(): needs the RSA operation", f.badSignature),
  ];
}

function caseSpecs(f: Fixture): CaseSpec[] {
  return [...baselineCases(f), ...acceptCases(f), ...rejectCases(f)];
}

const BATCH = 64;
/** Each round gives every case its time in this many interleaved slices. */
const SLICES = 8;

interface Tally {
  ops: number;
  ms: number;
}

/** Runs `op` for about `durationMs` and adds what it did to `tally`. */
async function measureSlice(
  spec: CaseSpec,
  op: Op,
  durationMs: number,
  tally: Tally,
): Promise<void> {
  const start = performance.now();
  const deadline = start + durationMs;
  let now = start;
  while (now < deadline) {
    if (spec.async) {
      for (let i = 0; i < BATCH; i++) await op();
    } else {
      for (let i = 0; i < BATCH; i++) op();
    }
    tally.ops += BATCH;
    now = performance.now();
  }
  tally.ms += now - start;
}

/**
 * One round: every case gets `durationMs` in total, in slices taken in turn, so a change of
 * machine load during the round hits all cases alike. Returns ops/s per case.
 */
async function runRound(specs: readonly CaseSpec[], ops: readonly Op[], durationMs: number) {
  const tallies = specs.map((): Tally => ({ ops: 0, ms: 0 }));
  for (let slice = 0; slice < SLICES; slice++) {
    for (const [i, spec] of specs.entries()) {
      await measureSlice(spec, ops[i] as Op, durationMs / SLICES, tallies[i] as Tally);
    }
  }
  return tallies.map((t) => t.ops / (t.ms / 1000));
}

/** Checks every case once outside the timing: the accepting ones must accept. */
async function selfCheck(specs: readonly CaseSpec[]): Promise<void> {
  for (const spec of specs) {
    const result = await spec.make()();
    if (result === false) throw new Error(`bench: case ${spec.name} failed its self-check`);
  }
}

/** Runs all cases and returns their medians and the goal ratios. */
export async function runVerifyBench(options: VerifyBenchOptions = {}): Promise<VerifyBenchResult> {
  const durationMs = options.durationMs ?? 2000;
  const rounds = options.rounds ?? 3;
  const log = options.log ?? (() => undefined);
  log(`minting ${options.distinctTokens ?? 2000} tokens…`);
  const only = options.only;
  const specs = caseSpecs(mintTokens(options.distinctTokens ?? 2000)).filter(
    (spec) => only === undefined || [...only, "raw", "aws-jwt-verify"].includes(spec.name),
  );
  await selfCheck(specs);
  const ops = specs.map((s) => s.make());
  const samples = specs.map((): number[] => []);
  await runRound(specs, ops, durationMs / 4); // warm-up: JIT, caches, key objects
  for (let round = 1; round <= rounds; round++) {
    const rates = await runRound(specs, ops, durationMs);
    for (const [i, rate] of rates.entries()) samples[i]?.push(rate);
    log(`round ${round}/${rounds}: ${rates.map((r) => Math.round(r)).join(" ")}`);
  }
  return summarize(specs, samples);
}

/**
 * Medians over the rounds. Ratios are taken within each round first (both cases ran under the
 * same load), then their median is reported.
 */
function summarize(specs: readonly CaseSpec[], samples: readonly number[][]): VerifyBenchResult {
  const rounds = samples[0]?.length ?? 0;
  const series = (name: string): number[] =>
    samples[specs.findIndex((s) => s.name === name)] ?? Array<number>(rounds).fill(NaN);
  const ratio = (top: readonly number[], bottom: readonly number[]): number =>
    median(top.map((value, round) => value / (bottom[round] ?? NaN)));
  const raw = series("raw");
  const aws = series("aws-jwt-verify");
  const cases = specs.map((spec, i) => ({
    name: spec.name,
    description: spec.description,
    opsPerSec: median(samples[i] ?? []),
    samples: samples[i] ?? [],
    vsRaw: ratio(samples[i] ?? [], raw),
    vsAwsJwtVerify: ratio(samples[i] ?? [], aws),
  }));
  const rejects = ["reject malformed", "reject unknown kid", "reject expired"].map(series);
  const slowestReject = raw.map((_, round) => Math.min(...rejects.map((r) => r[round] ?? NaN)));
  return {
    cases,
    missVsAwsJwt: ratio(series("ours miss"), aws),
    hitVsAwsJwt: ratio(series("ours hit"), aws),
    rejectVsRaw: ratio(slowestReject, raw),
  };
}

/** Goals of issue #4 on the ratios of {@link VerifyBenchResult}. */
export const VERIFY_GOALS = { missVsAwsJwt: 1.05, hitVsAwsJwt: 12, rejectVsRaw: 5 } as const;

/** The goal rows of the case table: the one on each case name. */
function caseGoal(result: VerifyBenchResult, name: string): Goal | undefined {
  const vsAws = (goal: string, value: number, bound: number): Goal => {
    return { name: goal, value, op: "≥", bound, unit: "× aws-jwt-verify" };
  };
  if (name === "ours miss")
    return vsAws("verify miss", result.missVsAwsJwt, VERIFY_GOALS.missVsAwsJwt);
  if (name === "ours hit") return vsAws("verify hit", result.hitVsAwsJwt, VERIFY_GOALS.hitVsAwsJwt);
  return undefined;
}

/** The `RESULT` keys of the case rows. */
const CASE_RESULTS: Record<string, (result: VerifyBenchResult) => Record<string, string>> = {
  "ours miss": (r) => ({ verify_miss_vs_awsjwt: fixed(r.missVsAwsJwt, 2) }),
  "ours hit": (r) => ({ verify_hit_vs_awsjwt: fixed(r.hitVsAwsJwt, 1) }),
};

/** Section 1 of the bench report: every case, and the slowest rejection against raw verify. */
export function verifySection(
  result: VerifyBenchResult,
  plan: { readonly rounds: number; readonly durationMs: number },
): Section {
  const rows: Row[] = result.cases.map((c) => ({
    cells: [c.name, whole(c.opsPerSec), times(c.vsRaw), times(c.vsAwsJwtVerify)],
    goal: caseGoal(result, c.name),
    notes: [c.description],
    result: CASE_RESULTS[c.name]?.(result),
  }));
  rows.push({
    cells: [
      "slowest rejection (malformed, unknown kid, expired)",
      "",
      times(result.rejectVsRaw),
      "",
    ],
    goal: {
      name: "rejections",
      value: result.rejectVsRaw,
      op: "≥",
      bound: VERIFY_GOALS.rejectVsRaw,
      unit: "× raw",
    },
    notes: ["min over the three cases"],
    result: { reject_vs_raw: fixed(result.rejectVsRaw, 1) },
  });
  return {
    title: `### 1. Verification in process (median of ${String(plan.rounds)} × ${String(plan.durationMs)} ms, RSA-2048, Cognito-shaped access tokens)`,
    blocks: [{ head: ["case", "ops/s", "vs raw", "vs aws-jwt-verify"], notesHead: ["what"], rows }],
  };
}

function flag(args: readonly string[], name: string): number | undefined {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** `--only "a,b"`: a comma-separated list. */
function listFlag(args: readonly string[], name: string): string[] | undefined {
  const at = args.indexOf(name);
  const value = at >= 0 ? args[at + 1] : undefined;
  return value === undefined ? undefined : value.split(",").map((item) => item.trim());
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const plan = {
    durationMs: flag(args, "--duration-ms") ?? 2000,
    rounds: flag(args, "--rounds") ?? 3,
  };
  const result = await runVerifyBench({
    ...plan,
    distinctTokens: flag(args, "--tokens"),
    only: listFlag(args, "--only"),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const section = verifySection(result, plan);
  process.stdout.write(`${renderSection(section)}\n\nRESULT ${resultPairs([section]).join(" ")}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
