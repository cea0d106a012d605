/**
 * Pins the user pool's JWKS in a file (`cognito-gateway jwks pull`) and compares a pinned file
 * with what the pool publishes (`cognito-gateway jwks check`). The gateway itself never fetches
 * keys: it only reads the file. Pull again after Cognito rotates its keys; run the check from
 * cron to learn of a rotation before it breaks sign-in.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ConfigError } from "../errors";
import { EMULATOR_KID, loadJwks } from "./keys";
import { AWS_REGION, poolRegion } from "../cognito/options";

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

/**
 * Settings of the `jwks` commands before defaults, from flags or the environment
 * (COGNITO_USER_POOL_ID, COGNITO_REGION, JWKS_PATH: see `jwksCliOptionsFromEnv` in config).
 */
export interface JwksCliOptions {
  /** User pool id, `<region>_<id>`. Required. */
  poolId?: string | undefined;
  /** AWS region. Default: the prefix of `poolId`. */
  region?: string | undefined;
  /** The pinned JWKS file: written by `pull`, read by `check`. Default {@link DEFAULT_JWKS_FILE}. */
  file?: string | undefined;
}

/** Where the `jwks` commands pin the keys unless told otherwise (where the gateway reads them). */
export const DEFAULT_JWKS_FILE = "./jwks.json";

/** The `jwks` commands' settings, default filled in. @throws ConfigError without a pool id */
export function resolveJwksCliOptions(options: JwksCliOptions): {
  poolId: string;
  region: string | undefined;
  file: string;
} {
  const { poolId, region, file } = options;
  if (poolId === undefined || poolId === "") {
    throw new ConfigError(
      "missing",
      "userPoolId",
      "set COGNITO_USER_POOL_ID or pass --pool-id <region>_<id>",
    );
  }
  return { poolId, region, file: file ?? DEFAULT_JWKS_FILE };
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
  const { url, json, keys } = await fetchPublished(options);
  const path = resolve(options.out);
  writeAtomically(path, `${JSON.stringify(json, null, 2)}\n`);
  return { url, path, kids: [...keys.keys()] };
}

/** The pool's published JWKS, validated like a pinned file (and never the emulator's key). */
async function fetchPublished(
  options: Omit<JwksPullOptions, "out">,
): Promise<{ url: string; json: unknown; keys: Map<string, KeyObject> }> {
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
  return { url, json, keys };
}

/** Options of {@link checkJwks}: where the pinned file is, instead of where to write it. */
export interface JwksCheckOptions extends Omit<JwksPullOptions, "out"> {
  /** The pinned JWKS file. */
  file: string;
}

/** How the pinned keys compare with the published ones. `inSync` means no drift at all. */
export interface JwksCheckResult {
  readonly url: string;
  readonly path: string;
  readonly inSync: boolean;
  /** Published but not pinned: tokens signed with these are refused today (pull again). */
  readonly missing: readonly string[];
  /** Pinned but no longer published: retired keys still trusted here. */
  readonly retired: readonly string[];
  /** Same kid, different key material. */
  readonly changed: readonly string[];
}

/**
 * Compares the pinned file with the pool's published JWKS, key by key (kid and key material).
 * Writes nothing.
 * @throws ConfigError when either side cannot be read or is not a valid JWKS
 */
export async function checkJwks(options: JwksCheckOptions): Promise<JwksCheckResult> {
  const path = resolve(options.file);
  const pinned = loadJwks(readPinned(path), path);
  const { url, keys: published } = await fetchPublished(options);
  const missing = [...published.keys()].filter((kid) => !pinned.has(kid));
  const retired = [...pinned.keys()].filter((kid) => !published.has(kid));
  const changed = [...published].filter(([kid, key]) => {
    const mine = pinned.get(kid);
    return mine !== undefined && !mine.equals(key);
  });
  return {
    url,
    path,
    inSync: missing.length + retired.length + changed.length === 0,
    missing,
    retired,
    changed: changed.map(([kid]) => kid),
  };
}

function readPinned(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (err) {
    throw new ConfigError(
      "unreadable",
      path,
      `${path}: cannot be read as JSON (${describe(err)})`,
      {
        cause: err,
      },
    );
  }
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
