/**
 * Gateway starters in this process: a throw-away local-mode gateway (the embedded emulator on an
 * ephemeral loopback port, data in a fresh temporary directory removed on close) for the timing
 * audit, the soak and the integration tests, and account creation over HTTP. Gateways in child
 * processes, and whole clusters, are in `./cluster`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { createLogger, type Logger } from "../../src/logger";
import { startGateway, type RunningGateway } from "../../src/standalone";
import { send, type Target } from "./http";

export type { Target };

/** A started temporary gateway. */
export interface TempGateway extends Target {
  readonly running: RunningGateway;
  close(): Promise<void>;
}

/**
 * Starts local mode with PORT=0, LOCAL_COGNITO_PORT=0, a temporary LOCAL_DATA_DIR and the
 * revocation journal inside it (LOCAL_STATE_DIR); `env`
 * adds or overrides variables (it is the whole environment: process.env is not read).
 */
export async function startTempGateway(
  env: Readonly<Record<string, string>> = {},
  logger: Logger = createLogger({ level: "silent" }),
): Promise<TempGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), "cognito-gateway-"));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOCAL_COGNITO_PORT: "0",
    LOCAL_DATA_DIR: dataDir,
    LOCAL_STATE_DIR: join(dataDir, "state"),
    SERVE_PAGE: "false",
    ...env,
  });
  const running = await startGateway(config, logger);
  return {
    running,
    url: running.url,
    auth: `${running.url}${config.basePath}`,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers and (unless `confirm` is false) confirms an account, all over HTTP: the code comes
 * from local mode's `/_local/confirmation-code`.
 */
export async function createAccount(
  gw: Target,
  email: string,
  password: string,
  confirm = true,
): Promise<void> {
  const registered = await send(`${gw.auth}/register`, { json: { email, password } });
  if (registered.status !== 202) throw new Error(`register answered ${registered.status}`);
  if (!confirm) return;
  const query = new URLSearchParams({ email }).toString();
  const latest = await send(`${gw.url}/_local/confirmation-code?${query}`);
  const code = (latest.body as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") throw new Error("no confirmation code from the emulator");
  const confirmed = await send(`${gw.auth}/confirm`, { json: { email, code } });
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
}
