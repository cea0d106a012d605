/**
 * The package as a user gets it: the `npm pack` tarball (built once per source state and kept in
 * the temporary folder), a consumer project with the tarball installed from it, other Node
 * versions from the npm registry's `node` package, and child processes watched until a line.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

export const ROOT = resolve(__dirname, "../..");
const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";
/** What npm needs offline-first: the cache the project's own `npm ci` filled. */
const NPM_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];

/** Runs a command; its output on failure. */
export async function sh(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed:\n${stdout}\n${stderr}`, { cause: error });
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** A hash of everything that goes into the tarball. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const inputs = [
    ...filesUnder(join(ROOT, "src")),
    ...filesUnder(join(ROOT, "public")),
    ...[
      "package.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "scripts/build.mjs",
      "openapi.yaml",
      "README.md",
      ".env.example",
    ].map((f) => join(ROOT, f)),
  ].sort();
  for (const file of inputs) hash.update(file).update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

/**
 * `npm pack` of this checkout (its prepack builds dist/ with the declarations), once per state
 * of the sources: later calls answer the same tarball.
 */
export async function packedTarball(): Promise<string> {
  const dir = join(tmpdir(), "cognito-gateway-pack", sourceHash());
  const tarball = join(dir, "cognito-gateway.tgz");
  if (existsSync(tarball)) return tarball;
  mkdirSync(dir, { recursive: true });
  const { stdout } = await sh(NPM, ["pack", "--json", "--pack-destination", dir, ...NPM_FLAGS], {
    cwd: ROOT,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
  renameSync(join(dir, packed?.filename ?? ""), tarball);
  return tarball;
}

/**
 * A project of a user with the tarball (and Express, and the types a TS user has) installed,
 * once per tarball (beside it), and `files` written into it.
 */
export async function consumerProject(
  tarball: string,
  files: Record<string, string>,
): Promise<string> {
  const project = join(dirname(tarball), "consumer");
  if (!existsSync(join(project, "node_modules", "cognito-gateway", "package.json"))) {
    const fresh = await installConsumer(tarball);
    rmSync(project, { recursive: true, force: true });
    renameSync(fresh, project);
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(join(project, name), content);
  return project;
}

async function installConsumer(tarball: string): Promise<string> {
  const dir = mkdtempSync(join(dirname(tarball), "install-"));
  const manifest = { name: "gateway-user", version: "1.0.0", private: true };
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  const devTypes = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const pin = (name: string, from: Record<string, string>) => `${name}@${from[name] ?? "*"}`;
  await sh(
    NPM,
    [
      "install",
      ...NPM_FLAGS,
      tarball,
      pin("express", devTypes.dependencies),
      pin("@types/express", devTypes.devDependencies),
      pin("@types/node", devTypes.devDependencies),
    ],
    { cwd: dir },
  );
  return dir;
}

/** The binary of Node `major`, from the npm registry's `node` package (npx caches it). */
export async function nodeBinary(major: number): Promise<string> {
  const { stdout } = await sh(
    NPX,
    ["-y", ...NPM_FLAGS, "-p", `node@${major}`, "node", "-p", "process.execPath"],
    { cwd: tmpdir(), timeoutMs: 600_000 },
  );
  return stdout.trim();
}

/** A started child process and everything it printed so far. */
export interface Child {
  readonly child: ChildProcess;
  readonly match: RegExpExecArray;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a process and waits for a line matching `ready` (rejects if it exits first). */
export async function startUntil(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<Child> {
  const child = spawn(file, [...args], { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const exited = new Promise<void>((done) => {
    child.once("exit", () => {
      done();
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const match = await new Promise<RegExpExecArray>((done, fail) => {
    const deadline = Date.now() + timeoutMs;
    const poll = setInterval(() => {
      const found = ready.exec(out);
      if (found) done(found);
      else if (child.exitCode !== null) fail(new Error(`${file} exited before ready:\n${out}`));
      else if (Date.now() > deadline) fail(new Error(`${file} not ready in time:\n${out}`));
      else return;
      clearInterval(poll);
    }, 20);
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { child, match, output: () => out, stop };
}
