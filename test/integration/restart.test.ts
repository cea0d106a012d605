/**
 * One instance without Redis, killed with SIGKILL and restarted: a logout it acknowledged (204)
 * is still honoured, because revocations are journaled to LOCAL_STATE_DIR. The control run with
 * LOCAL_STATE_DIR=off shows what the journal prevents.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGatewayProcess, type ClusterInstance } from "../../tools/lib/cluster";
import { createAccount } from "../../tools/lib/gateways";
import { freePort, send, type Target } from "../../tools/lib/http";
import { JOURNAL_FILE } from "../../src/stores/revocation-journal";

jest.setTimeout(120_000);

const PASSWORD = "Corr3ct-Horse!";

interface Login {
  accessToken: string;
  refreshToken: string;
}

async function login(gw: Target, email: string): Promise<Login> {
  const answer = await send(`${gw.auth}/login`, { json: { email, password: PASSWORD } });
  expect(answer.status).toBe(200);
  return answer.body as Login;
}

async function me(gw: Target, accessToken: string): Promise<number> {
  const answer = await send(`${gw.auth}/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return answer.status;
}

async function killHard(instance: ClusterInstance): Promise<void> {
  process.kill(-instance.child.pid, "SIGKILL"); // kill -9, no chance to flush or clean up
  await instance.child.exited;
  await instance.child.stop(); // forgets it
}

describe("standalone server restarted without Redis", () => {
  let dir: string;
  let env: Record<string, string>;
  let running: ClusterInstance | undefined;

  const start = async (stateDir: string): Promise<Target> => {
    running = await startGatewayProcess("restart", dir, { ...env, LOCAL_STATE_DIR: stateDir });
    return { url: running.url, auth: `${running.url}/auth` };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "restart-test-"));
    // Fixed ports across the restart: the emulator's issuer names its port.
    env = {
      PORT: String(await freePort()),
      LOCAL_COGNITO_PORT: String(await freePort()),
      LOCAL_DATA_DIR: join(dir, "cognito"),
      RESPONSE_FLOOR_MS: "0",
      RESPONSE_JITTER_MS: "0",
      RATE_LIMIT: "off",
    };
  });

  afterEach(async () => {
    await running?.child.stop();
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps refusing a logged-out token after kill -9 and restart", async () => {
    const stateDir = join(dir, "state");
    let gw = await start(stateDir);
    const email = `restart-${String(Date.now())}@example.com`;
    await createAccount(gw, email, PASSWORD);
    const session = await login(gw, email);
    expect(await me(gw, session.accessToken)).toBe(200);
    const logout = await send(`${gw.auth}/logout`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
      json: { refreshToken: session.refreshToken },
    });
    expect(logout.status).toBe(204);
    expect(await me(gw, session.accessToken)).toBe(401);
    // acknowledged means on disk: the journal holds the entries before the process dies
    expect(readFileSync(join(stateDir, JOURNAL_FILE), "utf8")).toContain('"kind":"subject"');

    if (running === undefined) throw new Error("not running");
    await killHard(running);
    gw = await start(stateDir);
    expect(await me(gw, session.accessToken)).toBe(401);
    // the restarted server is not refusing everything: a new sign-in works
    const again = await login(gw, email);
    expect(await me(gw, again.accessToken)).toBe(200);
  });

  it("without the journal (LOCAL_STATE_DIR=off) the same token is accepted again", async () => {
    let gw = await start("off");
    const email = `restart-off-${String(Date.now())}@example.com`;
    await createAccount(gw, email, PASSWORD);
    const session = await login(gw, email);
    const logout = await send(`${gw.auth}/logout`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
      json: {},
    });
    expect(logout.status).toBe(204);
    expect(await me(gw, session.accessToken)).toBe(401);
    if (running === undefined) throw new Error("not running");
    await killHard(running);
    gw = await start("off");
    expect(await me(gw, session.accessToken)).toBe(200);
  });
});
