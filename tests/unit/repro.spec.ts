import { expect, test } from '@playwright/test';
import {
  cyclesToFailure,
  describeRate,
  reproFigures,
  wilsonInterval,
} from '../../src/core/repro-stats.ts';
import { ddmin, shortestFailingCount } from '../../src/core/shrink.ts';
import {
  failureSignature,
  imageChanged,
  pickFailedVerdict,
  type ReproRecord,
  type VerdictEntry,
} from '../../src/core/repro-record.ts';
import { ConfigError } from '../../src/core/errors.ts';
import {
  compareCommandLine,
  compareReproPlanOf,
  parseReproArgs,
  planOf,
} from '../../src/cli/repro-command.ts';
import { DEFAULT_COMPARE_SETTINGS } from '../../src/core/build-compare.ts';
import { describeDrivers } from '../../src/families/repro-compare.ts';
import { outcomeOf, reproLines, type ReproReport } from '../../src/report/repro-report.ts';
import { runSeed } from '../../src/config/run-id-env.ts';
import { parseIoTable } from '../../src/core/io-table.ts';
import { withDrawnSeed } from '../../src/report/repro-capture.ts';
import { certificationMarkdown } from '../../src/report/certification-verdict.ts';

/** A deterministic random source (a linear congruential generator), so the flaky fakes repeat. */
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

test.describe('Wilson interval', () => {
  // Reference values: R's binom.confint(x, n, methods = "wilson") (binom package).
  for (const [x, n, low, high] of [
    [0, 10, 0, 0.2775328],
    [1, 10, 0.01787621, 0.40415],
    [5, 10, 0.2365931, 0.7634069],
    [10, 10, 0.7224672, 1],
  ] as const)
    test(`${x} in ${n}: [${low}, ${high}]`, () => {
      const w = wilsonInterval(x, n);
      expect(w.low).toBeCloseTo(low, 6);
      expect(w.high).toBeCloseTo(high, 6);
      expect(w.rate).toBe(x / n);
      expect(w.confidence).toBe(0.95);
    });

  test('a 1-in-500 failure seen 3 times in 1,500 cycles: the interval holds 1/500', () => {
    const w = wilsonInterval(3, 1500);
    expect(w.low).toBeLessThan(1 / 500);
    expect(w.high).toBeGreaterThan(1 / 500);
    expect(describeRate(w)).toBe('1 in 500 (3 in 1,500 cycles; 95 %: 1 in 1,470 … 1 in 171)');
  });

  test('no failure gives an upper bound only', () => {
    const w = wilsonInterval(0, 2000);
    expect(w.low).toBe(0);
    expect(w.high).toBeCloseTo(0.001917, 6);
    expect(describeRate(w)).toBe('no failure in 2,000 cycles (95 %: at most 1 in 522)');
    expect(wilsonInterval(0, 0)).toMatchObject({ low: 0, high: 1 });
  });

  test('impossible counts are refused', () => {
    expect(() => wilsonInterval(3, 2)).toThrow('cannot exceed');
    expect(() => wilsonInterval(-1, 2)).toThrow('whole numbers');
    expect(() => wilsonInterval(1.5, 2)).toThrow('whole numbers');
  });
});

test('cycles to failure: median, min and max', () => {
  expect(cyclesToFailure([186, 40, 712])).toEqual({ attempts: 3, median: 186, min: 40, max: 712 });
  expect(cyclesToFailure([10, 30])).toEqual({ attempts: 2, median: 20, min: 10, max: 30 });
  expect(cyclesToFailure([])).toBeUndefined();
  expect(() => cyclesToFailure([0])).toThrow('≥ 1');
});

test('figures count only the same failure, and leave out what the machine ended', () => {
  const figures = reproFigures(
    [
      { cycles: 186, kind: 'load-failure', same: true },
      { cycles: 500, kind: 'pass', same: false },
      { cycles: 12, kind: 'crash', same: false },
      { cycles: 30, kind: 'environment', same: false },
      { cycles: 40, kind: 'load-failure', same: true },
    ],
    'cycle',
  );
  expect(figures).toMatchObject({
    attempts: 5,
    failures: 2,
    otherFailures: 1,
    inconclusive: 1,
    cycles: 186 + 500 + 12 + 40,
    cyclesToFailure: { median: 113, min: 40, max: 186 },
  });
  expect(figures.rate.trials).toBe(738);
  expect(reproFigures([{ cycles: 200, kind: 'leak', same: true }], 'attempt').rate).toMatchObject({
    failures: 1,
    trials: 1,
  });
  expect(outcomeOf(figures)).toBe('reproduced');
  expect(outcomeOf(reproFigures([{ cycles: 9, kind: 'pass', same: false }], 'cycle'))).toBe(
    'not-reproduced',
  );
  expect(outcomeOf(reproFigures([{ cycles: 9, kind: 'environment', same: false }], 'cycle'))).toBe(
    'environment',
  );
});

test.describe('ddmin', () => {
  const ops = ['open', 'get', 'alloc', 'read', 'cancel', 'write', 'close', 'ioctl9'];

  test('finds the two operations a fake failing predicate needs together', async () => {
    const fakeFails = async (subset: readonly string[]) =>
      subset.includes('alloc') && subset.includes('cancel');
    const result = await ddmin(ops, fakeFails, { repeats: 1, maxRuns: 200 });
    expect(result.smallest).toEqual(['alloc', 'cancel']);
    expect(result.complete).toBe(true);
    expect(result.runs).toBeLessThan(40);
  });

  test('one operation alone', async () => {
    const result = await ddmin(ops, async (s) => s.includes('ioctl9'), {
      repeats: 1,
      maxRuns: 200,
    });
    expect(result.smallest).toEqual(['ioctl9']);
  });

  test('a flaky fake predicate (fails 1 time in 3 when the pair is there) still shrinks with repeats', async () => {
    const random = lcg(20261206);
    const fakeFlaky = async (subset: readonly string[]) =>
      subset.includes('get') && subset.includes('write') && random() < 1 / 3;
    // 12 repeats: a subset that holds the pair passes them all with (2/3)^12 ≈ 0.8 %.
    const result = await ddmin(ops, fakeFlaky, { repeats: 12, maxRuns: 2000 });
    expect(result.smallest).toEqual(['get', 'write']);
    // With one try per probe the flakiness misleads it: it gives up on subsets that do fail.
    const once = await ddmin(ops, fakeFlaky, { repeats: 1, maxRuns: 2000 });
    expect(once.smallest.length).toBeGreaterThan(2);
  });

  test('stops at its budget and says so, keeping the smallest failing subset seen', async () => {
    const result = await ddmin(ops, async (s) => s.includes('read'), { repeats: 1, maxRuns: 2 });
    expect(result.complete).toBe(false);
    expect(result.runs).toBe(2);
    expect(result.smallest).toContain('read');
    expect(result.smallest.length).toBeLessThan(ops.length);
  });
});

test.describe('shortest failing count', () => {
  test('a fake failure that needs 137 cycles from a fresh start', async () => {
    const result = await shortestFailingCount(8123, async (n) => n >= 137, {
      repeats: 3,
      maxRuns: 200,
    });
    expect(result.smallest).toBe(137);
    expect(result.complete).toBe(true);
    // A failing probe stops at its first failure; a passing one runs all three repeats.
    expect(result.probes.find((p) => p.candidate === 136)).toEqual({
      candidate: 136,
      failed: false,
      runs: 3,
    });
  });

  test('a flaky fake: the failure shows 1 time in 4 past 50 cycles', async () => {
    const random = lcg(7);
    const result = await shortestFailingCount(400, async (n) => n >= 50 && random() < 0.25, {
      repeats: 20,
      maxRuns: 1000,
    });
    expect(result.smallest).toBe(50);
  });

  test('budget ended: the least count seen failing, not complete', async () => {
    const result = await shortestFailingCount(1000, async (n) => n >= 10, {
      repeats: 1,
      maxRuns: 3,
    });
    expect(result).toMatchObject({ complete: false, runs: 3 });
    expect(result.smallest).toBeGreaterThanOrEqual(10);
    expect(result.smallest).toBeLessThan(1000);
  });

  test('bad options are refused', async () => {
    await expect(
      shortestFailingCount(0, async () => true, { repeats: 1, maxRuns: 1 }),
    ).rejects.toThrow('failingCount');
    await expect(
      shortestFailingCount(5, async () => true, { repeats: 0, maxRuns: 1 }),
    ).rejects.toThrow('repeats');
  });
});

const record = (over: Partial<ReproRecord> = {}): ReproRecord => ({
  drvcycleVersion: '0.1.0',
  seed: 1234,
  family: 'cycles',
  cycle: 186,
  phase: 'load',
  driver: {
    imagePath: '/work/drivers/build/flaky_entry.sys',
    sha256: 'a'.repeat(64),
    bytes: 10240,
    serviceName: 'dc_flaky_entry',
    type: 'kernel',
    group: undefined,
    kind: 'legacy',
    poolTags: [],
  },
  settings: {
    profile: undefined,
    cycles: 3000,
    leakCycles: 200,
    soakSeconds: 0,
    startTimeoutMs: 30000,
    stopTimeoutMs: 30000,
    errorPathStopTimeoutMs: 5000,
    sampleEvery: 10,
    leakThresholds: { perCycle: 64, warmupCycles: 5, minSamples: 20, residualTolerance: 0 },
  },
  machine: { provider: 'lab', name: 'lab machine 0', labHost: 'shared', facts: {} },
  environment: { CYCLES: '3000' },
  cwd: '/work',
  ...over,
});

const entry = (over: Partial<VerdictEntry> & { repro?: unknown }): VerdictEntry => ({
  kind: 'load-failure',
  driver: 'dc_flaky_entry',
  scenario: 'cycles',
  cycle: 186,
  phase: 'load',
  summary: 'LOAD FAILURE at cycle 186: StartService … 1450',
  evidence: { win32Code: 1450, ntstatus: '0xC000009A STATUS_INSUFFICIENT_RESOURCES' },
  test: 'cycles › load/unload cycles',
  project: 'lab',
  status: 'failed',
  repro: record(),
  ...over,
});

test.describe('picking the failed test', () => {
  const pass = entry({ kind: 'pass', test: 'leaks › memory', summary: 'PASS', repro: undefined });

  test('the only failure, or the one named', () => {
    expect(pickFailedVerdict({ verdicts: [pass, entry({})] }, 'v.json').cycle).toBe(186);
    expect(
      pickFailedVerdict(
        { verdicts: [pass, entry({})] },
        'v.json',
        '[lab] cycles › load/unload cycles',
      ).test,
    ).toBe('cycles › load/unload cycles');
    expect(pickFailedVerdict({ verdicts: [entry({})] }, 'v.json', 'load/unload').project).toBe(
      'lab',
    );
  });

  test('none failed, several failed, a pass named, no record: each says what to do', () => {
    expect(() => pickFailedVerdict({ verdicts: [pass] }, 'v.json')).toThrow(
      /No test failed in the run of v\.json/,
    );
    const two = [entry({}), entry({ project: 'nightly-x' })];
    expect(() => pickFailedVerdict({ verdicts: two }, 'v.json')).toThrow(
      /2 tests failed in the run of v\.json; repro reruns one:\n {2}\[lab\] cycles/,
    );
    expect(() => pickFailedVerdict({ verdicts: two }, 'v.json', 'load/unload')).toThrow(
      /names 2 failed tests/,
    );
    expect(() => pickFailedVerdict({ verdicts: [pass, entry({})] }, 'v.json', 'leaks')).toThrow(
      /did not fail in that run \(\[lab\] leaks › memory: pass\)/,
    );
    expect(() => pickFailedVerdict({ verdicts: [pass] }, 'v.json', 'nope')).toThrow(
      /No test named "nope"/,
    );
    expect(() => pickFailedVerdict({ verdicts: [entry({ repro: undefined })] }, 'v.json')).toThrow(
      /has no repro record/,
    );
    try {
      pickFailedVerdict({ verdicts: two }, 'v.json');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).hint).toContain('npx drvcycle repro <reports folder>');
    }
  });

  test('an image that changed or went is refused, naming the file and both hashes', () => {
    expect(imageChanged(record(), { sha256: 'a'.repeat(64) })).toBeUndefined();
    expect(imageChanged(record(), { sha256: 'b'.repeat(64) })?.message).toContain(
      `The driver image /work/drivers/build/flaky_entry.sys has changed since the failed run: its SHA-256 is ${'b'.repeat(64)} now, the run's was ${'a'.repeat(64)}.`,
    );
    expect(imageChanged(record(), undefined)?.message).toContain('is gone');
  });

  test('the same failure: kind, phase and code', () => {
    expect(failureSignature(entry({}))).toBe('load-failure/load/1450');
    expect(failureSignature(entry({ evidence: { win32Code: 87 } }))).toBe('load-failure/load/87');
    expect(
      failureSignature(
        entry({ kind: 'leak', phase: undefined, evidence: { signal: 'wine-pool-trace' } }),
      ),
    ).toBe('leak/-/wine-pool-trace');
    expect(
      failureSignature(
        entry({
          kind: 'crash',
          phase: 'io',
          evidence: { operation: 'alloc-short', ntstatus: '0xC0000123 STATUS_FILE_DELETED' },
        }),
      ),
    ).toBe('crash/io/0xC0000123 STATUS_FILE_DELETED@alloc-short');
  });

  test('the plan: the test family, its counts; an error-path case is refused with the way to rerun it', () => {
    const budget = { failures: 3, attempts: 50, cycles: 20000, minutes: 30 };
    const verdict = pickFailedVerdict({ verdicts: [entry({})] }, 'v.json');
    expect(planOf(verdict, budget)).toMatchObject({
      family: 'cycles',
      cyclesPerAttempt: 3000,
      signature: 'load-failure/load/1450',
    });
    const soak = pickFailedVerdict(
      { verdicts: [entry({ repro: record({ family: 'soak' }) })] },
      'v',
    );
    expect(planOf(soak, budget).cyclesPerAttempt).toBe(20000);
    const errorPath = pickFailedVerdict(
      {
        verdicts: [
          entry({ test: 'error paths › second start', repro: record({ family: 'error-paths' }) }),
        ],
      },
      'v',
    );
    expect(() => planOf(errorPath, budget)).toThrow(/repeat-each 20 -g "second start"/);
  });

  test('a regression reruns the whole comparison: both builds by hash, the recorded settings and seed', () => {
    const table = parseIoTable(
      { device: '\\\\.\\DcIoClean', operations: [{ name: 'get', ioctl: '0x222000' }] },
      'io.json',
    );
    const regression = entry({
      kind: 'regression',
      phase: undefined,
      cycle: undefined,
      scenario: 'compare',
      test: 'compare › candidate against the baseline build',
      summary: 'REGRESSION: regressed on start latency p50: …',
      evidence: { comparison: { verdict: 'regressed', drivenBy: 'start-p50' } },
      repro: record({
        family: 'compare',
        cycle: undefined,
        phase: undefined,
        driver: { ...record().driver, io: table },
        baseline: {
          imagePath: '/work/last-good/flaky_entry.sys',
          sha256: 'c'.repeat(64),
          bytes: 10240,
          serviceName: 'dc_base_flaky_entry',
        },
        compare: { ...DEFAULT_COMPARE_SETTINGS, cycles: 48, seed: 99 },
      }),
    });
    const verdict = pickFailedVerdict({ verdicts: [regression] }, 'v.json');
    expect(compareReproPlanOf(verdict)).toMatchObject({
      settings: { cycles: 48, seed: 99 },
      builds: {
        baseline: {
          imagePath: '/work/last-good/flaky_entry.sys',
          serviceName: 'dc_base_flaky_entry',
        },
        candidate: {
          imagePath: '/work/drivers/build/flaky_entry.sys',
          serviceName: 'dc_flaky_entry',
        },
      },
      io: table,
      signature: 'regression/-/-',
    });
    // A record without its baseline (an older drvcycle): the compare command to run instead.
    const older = pickFailedVerdict(
      {
        verdicts: [
          {
            ...regression,
            repro: record({
              family: 'compare',
              environment: {
                BASELINE_DRIVER: 'last-good/flaky_entry.sys',
                COMPARE_CYCLES: '500',
                DRIVER_IO: 'io files/io.json',
              },
            }),
          },
        ],
      },
      'v.json',
    );
    expect(() => compareReproPlanOf(older)).toThrow(/recorded without its baseline build/);
    expect(compareCommandLine(older)).toBe(
      "npx drvcycle compare --baseline /work/last-good/flaky_entry.sys --candidate /work/drivers/build/flaky_entry.sys --cycles 500 --io '/work/io files/io.json'",
    );
    expect(
      describeDrivers([
        { drivenBy: 'leak slope' },
        {},
        { drivenBy: 'start latency p50' },
        { drivenBy: 'leak slope' },
      ]),
    ).toBe('leak slope ×2, start latency p50 ×1');
  });
});

test.describe('repro arguments', () => {
  test('defaults and flags', () => {
    const args = parseReproArgs(['reports', '--budget-cycles=5000', '--failures', '2', 'cycles']);
    expect(args).toMatchObject({
      test: 'cycles',
      budget: { failures: 2, attempts: 50, cycles: 5000, minutes: 30 },
      shrink: { repeats: 3, maxRuns: 12 },
    });
    expect(args.reportsDir).toMatch(/\/reports$/);
  });

  test('bad input says what is wrong and how to call it', () => {
    expect(() => parseReproArgs([])).toThrow('needs the reports folder');
    expect(() => parseReproArgs(['r', '--attempts', 'many'])).toThrow(
      '--attempts many is not allowed: it takes a whole number from 1.',
    );
    expect(() => parseReproArgs(['r', '--budget-minutes', '0'])).toThrow('from 1');
    expect(() => parseReproArgs(['r', '--shrink-runs'])).toThrow('--shrink-runs needs a value.');
    expect(() => parseReproArgs(['r', '--retry', '3'])).toThrow('Unknown option --retry');
    expect(() => parseReproArgs(['r', 'a', 'b'])).toThrow('at most one test name');
  });
});

test('the summary lines lead with the outcome and carry the figures', () => {
  const figures = reproFigures(
    [
      { cycles: 186, kind: 'load-failure', same: true },
      { cycles: 640, kind: 'load-failure', same: true },
      { cycles: 95, kind: 'load-failure', same: true },
    ],
    'cycle',
  );
  const report = {
    test: 'cycles › load/unload cycles',
    project: 'lab',
    original: { summary: 'LOAD FAILURE at cycle 186: 1450', signature: 'load-failure/load/1450' },
    stoppedBy: 'failures',
    outcome: outcomeOf(figures),
    figures,
    attempts: [],
    shortest: { cycles: 60, complete: false, repeats: 3, probes: [] },
  } as unknown as ReproReport;
  expect(reproLines(report)).toEqual([
    'REPRODUCED: 3 failures in 3 attempts: LOAD FAILURE at cycle 186: 1450',
    'failure rate per cycle: 1 in 307 (3 in 921 cycles; 95 %: 1 in 902 … 1 in 105), Wilson 95 % [0.00111, 0.00953]',
    'cycles to failure: median 186, min 95, max 640 (3 failures)',
    'attempts: 3 (3 same failure, 0 different failures, 0 inconclusive), 921 cycles, stopped by failures',
    'shortest failing run: 60 cycles from a fresh start (the search budget ended before fewer were ruled out)',
  ]);
});

test('DRVCYCLE_SEED: a 32-bit whole number, or a clear refusal', () => {
  expect(runSeed({ DRVCYCLE_SEED: '4294967295' })).toBe(4294967295);
  expect(runSeed({})).toBeUndefined();
  expect(() => runSeed({ DRVCYCLE_SEED: '4294967296' })).toThrow('is not a seed');
  expect(() => runSeed({ DRVCYCLE_SEED: '-1' })).toThrow('is not a seed');
});

test('a fuzzing I/O table recorded with the seed the run drew, so the rerun sends the same bytes', () => {
  const table = parseIoTable(
    { device: '\\\\.\\DcIoClean', operations: [{ name: 'get', ioctl: '0x222000' }], fuzz: {} },
    'test',
  );
  expect(withDrawnSeed(table, { io: { fuzzSeed: 4242 } }).fuzz?.seed).toBe(4242);
  // A seed the table gives is the one: the evidence cannot change it.
  const seeded = { ...table, fuzz: { ...table.fuzz!, seed: 7 } };
  expect(withDrawnSeed(seeded, { io: { fuzzSeed: 4242 } }).fuzz?.seed).toBe(7);
  expect(withDrawnSeed(table, {})).toBe(table);
});

test('the certification names how to rerun a failed criterion, with its seed and cycle', () => {
  const md = certificationMarkdown({
    generatedAt: '2026-12-06T23:00:00.000Z',
    runId: 'run-1',
    certified: false,
    verdict: 'fail',
    drivers: [
      {
        project: 'certify-dc_flaky_entry',
        service: 'dc_flaky_entry',
        driver: {
          file: 'flaky_entry.sys',
          sha256: 'a'.repeat(64),
          version: null,
          bytes: 8157,
          signature: 'absent',
        },
        target: 'Wine 8.0',
        verifier: 'not available (lab rehearsal)',
        rehearsal: 'lab',
        criteria: [
          {
            name: 'cycles › load/unload cycles',
            requirement: '2000 cycles',
            measured: 'LOAD FAILURE at cycle 867: …',
            passed: false,
            repro: { seed: 1161868199, cycle: 867 },
          },
          { name: 'leaks › memory', requirement: 'flat', measured: 'PASS', passed: true },
        ],
        verdict: 'fail',
      },
    ],
  });
  expect(md).toContain(
    'Rerun "cycles › load/unload cycles" until it fails again: `npx drvcycle repro <this run\'s reports folder> "[certify-dc_flaky_entry] cycles › load/unload cycles"` (seed 1161868199, failed at cycle 867).',
  );
  expect(md).not.toContain('Rerun "leaks');
});

test('with an I/O table the summary names the smallest set of operations that still fails', () => {
  const figures = reproFigures([{ cycles: 1, kind: 'crash', same: true }], 'cycle');
  const report = {
    original: { summary: 'CRASH in io at cycle 1: …', signature: 'crash/io/-' },
    stoppedBy: 'failures',
    outcome: outcomeOf(figures),
    figures,
    attempts: [],
    operations: {
      all: ['get', 'alloc', 'alloc-short'],
      smallest: ['alloc-short'],
      cycles: 1,
      complete: true,
      repeats: 2,
      probes: [],
    },
  } as unknown as ReproReport;
  expect(reproLines(report).at(-1)).toBe(
    'smallest set of I/O operations that still fails: alloc-short (1 of 3, in 1 cycle from a fresh start)',
  );
});

test('a rate per attempt says attempts', () => {
  expect(describeRate(wilsonInterval(1, 1), 'attempt')).toBe(
    'every attempt (1 in 1 attempt; 95 %: 1 in 5 … every attempt)',
  );
});
