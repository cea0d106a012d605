import { parseProcStatTicks, parseStatusKb } from "../../tools/lib/proc";

describe("/proc parsing", () => {
  it("reads utime + stime after a command name with spaces and parentheses", () => {
    const stat = "1234 (node (tsx) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0";
    expect(parseProcStatTicks(stat)).toBe(300);
  });

  it("reads a kB field of /proc/<pid>/status", () => {
    const status = "Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
    expect(parseStatusKb(status, "VmRSS")).toBe(102400);
    expect(parseStatusKb(status, "VmHWM")).toBe(204800);
    expect(parseStatusKb(status, "VmSwap")).toBeNaN();
  });
});
