/**
 * The shared-state rows of `npm run bench` (also runnable alone: `npx tsx tools/bench-redis.ts`),
 * against a redis-server this script starts (loopback, no persistence):
 *
 *   1. verify throughput with the Redis revocation store (its in-memory mirror) against the
 *      memory store, same tokens, same 10,000 revocations, rounds interleaved;
 *   2. propagation of 1,000 logouts from instance A to instance B (two connections, as two
 *      gateways have): from the start of the logout's writes on A until B refuses the token;
 *   3. Redis memory per revocation entry (INFO used_memory before and after 10,000 of each kind).
 */
import { performance } from "node:perf_hooks";
import { StaticKeyStore } from "../src/auth/keys";
import { MemoryRevocationStore, type RevocationStore } from "../src/auth/revocation";
import { createVerifier } from "../src/auth/verifier";
import { systemClock } from "../src/clock";
import { createLogger } from "../src/logger";
import { resolveRedisOptions } from "../src/stores/redis-options";
import { openSharedState, type SharedState } from "../src/stores/shared";
import { startRedis, type TestRedis } from "./lib/redis";
import { fixed, renderSection, resultPairs, whole, type Row, type Section } from "./lib/report";
import { median, percentile } from "./lib/stats";
import { CLIENT_ID, ISSUER, mintAccessTokens, signingKey } from "./lib/tokens";

/** What {@link runRedisBench} measured. */
export interface RedisBenchResult {
  /** Verifications per second (cache hits, revocation checked each time), medians over rounds. */
  readonly verifyMemory: number;
  readonly verifyRedis: number;
  /** Median over rounds of Redis store / memory store. */
  readonly verifyRatio: number;
  /** Logout propagation A → B, ms. */
  readonly propagation: {
    readonly n: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Redis bytes per entry (used_memory delta / entries). */
  readonly bytesPerToken: number;
  readonly bytesPerSubject: number;
}

/** Options: rounds and sizes (the quick run uses fewer). */
export interface RedisBenchOptions {
  readonly rounds: number;
  readonly roundMs: number;
  readonly logouts: number;
  readonly log: (line: string) => void;
}

export const GOALS = { verifyRatio: 0.95, propagationP99Ms: 100 } as const;

const DEPS = { clock: systemClock, clockSkewSeconds: 5, retryAfterSeconds: 5 };

export async function runRedisBench(options: RedisBenchOptions): Promise<RedisBenchResult> {
  const redis = await startRedis();
  const opened: SharedState[] = [];
  const open = async (prefix: string) => {
    const shared = openSharedState(resolveRedisOptions({ url: redis.url, keyPrefix: prefix }), {
      ...DEPS,
      logger: createLogger({ level: "silent" }),
    });
    opened.push(shared);
    const deadline = Date.now() + 10_000;
    while (!(shared.health().ready && shared.health().status === "ok")) {
      if (Date.now() > deadline) throw new Error("redis-server not ready");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return shared;
  };
  try {
    options.log("  verify: memory store vs Redis store (mirror), 10,000 revocations each");
    const verify = await verifyRatio(await open("bench-verify:"), options);
    options.log(`  propagation of ${String(options.logouts)} logouts between two connections`);
    const propagation = await propagate(
      await open("bench-prop:"),
      await open("bench-prop:"),
      options,
    );
    options.log("  Redis memory per entry");
    const memory = await bytesPerEntry(redis, await open("bench-mem:"));
    return { ...verify, propagation, ...memory };
  } finally {
    await Promise.all(opened.map((shared) => shared.close()));
    await redis.stop();
  }
}

async function verifyRatio(shared: SharedState, options: RedisBenchOptions) {
  const key = signingKey();
  const tokens = mintAccessTokens(key, 2000);
  const memory = new MemoryRevocationStore(DEPS);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  for (let i = 0; i < 10_000; i++) {
    memory.revokeToken(`revoked-${String(i)}`, exp);
    void shared.revocations.revokeToken(`revoked-${String(i)}`, exp);
  }
  await shared.revocations.flush();
  const verifierOf = (revocations: RevocationStore) =>
    createVerifier({
      issuer: ISSUER,
      clientId: CLIENT_ID,
      tokenUse: "access",
      keys: new StaticKeyStore(key.jwks),
      revocations,
    });
  const runs = { memory: [] as number[], redis: [] as number[] };
  const verifiers = { memory: verifierOf(memory), redis: verifierOf(shared.revocations) };
  for (const v of Object.values(verifiers)) for (const t of tokens) void v.check(t); // warm caches
  for (let round = 0; round < options.rounds; round++) {
    // Alternate which goes first, so drift within a round does not favour one.
    const order = round % 2 === 0 ? (["memory", "redis"] as const) : (["redis", "memory"] as const);
    for (const name of order) runs[name].push(opsPerSec(verifiers[name], tokens, options.roundMs));
    options.log(
      `    round ${String(round + 1)}: memory ${whole(runs.memory[round] ?? NaN)}/s, redis ${whole(runs.redis[round] ?? NaN)}/s`,
    );
  }
  const ratios = runs.redis.map((r, i) => r / (runs.memory[i] ?? NaN));
  return {
    verifyMemory: median(runs.memory),
    verifyRedis: median(runs.redis),
    verifyRatio: median(ratios),
  };
}

function opsPerSec(verifier: { check(token: string): unknown }, tokens: string[], ms: number) {
  let ops = 0;
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    for (let i = 0; i < 1000; i++) {
      const outcome = verifier.check(tokens[(ops + i) % tokens.length] ?? "");
      if (outcome instanceof Error) throw outcome;
    }
    ops += 1000;
    now = performance.now();
  }
  return (ops * 1000) / (now - started);
}

/** Logouts written as the route writes them (jti, origin_jti, subject cutoff) on A; B polled. */
async function propagate(a: SharedState, b: SharedState, options: RedisBenchOptions) {
  const latencies: number[] = [];
  const nowSec = () => Math.floor(Date.now() / 1000);
  for (let i = 0; i < options.logouts; i++) {
    const claims = { jti: `jti-${String(i)}`, sub: `sub-${String(i)}`, iat: nowSec() - 60 };
    const started = performance.now();
    void Promise.all([
      a.revocations.revokeToken(claims.jti, nowSec() + 3600),
      a.revocations.revokeToken(`origin-${String(i)}`, nowSec() + 86_400),
      a.revocations.revokeSubject(claims.sub, nowSec(), nowSec() + 86_400),
    ]);
    while (!b.revocations.isRevoked(claims)) {
      await new Promise((resolve) => setImmediate(resolve));
      if (performance.now() - started > 5000) throw new Error("a logout did not propagate in 5 s");
    }
    latencies.push(performance.now() - started);
  }
  return {
    n: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

async function bytesPerEntry(redis: TestRedis, shared: SharedState) {
  const used = async () => {
    const info = await redis.cli(["INFO", "memory"]);
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  };
  const n = 10_000;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const measure = async (write: (i: number) => Promise<void>) => {
    const before = await used();
    for (let i = 0; i < n; i += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, j) => write(i + j)));
    }
    await shared.revocations.flush();
    return ((await used()) - before) / n;
  };
  // Realistic ids: a UUID jti, a UUID sub.
  const uuid = (i: number) => `5e6f7a8b-3333-4333-8333-${String(i).padStart(12, "0")}`;
  const bytesPerToken = await measure((i) => shared.revocations.revokeToken(uuid(i), exp));
  const bytesPerSubject = await measure((i) =>
    shared.revocations.revokeSubject(uuid(i), exp - 3600, exp),
  );
  return { bytesPerToken, bytesPerSubject };
}

/** Section 7 of the bench report (a table under no heading of its own), with its goals. */
export function redisSection(result: RedisBenchResult): Section {
  const p = result.propagation;
  const rows: Row[] = [
    {
      cells: [
        "verify, cache hit, revocation checked (Redis store: in-memory mirror)",
        `${whole(result.verifyRedis)}/s`,
        `**${fixed(result.verifyRatio, 2)}× the memory store** (${whole(result.verifyMemory)}/s)`,
      ],
      goal: {
        name: "redis verify",
        value: result.verifyRatio,
        op: "≥",
        bound: GOALS.verifyRatio,
        unit: "×",
      },
      result: { redis_verify_ratio: fixed(result.verifyRatio, 3) },
    },
    {
      cells: [
        `logout propagation A → B (${String(p.n)} logouts, 3 entries each)`,
        `p50 ${fixed(p.p50, 2)} ms, p99 ${fixed(p.p99, 2)} ms, max ${fixed(p.max, 1)} ms`,
        "from the first write on A to B refusing the token",
      ],
      goal: {
        name: "redis propagation",
        value: p.p99,
        op: "≤",
        bound: GOALS.propagationP99Ms,
        unit: " ms",
        of: "p99 ",
      },
      result: {
        redis_propagation_p50_ms: fixed(p.p50, 2),
        redis_propagation_p99_ms: fixed(p.p99, 2),
      },
    },
    {
      cells: [
        "Redis memory per revocation entry",
        `token ${whole(result.bytesPerToken)} B, subject ${whole(result.bytesPerSubject)} B`,
        "INFO used_memory delta over 10,000 entries of each kind",
      ],
    },
  ];
  const head = ["shared state on Redis", "measured", "same-run baseline"];
  return { blocks: [{ head, noGoal: "—", rows }] };
}

if (require.main === module) {
  const quick = process.argv.includes("--quick");
  runRedisBench({
    rounds: quick ? 7 : 21,
    roundMs: 250,
    logouts: quick ? 200 : 1000,
    log: (line) => process.stderr.write(`${line}\n`),
  })
    .then((result) => {
      const section = redisSection(result);
      process.stdout.write(`${renderSection(section)}\n\n${resultPairs([section]).join(" ")}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    });
}
