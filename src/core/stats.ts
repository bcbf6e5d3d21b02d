/** Robust statistics for memory series: medians and the Theil–Sen slope. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation: a spread measure that ignores outliers. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Evenly spaced points, at most `max` of them, first and last kept. */
export function decimate<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]!);
}

/**
 * Theil–Sen estimator: the median of the slopes between all pairs of points, so up to ~29 % of the
 * samples can be outliers (a GC pause, a one-off allocation) without moving it. Long series are
 * decimated to 1,000 points first (half a million pairs).
 */
export function theilSen(input: readonly Point[]): { slope: number; intercept: number } {
  const points = decimate(input, 1000);
  if (points.length < 2) return { slope: NaN, intercept: NaN };
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  const slope = median(slopes);
  const intercept = median(points.map((p) => p.y - slope * p.x));
  return { slope, intercept };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
