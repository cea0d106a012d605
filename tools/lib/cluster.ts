/**
 * A whole local cluster on one machine, for `npm run demo:cluster`, the cluster test and the
 * scale-out bench: optionally redis-server (no persistence), one shared Cognito emulator
 * (`src/local/serve.ts`), N gateway instances (`src/server.ts`, LOCAL_COGNITO_URL) and HAProxy
 * round-robin in front of them. Everything binds 127.0.0.1 on free ports; configuration, data
 * and logs go to a fresh temporary directory, removed on stop. Each process leads its own
 * process group and is stopped with it (see ./processes).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { linkFilePath } from "../../src/local/link";
import { freePort, waitFor200 } from "./http";
import { childEnv, findBinary, startChild, waitUntil, type Child } from "./processes";

const ROOT = resolve(__dirname, "..", "..");
const START_TIMEOUT_MS = 60_000;

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Gateway instances behind HAProxy. Default 3. */
  readonly instances?: number;
  /** Start redis-server and give every instance its REDIS_URL. Default true. */
  readonly redis?: boolean;
  /** Extra environment for every gateway instance (e.g. RATE_LIMIT=off). */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  /** Environment of the emulator (e.g. LOCAL_CONFIRMATION_CODE). */
  readonly emulatorEnv?: Readonly<Record<string, string>>;
  /** Progress lines. Default: none. */
  readonly log?: (line: string) => void;
}

/** One gateway instance. */
export interface ClusterInstance {
  /** HAProxy's name for it (also in the X-Served-By answer header): g1, g2, … */
  readonly name: string;
  /** Its own address, bypassing HAProxy. */
  readonly url: string;
  readonly child: Child;
}

/** A running cluster. */
export interface Cluster {
  /** HAProxy's address: the one URL clients use. */
  readonly url: string;
  readonly instances: readonly ClusterInstance[];
  /** LOCAL_COGNITO_URL of the shared emulator. */
  readonly emulatorUrl: string;
  /** REDIS_URL, when Redis runs. */
  readonly redisUrl: string | undefined;
  /** HAProxy's process id (one process, several threads). */
  readonly haproxyPid: number;
  /** Temporary directory with haproxy.cfg, data and one log file per process. */
  readonly dir: string;
  /** Stops everything it started (HAProxy first, Redis last) and removes the directory. */
  stop(): Promise<void>;
}

/** Starts the cluster; on any failure stops what was started and rethrows. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.instances ?? 3;
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(os.tmpdir(), "cognito-gateway-cluster-"));
  const children: Child[] = [];
  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const redisUrl = options.redis === false ? undefined : await startRedis(dir, children, log);
    const emulatorUrl = await startEmulator(dir, children, options.emulatorEnv ?? {}, log);
    const sessionSecret = randomBytes(32).toString("base64url");
    const instances: ClusterInstance[] = [];
    for (let i = 1; i <= count; i += 1) {
      const env = {
        ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
        LOCAL_COGNITO_URL: emulatorUrl,
        LOCAL_DATA_DIR: join(dir, "cognito"),
        LOCAL_STATE_DIR: join(dir, `state-g${String(i)}`),
        // Shared by every instance, so a cookie or handle sealed by one opens on the others.
        SESSION_SECRET: sessionSecret,
        // HAProxy adds X-Forwarded-For; trust it from loopback only, for per-IP limits.
        TRUST_PROXY: "loopback",
        ...options.gatewayEnv,
      };
      const instance = await startGatewayProcess(`g${String(i)}`, dir, env);
      children.push(instance.child);
      instances.push(instance);
    }
    log(`${String(count)} gateway instances: ${instances.map((g) => g.url).join(", ")}`);
    const haproxy = await startHaproxy(dir, instances, children);
    log(`HAProxy round-robin: ${haproxy.url}`);
    return {
      url: haproxy.url,
      haproxyPid: haproxy.pid,
      instances,
      emulatorUrl,
      redisUrl,
      dir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startRedis(
  dir: string,
  children: Child[],
  log: (line: string) => void,
): Promise<string> {
  const binary = findBinary("redis-server");
  if (binary === undefined) {
    throw new Error("redis-server is not installed: apt-get install redis-server (see .ci/run)");
  }
  const port = await freePort();
  const child = startChild(
    "redis-server",
    binary,
    ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"],
    { cwd: dir, env: childEnv({}), stdout: logFile(dir, "redis") },
  );
  children.push(child);
  const url = `redis://127.0.0.1:${String(port)}`;
  await waitFor(() => tcpPing(port), child, "redis-server");
  log(`redis-server: ${url}`);
  return url;
}

async function startEmulator(
  dir: string,
  children: Child[],
  env: Readonly<Record<string, string>>,
  log: (line: string) => void,
): Promise<string> {
  const dataDir = join(dir, "cognito");
  const port = await freePort();
  const child = startChild(
    "local:cognito",
    process.execPath,
    ["--import", "tsx", "src/local/serve.ts"],
    {
      cwd: ROOT,
      env: childEnv({
        COGNITO_USER_POOL_ID: "",
        LOCAL_COGNITO_PORT: String(port),
        LOCAL_DATA_DIR: dataDir,
        ...env,
      }),
      stdout: logFile(dir, "emulator"),
    },
  );
  children.push(child);
  await waitFor(() => Promise.resolve(existsSync(linkFilePath(dataDir))), child, "emulator");
  const url = `http://127.0.0.1:${String(port)}`;
  log(`Cognito emulator: ${url}`);
  return url;
}

/**
 * Starts the standalone server (`src/server.ts`) as a child process on a free loopback port (or
 * `env.PORT`), its stdout appended to `<logDir>/<name>.log`, and waits for GET /readyz → 200.
 */
export async function startGatewayProcess(
  name: string,
  logDir: string,
  env: Readonly<Record<string, string>>,
): Promise<ClusterInstance> {
  const port = env.PORT ?? String(await freePort());
  const child = startChild(name, process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: ROOT,
    // An empty COGNITO_USER_POOL_ID keeps a .env from switching to cognito mode.
    env: childEnv({ COGNITO_USER_POOL_ID: "", HOST: "127.0.0.1", ...env, PORT: port }),
    stdout: logFile(logDir, name),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${url}/readyz`, {
      since: performance.now(),
      everyMs: 100,
      timeoutMs: START_TIMEOUT_MS,
      child,
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { name, url, child };
}

/** HAProxy config: HTTP mode, round-robin, health checks on /readyz, X-Served-By per answer. */
export function haproxyConfig(port: number, instances: readonly ClusterInstance[]): string {
  const servers = instances.map(
    (g) => `  server ${g.name} ${new URL(g.url).host} check inter 1s fall 2 rise 1`,
  );
  return [
    "global",
    "  maxconn 4096",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  option forwardfor",
    "frontend gateway",
    `  bind 127.0.0.1:${String(port)}`,
    "  default_backend gateways",
    "backend gateways",
    "  balance roundrobin",
    "  option httpchk GET /readyz",
    "  http-check expect status 200",
    "  http-response set-header X-Served-By %[srv_name]",
    ...servers,
    "",
  ].join("\n");
}

async function startHaproxy(
  dir: string,
  instances: readonly ClusterInstance[],
  children: Child[],
): Promise<{ url: string; pid: number }> {
  const binary = findBinary("haproxy");
  if (binary === undefined) {
    throw new Error("haproxy is not installed: apt-get install haproxy (see .ci/run)");
  }
  const port = await freePort();
  const config = join(dir, "haproxy.cfg");
  writeFileSync(config, haproxyConfig(port, instances));
  const child = startChild("haproxy", binary, ["-f", config, "-db"], {
    cwd: dir,
    env: childEnv({}),
    stdout: logFile(dir, "haproxy"),
  });
  children.push(child);
  const url = `http://127.0.0.1:${String(port)}`;
  // Ready when every instance has answered through it (health checks passed).
  await waitFor(
    async () => {
      const seen = new Set<string>();
      for (let i = 0; i < instances.length * 2; i += 1) {
        const res = await fetch(`${url}/healthz`).catch(() => undefined);
        const server = res?.headers.get("x-served-by");
        await res?.body?.cancel();
        if (res?.status === 200 && server) seen.add(server);
      }
      return seen.size === instances.length;
    },
    child,
    "haproxy",
  );
  return { url, pid: child.pid };
}

function logFile(dir: string, name: string): number {
  const fd = openSync(join(dir, `${name}.log`), "a", 0o600);
  // The child keeps its own copy of the descriptor; ours is closed once it has been spawned.
  setImmediate(() => {
    closeSync(fd);
  });
  return fd;
}

/** Waits until `ready` holds (a failing check counts as not yet), or `child` exits. */
async function waitFor(ready: () => Promise<boolean>, child: Child, what: string): Promise<void> {
  const check = () => ready().catch(() => false);
  await waitUntil(check, {
    timeoutMs: START_TIMEOUT_MS,
    everyMs: 100,
    child,
    what: `${what} ready`,
  });
}

function tcpPing(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.end("PING\r\n");
      socket.once("data", (data) => {
        socket.destroy();
        done(data.toString().startsWith("+PONG"));
      });
    });
    socket.once("error", () => {
      done(false);
    });
  });
}
