/**
 * Local mode with several gateways: one emulator (`npm run local:cognito`) shared by any number
 * of gateway instances started with `LOCAL_COGNITO_URL`. The emulator writes a link file into
 * its data directory (`emulator.json`, mode 0600): endpoint, pool, app client, client secret and
 * a random per-run link token. A gateway reads that file, checks that the emulator answering at
 * the URL is the one that wrote it, and from then on asks the emulator for confirmation codes:
 * codes are captured in the emulator's process, so `/_local/confirmation-code` answers the same
 * on every instance.
 *
 * The emulator's link routes (`/_local/link`, `/_local/confirmation-code`) answer only a caller
 * presenting the link token, and never a request with an `Origin` header (a web page cannot
 * read codes through a visitor's browser). This module does not load cognito-local.
 */
import { timingSafeEqual } from "node:crypto";
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { ConfigError, GatewayError } from "../errors";

/** cognito-local's customary port. (Here, not in ./emulator, so reading it loads no emulator.) */
export const DEFAULT_LOCAL_COGNITO_PORT = 9229;

/** Where pools, clients and users persist between runs (`.local/` is git-ignored). */
export const DEFAULT_LOCAL_DATA_DIR = ".local/cognito";

/** Name of the link file inside the emulator's data directory. */
export const LINK_FILE = "emulator.json";

/** How long a gateway waits for the shared emulator's link routes. */
const LINK_TIMEOUT_MS = 2000;

/** What a gateway needs to use an emulator, wherever it runs. */
export interface LocalCognitoLink {
  /** Base URL for the AWS SDK's `endpoint`, e.g. `http://127.0.0.1:9229`. */
  readonly endpoint: string;
  /** Region for the AWS SDK. */
  readonly region: string;
  /** Id of the seeded pool. */
  readonly userPoolId: string;
  /** Id of the seeded app client. */
  readonly clientId: string;
  /** Its client secret. */
  readonly clientSecret: string;
  /** `iss` of every token the emulator mints. */
  readonly issuer: string;
  /** Latest code the emulator sent to this address (case-insensitive), if any. */
  codeFor(email: string): Promise<string | undefined>;
  /** Stops the emulator if this process started it; otherwise does nothing. */
  close(): Promise<void>;
}

/** What the link file and a link both carry: where the emulator is, its pool and app client. */
const LINK_FIELDS = [
  "endpoint",
  "region",
  "userPoolId",
  "clientId",
  "clientSecret",
  "issuer",
] as const;

/** Contents of the link file. */
export interface LinkFile extends Pick<LocalCognitoLink, (typeof LINK_FIELDS)[number]> {
  /** Bearer token of the emulator's link routes; random per emulator run. */
  readonly linkToken: string;
  /** Process id of the emulator. */
  readonly pid: number;
}

/** Path of the link file in `dataDir`. */
export function linkFilePath(dataDir: string): string {
  return path.join(path.resolve(dataDir), LINK_FILE);
}

/**
 * Writes the link file atomically (temp file, then rename) with mode 0600: it holds the client
 * secret and the link token. Returns a function that removes it if it still is ours.
 */
export function writeLinkFile(dataDir: string, link: LinkFile): () => void {
  const file = linkFilePath(dataDir);
  const temp = `${file}.${String(process.pid)}.tmp`;
  writeFileSync(temp, `${JSON.stringify(link, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600); // an existing temp file keeps its mode through writeFileSync
  renameSync(temp, file);
  return () => {
    if (readLinkFile(file)?.linkToken === link.linkToken) rmSync(file, { force: true });
  };
}

/** The live emulator that wrote `dataDir`'s link file, if its process still runs. */
export function liveLinkOwner(dataDir: string): number | undefined {
  const link = readLinkFile(linkFilePath(dataDir));
  if (link === undefined || link.pid === process.pid) return undefined;
  try {
    process.kill(link.pid, 0);
    return link.pid;
  } catch {
    return undefined; // no such process: a stale file from an emulator that was killed
  }
}

/**
 * Connects to the shared emulator at `url`: reads the link file in `dataDir`, then asks the
 * emulator to prove it is the one that wrote it. Throws ConfigError saying what to do.
 */
export async function connectLocalCognito(url: string, dataDir: string): Promise<LocalCognitoLink> {
  const endpoint = normaliseUrl(url);
  const file = linkFilePath(dataDir);
  const link = linkFileAt(file, endpoint);
  await proveWriter(link, file, endpoint);
  return {
    endpoint: link.endpoint,
    region: link.region,
    userPoolId: link.userPoolId,
    clientId: link.clientId,
    clientSecret: link.clientSecret,
    issuer: link.issuer,
    codeFor: (email) => codeFromEmulator(link, email),
    close: () => Promise.resolve(),
  };
}

/** The link file `file`, which must name the emulator at `endpoint`. */
function linkFileAt(file: string, endpoint: string): LinkFile {
  const link = readLinkFile(file);
  if (link === undefined) {
    throw new ConfigError(
      "unreadable",
      "LOCAL_DATA_DIR",
      `LOCAL_COGNITO_URL is set, but ${file} is missing or unreadable. Start the emulator with \`npm run local:cognito\`, and give it and this gateway the same LOCAL_DATA_DIR.`,
    );
  }
  if (normaliseUrl(link.endpoint) !== endpoint) {
    throw new ConfigError(
      "conflict",
      "LOCAL_COGNITO_URL",
      `LOCAL_COGNITO_URL is ${endpoint}, but the emulator of ${file} runs at ${link.endpoint}. Use that URL, or the LOCAL_DATA_DIR of the emulator at ${endpoint}.`,
    );
  }
  return link;
}

/** Asks the emulator at `endpoint` for its pool: it must be the one that wrote `file`. */
async function proveWriter(link: LinkFile, file: string, endpoint: string): Promise<void> {
  const answer = await linkRequest(link, "/_local/link").catch((err: unknown) => {
    throw new ConfigError(
      "unavailable",
      "LOCAL_COGNITO_URL",
      `No local Cognito emulator answers at ${endpoint}. Start it with \`npm run local:cognito\`.`,
      { cause: err },
    );
  });
  const ids = answer.body as Partial<Record<string, unknown>> | undefined;
  if (answer.status !== 200 || ids?.userPoolId !== link.userPoolId) {
    throw new ConfigError(
      "conflict",
      "LOCAL_DATA_DIR",
      `The emulator at ${endpoint} is not the one that wrote ${file} (it was restarted or replaced). Use the LOCAL_DATA_DIR of the emulator running there.`,
    );
  }
}

/** The latest code the shared emulator sent to `email`; 503 upstream_unavailable if it can't say. */
async function codeFromEmulator(link: LinkFile, email: string): Promise<string | undefined> {
  const query = new URLSearchParams({ email }).toString();
  const res = await linkRequest(link, `/_local/confirmation-code?${query}`).catch(
    (err: unknown) => {
      throw new GatewayError("upstream_unavailable", { cause: err, retryAfterSeconds: 1 });
    },
  );
  if (res.status === 404) return undefined;
  const code = (res.body as { code?: unknown } | undefined)?.code;
  if (res.status !== 200 || typeof code !== "string") {
    throw new GatewayError("upstream_unavailable", { retryAfterSeconds: 1 });
  }
  return code;
}

/** What the emulator's link routes serve. */
export interface LinkRoutesOptions {
  readonly linkToken: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly latestCode: (email: string) => string | undefined;
}

/**
 * The emulator's link routes, as a request filter: answers `/_local/…` requests and returns
 * true, or returns false for anything else (the Cognito API).
 */
export function createLinkRoutes(
  options: LinkRoutesOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const expected = Buffer.from(`Bearer ${options.linkToken}`);
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    if (!url.pathname.startsWith("/_local/")) return false;
    const presented = Buffer.from(req.headers.authorization ?? "");
    if (req.headers.origin !== undefined) {
      reply(res, 403, { error: "origin_refused" });
    } else if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      reply(res, 401, { error: "link_token_required" });
    } else if (req.method !== "GET") {
      reply(res, 405, { error: "method_not_allowed" });
    } else if (url.pathname === "/_local/link") {
      reply(res, 200, { userPoolId: options.userPoolId, clientId: options.clientId });
    } else if (url.pathname === "/_local/confirmation-code") {
      const code = options.latestCode(url.searchParams.get("email") ?? "");
      if (code === undefined) reply(res, 404, { error: "not_found" });
      else reply(res, 200, { code });
    } else {
      reply(res, 404, { error: "not_found" });
    }
    return true;
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function linkRequest(
  link: LinkFile,
  pathAndQuery: string,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${link.endpoint}${pathAndQuery}`, {
    headers: { authorization: `Bearer ${link.linkToken}` },
    signal: AbortSignal.timeout(LINK_TIMEOUT_MS),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  } catch {
    return { status: res.status, body: undefined };
  }
}

function readLinkFile(file: string): LinkFile | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const p = parsed as Record<string, unknown>;
  const strings = [...LINK_FIELDS, "linkToken"].every(
    (k) => typeof p[k] === "string" && p[k] !== "",
  );
  return strings && Number.isSafeInteger(p.pid) ? (parsed as LinkFile) : undefined;
}

function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      "malformed",
      "LOCAL_COGNITO_URL",
      `LOCAL_COGNITO_URL must be a URL like http://127.0.0.1:9229 (got "${url}").`,
    );
  }
  if (parsed.protocol !== "http:" || !isLoopbackHost(parsed.hostname)) {
    throw new ConfigError(
      "insecure",
      "LOCAL_COGNITO_URL",
      `LOCAL_COGNITO_URL must be an http:// address on this machine (127.0.0.1), got "${url}": the emulator is loopback only.`,
    );
  }
  return parsed.origin;
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
