/**
 * Graceful shutdown of the standalone server, as an orchestrator does it: a real server process,
 * requests in flight, SIGTERM. Figures asserted are outcomes (answers, refusals, exit code),
 * never durations.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CLIENT_ID, POOL_ID, jwksOf, signingKey } from "./helpers/auth";
import { startFakeCognito, type FakeCognito } from "../tools/lib/fake-cognito";

const ROOT = resolve(__dirname, "..");

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exitCode: Promise<number | null>;
  /** Every log line so far. */
  log(): string;
}

/** Starts `src/server.ts` (cognito mode, against the fake) and waits for its "ready" line. */
async function startServer(fake: FakeCognito, env: Record<string, string>): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "shutdown-"));
  const jwksPath = join(dir, "jwks.json");
  writeFileSync(jwksPath, JSON.stringify(jwksOf(signingKey())));
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      COGNITO_USER_POOL_ID: POOL_ID,
      COGNITO_CLIENT_ID: CLIENT_ID,
      COGNITO_CLIENT_SECRET: "shutdown-test-secret",
      COGNITO_ENDPOINT: fake.url,
      JWKS_PATH: jwksPath,
      HOST: "127.0.0.1",
      PORT: "0",
      RATE_LIMIT: "off",
      RESPONSE_JITTER_MS: "0",
      LOCAL_STATE_DIR: "off",
      ...env,
    },
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const exitCode = new Promise<number | null>((done) => child.once("exit", done));
  const url = await new Promise<string>((done, fail) => {
    const poll = setInterval(() => {
      const ready = /cognito-gateway ready on (http:\/\/[0-9.:]+)/.exec(out);
      if (ready?.[1] !== undefined) {
        clearInterval(poll);
        done(ready[1]);
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        fail(new Error(`server exited before ready:\n${out}`));
      }
    }, 20);
  });
  return { url, child, exitCode, log: () => out };
}

/** A login answered only after the response floor: a request that stays in flight. */
function slowLogin(url: string): Promise<{ status: number; body: string }> {
  return fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "in.flight@example.com", password: "In-Fl1ght-Passw0rd" }),
  }).then(async (res) => ({ status: res.status, body: await res.text() }));
}

/** Error code of a request on a fresh connection (undefined when it was answered). */
function freshConnectionError(url: string): Promise<string | undefined> {
  return new Promise((done) => {
    const req = http.get(`${url}/healthz`, { agent: false }, (res) => {
      res.resume();
      done(undefined);
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      done(err.code ?? "error");
    });
  });
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}

let fake: FakeCognito;
let server: Server | undefined;

beforeEach(async () => {
  fake = await startFakeCognito("normal");
});

afterEach(async () => {
  if (server?.child.exitCode === null) server.child.kill("SIGKILL");
  server = undefined;
  await fake.close();
});

describe("SIGTERM", () => {
  it("refuses new connections, answers the requests in flight, then exits 0", async () => {
    server = await startServer(fake, { RESPONSE_FLOOR_MS: "5000", SHUTDOWN_TIMEOUT_MS: "30000" });
    const { url } = server;
    const inFlight = [slowLogin(url), slowLogin(url), slowLogin(url)];
    await until(() => fake.requests >= 3); // all three reached Cognito: they are in flight
    server.child.kill("SIGTERM");
    await until(async () => (await freshConnectionError(url)) === "ECONNREFUSED");
    const answers = await Promise.all(inFlight).catch((error: unknown) => {
      throw new Error(`in flight: ${String(error)}\n${server?.log() ?? ""}`);
    });
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "invalid_credentials" } });
    }
    expect(await server.exitCode).toBe(0);
    expect(server.log()).toMatch(/"msg":"stopping"/);
    expect(server.log()).toMatch(/"msg":"stopped"/);
    expect(server.log()).not.toMatch(/were cut/);
  });

  it("cuts requests still in flight after SHUTDOWN_TIMEOUT_MS, and still exits 0", async () => {
    server = await startServer(fake, { RESPONSE_FLOOR_MS: "10000", SHUTDOWN_TIMEOUT_MS: "200" });
    const inFlight = slowLogin(server.url).then(
      () => "answered",
      () => "cut",
    );
    await until(() => fake.requests >= 1);
    server.child.kill("SIGTERM");
    expect(await server.exitCode).toBe(0);
    expect(await inFlight).toBe("cut");
    expect(server.log()).toMatch(/requests still in flight were cut/);
  });
});
