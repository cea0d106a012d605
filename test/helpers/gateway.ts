import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/logger";
import { startGateway, type RunningGateway } from "../../src/standalone";
import { LogCapture } from "./mocked-gateway";

/** A full local-mode gateway for integration tests. */
export interface TestGateway {
  url: string;
  running: RunningGateway;
  latestCode(email: string): string | undefined;
  /** Everything logged so far. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * Starts the real standalone gateway in local mode (embedded emulator, page on) on ephemeral
 * loopback ports with its own data folder. Floors and limits are off unless `env` sets them.
 */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), "cognito-gateway-test-"));
  const capture = new LogCapture();
  const config = loadConfig({
    PORT: "0",
    LOCAL_COGNITO_PORT: "0",
    LOCAL_DATA_DIR: dataDir,
    RESPONSE_FLOOR_MS: "0",
    RESPONSE_JITTER_MS: "0",
    RATE_LIMIT: "off",
    SERVE_PAGE: "true",
    ...env,
  });
  const running = await startGateway(
    config,
    createLogger({ level: "debug", destination: capture }),
  );
  return {
    url: running.url,
    running,
    latestCode: (email) => running.local?.latestCode(email),
    logs: () => capture.text(),
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
