import { expect, test } from '@playwright/test';
import { bootstrapDeltas, quantileOf, seededRandom } from '../../src/core/bootstrap.ts';
import {
  blocksForSignificance,
  compareBuilds,
  comparisonHeadline,
  compareSettingsProblem,
  DEFAULT_COMPARE_SETTINGS,
  type BuildMeasurements,
  type CompareSettings,
  type IoLatencies,
} from '../../src/core/build-compare.ts';

/** Lab-like latencies: a floor plus log-normal noise, from a seeded generator. */
function latencies(n: number, seed: number, floorMs: number, scale = 1): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    // Box–Muller
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return scale * (floorMs + Math.exp(0.4 * z));
  });
}

const flat = (n: number) => Array.from({ length: n }, (_, i) => ({ x: i + 1, y: 4096 }));
const growing = (n: number, perCycle: number) =>
  Array.from({ length: n }, (_, i) => ({ x: i + 1, y: perCycle * (i + 1) }));

function build(overrides: Partial<BuildMeasurements> = {}, seed = 1, n = 200): BuildMeasurements {
  return {
    startMs: latencies(n, seed, 10),
    stopMs: latencies(n, seed + 1000, 4),
    latencyBlocks: Array<number>(n / 25).fill(25),
    leak: { values: flat(n), source: 'wine-pool-trace' },
    hostMemory: { unavailable: 'no driver host sampled' },
    debugLines: { values: Array.from({ length: 8 }, () => 2), source: 'Wine debug output' },
    eventLog: { unavailable: 'the Wine lab has no event log' },
    errorPaths: { unavailable: 'not run (compare.errorPaths off)' },
    ...overrides,
  };
}

/**
 * An I/O table's calls over 8 blocks of 25 cycles: each operation one call per cycle, its time a
 * lab-like latency (the lab's IOCTLs take ~16 ms under Wine); `slower` scales one operation.
 */
function ioCalls(
  seed: number,
  slower: { operation?: string; factor?: number } = {},
  blocks = 8,
): { values: IoLatencies; source: string } {
  const operations = ['get', 'alloc', 'read'];
  const callMs: number[] = [];
  const byOperation: Record<string, number[]> = {};
  const perOperation = operations.map((name, i) => latencies(blocks * 25, seed + i * 100, 15));
  for (let cycle = 0; cycle < blocks * 25; cycle++)
    for (const [i, name] of operations.entries()) {
      const ms = perOperation[i]![cycle]! * (name === slower.operation ? slower.factor! : 1);
      callMs.push(ms);
      (byOperation[name] ??= []).push(ms);
    }
  return {
    values: { callMs, blocks: Array<number>(blocks).fill(25 * operations.length), byOperation },
    source: "the I/O table's calls",
  };
}

const settings: CompareSettings = { ...DEFAULT_COMPARE_SETTINGS, resamples: 400 };
const compare = (baseline: BuildMeasurements, candidate: BuildMeasurements, s = settings) =>
  compareBuilds({
    baselineName: 'old.sys',
    candidateName: 'new.sys',
    baseline,
    candidate,
    settings: s,
  });

test('identical samples are the same, with zero deltas and the seed in the result', () => {
  const a = build();
  const c = compare(a, a);
  expect(c.verdict).toBe('same');
  expect(c.drivenBy).toBeUndefined();
  expect(c.seed).toBe(settings.seed);
  for (const f of c.figures.filter((f) => f.verdict !== 'unavailable')) {
    expect(f.verdict, f.id).toBe('same');
    expect(f.delta, f.id).toBe(0);
  }
  expect(comparisonHeadline(c)).toMatch(/^same: new\.sys against baseline old\.sys/);
});

test('a candidate 30 % slower to start regresses, driven by start latency p50', () => {
  const base = build();
  const slower = build({ startMs: base.startMs.map((v) => v * 1.3) });
  const c = compare(base, slower);
  expect(c.verdict).toBe('regressed');
  expect(c.drivenBy).toBe('start-p50');
  const p50 = c.figures.find((f) => f.id === 'start-p50')!;
  expect(p50.relative).toBeCloseTo(0.3, 5);
  expect(p50.interval![0]).toBeGreaterThan(0);
  expect(c.figures.find((f) => f.id === 'stop-p50')!.verdict).toBe('same');
  expect(comparisonHeadline(c)).toMatch(/^regressed on start latency p50: .*\+30 %/);
});

test('a load burst during one block of the candidate is no regression (blocks are resampled whole)', () => {
  const base = build();
  // The machine got busy while the candidate's third block ran: its 25 cycles took 3× as long.
  const burst = base.startMs.map((v, i) => (i >= 50 && i < 75 ? v * 3 : v));
  const c = compare(base, build({ startMs: burst }));
  expect(c.figures.find((f) => f.id === 'start-p95')!.relative).toBeGreaterThan(0.3);
  expect(c.verdict).toBe('same');
  // Resampled cycle by cycle, the same data would have been called a regression.
  const cycleByCycle = { ...build({ startMs: burst }), latencyBlocks: Array<number>(200).fill(1) };
  const baseByCycle = { ...base, latencyBlocks: Array<number>(200).fill(1) };
  expect(compare(baseByCycle, cycleByCycle).verdict).toBe('regressed');
});

test('too few blocks for an interval: the latencies are unavailable, not decided', () => {
  // Two blocks each, the candidate's both 22 % slower to stop: as the lab once showed with two
  // equal builds, 1 run in 6 orders the blocks so, difference or not.
  const base = { ...build(), latencyBlocks: [100, 100] };
  const slower = { ...base, stopMs: base.stopMs.map((v) => v * 1.22) };
  const c = compare(base, slower);
  expect(c.verdict).toBe('same');
  const stop = c.figures.find((f) => f.id === 'stop-p50')!;
  expect(stop.verdict).toBe('unavailable');
  // Six figures with an interval: each at 99.17 %, whose tail needs 5 blocks (1 / C(10, 5)).
  expect(stop.source).toBe(
    '2 and 2 blocks of cycles past the warm-up: an interval at 99.17 % needs 5 blocks of each build to be able to exclude zero (cycles ≥ 5 × blockSize + warmupCycles)',
  );
});

test('blocks needed for significance: the smallest k with 1 / C(2k, k) within the tail', () => {
  expect(blocksForSignificance(0.05)).toBe(3); // C(6, 3) = 20
  expect(blocksForSignificance(0.025)).toBe(4); // C(8, 4) = 70
  expect(blocksForSignificance(0.05 / 7 / 2)).toBe(6); // C(12, 6) = 924; C(10, 5) = 252 is not enough
});

test('a 10 % slower start is within the +20 % threshold: same, though significant', () => {
  const base = build();
  const c = compare(base, build({ startMs: base.startMs.map((v) => v * 1.1) }));
  expect(c.figures.find((f) => f.id === 'start-p50')!.interval![0]).toBeGreaterThan(0);
  expect(c.verdict).toBe('same');
});

test('a faster candidate improves; a regression elsewhere outranks it', () => {
  const base = build();
  const faster = build({ startMs: base.startMs.map((v) => v * 0.6) });
  expect(compare(base, faster)).toMatchObject({ verdict: 'improved', drivenBy: 'start-p50' });
  const fasterButLeaking = {
    ...faster,
    leak: { values: growing(200, 256), source: 'wine-pool-trace' },
  };
  expect(compare(base, fasterButLeaking)).toMatchObject({
    verdict: 'regressed',
    drivenBy: 'leak-slope',
  });
});

test('leak slope: leak_small as the candidate regresses, as the baseline the clean one improves', () => {
  const clean = build();
  const leaking = build({ leak: { values: growing(200, 256), source: 'wine-pool-trace' } });
  const worse = compare(clean, leaking);
  expect(worse).toMatchObject({ verdict: 'regressed', drivenBy: 'leak-slope' });
  const leak = worse.figures.find((f) => f.id === 'leak-slope')!;
  expect(leak).toMatchObject({ baseline: 0, candidate: 256, delta: 256, interval: [256, 256] });
  expect(compare(leaking, clean)).toMatchObject({ verdict: 'improved', drivenBy: 'leak-slope' });
});

test('a slope under the threshold is the same', () => {
  const c = compare(
    build(),
    build({ leak: { values: growing(200, 32), source: 'wine-pool-trace' } }),
  );
  expect(c.figures.find((f) => f.id === 'leak-slope')!.verdict).toBe('same');
});

test('a figure the machine cannot measure is listed unavailable with why, never decided', () => {
  const c = compare(build(), build({ leak: { unavailable: 'no memory signal' } }));
  const leak = c.figures.find((f) => f.id === 'leak-slope')!;
  expect(leak).toMatchObject({ verdict: 'unavailable', source: 'no memory signal' });
  expect(leak.delta).toBeUndefined();
  expect(c.figures.find((f) => f.id === 'event-log')!.verdict).toBe('unavailable');
});

test('no I/O table: the I/O call latencies are unavailable, and take no share of alpha', () => {
  const c = compare(build(), build());
  expect(c.figures.find((f) => f.id === 'io-p50')).toMatchObject({
    verdict: 'unavailable',
    source: 'no I/O table (DRIVER_IO, driverUnderTest.io, --io): no calls to time',
  });
  expect(c.confidence).toBeCloseTo(1 - 0.05 / 6, 10);
});

test('the same I/O calls on both builds are the same; two more intervals share alpha', () => {
  const c = compare(build({ io: ioCalls(1) }), build({ io: ioCalls(1) }));
  expect(c.verdict).toBe('same');
  expect(c.figures.find((f) => f.id === 'io-p50')).toMatchObject({ verdict: 'same', delta: 0 });
  expect(c.confidence).toBeCloseTo(1 - 0.05 / 8, 10);
});

test('one operation twice as slow regresses on I/O call latency, naming the operation', () => {
  const c = compare(
    build({ io: ioCalls(1) }),
    build({ io: ioCalls(1, { operation: 'alloc', factor: 2 }) }),
  );
  expect(c.verdict).toBe('regressed');
  expect(c.drivenBy).toMatch(/^io-p(50|95)$/);
  const figure = c.figures.find((f) => f.id === c.drivenBy)!;
  expect(figure.interval![0]).toBeGreaterThan(0);
  expect(figure.threshold).toMatch(/^\+(20|30) % and ≥ 0\.05 ms$/);
  expect(figure.differences![0]).toMatch(/^alloc \d+\.\d\d → \d+\.\d\d ms \(\+100 %\)$/);
  expect(comparisonHeadline(c)).toMatch(/^regressed on I\/O call latency p(50|95): /);
  // The start/stop figures are untouched by the I/O table's times.
  expect(c.figures.find((f) => f.id === 'start-p50')!.verdict).toBe('same');
});

test('equal noisy I/O calls from different seeds stay the same in at least 95 % of seeds', () => {
  let same = 0;
  for (let seed = 1; seed <= 60; seed++)
    if (
      compare(build({ io: ioCalls(seed * 13) }), build({ io: ioCalls(seed * 13 + 5) }), {
        ...settings,
        resamples: 200,
      }).verdict === 'same'
    )
      same++;
  expect(same / 60).toBeGreaterThanOrEqual(0.95);
});

test('I/O calls in too few blocks are unavailable, not decided', () => {
  const c = compare(
    build({ io: ioCalls(1, {}, 2) }),
    build({ io: ioCalls(1, { operation: 'alloc', factor: 3 }, 2) }),
  );
  expect(c.figures.find((f) => f.id === 'io-p95')).toMatchObject({ verdict: 'unavailable' });
  expect(c.verdict).toBe('same');
});

test('Bonferroni: intervals widen with the number of figures that have one', () => {
  const c = compare(build(), build());
  // start/stop p50/p95, leak slope, debug lines: 6 intervals.
  expect(c.confidence).toBeCloseTo(1 - 0.05 / 6, 10);
});

test('error paths: a case that newly fails regresses and is named; one that newly passes improves', () => {
  const outcomes = (secondStart: boolean) => ({
    values: [
      {
        caseId: 'second-start',
        title: 'second start',
        passed: secondStart,
        summary: secondStart ? 'PASS' : 'ERROR PATH MISMATCH: 0 instead of 1056',
      },
      { caseId: 'stop-stopped', title: 'stop when stopped', passed: true, summary: 'PASS' },
    ],
    source: 'the error-path catalog',
  });
  const worse = compare(
    build({ errorPaths: outcomes(true) }),
    build({ errorPaths: outcomes(false) }),
  );
  expect(worse).toMatchObject({ verdict: 'regressed', drivenBy: 'error-paths' });
  const figure = worse.figures.find((f) => f.id === 'error-paths')!;
  expect(figure).toMatchObject({ baseline: 2, candidate: 1, delta: -1 });
  expect(figure.differences![0]).toMatch(
    /^second start: baseline passed, candidate failed \(ERROR PATH MISMATCH/,
  );
  expect(
    compare(build({ errorPaths: outcomes(false) }), build({ errorPaths: outcomes(true) })).verdict,
  ).toBe('improved');
});

test('more debug output per cycle regresses past its threshold', () => {
  const c = compare(
    build(),
    build({ debugLines: { values: Array(8).fill(4), source: 'Wine debug output' } }),
  );
  expect(c).toMatchObject({ verdict: 'regressed', drivenBy: 'debug-lines' });
});

test('noisy equal builds from a seeded generator are the same in at least 95 % of seeds', () => {
  let same = 0;
  const seeds = 100;
  for (let seed = 1; seed <= seeds; seed++) {
    const a = build({}, seed * 7, 150);
    const b = build({}, seed * 7 + 3, 150);
    if (compare(a, b, { ...settings, resamples: 200 }).verdict === 'same') same++;
  }
  expect(same / seeds).toBeGreaterThanOrEqual(0.95);
});

test('the bootstrap is reproducible from its seed and covers a known shift', () => {
  const a = latencies(300, 11, 10);
  const b = a.map((v) => v + 2);
  const options = { seed: 5, resamples: 500, confidence: 0.95 };
  const one = bootstrapDeltas(a, b, [quantileOf(50)], options)[0]!;
  const two = bootstrapDeltas(a, b, [quantileOf(50)], options)[0]!;
  expect(one).toEqual(two);
  expect(one.delta).toBeCloseTo(2, 10);
  expect(one.low).toBeLessThanOrEqual(2);
  expect(one.high).toBeGreaterThanOrEqual(2);
});

test('compare settings are checked with what was wrong', () => {
  expect(compareSettingsProblem(DEFAULT_COMPARE_SETTINGS)).toBeUndefined();
  expect(compareSettingsProblem({ ...DEFAULT_COMPARE_SETTINGS, blockSize: 0 })).toMatch(
    /blockSize must be a whole number ≥ 1/,
  );
  expect(compareSettingsProblem({ ...DEFAULT_COMPARE_SETTINGS, alpha: 1 })).toMatch(/alpha/);
  expect(
    compareSettingsProblem({
      ...DEFAULT_COMPARE_SETTINGS,
      thresholds: { ...DEFAULT_COMPARE_SETTINGS.thresholds, latencyP50: -1 },
    }),
  ).toMatch(/thresholds\.latencyP50 must be a number ≥ 0/);
});
