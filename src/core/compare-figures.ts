/**
 * One compared figure of a build comparison (see build-compare.ts): its names, its shape, and how
 * a bootstrap interval and a threshold make its verdict.
 */
import type { DeltaInterval } from './bootstrap.ts';
import { percentile } from './stats.ts';

export type FigureId =
  | 'start-p50'
  | 'start-p95'
  | 'stop-p50'
  | 'stop-p95'
  | 'leak-slope'
  | 'host-memory'
  | 'debug-lines'
  | 'event-log'
  | 'error-paths'
  | 'io-p50'
  | 'io-p95';

export const FIGURE_NAMES: Record<FigureId, string> = {
  'start-p50': 'start latency p50',
  'start-p95': 'start latency p95',
  'stop-p50': 'stop latency p50',
  'stop-p95': 'stop latency p95',
  'leak-slope': 'leak slope',
  'host-memory': 'host memory growth',
  'debug-lines': 'debug output lines per cycle',
  'event-log': 'event-log entries per cycle',
  'error-paths': 'error-path cases passed',
  'io-p50': 'I/O call latency p50',
  'io-p95': 'I/O call latency p95',
};

export type FigureVerdict = 'regressed' | 'improved' | 'same' | 'unavailable';

export interface Figure {
  readonly id: FigureId;
  readonly name: string;
  readonly unit: string;
  readonly verdict: FigureVerdict;
  readonly baseline?: number;
  readonly candidate?: number;
  readonly delta?: number;
  /** delta / baseline, for the latencies. */
  readonly relative?: number;
  /** The bootstrap interval of delta (absent for exact figures). */
  readonly interval?: readonly [number, number];
  /** What counts, in words: `+20 % and ≥ 0.5 ms`. */
  readonly threshold: string;
  /** How far past its threshold (delta / threshold; > 1 passed it): picks the figure that drove the verdict. */
  readonly excess?: number;
  /** Where the figure came from (the memory signal, the event source), or why it is unavailable. */
  readonly source: string;
  /** Error paths: the cases whose outcome differs; I/O latency: the operations that moved most. */
  readonly differences?: readonly string[];
}

export const unavailable = (
  id: FigureId,
  unit: string,
  threshold: string,
  why: string,
): Figure => ({
  id,
  name: FIGURE_NAMES[id],
  unit,
  verdict: 'unavailable',
  threshold,
  source: why,
});

/** A significant interval past the threshold decides; anything else is the same. */
export function judge(d: DeltaInterval, pastUp: boolean, pastDown: boolean): FigureVerdict {
  if (pastUp && d.low > 0) return 'regressed';
  if (pastDown && d.high < 0) return 'improved';
  return 'same';
}

export function latencyFigure(
  id: FigureId,
  d: DeltaInterval,
  relativeThreshold: number,
  minMs: number,
  source: string,
): Figure {
  const relative = d.baseline > 0 ? d.delta / d.baseline : d.delta > 0 ? Infinity : 0;
  const big = Math.abs(d.delta) >= minMs;
  const verdict = judge(
    d,
    big && relative > relativeThreshold,
    big && relative < -relativeThreshold,
  );
  return {
    id,
    name: FIGURE_NAMES[id],
    unit: 'ms',
    verdict,
    baseline: d.baseline,
    candidate: d.candidate,
    delta: d.delta,
    relative,
    interval: [d.low, d.high],
    threshold: `${signedPercent(relativeThreshold)} and ≥ ${minMs} ms`,
    excess: relativeThreshold > 0 ? Math.abs(relative) / relativeThreshold : Infinity,
    source,
  };
}

export function absoluteFigure(
  id: FigureId,
  unit: string,
  d: DeltaInterval,
  threshold: number,
  source: string,
): Figure {
  return {
    id,
    name: FIGURE_NAMES[id],
    unit,
    verdict: judge(d, d.delta > threshold, d.delta < -threshold),
    baseline: d.baseline,
    candidate: d.candidate,
    delta: d.delta,
    interval: [d.low, d.high],
    threshold: `${threshold} ${unit}`,
    excess: threshold > 0 ? Math.abs(d.delta) / threshold : Math.abs(d.delta) > 0 ? Infinity : 0,
    source,
  };
}

export const signedPercent = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(0)} %`;

/**
 * The I/O table's calls, per build: each operation's time per call in each cycle past the warm-up
 * (its calls' total over their count: one call unless the operation repeats or fuzzes), block
 * after block. The same table and fuzz seed on both builds: the same calls, so the mix compares.
 */
export interface IoLatencies {
  readonly callMs: readonly number[];
  /** How many of callMs each block gave, in order (the bootstrap resamples blocks). */
  readonly blocks: readonly number[];
  /** The same values by operation: which operation moved. */
  readonly byOperation: Readonly<Record<string, readonly number[]>>;
}

/**
 * The operations whose median moved most between the builds, largest relative change first:
 * `alloc 15.2 → 31.0 ms (+104 %)`. Descriptive (no interval): it says where to look, the pooled
 * figure decides.
 */
export function operationChanges(a: IoLatencies, b: IoLatencies, most = 3): string[] {
  const median = (values: readonly number[] | undefined) =>
    values && values.length > 0
      ? percentile(
          [...values].sort((x, y) => x - y),
          50,
        )
      : undefined;
  const changes: { text: string; move: number }[] = [];
  for (const name of Object.keys(b.byOperation)) {
    const before = median(a.byOperation[name]);
    const after = median(b.byOperation[name]);
    if (before === undefined || after === undefined) continue;
    const relative = before > 0 ? (after - before) / before : 0;
    changes.push({
      text: `${name} ${before.toFixed(2)} → ${after.toFixed(2)} ms (${signedPercent(relative)})`,
      move: Math.abs(relative),
    });
  }
  return changes
    .sort((x, y) => y.move - x.move)
    .slice(0, most)
    .map((c) => c.text);
}
