/**
 * Timing audit (`npm run audit:timing`): can latency tell whether an account exists?
 *
 * Starts a local-mode gateway (embedded emulator, loopback, ephemeral ports, temporary data,
 * limits off, logs silent), creates one confirmed and one unconfirmed account, then sends
 * interleaved requests in random order for existing and unknown accounts on register, confirm,
 * confirm/resend, login, password/forgot and password/reset. For every existing-vs-unknown pair it prints the two-sample
 * Kolmogorov–Smirnov statistic D, its p-value and both medians. Exits 1 when a p-value is at
 * most 0.01 or a request got an unexpected status.
 *
 *   AUDIT_SAMPLES=200 AUDIT_CONCURRENCY=4 AUDIT_MAX_SECONDS=600 npm run audit:timing
 *   RESPONSE_FLOOR_MS=0 RESPONSE_JITTER_MS=0 npm run audit:timing   # negative control
 */
import { randomBytes, randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { configOf } from "../src/gateway";
import { createAccount, startTempGateway, type TempGateway } from "./lib/gateways";
import { intFromEnv, runPool, send } from "./lib/http";
import { ksTwoSample, median } from "./lib/stats";

const SAMPLES = intFromEnv("AUDIT_SAMPLES", 200, 10, 2000);
const CONCURRENCY = intFromEnv("AUDIT_CONCURRENCY", 4, 1, 64);
const MAX_SECONDS = intFromEnv("AUDIT_MAX_SECONDS", 600, 10, 3600);
const WARM_UP = 10;
const ALPHA = 0.01;
const PASSWORD = "Audit-Passw0rd!";
const WRONG_PASSWORD = "Wrong-Passw0rd!";
const WRONG_CODE = "00000000"; // eight digits: never equal to a six-digit code

type Route = "register" | "confirm" | "resend" | "login" | "forgot" | "reset";

/** One kind of request: its route, group, expected status and how to send it. */
interface Probe {
  route: Route;
  group: string;
  expected: number;
  send: (gw: TempGateway) => Promise<{ status: number; ms: number }>;
}

/** Which groups are compared: every existing-account group against the unknown one. */
const COMPARISONS: Readonly<Record<Route, readonly [string, string][]>> = {
  register: [
    ["new", "existing-confirmed"],
    ["new", "existing-unconfirmed"],
  ],
  confirm: [
    ["unknown", "existing-unconfirmed"],
    ["unknown", "existing-confirmed"],
  ],
  resend: [
    ["unknown", "existing-unconfirmed"],
    ["unknown", "existing-confirmed"],
  ],
  login: [
    ["unknown", "existing-confirmed"],
    ["unknown", "existing-unconfirmed"],
  ],
  forgot: [
    ["unknown", "existing-confirmed"],
    ["unknown", "existing-unconfirmed"],
  ],
  reset: [
    ["unknown", "existing-confirmed"],
    ["unknown", "existing-unconfirmed"],
  ],
};

function probes(confirmed: string, unconfirmed: string): Probe[] {
  const post = (route: Route, path: string, group: string, expected: number, body: () => object) =>
    ({
      route,
      group,
      expected,
      send: (gw: TempGateway) => send(`${gw.auth}${path}`, { json: body() }),
    }) satisfies Probe;
  const accounts = { "existing-confirmed": confirmed, "existing-unconfirmed": unconfirmed };
  const existing = Object.entries(accounts);
  return [
    post("register", "/register", "new", 202, () => ({
      email: unknownEmail(),
      password: PASSWORD,
    })),
    ...existing.map(([group, email]) =>
      post("register", "/register", group, 202, () => ({ email, password: PASSWORD })),
    ),
    ...[["unknown", ""] as const, ...existing].flatMap(([group, email]) => {
      const who = () => (email === "" ? unknownEmail() : email);
      return [
        post("confirm", "/confirm", group, 400, () => ({ email: who(), code: WRONG_CODE })),
        post("resend", "/confirm/resend", group, 202, () => ({ email: who() })),
        post("login", "/login", group, 401, () => ({ email: who(), password: WRONG_PASSWORD })),
        post("forgot", "/password/forgot", group, 202, () => ({ email: who() })),
        post("reset", "/password/reset", group, 400, () => ({
          email: who(),
          code: WRONG_CODE,
          password: PASSWORD,
        })),
      ];
    }),
  ];
}

function unknownEmail(): string {
  return `audit-${randomBytes(6).toString("hex")}@unknown.example`;
}

/** Every probe `count` times, in random order (Fisher–Yates with a CSPRNG). */
function shuffled(all: readonly Probe[], count: number): Probe[] {
  const list = all.flatMap((probe) => Array.from({ length: count }, () => probe));
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [list[i], list[j]] = [list[j] as Probe, list[i] as Probe];
  }
  return list;
}

interface Sample {
  probe: Probe;
  status: number;
  ms: number;
}

async function measure(gw: TempGateway, list: readonly Probe[], deadline: number) {
  const tasks = list.map((probe) => async (): Promise<Sample> => {
    const { status, ms } = await probe.send(gw);
    return { probe, status, ms };
  });
  return runPool(tasks, CONCURRENCY, deadline);
}

function report(samples: readonly Sample[]): boolean {
  const times = (route: Route, group: string) =>
    samples.filter((s) => s.probe.route === route && s.probe.group === group).map((s) => s.ms);
  let pass = true;
  console.log(
    "route     groups (a vs b)                          n_a  n_b  D      p       median a / b (ms)",
  );
  for (const [route, pairs] of Object.entries(COMPARISONS) as [Route, [string, string][]][]) {
    for (const [a, b] of pairs) {
      const ta = times(route, a);
      const tb = times(route, b);
      if (ta.length === 0 || tb.length === 0) {
        pass = false;
        console.log(`${route.padEnd(9)} ${a} vs ${b}: no samples`);
        continue;
      }
      const { d, p } = ksTwoSample(ta, tb);
      const ok = p > ALPHA;
      pass &&= ok;
      console.log(
        `${route.padEnd(9)} ${`${a} vs ${b}`.padEnd(40)} ${String(ta.length).padStart(4)} ${String(tb.length).padStart(4)}  ${d.toFixed(3)}  ${p.toFixed(4)}  ${median(ta).toFixed(1)} / ${median(tb).toFixed(1)}  ${ok ? "ok" : "DIFFERENT"}`,
      );
    }
  }
  return pass;
}

async function main(): Promise<number> {
  const deadline = performance.now() + MAX_SECONDS * 1000;
  const gw = await startTempGateway({ RATE_LIMIT: "off", LOG_LEVEL: "silent", ...floorFromEnv() });
  try {
    const confirmed = `confirmed-${randomBytes(4).toString("hex")}@audit.example`;
    const unconfirmed = `unconfirmed-${randomBytes(4).toString("hex")}@audit.example`;
    await createAccount(gw, confirmed, PASSWORD);
    await createAccount(gw, unconfirmed, PASSWORD, false);
    const all = probes(confirmed, unconfirmed);
    const { responseFloorMs, responseJitterMs } = configOf(gw.running.gateway);
    console.log(
      `timing audit: ${all.length} groups × ${SAMPLES} requests, concurrency ${CONCURRENCY}, floor ${responseFloorMs} ms + jitter ${responseJitterMs} ms`,
    );
    await measure(gw, shuffled(all, WARM_UP), deadline); // JIT and connection warm-up, discarded
    const samples = await measure(gw, shuffled(all, SAMPLES), deadline);
    const unexpected = samples.filter((s) => s.status !== s.probe.expected);
    const complete = samples.length === all.length * SAMPLES;
    const pass = report(samples);
    console.log(
      `requests ${samples.length}${complete ? "" : " (stopped at AUDIT_MAX_SECONDS)"}, unexpected statuses ${unexpected.length}`,
    );
    for (const s of unexpected.slice(0, 10)) {
      console.log(
        `  ${s.probe.route} ${s.probe.group}: ${s.status} (expected ${s.probe.expected})`,
      );
    }
    const ok = pass && complete && unexpected.length === 0;
    console.log(ok ? "PASS: no timing difference at p > 0.01" : "FAIL");
    return ok ? 0 : 1;
  } finally {
    await gw.close();
  }
}

/** RESPONSE_FLOOR_MS / RESPONSE_JITTER_MS passed through: 0 and 0 is the negative control. */
function floorFromEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["RESPONSE_FLOOR_MS", "RESPONSE_JITTER_MS"]) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
