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
