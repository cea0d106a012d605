/** The durable revocation journal: replay, torn tails, compaction, locking. */
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/clock";
import { ConfigError } from "../../src/errors";
import {
  JOURNAL_FILE,
  JournalRevocationStore,
  LOCK_FILE,
} from "../../src/stores/revocation-journal";

const NOW_SEC = 1_900_000_000;

function fakeClock(startSec = NOW_SEC): Clock & { advance(seconds: number): void } {
  let ms = startSec * 1000;
  return {
    now: () => ms,
    advance(seconds) {
      ms += seconds * 1000;
    },
  };
}

function lines(dir: string): string[] {
  return readFileSync(join(dir, JOURNAL_FILE), "utf8").split("\n").filter(Boolean);
}

const token = (id: string, iat = NOW_SEC - 10) => ({ jti: id, sub: `sub-of-${id}`, iat });

describe("JournalRevocationStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "journal-test-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("replays what it acknowledged after a reopen, tokens and subjects", async () => {
    const clock = fakeClock();
    const first = await JournalRevocationStore.open({ dir, clock });
    await first.revokeToken("jti-1", NOW_SEC + 600);
    await first.revokeSubject("user-1", NOW_SEC, NOW_SEC + 600);
    expect(first.isRevoked(token("jti-1"))).toBe(true);
    await first.close();

    const second = await JournalRevocationStore.open({ dir, clock });
    expect(second.isRevoked(token("jti-1"))).toBe(true);
    expect(second.isRevoked({ sub: "user-1", iat: NOW_SEC - 1 })).toBe(true);
    expect(second.isRevoked({ sub: "user-1", iat: NOW_SEC + 1 })).toBe(false);
    expect(second.isRevoked(token("jti-2"))).toBe(false);
    await second.close();
    expect(statSync(join(dir, JOURNAL_FILE)).mode & 0o777).toBe(0o600);
  });

  it("refuses at once, before the write is on disk, and resolves once it is", async () => {
    const store = await JournalRevocationStore.open({ dir, clock: fakeClock() });
    const pending = store.revokeToken("jti-now", NOW_SEC + 60);
    expect(store.isRevoked(token("jti-now"))).toBe(true);
    await pending;
    expect(lines(dir)).toHaveLength(1);
    await store.close();
  });

  it("writes concurrent revocations together and loses none of them", async () => {
    const clock = fakeClock();
    const store = await JournalRevocationStore.open({ dir, clock });
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => store.revokeToken(`j-${String(i)}`, NOW_SEC + 600)),
    );
    await store.close();
    const reopened = await JournalRevocationStore.open({ dir, clock });
    expect(reopened.size).toBe(300);
    expect(reopened.isRevoked(token("j-299"))).toBe(true);
    await reopened.close();
  });

  it("tolerates a torn last line: drops it, keeps the rest, appends cleanly after it", async () => {
    const clock = fakeClock();
    const store = await JournalRevocationStore.open({ dir, clock });
    await store.revokeToken("kept", NOW_SEC + 600);
    await store.close();
    appendFileSync(join(dir, JOURNAL_FILE), '{"kind":"token","key":"torn","expiresAt');

    const reopened = await JournalRevocationStore.open({ dir, clock });
    expect(reopened.isRevoked(token("kept"))).toBe(true);
    expect(reopened.isRevoked(token("torn"))).toBe(false);
    await reopened.revokeToken("after", NOW_SEC + 600);
    await reopened.close();
    expect(lines(dir).map((line) => (JSON.parse(line) as { key: string }).key)).toEqual([
      "kept",
      "after",
    ]);
  });

  it("treats a zero-filled tail as torn too", async () => {
    writeFileSync(
      join(dir, JOURNAL_FILE),
      `${JSON.stringify({ kind: "token", key: "a", expiresAtSec: NOW_SEC + 60 })}\n\0\0\0\0\n\0\0`,
    );
    const store = await JournalRevocationStore.open({ dir, clock: fakeClock() });
    expect(store.isRevoked(token("a"))).toBe(true);
    await store.close();
    expect(lines(dir)).toHaveLength(1);
  });

  it("refuses to start on damage before valid entries", async () => {
    const good = JSON.stringify({ kind: "token", key: "a", expiresAtSec: NOW_SEC + 60 });
    writeFileSync(join(dir, JOURNAL_FILE), `${good}\nnot json\n${good}\n`);
    await expect(JournalRevocationStore.open({ dir, clock: fakeClock() })).rejects.toBeInstanceOf(
      ConfigError,
    );
    // the refused open left no lock behind
    expect(() => readFileSync(join(dir, LOCK_FILE))).toThrow();
  });

  it("compaction keeps the file bounded and drops expired entries", async () => {
    const clock = fakeClock();
    const store = await JournalRevocationStore.open({ dir, clock, compactMinLines: 20 });
    for (let i = 0; i < 200; i += 1) {
      // the same subject signing out again and again merges into one live entry
      await store.revokeSubject("busy-user", NOW_SEC + i, NOW_SEC + 3600);
      expect(store.fileLines).toBeLessThanOrEqual(21);
    }
    for (let i = 0; i < 15; i += 1) await store.revokeToken(`short-${String(i)}`, NOW_SEC + 5);
    clock.advance(10); // the short ones expire
    for (let i = 0; i < 10; i += 1) await store.revokeToken(`long-${String(i)}`, NOW_SEC + 3600);
    expect(lines(dir).length).toBeLessThanOrEqual(21);
    expect(lines(dir).some((line) => line.includes("short-"))).toBe(false);
    await store.close();

    const reopened = await JournalRevocationStore.open({ dir, clock, compactMinLines: 20 });
    expect(reopened.isRevoked({ sub: "busy-user", iat: NOW_SEC + 199 })).toBe(true);
    expect(reopened.isRevoked(token("long-9"))).toBe(true);
    expect(reopened.size).toBe(11);
    await reopened.close();
  });

  it("refuses a directory another live journal holds, and takes over a stale lock", async () => {
    const clock = fakeClock();
    const store = await JournalRevocationStore.open({ dir, clock });
    await expect(JournalRevocationStore.open({ dir, clock })).rejects.toThrow(/in use by process/);
    await store.close();
    // a lock left by a process that no longer exists
    writeFileSync(join(dir, LOCK_FILE), "2147483646\n");
    const next = await JournalRevocationStore.open({ dir, clock });
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    await next.close();
  });

  it("refuses bad options and unusable directories with a ConfigError", async () => {
    await expect(JournalRevocationStore.open({ dir, compactMinLines: 0 })).rejects.toBeInstanceOf(
      ConfigError,
    );
    writeFileSync(join(dir, "a-file"), "");
    await expect(
      JournalRevocationStore.open({ dir: join(dir, "a-file", "below") }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
