/**
 * Shard records (shard.json) and the merge's check of them: every shard index once, one total,
 * a missing shard named by its index, a shard that never finished, a test lost or run twice; the
 * certification of a partial run fails. The records are written in the real format by the real
 * reporter (ShardReporter), fed with fake Playwright suites (named as such below).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { FullConfig, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import { ConfigError } from '../../src/core/errors.ts';
import { summarise } from '../../src/core/verdict.ts';
import { REPORTS_DIR_ENV } from '../../src/config/environment.ts';
import type { Certification } from '../../src/report/certification-verdict.ts';
import { mergeShards } from '../../src/report/merge.ts';
import ShardReporter from '../../src/report/reporters/shard.ts';
import {
  incompleteness,
  readShardRecord,
  shardProblems,
  type ShardSet,
} from '../../src/report/shard-record.ts';
import { scratchDir } from './scratch.ts';

const tmp = () => scratchDir('drvcycle-shards-');

/** A fake TestCase: only what the shard reporter reads (its title path). */
function fakeTest(project: string, file: string, title: string): TestCase {
  return { titlePath: () => ['', project, file, 'cycles', title] } as unknown as TestCase;
}

/** Runs the real ShardReporter over fake tests into a shard folder, as a run with --shard would. */
function runShard(
  dir: string,
  shard: { current: number; total: number } | null,
  tests: { test: TestCase; status: TestResult['status'] | undefined }[],
  end: 'passed' | 'failed' | 'killed' = 'passed',
  runId = 'nightly-1',
): void {
  const before = process.env[REPORTS_DIR_ENV];
  process.env[REPORTS_DIR_ENV] = dir;
  try {
    const reporter = new ShardReporter({ runId });
    reporter.onBegin(
      { shard } as FullConfig,
      { allTests: () => tests.map((t) => t.test) } as unknown as Suite,
    );
    for (const { test: t, status } of tests)
      if (status) reporter.onTestEnd(t, { status } as TestResult);
    if (end !== 'killed') reporter.onEnd({ status: end, startTime: new Date(), duration: 1 });
  } finally {
    if (before === undefined) delete process.env[REPORTS_DIR_ENV];
    else process.env[REPORTS_DIR_ENV] = before;
  }
}

/** A shard folder: one Allure result and one verdict per test, a certification, its record. */
function shardFolder(
  current: number,
  total: number,
  services: string[],
  end: 'passed' | 'failed' | 'killed' = 'passed',
): string {
  const dir = tmp();
  mkdirSync(path.join(dir, 'allure-results'));
  for (const service of services)
    writeFileSync(path.join(dir, 'allure-results', `${service}-result.json`), '{}');
  writeFileSync(path.join(dir, 'verdicts.json'), JSON.stringify(summarise([], 'nightly-1')));
  const certification: Certification = {
    generatedAt: '',
    runId: 'nightly-1',
    certified: false,
    verdict: 'pass',
    drivers: services.map((service) => ({
      project: `nightly-${service}`,
      service,
      driver: { file: 'x.sys', sha256: '00', version: null, bytes: 1, signature: 'absent' },
      target: 'Wine 8.0',
      verifier: 'not available (lab rehearsal)',
      rehearsal: 'a nightly run',
      criteria: [
        { name: 'cycles › load/unload cycles', requirement: 'r', measured: 'm', passed: true },
      ],
      missing: [],
      verdict: 'pass',
    })),
  };
  writeFileSync(path.join(dir, 'certification.json'), JSON.stringify(certification));
  runShard(
    dir,
    { current, total },
    services.map((s) => ({
      test: fakeTest(`nightly-${s}`, 'cycles.spec.ts', 'load/unload cycles'),
      status: end === 'killed' ? undefined : 'passed',
    })),
    end,
  );
  return dir;
}

function refusal(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the merge did not refuse');
}

const certificationOf = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'certification.json'), 'utf8')) as Certification;

test('a sharded run writes shard.json as it begins and ends; an unsharded run removes an earlier one', () => {
  const dir = tmp();
  const a = fakeTest('nightly-a', 'cycles.spec.ts', 'load/unload cycles');
  const b = fakeTest('nightly-a', 'leaks.spec.ts', 'memory');
  runShard(
    dir,
    { current: 2, total: 3 },
    [
      { test: a, status: 'passed' },
      { test: b, status: undefined },
    ],
    'killed',
  );
  const begun = readShardRecord(dir, '')!;
  expect(begun).toMatchObject({ runId: 'nightly-1', shard: { current: 2, total: 3 } });
  expect(begun.endedAt).toBeUndefined();
  // The record is written as the run begins: a killed runner leaves every test without an outcome.
  expect(begun.tests).toEqual({
    '[nightly-a] › cycles.spec.ts › cycles › load/unload cycles': null,
    '[nightly-a] › leaks.spec.ts › cycles › memory': null,
  });
  runShard(dir, { current: 2, total: 3 }, [
    { test: a, status: 'passed' },
    { test: b, status: 'failed' },
  ]);
  const ended = readShardRecord(dir, '')!;
  expect(ended).toMatchObject({ status: 'passed', endedAt: expect.any(String) });
  expect(Object.values(ended.tests)).toEqual(['passed', 'failed']);
  runShard(dir, null, [{ test: a, status: 'passed' }]);
  expect(readShardRecord(dir, '')).toBeUndefined();
});

test('every shard here: one record of the set, the certification passes', () => {
  const into = tmp();
  const merged = mergeShards(
    [shardFolder(2, 3, ['b']), shardFolder(1, 3, ['a']), shardFolder(3, 3, ['c'])],
    into,
  );
  expect(merged.incomplete).toEqual([]);
  expect(merged.shardSet).toMatchObject({ total: 3, missing: [], unfinished: [], failed: [] });
  expect(merged.shardSet!.shards.map((s) => s.index)).toEqual([1, 2, 3]);
  const set = JSON.parse(readFileSync(path.join(into, 'shards.json'), 'utf8')) as ShardSet;
  expect(shardProblems(set)).toEqual([]);
  expect(certificationOf(into)).toMatchObject({ verdict: 'pass' });
  expect(certificationOf(into).drivers.map((d) => d.service)).toEqual(['b', 'a', 'c']);
});

test('a missing shard is named by its index, and the certification of the partial run fails', () => {
  const into = tmp();
  const merged = mergeShards([shardFolder(1, 3, ['a']), shardFolder(3, 3, ['c'])], into);
  expect(merged.shardSet!.missing).toEqual([2]);
  expect(merged.incomplete).toEqual([
    expect.stringMatching(/^shard 2\/3 is missing: no folder given is shard 2/),
  ]);
  const certification = certificationOf(into);
  // Both drivers that ran passed, yet the run is not whole: it certifies nothing.
  expect(certification.drivers.every((d) => d.verdict === 'pass')).toBe(true);
  expect(certification).toMatchObject({ verdict: 'fail', incomplete: merged.incomplete });
  expect(readFileSync(path.join(into, 'certification.md'), 'utf8')).toContain(
    '**Incomplete run: it certifies nothing.**',
  );
  const set = JSON.parse(readFileSync(path.join(into, 'shards.json'), 'utf8')) as ShardSet;
  expect(shardProblems(set)).toEqual(merged.incomplete);
  // Merged again with every shard, the folder no longer says it is incomplete.
  mergeShards([shardFolder(1, 3, ['a']), shardFolder(2, 3, ['b']), shardFolder(3, 3, ['c'])], into);
  expect(certificationOf(into)).toMatchObject({ verdict: 'pass' });
  expect(certificationOf(into).incomplete).toBeUndefined();
});

test('a shard that never finished, a test it never ended, a test two shards ran, a failed shard', () => {
  const killed = shardFolder(2, 3, ['b'], 'killed');
  const twice = shardFolder(3, 3, ['a'], 'failed');
  const merged = mergeShards([shardFolder(1, 3, ['a']), killed, twice], tmp());
  expect(merged.shardSet).toMatchObject({
    unfinished: [2],
    failed: [{ index: 3, status: 'failed' }],
    notRun: ['[nightly-b] › cycles.spec.ts › cycles › load/unload cycles (shard 2/3)'],
    duplicated: ['[nightly-a] › cycles.spec.ts › cycles › load/unload cycles (shards 1, 3)'],
  });
  expect(merged.incomplete).toEqual([
    expect.stringMatching(/^shard 2\/3 did not finish: .*npx drvcycle resume/),
    '1 test never ended: [nightly-b] › cycles.spec.ts › cycles › load/unload cycles (shard 2/3)',
    '1 test ran in more than one shard: [nightly-a] › cycles.spec.ts › cycles › load/unload cycles (shards 1, 3)',
  ]);
  // A failed shard's failed tests fail the gate; the gate names the shard as well.
  expect(shardProblems(merged.shardSet!)).toEqual([...merged.incomplete, 'shard 3/3 ended failed']);
  expect(incompleteness(merged.shardSet!)).toEqual(merged.incomplete);
});

test('shards that are not one run split one way are refused before the merged folder is touched', () => {
  const into = tmp();
  mergeShards([shardFolder(1, 1, ['z'])], into);
  const before = readdirSync(path.join(into, 'allure-results'));
  const same = refusal(() =>
    mergeShards([shardFolder(1, 2, ['a']), shardFolder(1, 2, ['b'])], into),
  );
  expect(same.message).toMatch(/ and .* are both shard 1\/2\./);
  expect(same.hint).toMatch(/Give each shard index once/);
  const totals = refusal(() =>
    mergeShards([shardFolder(1, 2, ['a']), shardFolder(2, 3, ['b'])], into),
  );
  expect(totals.message).toMatch(
    /is shard 2\/3, but .* is shard 1\/2: the shards come from runs split differently/,
  );
  const unsharded = shardFolder(2, 2, ['b']);
  const noRecord = tmp();
  mkdirSync(path.join(noRecord, 'allure-results'));
  const none = refusal(() => mergeShards([unsharded, noRecord], into));
  expect(none.message).toMatch(
    /has no shard\.json, while .* has: it is not a shard of a run started with --shard=i\/n/,
  );
  expect(readdirSync(path.join(into, 'allure-results'))).toEqual(before);
  // A damaged record is named.
  const damaged = shardFolder(1, 2, ['a']);
  writeFileSync(
    path.join(damaged, 'shard.json'),
    JSON.stringify({ shard: { current: 3, total: 2 }, tests: {} }),
  );
  expect(refusal(() => mergeShards([damaged], into)).message).toMatch(
    /shard\.json is not a drvcycle shard record: its "shard" is not \{current, total\}/,
  );
});

test('shards with no record at all (an older drvcycle) merge as before, with nothing checked', () => {
  const old = (service: string) => {
    const dir = shardFolder(1, 2, [service]);
    writeFileSync(path.join(dir, 'shard.json'), '');
    return dir;
  };
  // An empty file is damaged, not absent: refused.
  expect(() => mergeShards([old('a')], tmp())).toThrow(/shard\.json is not valid JSON/);
  const plain = (service: string) => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'allure-results'));
    writeFileSync(path.join(dir, 'allure-results', `${service}-result.json`), '{}');
    return dir;
  };
  const into = tmp();
  mergeShards([shardFolder(1, 1, ['a'])], into);
  const merged = mergeShards([plain('a'), plain('b')], into);
  expect(merged).toMatchObject({ shardSet: undefined, incomplete: [], results: 2 });
  // The earlier merge's shards.json is gone: it described other shards.
  expect(readdirSync(into)).not.toContain('shards.json');
});
