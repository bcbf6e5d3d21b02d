/**
 * Seeded bootstrap intervals for the difference between two builds' samples (candidate minus
 * baseline): the same data and seed always give the same interval, so a comparison reproduces.
 */
import { mulberry32 } from './seeded-random.ts';
import { decimate, percentile, theilSen, type Point } from './stats.ts';

/** Uniform draws in [0, 1) from the seeded generator: resample indices. */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}

export interface BootstrapOptions {
  readonly seed: number;
  readonly resamples: number;
  /** Two-sided coverage of the interval, e.g. 0.99. */
  readonly confidence: number;
}

export interface DeltaInterval {
  readonly baseline: number;
  readonly candidate: number;
  /** candidate − baseline */
  readonly delta: number;
  readonly low: number;
  readonly high: number;
}

/** A statistic of an ascending sample (a quantile, a mean). */
export type SortedStatistic = (sorted: Float64Array) => number;

export const quantileOf =
  (p: number): SortedStatistic =>
  (sorted) =>
    percentile(sorted as unknown as readonly number[], p);

export const meanOf: SortedStatistic = (sorted) => {
  let sum = 0;
  for (const v of sorted) sum += v;
  return sorted.length === 0 ? NaN : sum / sorted.length;
};

function ascending(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** A sample split into consecutive blocks of these sizes (the cycles of each block, in order). */
function split(values: Float64Array, sizes: readonly number[] | undefined): Float64Array[] {
  if (!sizes) return Array.from(values, (v) => Float64Array.of(v));
  const blocks: Float64Array[] = [];
  let at = 0;
  for (const size of sizes) {
    blocks.push(values.subarray(at, at + size));
    at += size;
  }
  if (at !== values.length)
    throw new RangeError(`block sizes add up to ${at}, but the sample has ${values.length} values`);
  return blocks.filter((b) => b.length > 0);
}

/** One resample: as many blocks as there are, drawn with replacement, joined and sorted. */
function resampleSorted(blocks: readonly Float64Array[], random: () => number): Float64Array {
  const drawn = Array.from(blocks, () => blocks[Math.floor(random() * blocks.length)]!);
  const out = new Float64Array(drawn.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of drawn) {
    out.set(b, at);
    at += b.length;
  }
  return out.sort();
}

function interval(deltas: Float64Array, confidence: number): { low: number; high: number } {
  deltas.sort();
  const tail = ((1 - confidence) / 2) * 100;
  const arr = deltas as unknown as readonly number[];
  return { low: percentile(arr, tail), high: percentile(arr, 100 - tail) };
}

/** The samples in blocks (sizes in order): resampling draws whole blocks, not single values. */
export interface BlockSizes {
  readonly baseline: readonly number[];
  readonly candidate: readonly number[];
}

/**
 * For each statistic: its value on both samples, the difference, and the percentile bootstrap
 * interval of the difference (both samples resampled independently, each resample sorted once
 * and shared by all statistics). With block sizes, whole blocks are resampled (a block
 * bootstrap): values measured close together share the machine's passing load, so resampling
 * them one by one would make the interval too narrow.
 */
export function bootstrapDeltas(
  baseline: readonly number[],
  candidate: readonly number[],
  statistics: readonly SortedStatistic[],
  options: BootstrapOptions & { readonly blocks?: BlockSizes | undefined },
): DeltaInterval[] {
  const a = Float64Array.from(baseline);
  const b = Float64Array.from(candidate);
  const blocksA = split(a, options.blocks?.baseline);
  const blocksB = split(b, options.blocks?.candidate);
  const random = seededRandom(options.seed);
  const deltas = statistics.map(() => new Float64Array(options.resamples));
  for (let r = 0; r < options.resamples; r++) {
    const ra = resampleSorted(blocksA, random);
    const rb = resampleSorted(blocksB, random);
    statistics.forEach((stat, i) => (deltas[i]![r] = stat(rb) - stat(ra)));
  }
  const sortedA = ascending(baseline);
  const sortedB = ascending(candidate);
  return statistics.map((stat, i) => {
    const base = stat(sortedA);
    const cand = stat(sortedB);
    return {
      baseline: base,
      candidate: cand,
      delta: cand - base,
      ...interval(deltas[i]!, options.confidence),
    };
  });
}

/** Points kept per series for the slope itself, and in each resample's fit (O(n²) pairs each). */
const SLOPE_POINTS = 300;
const SLOPE_RESAMPLE_POINTS = 50;
/** Resamples of a slope at most: each is two Theil–Sen fits. */
const SLOPE_RESAMPLES = 200;

function slopeOf(points: readonly Point[]): number {
  return theilSen(points).slope;
}

/**
 * The difference of two series' Theil–Sen slopes (each thinned to SLOPE_POINTS) (candidate − baseline) with a bootstrap
 * interval from resampled points (each series thinned to SLOPE_RESAMPLE_POINTS first, at most
 * SLOPE_RESAMPLES resamples).
 */
export function bootstrapSlopeDelta(
  baseline: readonly Point[],
  candidate: readonly Point[],
  options: BootstrapOptions,
): DeltaInterval {
  const base = slopeOf(decimate(baseline, SLOPE_POINTS));
  const cand = slopeOf(decimate(candidate, SLOPE_POINTS));
  const a = decimate(baseline, SLOPE_RESAMPLE_POINTS);
  const b = decimate(candidate, SLOPE_RESAMPLE_POINTS);
  const random = seededRandom(options.seed);
  const pick = (points: readonly Point[]) =>
    Array.from({ length: points.length }, () => points[Math.floor(random() * points.length)]!);
  const deltas = new Float64Array(Math.min(options.resamples, SLOPE_RESAMPLES));
  for (let r = 0; r < deltas.length; r++) {
    const sa = slopeOf(pick(a));
    const sb = slopeOf(pick(b));
    // A resample with every point on one cycle has no slope: it says nothing either way.
    deltas[r] = Number.isFinite(sa) && Number.isFinite(sb) ? sb - sa : cand - base;
  }
  return {
    baseline: base,
    candidate: cand,
    delta: cand - base,
    ...interval(deltas, options.confidence),
  };
}
