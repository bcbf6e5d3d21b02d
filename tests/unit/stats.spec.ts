import { expect, test } from '@playwright/test';
import {
  decideLeak,
  DEFAULT_BYTE_THRESHOLDS,
  type MemorySample,
} from '../../src/core/leak-decision.ts';
import { decimate, mad, median, percentile, theilSen } from '../../src/core/stats.ts';

/** A deterministic noise source (a linear congruential generator), so failures reproduce. */
function noise(seed: number) {
  let state = seed;
  return (amplitude: number) => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return ((state / 2 ** 32) * 2 - 1) * amplitude;
  };
}

const series = (n: number, f: (cycle: number) => number): MemorySample[] =>
  Array.from({ length: n }, (_, i) => ({ cycle: i + 1, value: f(i + 1) }));

test('median and MAD', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 2, 3])).toBe(2.5);
  expect(median([])).toBeNaN();
  expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
});

test('Theil–Sen recovers an exact line', () => {
  const fit = theilSen(Array.from({ length: 50 }, (_, x) => ({ x, y: 256 * x + 1000 })));
  expect(fit).toEqual({ slope: 256, intercept: 1000 });
});

test('Theil–Sen ignores outliers that a least-squares fit would follow', () => {
  const points = Array.from({ length: 100 }, (_, x) => ({ x, y: 10 * x }));
  for (const i of [90, 95, 99]) points[i] = { x: i, y: 1e7 };
  expect(theilSen(points).slope).toBeCloseTo(10, 6);
});

test('decimation keeps the ends and caps the count', () => {
  const out = decimate(
    Array.from({ length: 20_001 }, (_, i) => i),
    1000,
  );
  expect(out).toHaveLength(1000);
  expect(out[0]).toBe(0);
  expect(out.at(-1)).toBe(20_000);
});

test('a 256-byte-per-cycle leak in an exact signal is a leak', () => {
  const analysis = decideLeak(
    series(40, (c) => 256 * c),
    DEFAULT_BYTE_THRESHOLDS,
    { unit: 'B', exact: true, baseline: 0 },
  );
  expect(analysis.verdict).toBe('leak');
  expect(analysis.slopePerCycle).toBe(256);
  expect(analysis.reason).toBe(
    'grows 256 B per cycle (Theil–Sen over 35 samples; threshold 64 B/cycle, noise ±0 B)',
  );
});

test('a flat noisy series is clean; the same noise on a slope is a leak', () => {
  const jitter = noise(42);
  const flat = series(300, () => 50_000_000 + jitter(200_000));
  expect(
    decideLeak(flat, { ...DEFAULT_BYTE_THRESHOLDS, perCycle: 4096 }, { unit: 'B', exact: false })
      .verdict,
  ).toBe('clean');
  const jitter2 = noise(42);
  const leaking = series(300, (c) => 50_000_000 + 8192 * c + jitter2(200_000));
  const analysis = decideLeak(
    leaking,
    { ...DEFAULT_BYTE_THRESHOLDS, perCycle: 4096 },
    { unit: 'B', exact: false },
  );
  expect(analysis.verdict).toBe('leak');
  expect(analysis.slopePerCycle).toBeGreaterThan(7000);
  expect(analysis.slopePerCycle).toBeLessThan(9500);
});

test('warm-up growth does not count: caches that fill during the first cycles then stay flat', () => {
  const warm = series(100, (c) => (c <= 10 ? 100_000 * c : 1_000_000));
  expect(
    decideLeak(warm, { ...DEFAULT_BYTE_THRESHOLDS, warmupCycles: 10 }, { unit: 'B', exact: false })
      .verdict,
  ).toBe('clean');
  expect(
    decideLeak(warm, { ...DEFAULT_BYTE_THRESHOLDS, warmupCycles: 0 }, { unit: 'B', exact: false })
      .slopePerCycle,
  ).toBe(0);
});

test('an exact signal that does not return to baseline leaks even with a flat slope', () => {
  const oneTime = series(50, () => 4096);
  const analysis = decideLeak(oneTime, DEFAULT_BYTE_THRESHOLDS, {
    unit: 'B',
    exact: true,
    baseline: 0,
  });
  expect(analysis.verdict).toBe('leak');
  expect(analysis.reason).toBe(
    '4096 B still allocated after the last unload (baseline 0 B, tolerance 0 B)',
  );
  expect(
    decideLeak(oneTime, DEFAULT_BYTE_THRESHOLDS, { unit: 'B', exact: false, baseline: 0 }).verdict,
  ).toBe('clean');
});

test('too few samples after warm-up is inconclusive, never clean', () => {
  const analysis = decideLeak(
    series(10, (c) => c),
    DEFAULT_BYTE_THRESHOLDS,
    { unit: 'B', exact: true, baseline: 0 },
  );
  expect(analysis.verdict).toBe('inconclusive');
  expect(analysis.reason).toBe('only 5 samples after 5 warm-up cycles; 20 needed');
});

test('thresholds are validated', () => {
  expect(() =>
    decideLeak([], { ...DEFAULT_BYTE_THRESHOLDS, perCycle: -1 }, { unit: 'B', exact: false }),
  ).toThrow('Expected leak threshold `perCycle` to be a non-negative number, got -1.');
});

test('Windows leak signals come from the samples taken after each unload', async () => {
  const { sampleValue } = await import('../../src/collector/memory-signals.ts');
  const verifier = (cycle: number) => ({
    t: cycle,
    verifier: [
      {
        driver: 'LEAK_SMALL.SYS',
        loads: cycle,
        unloads: cycle,
        currentPagedAllocations: 0,
        currentNonPagedAllocations: cycle,
        pagedBytes: 0,
        nonPagedBytes: 256 * cycle,
        peakPagedBytes: 0,
        peakNonPagedBytes: 256 * cycle,
      },
    ],
  });
  // The Verifier entry is matched case-insensitively; a baseline without it has no value (so the
  // cycle runner's baseline stays 0).
  expect(
    [1, 2, 3].map((cycle) => sampleValue(verifier(cycle), 'verifier-pool', 'leak_small.sys', [])),
  ).toEqual([256, 512, 768]);
  expect(
    sampleValue({ t: 0, verifier: [] }, 'verifier-pool', 'leak_small.sys', []),
  ).toBeUndefined();
  expect(sampleValue(verifier(1), 'verifier-pool', 'other.sys', [])).toBeUndefined();
  expect(sampleValue(undefined, 'verifier-pool', 'leak_small.sys', [])).toBeUndefined();

  const tagged = (cycle: number) => ({
    t: cycle,
    poolTags: {
      DcLs: { pagedBytes: 0, nonPagedBytes: 256 * cycle, allocs: cycle, frees: 0 },
      DcXx: { pagedBytes: 64, nonPagedBytes: 0, allocs: 1, frees: 0 },
      Othr: { pagedBytes: 1_000_000, nonPagedBytes: 0, allocs: 1, frees: 0 },
    },
  });
  const tags = ['DcLs', 'DcXx'];
  expect(sampleValue(tagged(0), 'pool-tags', 'x.sys', tags)).toBe(64);
  expect([1, 2].map((cycle) => sampleValue(tagged(cycle), 'pool-tags', 'x.sys', tags))).toEqual([
    320, 576,
  ]);
  expect(sampleValue({ t: 1 }, 'pool-tags', 'x.sys', tags)).toBeUndefined();
});

test('the Windows signal is Verifier first, then pool tags when the driver has some', async () => {
  const { chooseWindowsSignal } = await import('../../src/collector/memory-signals.ts');
  const availability = (verifier: boolean, poolTags: boolean) => ({
    verifier: verifier ? { available: true } : { available: false, reason: 'Verifier is off' },
    poolTags: poolTags ? { available: true } : { available: false, reason: 'no pool tags' },
    performance: { available: true },
    hosts: { available: true },
  });
  expect(chooseWindowsSignal(availability(true, true), ['DcLs'])).toEqual({
    signal: 'verifier-pool',
  });
  expect(chooseWindowsSignal(availability(false, true), ['DcLs'])).toEqual({
    signal: 'pool-tags',
  });
  expect(chooseWindowsSignal(availability(false, true), [])).toEqual({
    unavailable: {
      'verifier-pool': 'Verifier is off',
      'pool-tags': 'no pool tags given (driverUnderTest.poolTags, DRIVER_POOL_TAGS)',
    },
  });
  expect(chooseWindowsSignal(undefined, ['DcLs'])).toEqual({
    unavailable: {
      'verifier-pool': 'not offered by this target',
      'pool-tags': 'not offered by this target',
    },
  });
});

test('percentiles use the nearest rank', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  expect([
    percentile(sorted, 50),
    percentile(sorted, 95),
    percentile(sorted, 99),
    percentile(sorted, 100),
  ]).toEqual([50, 95, 99, 100]);
  expect(percentile([7], 99)).toBe(7);
  expect(percentile([], 50)).toBeNaN();
});
