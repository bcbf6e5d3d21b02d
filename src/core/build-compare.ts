/**
 * A release candidate judged against the last good build: per figure (latency quantiles, the I/O
 * table's call latency quantiles, leak slope, host memory, debug output and event-log entries per
 * cycle, error-path outcomes) the
 * baseline, the candidate, the difference with a seeded bootstrap interval, the threshold and a
 * verdict; then one overall verdict naming the figure that drove it.
 *
 * False alarms: a figure regresses only when its difference passes its threshold (relative for
 * latencies, absolute for the rest) AND its interval excludes zero; the intervals are Bonferroni
 * corrected (each at 1 − alpha/m for the m figures with an interval), so with equal builds the
 * chance that any figure is called significant is at most alpha.
 */
import { bootstrapDeltas, bootstrapSlopeDelta, meanOf, quantileOf } from './bootstrap.ts';
import {
  absoluteFigure,
  FIGURE_NAMES,
  latencyFigure,
  operationChanges,
  signedPercent,
  unavailable,
  type Figure,
  type FigureId,
  type FigureVerdict,
  type IoLatencies,
} from './compare-figures.ts';
import type { Point } from './stats.ts';

export {
  FIGURE_NAMES,
  type Figure,
  type FigureId,
  type FigureVerdict,
  type IoLatencies,
} from './compare-figures.ts';

export interface CompareThresholds {
  /** Relative growth of a latency p50 that counts (0.2: +20 %). */
  readonly latencyP50: number;
  /** Relative growth of a latency p95 that counts. */
  readonly latencyP95: number;
  /** And at least this many milliseconds (sub-millisecond latencies move by noise alone). */
  readonly latencyMinMs: number;
  /** Growth of the leak slope, bytes per cycle. */
  readonly leakSlopeBytesPerCycle: number;
  /** Growth of the driver host's memory, bytes per cycle. */
  readonly hostMemoryBytesPerCycle: number;
  /** More debug output lines per cycle. */
  readonly debugLinesPerCycle: number;
  /** More event-log entries per cycle. */
  readonly eventLogEntriesPerCycle: number;
  /** Relative growth of the I/O table's call latency p50 that counts. */
  readonly ioLatencyP50: number;
  /** Relative growth of its p95. */
  readonly ioLatencyP95: number;
  /** And at least this many milliseconds (an IOCTL on Windows takes microseconds). */
  readonly ioLatencyMinMs: number;
}

export interface CompareSettings {
  /** Cycles per build. */
  readonly cycles: number;
  /** Cycles in one block: the builds alternate block by block (baseline first). */
  readonly blockSize: number;
  /** Cycles of each build left out of the figures at the start (first-load effects). */
  readonly warmupCycles: number;
  /** The overall false-alarm rate the intervals are corrected for. */
  readonly alpha: number;
  readonly resamples: number;
  readonly seed: number;
  /** Run the driver's error-path cases against both builds. */
  readonly errorPaths: boolean;
  readonly thresholds: CompareThresholds;
}

export const DEFAULT_COMPARE_SETTINGS: CompareSettings = {
  cycles: 200,
  blockSize: 25,
  warmupCycles: 2,
  alpha: 0.05,
  resamples: 1000,
  seed: 20_26,
  errorPaths: true,
  thresholds: {
    latencyP50: 0.2,
    latencyP95: 0.3,
    latencyMinMs: 0.5,
    leakSlopeBytesPerCycle: 64,
    hostMemoryBytesPerCycle: 4096,
    debugLinesPerCycle: 1,
    eventLogEntriesPerCycle: 0.5,
    ioLatencyP50: 0.2,
    ioLatencyP95: 0.3,
    ioLatencyMinMs: 0.05,
  },
};

/** What is wrong with a compare setting, or undefined. */
export function compareSettingsProblem(s: CompareSettings): string | undefined {
  const whole = (name: string, v: number, min: number) =>
    Number.isInteger(v) && v >= min
      ? undefined
      : `${name} must be a whole number ≥ ${min} (got ${v})`;
  const nonNegative = (name: string, v: number) =>
    Number.isFinite(v) && v >= 0 ? undefined : `${name} must be a number ≥ 0 (got ${v})`;
  return (
    whole('cycles', s.cycles, 2) ??
    whole('blockSize', s.blockSize, 1) ??
    whole('warmupCycles', s.warmupCycles, 0) ??
    (s.warmupCycles + 2 > s.cycles
      ? `warmupCycles (${s.warmupCycles}) leaves fewer than 2 cycles of ${s.cycles}`
      : undefined) ??
    (s.alpha > 0 && s.alpha < 1 ? undefined : `alpha must lie between 0 and 1 (got ${s.alpha})`) ??
    whole('resamples', s.resamples, 100) ??
    (Number.isInteger(s.seed) ? undefined : `seed must be a whole number (got ${s.seed})`) ??
    Object.entries(s.thresholds)
      .map(([k, v]) => nonNegative(`thresholds.${k}`, v as number))
      .find((p) => p !== undefined)
  );
}

export type CompareVerdict = 'regressed' | 'improved' | 'same';

export interface Comparison {
  readonly verdict: CompareVerdict;
  /** The figure that drove a regressed or improved verdict (the one furthest past its threshold). */
  readonly drivenBy?: FigureId;
  readonly baseline: string;
  readonly candidate: string;
  readonly cycles: { readonly baseline: number; readonly candidate: number };
  readonly blockSize: number;
  readonly seed: number;
  readonly resamples: number;
  /** Each interval's coverage (Bonferroni: 1 − alpha / intervals). */
  readonly confidence: number;
  readonly alpha: number;
  readonly figures: readonly Figure[];
}

/** A series per build, or why the machine cannot measure it. */
export type Measured<T> =
  { readonly values: T; readonly source: string } | { readonly unavailable: string };

export interface ErrorPathOutcome {
  readonly caseId: string;
  readonly title: string;
  readonly passed: boolean;
  /** The verdict's summary. */
  readonly summary: string;
}

export interface BuildMeasurements {
  /** Start and stop latency of each cycle past the warm-up, ms, block after block. */
  readonly startMs: readonly number[];
  readonly stopMs: readonly number[];
  /** How many of those latencies each block gave, in order (the bootstrap resamples blocks). */
  readonly latencyBlocks: readonly number[];
  /** The memory signal after each unload (cycle, bytes). */
  readonly leak: Measured<readonly Point[]>;
  /** Host memory growth per cycle, one value per block. */
  readonly hostMemory: Measured<readonly number[]>;
  /** Debug output lines per cycle, one value per block. */
  readonly debugLines: Measured<readonly number[]>;
  /** Event-log entries per cycle, one value per block. */
  readonly eventLog: Measured<readonly number[]>;
  readonly errorPaths: Measured<readonly ErrorPathOutcome[]>;
  /** The I/O table's calls (absent: the driver has no table). */
  readonly io?: Measured<IoLatencies>;
}

export interface CompareInput {
  readonly baselineName: string;
  readonly candidateName: string;
  readonly baseline: BuildMeasurements;
  readonly candidate: BuildMeasurements;
  readonly settings: CompareSettings;
}

function pair<T>(a: Measured<T>, b: Measured<T>): { a: T; b: T; source: string } | { why: string } {
  if ('unavailable' in a) return { why: a.unavailable };
  if ('unavailable' in b) return { why: b.unavailable };
  return {
    a: a.values,
    b: b.values,
    source: a.source === b.source ? a.source : `${a.source} / ${b.source}`,
  };
}

function errorPathFigure(m: ReturnType<typeof pair<readonly ErrorPathOutcome[]>>): Figure {
  const threshold = 'any case that passes on the baseline and fails on the candidate';
  if ('why' in m) return unavailable('error-paths', 'cases', threshold, m.why);
  const byId = new Map(m.a.map((o) => [o.caseId, o]));
  const worse: string[] = [];
  const better: string[] = [];
  for (const c of m.b) {
    const base = byId.get(c.caseId);
    if (!base || base.passed === c.passed) continue;
    (c.passed ? better : worse).push(
      `${c.title}: baseline ${base.passed ? 'passed' : `failed (${base.summary})`}, candidate ${c.passed ? 'passed' : `failed (${c.summary})`}`,
    );
  }
  const passedA = m.a.filter((o) => o.passed).length;
  const passedB = m.b.filter((o) => o.passed).length;
  return {
    id: 'error-paths',
    name: FIGURE_NAMES['error-paths'],
    unit: 'cases',
    verdict: worse.length > 0 ? 'regressed' : better.length > 0 ? 'improved' : 'same',
    baseline: passedA,
    candidate: passedB,
    delta: passedB - passedA,
    threshold,
    // Each case whose outcome changed counts as one threshold passed.
    excess: worse.length > 0 ? worse.length : better.length,
    source: m.source,
    differences: [...worse, ...better],
  };
}

/**
 * The blocks each build needs before a block-level difference can be significant at all: with k
 * blocks each and no difference between the builds, every candidate block lands above every
 * baseline block with probability 1 / C(2k, k); fewer blocks than make that ≤ the interval's
 * tail, and a plain run of luck would read as a shift (two blocks each: 1 in 6).
 */
export function blocksForSignificance(tail: number): number {
  let k = 1;
  let arrangements = 2; // C(2, 1)
  while (1 / arrangements > tail) {
    k++;
    arrangements = (arrangements * (2 * k) * (2 * k - 1)) / (k * k);
  }
  return k;
}

const NO_IO_TABLE = 'no I/O table (DRIVER_IO, driverUnderTest.io, --io): no calls to time';

/** The I/O table's call latency p50 and p95, decided as the start/stop latencies are. */
function ioLatencyFigures(
  io: { a: IoLatencies; b: IoLatencies; source: string } | { why: string },
  t: CompareThresholds,
  confidence: number,
  neededBlocks: number,
  options: () => { seed: number; resamples: number; confidence: number },
): Figure[] {
  const threshold = (relative: number) => `${signedPercent(relative)} and ≥ ${t.ioLatencyMinMs} ms`;
  const none = (why: string) => [
    unavailable('io-p50', 'ms', threshold(t.ioLatencyP50), why),
    unavailable('io-p95', 'ms', threshold(t.ioLatencyP95), why),
  ];
  if ('why' in io) return none(io.why);
  const blocksOf = (m: IoLatencies) => m.blocks.filter((n) => n > 0).length;
  const [a, b] = [blocksOf(io.a), blocksOf(io.b)];
  if (a < neededBlocks || b < neededBlocks)
    return none(
      `${a} and ${b} blocks with I/O calls past the warm-up: an interval at ${(confidence * 100).toFixed(2)} % needs ${neededBlocks} blocks of each build to be able to exclude zero`,
    );
  const [p50, p95] = bootstrapDeltas(io.a.callMs, io.b.callMs, [quantileOf(50), quantileOf(95)], {
    ...options(),
    blocks: { baseline: io.a.blocks, candidate: io.b.blocks },
  });
  const moved = operationChanges(io.a, io.b);
  return [
    latencyFigure('io-p50', p50!, t.ioLatencyP50, t.ioLatencyMinMs, io.source),
    latencyFigure('io-p95', p95!, t.ioLatencyP95, t.ioLatencyMinMs, io.source),
  ].map((f) => (moved.length > 0 && f.verdict !== 'same' ? { ...f, differences: moved } : f));
}

export function compareBuilds(input: CompareInput): Comparison {
  const { baseline: A, candidate: B, settings } = input;
  const t = settings.thresholds;
  const leak = pair(A.leak, B.leak);
  const host = pair(A.hostMemory, B.hostMemory);
  const debug = pair(A.debugLines, B.debugLines);
  const events = pair(A.eventLog, B.eventLog);
  const io = pair(A.io ?? { unavailable: NO_IO_TABLE }, B.io ?? { unavailable: NO_IO_TABLE });
  const ioBlocks = (m: IoLatencies) => m.blocks.filter((n) => n > 0).length;
  // Bonferroni: the figures with an interval share alpha (the latencies counted whenever a
  // build has blocks at all, so leaving them out below never loosens the others).
  const blocks = (m: BuildMeasurements) => m.latencyBlocks.filter((n) => n > 0).length;
  const intervals =
    (blocks(A) > 0 && blocks(B) > 0 ? 4 : 0) +
    ('why' in leak ? 0 : 1) +
    ('why' in host ? 0 : 1) +
    ('why' in debug ? 0 : 1) +
    ('why' in events ? 0 : 1) +
    ('why' in io || ioBlocks(io.a) === 0 || ioBlocks(io.b) === 0 ? 0 : 2);
  const confidence = 1 - settings.alpha / Math.max(1, intervals);
  const neededBlocks = blocksForSignificance((1 - confidence) / 2);
  const latencyOk = blocks(A) >= neededBlocks && blocks(B) >= neededBlocks;
  let stream = settings.seed;
  const options = () => ({ seed: stream++, resamples: settings.resamples, confidence });

  const figures: Figure[] = [];
  const latencySource = 'StartService / ControlService(STOP) per cycle';
  if (latencyOk) {
    for (const phase of ['start', 'stop'] as const) {
      const [p50, p95] = bootstrapDeltas(
        phase === 'start' ? A.startMs : A.stopMs,
        phase === 'start' ? B.startMs : B.stopMs,
        [quantileOf(50), quantileOf(95)],
        { ...options(), blocks: { baseline: A.latencyBlocks, candidate: B.latencyBlocks } },
      );
      figures.push(
        latencyFigure(`${phase}-p50`, p50!, t.latencyP50, t.latencyMinMs, latencySource),
      );
      figures.push(
        latencyFigure(`${phase}-p95`, p95!, t.latencyP95, t.latencyMinMs, latencySource),
      );
    }
  } else {
    const why = `${blocks(A)} and ${blocks(B)} blocks of cycles past the warm-up: an interval at ${(confidence * 100).toFixed(2)} % needs ${neededBlocks} blocks of each build to be able to exclude zero (cycles ≥ ${neededBlocks} × blockSize + warmupCycles)`;
    for (const id of ['start-p50', 'start-p95', 'stop-p50', 'stop-p95'] as const)
      figures.push(unavailable(id, 'ms', '', why));
  }
  figures.push(
    'why' in leak
      ? unavailable('leak-slope', 'B/cycle', `${t.leakSlopeBytesPerCycle} B/cycle`, leak.why)
      : absoluteFigure(
          'leak-slope',
          'B/cycle',
          bootstrapSlopeDelta(leak.a, leak.b, options()),
          t.leakSlopeBytesPerCycle,
          leak.source,
        ),
  );
  const perBlock = (id: FigureId, unit: string, m: typeof host, threshold: number) =>
    'why' in m
      ? unavailable(id, unit, `${threshold} ${unit}`, m.why)
      : absoluteFigure(
          id,
          unit,
          bootstrapDeltas(m.a, m.b, [meanOf], options())[0]!,
          threshold,
          m.source,
        );
  figures.push(perBlock('host-memory', 'B/cycle', host, t.hostMemoryBytesPerCycle));
  figures.push(perBlock('debug-lines', 'lines/cycle', debug, t.debugLinesPerCycle));
  figures.push(perBlock('event-log', 'entries/cycle', events, t.eventLogEntriesPerCycle));
  figures.push(errorPathFigure(pair(A.errorPaths, B.errorPaths)));
  // Last, so the figures before keep the bootstrap streams they had before the I/O figures.
  figures.push(...ioLatencyFigures(io, t, confidence, neededBlocks, options));

  const furthest = (verdict: FigureVerdict) =>
    figures
      .filter((f) => f.verdict === verdict)
      .sort((x, y) => (y.excess ?? 0) - (x.excess ?? 0))[0];
  const regressed = furthest('regressed');
  const improved = furthest('improved');
  const verdict: CompareVerdict = regressed ? 'regressed' : improved ? 'improved' : 'same';
  const driver = regressed ?? improved;
  return {
    verdict,
    ...(driver ? { drivenBy: driver.id } : {}),
    baseline: input.baselineName,
    candidate: input.candidateName,
    cycles: { baseline: A.startMs.length, candidate: B.startMs.length },
    blockSize: settings.blockSize,
    seed: settings.seed,
    resamples: settings.resamples,
    confidence,
    alpha: settings.alpha,
    figures,
  };
}

const num = (v: number | undefined, unit: string) => {
  if (v === undefined || !Number.isFinite(v)) return `- ${unit}`;
  const abs = Math.abs(v);
  const text =
    abs >= 100 || Number.isInteger(v) ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${text} ${unit}`;
};
const signed = (v: number | undefined, unit: string) =>
  v !== undefined && v > 0 ? `+${num(v, unit)}` : num(v, unit);

/** One figure in a line: `start latency p50 10.2 → 13.5 ms (+3.30 ms, +32 %; interval [+2.9, +3.8])`. */
export function describeFigure(f: Figure): string {
  if (f.verdict === 'unavailable') return `${f.name}: unavailable (${f.source})`;
  const rel =
    f.relative !== undefined && Number.isFinite(f.relative) ? `, ${signedPercent(f.relative)}` : '';
  const interval = f.interval
    ? `; interval [${signed(f.interval[0], '').trim()}, ${signed(f.interval[1], '').trim()}]`
    : '';
  const changes = f.differences && f.differences.length > 0 ? `: ${f.differences.join('; ')}` : '';
  return `${f.name} ${num(f.baseline, '').trim()} → ${num(f.candidate, f.unit)} (${signed(f.delta, f.unit)}${rel}${interval}; threshold ${f.threshold})${changes}`;
}

/** The verdict in one line, leading with the verdict and the figure that drove it. */
export function comparisonHeadline(c: Comparison): string {
  const driver = c.figures.find((f) => f.id === c.drivenBy);
  const others = c.figures
    .filter((f) => f.verdict === c.verdict && f.id !== c.drivenBy)
    .map((f) => f.name);
  const also = others.length > 0 ? ` (also ${others.join(', ')})` : '';
  const vs = `${c.candidate} against baseline ${c.baseline}, ${c.cycles.candidate}+${c.cycles.baseline} cycles`;
  if (!driver) {
    const measured = c.figures.filter((f) => f.verdict !== 'unavailable').length;
    return `${c.verdict}: ${vs}; ${measured} figures within their thresholds`;
  }
  return `${c.verdict} on ${driver.name}: ${describeFigure(driver)}${also}; ${vs}`;
}
