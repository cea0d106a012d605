/**
 * The load generator of the HTTP benches: one autocannon run charged to the server's CPU time,
 * tokens cycled through, and the rotating order of variants within a round.
 */
import autocannon from "autocannon";
import { cpuSeconds } from "./proc";

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

/**
 * Order of the variants in a round: rotated by one each round and reversed every other round,
 * so no variant always follows the same one.
 */
export function roundOrder(count: number, round: number): number[] {
  const order = Array.from({ length: count }, (_, k) => (k + round) % count);
  return round % 2 === 1 ? order.reverse() : order;
}
