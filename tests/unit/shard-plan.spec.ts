/**
 * Shards cut by test times (src/report/shard-plan.ts) and the shard reporter that applies the cut
 * (its preprocess, over fake Playwright suites and a fake TestRun, named as such): the times come
 * from a real Allure history (tests/unit/fixtures/allure-history-nightly.jsonl, from the 20-driver
 * nightly bench's merge), every test lands in exactly one shard, every shard job computes the
 * same plan, and the merge tells shards cut by different plans.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { FullConfig, Suite, TestCase, TestRun } from '@playwright/test/reporter';
import { ConfigError } from '../../src/core/errors.ts';
import { REPORTS_DIR_ENV, SHARD_TIMES_ENV } from '../../src/config/environment.ts';
import ShardReporter from '../../src/report/reporters/shard.ts';
import { planShards, testTimesFromHistory, type PlannedTest } from '../../src/report/shard-plan.ts';
import {
  checkShardSet,
  incompleteness,
  readShardRecord,
  type ShardRecord,
} from '../../src/report/shard-record.ts';
import { scratchDir } from './scratch.ts';

const HISTORY = path.join(import.meta.dirname, 'fixtures', 'allure-history-nightly.jsonl');
const FAMILIES = [
  'cycles.spec.ts › cycles › load/unload cycles',
  'cycles.spec.ts › cycles › soak: cycles for a set duration',
  'error-paths.spec.ts › error paths › second start',
  'leaks.spec.ts › leaks › memory returns to baseline after unload and does not grow across cycles',
];
const key = (project: string, name: string) => `[${project}] › ${name}`;

/** The bench's shape: one slow driver (2 s starts) among clean ones, 4 tests each. */
function nightly(drivers: string[]): PlannedTest[] {
  return drivers.flatMap((d) =>
    FAMILIES.map((name) => ({ key: key(`nightly-${d}`, name), project: `nightly-${d}` })),
  );
}
const DRIVERS = ['dc_n1_slow_start', ...Array.from({ length: 9 }, (_, i) => `dc_n${i + 1}_clean`)];

function timesOf(tests: PlannedTest[]): Map<string, number> {
  return new Map(
    tests.map((t) => [
      t.key,
      t.project.includes('slow_start')
        ? t.key.includes('leaks')
          ? 81.6
          : t.key.includes('load/unload')
            ? 41.5
            : 4.9
        : 2.5,
    ]),
  );
}

test('the Allure history gives each test its latest time, skipped tests left out', () => {
  const times = testTimesFromHistory(HISTORY);
  expect(times.get(key('nightly-dc_n1_slow_start', FAMILIES[3]!))).toBeCloseTo(81.562);
  expect(times.get(key('nightly-dc_n1_slow_start', FAMILIES[0]!))).toBeCloseTo(41.546);
  expect(times.get(key('nightly-dc_n1_pnp_clean', FAMILIES[0]!))).toBeCloseTo(2.632);
  // The PnP driver skips the legacy error path: its 85 ms say nothing of the test.
  expect(times.has(key('nightly-dc_n1_pnp_clean', FAMILIES[2]!))).toBe(false);
  // A later run's time wins.
  const dir = scratchDir('drvcycle-history-');
  const later = JSON.stringify({
    testResults: {
      a: {
        fullName: FAMILIES[0],
        status: 'passed',
        duration: 20_000,
        labels: [{ name: 'parentSuite', value: 'nightly-dc_n1_slow_start' }],
      },
    },
  });
  const file = path.join(dir, 'history.jsonl');
  writeFileSync(file, `${readFileSync(HISTORY, 'utf8')}${later}\n`);
  expect(testTimesFromHistory(file).get(key('nightly-dc_n1_slow_start', FAMILIES[0]!))).toBe(20);
});

test('a times file that is missing or not a history is refused with what to do', () => {
  expect(() => testTimesFromHistory('/nonexistent/history.jsonl')).toThrow(ConfigError);
  const dir = scratchDir('drvcycle-history-');
  const file = path.join(dir, 'verdicts.json');
  writeFileSync(file, '{"verdicts": []}\n');
  expect(() => testTimesFromHistory(file)).toThrow(/has no "testResults": not an Allure history/);
});

test('by times, the slow driver gets a shard of its own instead of sharing one with half the others', () => {
  const tests = nightly(DRIVERS);
  const times = timesOf(tests);
  const plan = planShards(tests, 2, times, 3);
  // Every test in exactly one shard.
  expect([...plan.shardOf.keys()].sort()).toEqual(tests.map((t) => t.key).sort());
  // The count split (Playwright's) puts the slow driver and 4 clean ones in shard 1.
  const byCount = [0, 0];
  tests.forEach((t, i) => (byCount[i < tests.length / 2 ? 0 : 1]! += times.get(t.key)!));
  const [one, two] = plan.expectedSeconds as [number, number];
  expect(Math.max(one, two)).toBeLessThan(Math.max(...byCount));
  // 142 s of tests for the slow driver: the best a shard can do is hold it and little else.
  expect(Math.max(one, two)).toBeLessThan(160);
  expect(plan.unknown).toBe(0);
});

test('every shard job builds the same plan whatever order its tests come in', () => {
  const tests = nightly(DRIVERS);
  const times = timesOf(tests);
  const a = planShards(tests, 3, times);
  const b = planShards([...tests].reverse(), 3, times);
  expect(b.fingerprint).toBe(a.fingerprint);
  expect([...b.shardOf].sort()).toEqual([...a.shardOf].sort());
  // Other times are another plan.
  const slower = new Map(times).set(tests[5]!.key, 99);
  expect(planShards(tests, 3, slower).fingerprint).not.toBe(a.fingerprint);
});

test('a test with no time counts as the median; a serial suite stays on one shard', () => {
  const tests: PlannedTest[] = [
    { key: 'a', project: 'p' },
    { key: 'b', project: 'p' },
    { key: 'c', project: 'q', group: 'serial' },
    { key: 'd', project: 'q', group: 'serial' },
    { key: 'e', project: 'r' },
  ];
  const plan = planShards(
    tests,
    2,
    new Map([
      ['a', 10],
      ['b', 2],
      ['e', 4],
    ]),
    0,
  );
  expect(plan.unknown).toBe(2);
  expect(plan.shardOf.get('c')).toBe(plan.shardOf.get('d'));
  // a (10) alone; then the serial pair (4 + 4) and e (4) and b (2) fill the other.
  expect(plan.shardOf.get('a')).not.toBe(plan.shardOf.get('c'));
});

/** A fake TestCase with a parent chain, as the reporter's preprocess reads it. */
function fakeTest(project: string, name: string): TestCase {
  const titles = name.split(' › ');
  const describe = { type: 'describe', title: titles[1], titlePath: () => titles.slice(0, 2) };
  return {
    titlePath: () => ['', project, ...titles],
    parent: describe,
  } as unknown as TestCase;
}

/** Runs the real reporter's preprocess and onBegin for one shard; returns the tests it kept. */
async function cutShard(dir: string, current: number, total: number, tests: TestCase[]) {
  const excluded = new Set<TestCase>();
  const fakeRun = {
    skipSharding: () => undefined,
    exclude: (t: TestCase) => excluded.add(t),
    mode: () => 'parallel',
  } as unknown as TestRun;
  const saved = { ...process.env };
  process.env[REPORTS_DIR_ENV] = dir;
  process.env[SHARD_TIMES_ENV] = HISTORY;
  try {
    const reporter = new ShardReporter({ runId: 'nightly-1' });
    const config = { shard: { current, total } } as FullConfig;
    await reporter.preprocess({
      config,
      suite: { allTests: () => tests } as unknown as Suite,
      testRun: fakeRun,
    });
    const kept = tests.filter((t) => !excluded.has(t));
    reporter.onBegin(config, { allTests: () => kept } as unknown as Suite);
    return kept;
  } finally {
    process.env[REPORTS_DIR_ENV] = saved[REPORTS_DIR_ENV];
    if (saved[SHARD_TIMES_ENV] === undefined) delete process.env[SHARD_TIMES_ENV];
    if (saved[REPORTS_DIR_ENV] === undefined) delete process.env[REPORTS_DIR_ENV];
  }
}

test("the shard reporter cuts by the history's times: two shard jobs share the tests between them, each test once, one plan", async () => {
  const tests = [
    'nightly-dc_n1_slow_start',
    'nightly-dc_n1_pnp_clean',
    'nightly-dc_n2_clean',
  ].flatMap((p) => FAMILIES.map((name) => fakeTest(p, name)));
  const dirs = [1, 2].map(() => scratchDir('drvcycle-cut-'));
  const kept = [await cutShard(dirs[0]!, 1, 2, tests), await cutShard(dirs[1]!, 2, 2, tests)];
  expect(kept[0]!.length + kept[1]!.length).toBe(tests.length);
  expect(new Set([...kept[0]!, ...kept[1]!]).size).toBe(tests.length);
  // The slow driver's two long tests are not on one shard with everything else.
  const records = dirs.map((dir) => readShardRecord(dir, '')!);
  expect(records[0]!.plan).toMatchObject({ by: 'times', tests: 12, timesFile: HISTORY });
  expect(records[1]!.plan!.fingerprint).toBe(records[0]!.plan!.fingerprint);
  const set = checkShardSet(
    dirs.map((dir, i) => ({ dir, record: records[i] })),
    '',
  )!;
  expect(set.differentPlans).toEqual([]);
  expect(set.inNoShard).toBe(0);
  expect(incompleteness(set)).toEqual([
    // Nothing ended in these records (onEnd not run): only that is reported.
    expect.stringMatching(/^shard 1\/2 did not finish/),
    expect.stringMatching(/^shard 2\/2 did not finish/),
    expect.stringMatching(/^12 tests never ended/),
  ]);
});

test('shards cut by different plans are told at the merge when, between them, a test ran in none or twice', () => {
  const record = (current: number, tests: string[], plan?: ShardRecord['plan']): ShardRecord => ({
    runId: 'nightly-1',
    shard: { current, total: 2 },
    ...(plan ? { plan } : {}),
    startedAt: '2026-12-07T00:00:00Z',
    endedAt: '2026-12-07T00:10:00Z',
    status: 'passed',
    tests: Object.fromEntries(tests.map((t) => [t, 'passed'])),
  });
  const plan = {
    by: 'times' as const,
    timesFile: '/h/history.jsonl',
    fingerprint: 'abc',
    tests: 4,
    expectedSeconds: [1, 1],
    unknown: 0,
  };
  // One job found the history (it took a and d), the other did not and cut by count (c and d).
  const mixed = checkShardSet(
    [
      { dir: 'one', record: record(1, ['a', 'd'], plan) },
      { dir: 'two', record: record(2, ['c', 'd']) },
    ],
    '',
  )!;
  expect(incompleteness(mixed)).toEqual([
    '1 test of the run was given to no shard',
    "the shards were cut by different plans: shard 1: cut by the test times in /h/history.jsonl (plan abc); shard 2: cut by Playwright's count (give every shard job the same DRVCYCLE_SHARD_TIMES file, or none)",
    '1 test ran in more than one shard: d (shards 1, 2)',
  ]);
  // Cut differently, but every test ran once: nothing to tell.
  const lucky = checkShardSet(
    [
      { dir: 'one', record: record(1, ['a', 'b'], plan) },
      { dir: 'two', record: record(2, ['c', 'd']) },
    ],
    '',
  )!;
  expect(lucky.differentPlans).toHaveLength(2);
  expect(incompleteness(lucky)).toEqual([]);
  // One plan of 4 tests, but the shards ran 3 between them.
  const short = checkShardSet(
    [
      { dir: 'one', record: record(1, ['a', 'b'], plan) },
      { dir: 'two', record: record(2, ['c'], plan) },
    ],
    '',
  )!;
  expect(incompleteness(short)).toEqual(['1 test of the run was given to no shard']);
});
