/**
 * The bench's shared pieces under the names the bench scripts know them by. Every one lives in
 * `tools/lib/` (one implementation each); this file only re-exports, so bench scripts written
 * against it keep compiling. New code imports `tools/lib` directly.
 */
import { send, type SendInit } from "./lib/http";

export { fixed, markdownTable, whole } from "./lib/report";
export { median, pairedMedian, percentile, ratio } from "./lib/stats";
export { cpuSeconds, mainThreadCpuSeconds, memoryMb } from "./lib/proc";
export { freePort, waitFor200, type Answer } from "./lib/http";
export { startFakeCognito, type FakeCognito } from "./lib/fake-cognito";
export {
  childEnv,
  installChildCleanup,
  sleep,
  startChild,
  stopAllChildren,
  type Child,
} from "./lib/processes";
export {
  CLIENT_ID as BENCH_CLIENT_ID,
  CLIENT_SECRET as BENCH_CLIENT_SECRET,
  ISSUER as BENCH_ISSUER,
  POOL_ID as BENCH_POOL_ID,
  mintAccessToken,
  mintAccessTokens,
  signingKey as createBenchKey,
  type SigningKey as BenchKey,
} from "./lib/tokens";

/** {@link send}, answering the body as text (what the bench compares and prints). */
export async function request(
  url: string,
  init: SendInit & { body?: string } = {},
): Promise<{ status: number; body: string }> {
  const answer = await send(url, { ...init, raw: init.body ?? init.raw });
  return { status: answer.status, body: answer.text };
}
