/**
 * The statistics of the bench, soak and timing audit: median, nearest-rank percentiles, paired
 * ratios, and the two-sample Kolmogorov–Smirnov statistic (ties included) with the asymptotic
 * Kolmogorov distribution, checked against SciPy's `ks_2samp` (method="asymp", which applies
 * the same Stephens correction).
 */
import fc from "fast-check";
import {
  kolmogorovQ,
  ksStatistic,
  ksTwoSample,
  median,
  pairedMedian,
  percentile,
  ratio,
} from "../../tools/lib/stats";

// 40 and 60 draws of N(0,1) and N(0.5,1) (NumPy, seed 1, rounded to 3 places).
const X = [
  0.346, 0.822, 0.33, -1.303, 0.905, 0.446, -0.537, 0.581, 0.365, 0.294, 0.028, 0.547, -0.736,
  -0.163, -0.482, 0.599, 0.04, -0.292, -0.782, -0.257, 0.008, -0.276, 1.294, 1.007, -2.711, -1.889,
  -0.175, -0.422, 0.214, 0.217, 2.118, -1.112, -0.378, 2.043, 0.647, 0.663, -0.514, -1.648, 0.167,
  0.109,
];
const Y = [
  -0.727, -0.183, 0.428, -0.445, 0.402, 0.595, 0.536, -0.006, 1.094, 1.391, 0.821, -0.318, 1.232,
  -0.001, 1.379, -0.572, 1.414, 0.48, -0.749, 0.186, 0.554, 0.773, -0.482, -0.607, 0.7, 0.033,
  0.736, 1.26, -1.149, 0.754, 1.725, 0.202, -0.311, 1.252, 0.753, 1.396, 0.155, -0.982, 0.39, 0.054,
  1.275, 0.694, -1.131, -0.695, 1.384, 1.18, -0.14, 0.499, 0.946, 0.968, 1.376, 0.756, 0.405, 0.241,
  1.556, -1.751, 0.361, 0.533, -0.925, 0.833,
];

describe("kolmogorovQ", () => {
  it.each([
    [0.5, 0.963945],
    [1.0, 0.27],
    [1.36, 0.049486],
    [1.63, 0.009846],
    [2.0, 0.000671],
  ])("Q(%d) = %d", (lambda, q) => {
    expect(kolmogorovQ(lambda)).toBeCloseTo(q, 5);
  });

  it("is 1 at and near 0, and decreasing", () => {
    expect(kolmogorovQ(0)).toBe(1);
    expect(kolmogorovQ(0.001)).toBe(1);
    expect(kolmogorovQ(0.05)).toBeCloseTo(1, 6);
    const qs = [0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.5].map(kolmogorovQ);
    for (let i = 1; i < qs.length; i++) expect(qs[i]).toBeLessThan(qs[i - 1]!);
  });
});

describe("ksTwoSample", () => {
  it("matches SciPy's ks_2samp(method='asymp')", () => {
    const { d, p } = ksTwoSample(X, Y);
    expect(d).toBeCloseTo(17 / 60, 10);
    expect(p).toBeCloseTo(0.033792, 4);
  });

  it("computes D by hand on a small case", () => {
    expect(ksStatistic([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8])).toBeCloseTo(0.5, 12);
  });

  it("advances both samples past ties together", () => {
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 12);
    expect(ksStatistic([5, 5, 5], [5, 5])).toBe(0);
  });

  it("gives D 0 and p 1 for identical samples, D 1 and tiny p for disjoint ones", () => {
    const a = Array.from({ length: 200 }, (_, i) => i);
    expect(ksTwoSample(a, [...a].reverse())).toEqual({ d: 0, p: 1 });
    const disjoint = ksTwoSample(
      a,
      a.map((v) => v + 1000),
    );
    expect(disjoint.d).toBe(1);
    expect(disjoint.p).toBeLessThan(1e-20);
  });

  it("refuses an empty sample", () => {
    expect(() => ksTwoSample([], [1])).toThrow(RangeError);
  });

  it("is symmetric, bounded and order-free (property)", () => {
    const sample = fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ab = ksTwoSample(a, b);
        const ba = ksTwoSample([...b].reverse(), a);
        return ab.d === ba.d && ab.p === ba.p && ab.d >= 0 && ab.d <= 1 && ab.p >= 0 && ab.p <= 1;
      }),
      { numRuns: 200 },
    );
  });
});

describe("median, percentiles and ratios", () => {
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
