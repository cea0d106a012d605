/**
 * The statistics of the bench, the soak and the timing audit, one behaviour each:
 *
 * - {@link median}: the middle value, or the mean of the two middle ones; NaN for an empty
 *   sample (reports print NaN as "n/a", so a missing figure never looks like a measured 0).
 * - {@link percentile}: nearest rank, `p` in 0–100; NaN for an empty sample.
 * - {@link ksTwoSample}: the two-sample Kolmogorov–Smirnov test with the asymptotic Kolmogorov
 *   distribution and Stephens' small-sample correction (SciPy's `ks_2samp(method="asymp")`);
 *   throws on an empty sample, since "no evidence" must not read as "no difference".
 */

/** Median (mean of the two middle values for an even count); NaN for an empty sample. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] ?? NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? NaN) + upper) / 2;
}

/** Nearest-rank percentile, `p` in 0–100; NaN for an empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

/** `value / baseline`, NaN unless both are finite and the baseline is positive. */
export function ratio(value: number, baseline: number): number {
  return Number.isFinite(value) && Number.isFinite(baseline) && baseline > 0
    ? value / baseline
    : NaN;
}

/**
 * Median over rounds of `f(values[r], baseline[r])`: each round's figure compared with the
 * baseline measured in the same round, so drift in machine load between rounds cancels out.
 */
export function pairedMedian(
  values: readonly number[],
  baseline: readonly number[],
  f: (value: number, base: number) => number,
): number {
  const n = Math.min(values.length, baseline.length);
  return median(Array.from({ length: n }, (_, r) => f(values[r] ?? NaN, baseline[r] ?? NaN)));
}

/** Result of {@link ksTwoSample}. */
export interface KsResult {
  /** Largest distance between the two empirical distribution functions, 0–1. */
  readonly d: number;
  /** Probability of a distance at least `d` if both samples come from one distribution. */
  readonly p: number;
}

/** Two-sample Kolmogorov–Smirnov test. Throws a RangeError on an empty sample. */
export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  if (a.length === 0 || b.length === 0) throw new RangeError("both samples must be non-empty");
  const d = ksStatistic(a, b);
  const en = Math.sqrt((a.length * b.length) / (a.length + b.length));
  return { d, p: kolmogorovQ((en + 0.12 + 0.11 / en) * d) };
}

/** sup |F_a(x) − F_b(x)| over all x; ties advance both samples together. */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const at = Math.min(x[i] ?? Infinity, y[j] ?? Infinity);
    while (i < x.length && (x[i] ?? Infinity) <= at) i++;
    while (j < y.length && (y[j] ?? Infinity) <= at) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * Kolmogorov's survival function Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}. The series is summed
 * until its terms are negligible; where it does not settle (λ near 0) Q is 1.
 */
export function kolmogorovQ(lambda: number): number {
  if (!(lambda > 0)) return 1;
  const a2 = -2 * lambda * lambda;
  let sum = 0;
  let sign = 2;
  let previous = 0;
  for (let k = 1; k <= 100; k++) {
    const term = sign * Math.exp(a2 * k * k);
    sum += term;
    if (Math.abs(term) <= 1e-3 * previous || Math.abs(term) <= 1e-8 * sum) {
      return Math.min(1, Math.max(0, sum));
    }
    sign = -sign;
    previous = Math.abs(term);
  }
  return 1;
}
