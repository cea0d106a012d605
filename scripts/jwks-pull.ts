/**
 * Pulls the user pool's JWKS once and pins it in a file. The gateway itself never fetches keys:
 * it only reads this file. Re-run after Cognito rotates its keys.
 *
 *   npx tsx scripts/jwks-pull.ts [--pool-id <region>_<id>] [--region <region>] [--out ./jwks.json]
 *
 * Environment (or .env): COGNITO_USER_POOL_ID, COGNITO_REGION (optional), JWKS_PATH (default
 * ./jwks.json). Flags win over the environment.
 */
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { config as loadDotenv } from "dotenv";
import { ConfigError } from "../src/errors";
import { EMULATOR_KID, loadJwks } from "../src/auth/keys";
import { AWS_REGION, poolRegion } from "../src/cognito/options";

/** Options of {@link pullJwks}. */
export interface JwksPullOptions {
  /** User pool id, `<region>_<id>`. */
  poolId: string;
  /** AWS region. Default: the prefix of `poolId`. */
  region?: string;
  /** Destination file. */
  out: string;
  /** The fetch to use (injectable for tests). */
  fetch: typeof fetch;
  /** Request timeout. Default 10 000 ms. */
  timeoutMs?: number;
}

/** What was pinned. */
export interface JwksPullResult {
  readonly url: string;
  readonly path: string;
  readonly kids: readonly string[];
}

/** A JWKS is a few KB; anything much larger is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The JWKS URL of a user pool. @throws ConfigError on a malformed pool id or region */
export function jwksUrl(poolId: string, region?: string): string {
  const fromPool = poolRegion(poolId);
  if (fromPool === undefined) {
    throw new ConfigError(
      "malformed",
      "userPoolId",
      `pool id ${JSON.stringify(poolId)} must look like "<region>_<id>"`,
    );
  }
  if (region !== undefined && (!AWS_REGION.test(region) || region !== fromPool)) {
    throw new ConfigError(
      "conflict",
      "region",
      `region ${JSON.stringify(region)} does not match pool id ${poolId}`,
    );
  }
  return `https://cognito-idp.${fromPool}.amazonaws.com/${poolId}/.well-known/jwks.json`;
}

/**
 * Fetches, validates (same rules as the gateway, plus: never the emulator's key) and writes the
 * JWKS atomically (temporary file, then rename), so the gateway never reads a half-written file.
 * @throws ConfigError on a bad pool id, an HTTP failure, an invalid JWKS or the emulator key
 */
export async function pullJwks(options: JwksPullOptions): Promise<JwksPullResult> {
  const url = jwksUrl(options.poolId, options.region);
  const json = await fetchJson(options.fetch, url, options.timeoutMs ?? 10_000);
  const keys = loadJwks(json, url);
  if (keys.has(EMULATOR_KID)) {
    throw new ConfigError(
      "insecure",
      "keys",
      `${url}: contains kid ${EMULATOR_KID}, the cognito-local emulator key whose private key is public; refusing to pin it`,
    );
  }
  const path = resolve(options.out);
  writeAtomically(path, `${JSON.stringify(json, null, 2)}\n`);
  return { url, path, kids: [...keys.keys()] };
}

async function fetchJson(fetchFn: typeof fetch, url: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  let text: string;
  try {
    response = await fetchFn(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: "application/json" },
      redirect: "error",
    });
    const declared = Number(response.headers.get("content-length") ?? 0);
    text = declared > MAX_BODY_BYTES ? "" : await response.text();
  } catch (err) {
    throw new ConfigError(
      "unavailable",
      "userPoolId",
      `${url}: request failed (${describe(err)}); check the network`,
      {
        cause: err,
      },
    );
  }
  if (!response.ok) {
    throw new ConfigError(
      "unavailable",
      "userPoolId",
      `${url}: HTTP ${response.status}; check the pool id and region`,
    );
  }
  if (text.length === 0 || text.length > MAX_BODY_BYTES)
    throw new ConfigError(
      "unreadable",
      "keys",
      `${url}: response is empty or too large for a JWKS`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError("unreadable", "keys", `${url}: response is not JSON`, { cause: err });
  }
}

function writeAtomically(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, content, { mode: 0o644, flag: "wx" });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ConfigError("unavailable", "keys", `${path}: cannot be written (${describe(err)})`, {
      cause: err,
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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

async function main(): Promise<void> {
  loadDotenv({ quiet: true }); // like the gateway: .env never overrides variables already set
  const args = process.argv.slice(2);
  const env = process.env;
  const poolId = cliFlag(args, "--pool-id") ?? env.COGNITO_USER_POOL_ID;
  if (poolId === undefined || poolId === "") {
    throw new ConfigError(
      "missing",
      "userPoolId",
      "set COGNITO_USER_POOL_ID or pass --pool-id <region>_<id>",
    );
  }
  const result = await pullJwks({
    poolId,
    region: cliFlag(args, "--region") ?? (env.COGNITO_REGION || undefined),
    out: cliFlag(args, "--out") ?? (env.JWKS_PATH || "./jwks.json"),
    fetch: globalThis.fetch,
  });
  process.stdout.write(`pinned ${result.kids.length} key(s) from ${result.url}\n`);
  process.stdout.write(`wrote ${result.path}\nkids: ${result.kids.join(", ")}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`jwks-pull: ${describe(err)}\n`);
    process.exitCode = 1;
  });
}
