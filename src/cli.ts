#!/usr/bin/env node
/**
 * The `cognito-gateway` command:
 *
 *   cognito-gateway serve                 the standalone gateway (`npm start` runs this)
 *   cognito-gateway jwks pull [--pool-id <region>_<id>] [--region <r>] [--out ./jwks.json]
 *   cognito-gateway jwks check [--pool-id <region>_<id>] [--region <r>] [--file ./jwks.json]
 *
 * `jwks` reads COGNITO_USER_POOL_ID, COGNITO_REGION and JWKS_PATH from the environment or `.env`
 * (flags win). `jwks check` exits 0 when the pinned keys are exactly the published ones, 1 on
 * drift (a key to pin, a retired key, a changed key), 2 when it cannot tell (bad settings,
 * network): run it from cron to hear of a key rotation before sign-in breaks.
 */
import { checkJwks, pullJwks, resolveJwksCliOptions, type JwksCheckResult } from "./auth/jwks-pull";
import { execWithMemoryProfile, type Reexecutable } from "./memory-profile";
import { packageVersion } from "./package-files";

const USAGE = `usage: cognito-gateway <command>

  serve                       start the gateway (local mode when no user pool is configured)
  jwks pull  [--pool-id <region>_<id>] [--region <region>] [--out <file>]
                              pin the pool's published keys in a file (default ./jwks.json)
  jwks check [--pool-id <region>_<id>] [--region <region>] [--file <file>]
                              compare the pinned keys with the published ones:
                              exit 0 in sync, 1 on drift, 2 when it cannot tell
  --version, --help

Settings come from the environment and .env (see .env.example); flags win.
`;

/** What a command prints and its exit status (`serve` keeps running instead). */
export interface CliOutcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `--name value` or `--name=value` from `args`. */
export function cliFlag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === name) return args[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

/** The pool and file settings of the `jwks` commands: flags, then the environment. */
async function jwksSettings(args: readonly string[], fileFlag: string, fetchFn: typeof fetch) {
  // Loaded here, not at the top: `--help` and `--version` need no configuration.
  const { jwksCliOptionsFromEnv } = await import("./config");
  const env = jwksCliOptionsFromEnv();
  const settings = resolveJwksCliOptions({
    poolId: cliFlag(args, "--pool-id") ?? env.poolId,
    region: cliFlag(args, "--region") ?? env.region,
    file: cliFlag(args, fileFlag) ?? env.file,
  });
  return { ...settings, fetch: fetchFn };
}

function describeCheck(result: JwksCheckResult): string {
  if (result.inSync) return `in sync: ${result.path} pins exactly the keys of ${result.url}\n`;
  const lines = [`DRIFT between ${result.path} and ${result.url}:`];
  for (const kid of result.missing)
    lines.push(`  published, not pinned: ${kid} (tokens signed with it are refused)`);
  for (const kid of result.changed) lines.push(`  changed key material: ${kid}`);
  for (const kid of result.retired) lines.push(`  pinned, no longer published: ${kid}`);
  lines.push("Run `cognito-gateway jwks pull`, then reload the gateway (SIGHUP).");
  return `${lines.join("\n")}\n`;
}

async function jwks(args: readonly string[], fetchFn: typeof fetch): Promise<CliOutcome> {
  const [sub, ...rest] = args;
  if (sub === "pull") {
    const { file, ...settings } = await jwksSettings(rest, "--out", fetchFn);
    const result = await pullJwks({ ...settings, out: file });
    const stdout = `pinned ${result.kids.length} key(s) from ${result.url}\nwrote ${result.path}\nkids: ${result.kids.join(", ")}\n`;
    return { status: 0, stdout, stderr: "" };
  }
  if (sub === "check") {
    const result = await checkJwks(await jwksSettings(rest, "--file", fetchFn));
    return { status: result.inSync ? 0 : 1, stdout: describeCheck(result), stderr: "" };
  }
  return { status: 2, stdout: "", stderr: USAGE };
}

/**
 * Runs one command that finishes (everything but `serve`), with `fetchFn` for the pool's JWKS.
 * Errors become status 2 with one line on stderr; nothing is thrown.
 */
export async function runCommand(
  args: readonly string[],
  fetchFn: typeof fetch = globalThis.fetch,
): Promise<CliOutcome> {
  const [command, ...rest] = args;
  try {
    if (command === "jwks") return await jwks(rest, fetchFn);
    if (command === "--version") return { status: 0, stdout: `${packageVersion()}\n`, stderr: "" };
    if (command === "--help" || command === "help") return { status: 0, stdout: USAGE, stderr: "" };
    return { status: 2, stdout: "", stderr: USAGE };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 2, stdout: "", stderr: `cognito-gateway ${command ?? ""}: ${message}\n` };
  }
}

/** `process.execve` where this Node has it (typed here: @types/node for Node 20 lacks it). */
function nodeExecve(): Reexecutable["execve"] {
  const { execve } = process as { execve?: Reexecutable["execve"] };
  return process.platform === "win32" ? undefined : execve?.bind(process);
}

async function main(args: readonly string[]): Promise<void> {
  if (args[0] === "serve") {
    // Loaded only here: the other commands never start the server.
    const { processStart } = await import("./config");
    // Node ≥ 22.15 replaces this process with one that has the memory profile (same PID).
    execWithMemoryProfile({
      ...processStart(),
      execPath: process.execPath,
      argv: process.argv,
      execve: nodeExecve(),
    });
    const { serveOrExit } = await import("./server");
    serveOrExit();
    return;
  }
  const outcome = await runCommand(args);
  process.stdout.write(outcome.stdout);
  process.stderr.write(outcome.stderr);
  process.exitCode = outcome.status;
}

if (require.main === module) void main(process.argv.slice(2));
