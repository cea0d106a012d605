/**
 * Durable revocations for one instance without Redis: an append-only journal on local disk.
 *
 * Every revocation is applied to an in-memory {@link MemoryRevocationStore} mirror at once (so
 * `isRevoked` stays synchronous and never touches the disk), then appended to
 * `<dir>/revocations.jsonl` as one JSON line; the returned promise resolves only after the line
 * is written and `fdatasync` returned, so a logout answered 204 is on disk. Writes that arrive
 * while one is in flight share the next write and sync (group commit).
 *
 * At start the journal is replayed into the mirror. A torn tail (an append cut short by a crash:
 * it was never acknowledged) is cut off; damage before the last good line refuses to start.
 * When the file holds many more lines than live entries (expired or merged ones), it is
 * compacted: the live entries are written to a temporary file, synced, renamed over the journal
 * and the directory synced, so a crash at any moment leaves either the old or the new file.
 * A lock file keeps a second process off the same directory.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { mkdir, open, readFile, rename, type FileHandle } from "node:fs/promises";
import path from "node:path";
import {
  MemoryRevocationStore,
  parseRevocationEntry,
  type RevocationEntry,
  type RevocationStore,
  type RevocationSubject,
} from "../auth/revocation";
import type { Clock } from "../clock";
import { ConfigError } from "../errors";
import type { Logger } from "../logger";

/** The journal's file name inside its directory. */
export const JOURNAL_FILE = "revocations.jsonl";
/** The lock file's name: it holds the owner's process id. */
export const LOCK_FILE = "revocations.lock";
/** Default directory of the standalone server's journal (LOCAL_STATE_DIR). */
export const DEFAULT_STATE_DIR = ".local/state";
const DEFAULT_COMPACT_MIN_LINES = 1000;
/** Directories this process holds a journal open in. */
const openHere = new Set<string>();

/** Options of {@link JournalRevocationStore.open}. */
export interface JournalRevocationStoreOptions {
  /** Directory of the journal; created (mode 0700) if missing. */
  dir: string;
  /** Source of time (the mirror's). Default: the system clock. */
  clock?: Clock;
  /** The verifiers' clock skew, for the mirror (see MemoryRevocationStoreOptions). Default 5. */
  clockSkewSeconds?: number;
  /** Most live entries in the mirror. Default 100 000. */
  maxEntries?: number;
  /**
   * Compaction runs when the file holds more than this many lines and more than twice the live
   * entries: the file stays within about twice the live entries plus this. Default 1000.
   */
  compactMinLines?: number;
  /** Where a cut-off torn tail and compactions are reported. */
  logger?: Logger;
}

/** A {@link RevocationStore} that keeps what it acknowledged across restarts. */
export class JournalRevocationStore implements RevocationStore {
  readonly #mirror: MemoryRevocationStore;
  readonly #file: string;
  readonly #dir: string;
  readonly #compactMinLines: number;
  readonly #logger: Logger | undefined;
  #handle: FileHandle;
  #lines: number;
  #bytes: number;
  #pending: string[] = [];
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;

  private constructor(
    parts: { mirror: MemoryRevocationStore; handle: FileHandle; lines: number; bytes: number },
    options: JournalRevocationStoreOptions,
    compactMinLines: number,
  ) {
    this.#mirror = parts.mirror;
    this.#handle = parts.handle;
    this.#lines = parts.lines;
    this.#bytes = parts.bytes;
    this.#dir = path.resolve(options.dir);
    this.#file = path.join(this.#dir, JOURNAL_FILE);
    this.#compactMinLines = compactMinLines;
    this.#logger = options.logger;
  }

  /**
   * Opens (or creates) the journal in `options.dir`, replays it and locks the directory. Throws
   * ConfigError when the directory is unusable, locked by a live process, or damaged.
   */
  static async open(options: JournalRevocationStoreOptions): Promise<JournalRevocationStore> {
    const compactMinLines = options.compactMinLines ?? DEFAULT_COMPACT_MIN_LINES;
    if (!Number.isSafeInteger(compactMinLines) || compactMinLines < 1) {
      throw new ConfigError(
        "out_of_range",
        "compactMinLines",
        "JournalRevocationStore: compactMinLines must be a positive integer",
      );
    }
    const dir = path.resolve(options.dir);
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      throw new ConfigError(
        "unavailable",
        "LOCAL_STATE_DIR",
        `Cannot create the revocation journal directory ${dir}. Set LOCAL_STATE_DIR to a writable directory (or "off" to keep revocations in memory only).`,
        { cause: err },
      );
    });
    lockDirectory(dir);
    try {
      const mirror = new MemoryRevocationStore({
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.clockSkewSeconds === undefined
          ? {}
          : { clockSkewSeconds: options.clockSkewSeconds }),
        ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      });
      const file = path.join(dir, JOURNAL_FILE);
      const replayed = await replay(file, mirror, options.logger);
      const handle = await open(file, "a", 0o600);
      if (replayed.bytes < replayed.fileBytes) await handle.truncate(replayed.bytes);
      await syncDirectory(dir); // the file's creation is durable too
      const store = new JournalRevocationStore(
        { mirror, handle, lines: replayed.lines, bytes: replayed.bytes },
        options,
        compactMinLines,
      );
      await store.#compactIfWorthIt();
      return store;
    } catch (error) {
      unlockDirectory(dir);
      throw error;
    }
  }

  /** Live entries in the mirror. */
  get size(): number {
    return this.#mirror.size;
  }

  /** Lines in the journal file now (live, merged and expired entries until compaction). */
  get fileLines(): number {
    return this.#lines;
  }

  /** Resolves once the revocation is on disk; the mirror refuses the token before that. */
  revokeToken(id: string, expiresAtSec: number): Promise<void> {
    return this.#record({ kind: "token", key: id, expiresAtSec });
  }

  /** Resolves once the revocation is on disk; the mirror refuses the tokens before that. */
  revokeSubject(sub: string, cutoffSec: number, expiresAtSec: number): Promise<void> {
    return this.#record({ kind: "subject", key: sub, cutoffSec, expiresAtSec });
  }

  /** From the mirror: synchronous, never waits on the disk. */
  isRevoked(claims: RevocationSubject): boolean {
    return this.#mirror.isRevoked(claims);
  }

  /** Waits for pending writes, closes the file and releases the lock. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flushing;
    await this.#handle.close();
    unlockDirectory(this.#dir);
  }

  #record(entry: RevocationEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("JournalRevocationStore is closed"));
    try {
      this.#mirror.apply(entry); // validates the entry; refused at once from here on
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push(`${JSON.stringify(entry)}\n`);
      this.#waiters.push({ resolve, reject });
      this.#kick();
    });
  }

  /** Starts the flush loop unless it runs; restarts it for lines queued as it was finishing. */
  #kick(): void {
    if (this.#flushing !== undefined) return;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      if (this.#pending.length > 0) this.#kick();
    });
  }

  /** Writes and syncs what is pending, batch after batch, compacting between batches. */
  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const lines = this.#pending.splice(0);
      const waiters = this.#waiters.splice(0);
      const chunk = Buffer.from(lines.join(""), "utf8");
      try {
        await this.#handle.write(chunk);
        await this.#handle.datasync();
        this.#bytes += chunk.length;
        this.#lines += lines.length;
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        // Not acknowledged. Cut any partial line so later appends do not follow garbage.
        await this.#handle.truncate(this.#bytes).catch(() => undefined);
        this.#logger?.error({ err: error }, "revocation journal: write failed");
        for (const waiter of waiters) waiter.reject(error);
      }
      await this.#compactIfWorthIt().catch((error: unknown) => {
        this.#logger?.error({ err: error }, "revocation journal: compaction failed");
      });
    }
  }

  async #compactIfWorthIt(): Promise<void> {
    if (this.#lines <= this.#compactMinLines || this.#lines <= 2 * this.#mirror.size) return;
    const before = this.#lines;
    const entries = this.#mirror.entries();
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join("");
    const temp = `${this.#file}.compact`;
    const out = await open(temp, "w", 0o600);
    try {
      await out.writeFile(text, "utf8");
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, this.#file);
    await syncDirectory(this.#dir);
    const previous = this.#handle;
    this.#handle = await open(this.#file, "a", 0o600);
    await previous.close();
    this.#lines = entries.length;
    this.#bytes = Buffer.byteLength(text, "utf8");
    this.#logger?.info(
      { linesBefore: before, linesAfter: entries.length },
      "revocation journal compacted",
    );
  }
}

/** Replays `file` into `mirror`. `bytes` ends after the last good line. */
async function replay(
  file: string,
  mirror: MemoryRevocationStore,
  logger: Logger | undefined,
): Promise<{ lines: number; bytes: number; fileBytes: number }> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { lines: 0, bytes: 0, fileBytes: 0 };
    }
    throw new ConfigError(
      "unreadable",
      "LOCAL_STATE_DIR",
      `Cannot read the revocation journal ${file}.`,
      { cause: error },
    );
  }
  let lines = 0;
  let good = 0; // bytes up to the end of the last good line
  let damagedAt: number | undefined;
  for (let start = 0; start < data.length;) {
    const newline = data.indexOf(0x0a, start);
    const end = newline === -1 ? data.length : newline + 1;
    const entry = newline === -1 ? undefined : parseLine(data.subarray(start, newline));
    if (entry === undefined) {
      damagedAt ??= start;
    } else {
      if (damagedAt !== undefined) {
        throw new ConfigError(
          "unreadable",
          "LOCAL_STATE_DIR",
          `The revocation journal ${file} is damaged at byte ${String(damagedAt)}, before valid entries. Restore it from a backup, or move it away to start without the revocations it held.`,
        );
      }
      mirror.apply(entry);
      lines += 1;
      good = end;
    }
    start = end;
  }
  if (good < data.length) {
    logger?.warn(
      { file, bytesDropped: data.length - good },
      "revocation journal: dropped a torn last line (a write cut short, never acknowledged)",
    );
  }
  return { lines, bytes: good, fileBytes: data.length };
}

function parseLine(line: Buffer): RevocationEntry | undefined {
  try {
    return parseRevocationEntry(JSON.parse(line.toString("utf8")));
  } catch {
    return undefined;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Takes `<dir>/revocations.lock`, replacing a stale one whose process is gone. */
function lockDirectory(dir: string): void {
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, `${String(process.pid)}\n`);
      closeSync(fd);
      openHere.add(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ConfigError(
          "unavailable",
          "LOCAL_STATE_DIR",
          `Cannot lock the revocation journal directory ${dir}.`,
          {
            cause: error,
          },
        );
      }
      const owner = Number(readFileSync(lock, "utf8").trim());
      // Our own pid in the lock without an open journal here: a previous run with the same pid
      // (PID 1 in a restarted container) died holding it.
      const ours = owner === process.pid && !openHere.has(dir);
      if (Number.isSafeInteger(owner) && owner > 0 && !ours && processAlive(owner)) {
        throw new ConfigError(
          "conflict",
          "LOCAL_STATE_DIR",
          `The revocation journal in ${dir} is in use by process ${String(owner)}. Each instance needs its own LOCAL_STATE_DIR (or a shared REDIS_URL).`,
        );
      }
      rmSync(lock, { force: true }); // left by a process that died: take it over
    }
  }
  throw new ConfigError(
    "unavailable",
    "LOCAL_STATE_DIR",
    `Cannot lock the revocation journal directory ${dir}.`,
  );
}

function unlockDirectory(dir: string): void {
  openHere.delete(dir);
  const lock = path.join(dir, LOCK_FILE);
  try {
    if (Number(readFileSync(lock, "utf8").trim()) === process.pid) rmSync(lock, { force: true });
  } catch {
    // already gone
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
