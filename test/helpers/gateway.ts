import { createLogger } from "../../src/logger";
import type { RunningGateway } from "../../src/standalone";
import { startTempGateway } from "../../tools/lib/gateways";
import { LogCapture } from "./mocked-gateway";

/** A full local-mode gateway for integration tests. */
export interface TestGateway {
  url: string;
  /** Lifecycle base URL (`url` + the base path). */
  auth: string;
  running: RunningGateway;
  latestCode(email: string): string | undefined;
  /** Everything logged so far. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * Starts the real standalone gateway in local mode (embedded emulator, page on) on ephemeral
 * loopback ports with its own data folder, logs captured. Floors and limits are off unless
 * `env` sets them.
 */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const capture = new LogCapture();
  const gateway = await startTempGateway(
    {
      RESPONSE_FLOOR_MS: "0",
      RESPONSE_JITTER_MS: "0",
      RATE_LIMIT: "off",
      SERVE_PAGE: "true",
      ...env,
    },
    createLogger({ level: "debug", destination: capture }),
  );
  return {
    url: gateway.url,
    auth: gateway.auth,
    running: gateway.running,
    latestCode: (email) => gateway.running.local?.latestCode(email),
    logs: () => capture.text(),
    close: () => gateway.close(),
  };
}

/** The suite's gateway of {@link useTestGateway}: its hook closes it. */
export type SuiteGateway = Omit<TestGateway, "close">;

/**
 * The suite's gateway: {@link startTestGateway} before the suite's tests (jest's `beforeAll` of
 * the enclosing `describe`, or of the file), closed after them. What it answers stands for the
 * started gateway; reading it outside a test (before it started) fails loudly.
 */
export function useTestGateway(env: Record<string, string> = {}): SuiteGateway {
  let started: TestGateway | undefined;
  const current = (): TestGateway => {
    if (started === undefined) throw new Error("the suite's gateway is used before it started");
    return started;
  };
  beforeAll(async () => {
    started = await startTestGateway(env);
  }, 60_000);
  afterAll(async () => {
    await started?.close();
  });
  return {
    get url() {
      return current().url;
    },
    get auth() {
      return current().auth;
    },
    get running() {
      return current().running;
    },
    latestCode: (email) => current().latestCode(email),
    logs: () => current().logs(),
  };
}
