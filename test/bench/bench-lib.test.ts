import {
  markdownTable,
  median,
  pairedMedian,
  parseProcStatTicks,
  parseStatusKb,
  percentile,
  ratio,
} from "../../scripts/bench-lib";

describe("bench statistics", () => {
  it("median of odd and even samples, NaN when empty", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("ratio refuses a missing or zero baseline", () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(NaN, 4)).toBeNaN();
  });

  it("pairs each round with its own baseline before taking the median", () => {
    // The machine slows down over the rounds; same-round ratios stay at 0.9.
    const open = [1000, 800, 600];
    const route = [900, 720, 540];
    expect(pairedMedian(route, open, ratio)).toBeCloseTo(0.9, 10);
    // One disturbed round does not move it.
    expect(pairedMedian([900, 100, 540], open, ratio)).toBeCloseTo(0.9, 10);
    expect(pairedMedian([5, 7], [2, 3], (v, base) => v - base)).toBe(3.5);
  });
});

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

describe("markdownTable", () => {
  it("escapes pipes in cells", () => {
    expect(markdownTable(["a", "b"], [["x|y", "1"]])).toBe(
      "| a | b |\n| --- | --- |\n| x\\|y | 1 |",
    );
  });
});
