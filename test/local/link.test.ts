/** LOCAL_COGNITO_URL: gateways sharing one emulator, its link file and its link routes. */
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTempGateway } from "../../tools/lib/gateways";
import { freePort, send } from "../../tools/lib/http";
import { childEnv, sleep, startChild } from "../../tools/lib/processes";
import { ConfigError } from "../../src/errors";
import { configOf } from "../../src/gateway";
import { type LocalCognito, startLocalCognito } from "../../src/local/emulator";
import { connectLocalCognito, linkFilePath, writeLinkFile } from "../../src/local/link";
import { capturingLogger, removeDir, tempDataDir, uniqueEmail } from "../helpers/local";

const LINK_TOKEN = "test-link-token-0123456789abcdef";

describe("a gateway on a shared emulator (LOCAL_COGNITO_URL)", () => {
  const dataDir = tempDataDir();
  let local: LocalCognito;

  beforeAll(async () => {
    local = await startLocalCognito({
      logger: capturingLogger().logger,
      port: 0,
      dataDir,
      linkToken: LINK_TOKEN,
    });
    writeLinkFile(dataDir, { ...local, linkToken: LINK_TOKEN, pid: process.pid });
  });

  afterAll(async () => {
    await local.close();
    removeDir(dataDir);
  });

  it("writes the link file readable by its owner only", () => {
    expect(statSync(linkFilePath(dataDir)).mode & 0o777).toBe(0o600);
  });

  it("uses the emulator's pool and client and serves its codes on every instance", async () => {
    const env = { LOCAL_COGNITO_URL: local.endpoint, LOCAL_DATA_DIR: dataDir };
    const [a, b] = await Promise.all([startTempGateway(env), startTempGateway(env)]);
    try {
      expect(a.running.local).toBeUndefined(); // no embedded emulator started
      expect(a.running.emulator?.userPoolId).toBe(local.userPoolId);
      expect(configOf(a.running.gateway).clientId).toBe(local.clientId);
      const email = uniqueEmail("link");
      const registered = await send(`${a.auth}/register`, {
        json: { email, password: "Corr3ct-Horse!" },
      });
      expect(registered.status).toBe(202);
      const query = `email=${encodeURIComponent(email)}`;
      const fromA = await send(`${a.url}/_local/confirmation-code?${query}`);
      const fromB = await send(`${b.url}/_local/confirmation-code?${query}`);
      expect(fromA.status).toBe(200);
      expect(fromB.body).toEqual(fromA.body);
      expect((fromA.body as { code: string }).code).toBe(local.latestCode(email));
      // confirmed through the other instance with the code both saw
      const confirmed = await send(`${b.auth}/confirm`, {
        json: { email, code: local.latestCode(email) },
      });
      expect(confirmed.status).toBe(200);
      expect((await send(`${b.url}/_local/confirmation-code?email=nobody%40x.io`)).status).toBe(
        404,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    // closing the gateways leaves the shared emulator running
    expect((await fetch(`${local.endpoint}/_local/link`)).status).toBe(401);
  });

  it("answers its link routes only with the token and never to a web page", async () => {
    const link = `${local.endpoint}/_local/link`;
    const bearer = { authorization: `Bearer ${LINK_TOKEN}` };
    expect((await fetch(link)).status).toBe(401);
    expect((await fetch(link, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const fromPage = await fetch(link, { headers: { ...bearer, origin: "http://evil.example" } });
    expect(fromPage.status).toBe(403);
    const ok = await fetch(link, { headers: bearer });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ userPoolId: local.userPoolId, clientId: local.clientId });
    const post = await fetch(link, { method: "POST", headers: bearer });
    expect(post.status).toBe(405);
  });

  it("refuses to start with a clear ConfigError when the link does not hold", async () => {
    await expect(connectLocalCognito(local.endpoint, tempDataDir())).rejects.toThrow(
      /npm run local:cognito/,
    );
    await expect(connectLocalCognito("http://10.0.0.1:9229", dataDir)).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(connectLocalCognito("not a url", dataDir)).rejects.toBeInstanceOf(ConfigError);
    const otherPort = await freePort();
    await expect(
      connectLocalCognito(`http://127.0.0.1:${String(otherPort)}`, dataDir),
    ).rejects.toThrow(/runs at/);
    // a link file whose emulator is gone, or whose token the running emulator does not know
    const stale = tempDataDir();
    writeLinkFile(stale, { ...local, linkToken: "another-run", pid: process.pid });
    await expect(connectLocalCognito(local.endpoint, stale)).rejects.toThrow(/not the one/);
    removeDir(stale);
  });
});

describe("npm run local:cognito", () => {
  it("prints its endpoint, writes the link file and refuses a second emulator on it", async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const out = join(dataDir, "stdout.log");
    const fd = openSync(out, "w");
    const env = childEnv({
      COGNITO_USER_POOL_ID: "",
      LOCAL_COGNITO_PORT: String(port),
      LOCAL_DATA_DIR: dataDir,
    });
    const args = ["--import", "tsx", "src/local/serve.ts"];
    const options = { cwd: join(__dirname, "..", ".."), env, stdout: fd };
    const first = startChild("local:cognito", process.execPath, args, options);
    closeSync(fd);
    try {
      const url = `http://127.0.0.1:${String(port)}`;
      const deadline = Date.now() + 60_000;
      while (!readFileSync(out, "utf8").includes("LOCAL_COGNITO_URL=") && Date.now() < deadline) {
        await sleep(100);
      }
      expect(readFileSync(out, "utf8")).toContain(`LOCAL_COGNITO_URL=${url}\n`);
      const link = await connectLocalCognito(url, dataDir);
      // The SDK endpoint carries the run's secret path key, which only the link file holds.
      expect(link.endpoint).toMatch(new RegExp(`^${url}/[0-9a-f]{64}$`));

      const second = startChild("local:cognito-2", process.execPath, args, {
        ...options,
        env: { ...env, LOCAL_COGNITO_PORT: "0" },
        stdout: undefined,
      });
      expect(await second.exited).toBe(1);
      expect(second.stderrTail()).toMatch(/already serves/);
      await first.stop();
      // a clean stop removes the link file
      expect(() => readFileSync(linkFilePath(dataDir))).toThrow();
    } finally {
      await first.stop();
      removeDir(dataDir);
    }
  }, 120_000);

  it("refuses a link file that is not valid", async () => {
    const dataDir = tempDataDir();
    writeFileSync(linkFilePath(dataDir), "{}");
    await expect(connectLocalCognito("http://127.0.0.1:9229", dataDir)).rejects.toThrow(
      /missing or unreadable/,
    );
    removeDir(dataDir);
  });
});
