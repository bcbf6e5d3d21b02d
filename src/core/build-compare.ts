/**
 * A release candidate judged against the last good build: per figure (latency quantiles, leak
 * slope, host memory, debug output and event-log entries per cycle, error-path outcomes) the
 * baseline, the candidate, the difference with a seeded bootstrap interval, the threshold and a
 * verdict; then one overall verdict naming the figure that drove it.
 *
 * False alarms: a figure regresses only when its difference passes its threshold (relative for
 * latencies, absolute for the rest) AND its interval excludes zero; the intervals are Bonferroni
 * corrected (each at 1 − alpha/m for the m figures with an interval), so with equal builds the
 * chance that any figure is called significant is at most alpha.
 */
import {
  bootstrapDeltas,
  bootstrapSlopeDelta,
  meanOf,
  quantileOf,
  type DeltaInterval,
} from './bootstrap.ts';
import type { Point } from './stats.ts';

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

export type FigureId =
  | 'start-p50'
  | 'start-p95'
  | 'stop-p50'
  | 'stop-p95'
  | 'leak-slope'
  | 'host-memory'
  | 'debug-lines'
  | 'event-log'
  | 'error-paths';

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
  /** Error paths: the cases whose outcome differs. */
  readonly differences?: readonly string[];
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
}

export interface CompareInput {
  readonly baselineName: string;
  readonly candidateName: string;
  readonly baseline: BuildMeasurements;
  readonly candidate: BuildMeasurements;
  readonly settings: CompareSettings;
}

const unavailable = (id: FigureId, unit: string, threshold: string, why: string): Figure => ({
  id,
  name: FIGURE_NAMES[id],
  unit,
  verdict: 'unavailable',
  threshold,
  source: why,
});

function pair<T>(a: Measured<T>, b: Measured<T>): { a: T; b: T; source: string } | { why: string } {
  if ('unavailable' in a) return { why: a.unavailable };
  if ('unavailable' in b) return { why: b.unavailable };
  return {
    a: a.values,
    b: b.values,
    source: a.source === b.source ? a.source : `${a.source} / ${b.source}`,
  };
}

/** A significant interval past the threshold decides; anything else is the same. */
function judge(d: DeltaInterval, pastUp: boolean, pastDown: boolean): FigureVerdict {
  if (pastUp && d.low > 0) return 'regressed';
  if (pastDown && d.high < 0) return 'improved';
  return 'same';
}

function latencyFigure(
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

function absoluteFigure(
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

const signedPercent = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(0)} %`;

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

export function compareBuilds(input: CompareInput): Comparison {
  const { baseline: A, candidate: B, settings } = input;
  const t = settings.thresholds;
  const leak = pair(A.leak, B.leak);
  const host = pair(A.hostMemory, B.hostMemory);
  const debug = pair(A.debugLines, B.debugLines);
  const events = pair(A.eventLog, B.eventLog);
  // Bonferroni: the figures with an interval share alpha (the latencies counted whenever a
  // build has blocks at all, so leaving them out below never loosens the others).
  const blocks = (m: BuildMeasurements) => m.latencyBlocks.filter((n) => n > 0).length;
  const intervals =
    (blocks(A) > 0 && blocks(B) > 0 ? 4 : 0) +
    ('why' in leak ? 0 : 1) +
    ('why' in host ? 0 : 1) +
    ('why' in debug ? 0 : 1) +
    ('why' in events ? 0 : 1);
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
