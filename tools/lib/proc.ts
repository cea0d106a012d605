/** /proc readings (Linux) of the bench: CPU time and memory of a process. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!(ticksPerSecond > 0)) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** utime + stime, in clock ticks, from the text of `/proc/<pid>/stat`. */
export function parseProcStatTicks(stat: string): number {
  // The command name (field 2) may contain spaces and parentheses: parse after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU seconds (user + system) a process has used so far, or NaN. */
export function cpuSeconds(pid: number): number {
  try {
    return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, "utf8")) / clockTicks();
  } catch {
    return NaN;
  }
}

/**
 * CPU time of a process's main thread (where its JavaScript runs), in seconds with nanosecond
 * resolution, from `/proc/<pid>/task/<pid>/schedstat`; NaN if unreadable.
 */
export function mainThreadCpuSeconds(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8");
    return Number(text.split(" ")[0]) / 1e9;
  } catch {
    return NaN;
  }
}

/** A `kB` field (e.g. `VmRSS`) of the text of `/proc/<pid>/status`, or NaN. */
export function parseStatusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  return match ? Number(match[1]) : NaN;
}

/** Resident set size now and its peak so far (VmHWM), in MB (10^6 bytes); NaN if unreadable. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return {
      rss: (parseStatusKb(status, "VmRSS") * 1024) / 1e6,
      peak: (parseStatusKb(status, "VmHWM") * 1024) / 1e6,
    };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** The load averages over 1, 5 and 15 minutes, as printed: "1.23 0.98 0.75". */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}
