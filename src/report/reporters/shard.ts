/**
 * Cuts a run started with --shard=i/n by test times when DRVCYCLE_SHARD_TIMES names an earlier
 * run's Allure history (shard-plan.ts; otherwise Playwright cuts by count), and writes
 * reports/shard.json (see shard-record.ts): as it begins
 * (every test of the shard, none ended yet) and at its end (each test's last status, the run's
 * status). A run that is not sharded removes an earlier run's record, which would describe
 * another run. defineConfig gives it the run's id.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type {
  FullConfig,
  FullResult,
  Reporter,
  Suite,
  TestCase,
  TestResult,
  TestRun,
} from '@playwright/test/reporter';
import { shardTimesFile } from '../../config/environment.ts';
import { reportPaths } from '../../config/report-paths.ts';
import { atomicWrite } from '../atomic-write.ts';
import { planShards, testTimesFromHistory } from '../shard-plan.ts';
import { shardTestKey, type ShardPlanRecord, type ShardRecord } from '../shard-record.ts';

function keyOf(test: TestCase): string {
  // ['', project, file, ...describes, title]
  const [, project = '', ...rest] = test.titlePath();
  return shardTestKey(project, rest);
}

/** The suite whose tests must run in one worker (a serial suite), if the test is in one. */
function serialGroupOf(test: TestCase, testRun: TestRun): string | undefined {
  let group: Suite | undefined;
  for (let suite: Suite | undefined = test.parent; suite; suite = suite.parent)
    if (suite.type === 'describe' && testRun.mode(suite) === 'serial') group = suite;
  return group ? group.titlePath().join(' › ') : undefined;
}

export default class ShardReporter implements Reporter {
  private readonly runId: string | undefined;
  private record: ShardRecord | undefined;
  private plan: ShardPlanRecord | undefined;
  private readonly tests = new Map<string, string | null>();

  constructor(options: { runId?: string } = {}) {
    this.runId = options.runId;
  }

  async preprocess({
    config,
    suite,
    testRun,
  }: {
    config: FullConfig;
    suite: Suite;
    testRun: TestRun;
  }): Promise<void> {
    const file = shardTimesFile();
    if (!config.shard || !file) return;
    const { current, total } = config.shard;
    const tests = suite.allTests().map((test) => ({ test, key: keyOf(test) }));
    const plan = planShards(
      tests.map(({ test, key }) => ({
        key,
        project: test.titlePath()[1] ?? '',
        group: serialGroupOf(test, testRun),
      })),
      total,
      testTimesFromHistory(file),
    );
    testRun.skipSharding();
    let mine = 0;
    for (const { test, key } of tests)
      if (plan.shardOf.get(key) === current) mine++;
      else testRun.exclude(test);
    this.plan = {
      by: 'times',
      timesFile: file,
      fingerprint: plan.fingerprint,
      tests: tests.length,
      expectedSeconds: plan.expectedSeconds,
      unknown: plan.unknown,
    };
    console.log(
      `[drvcycle] shard ${current}/${total} cut by the test times in ${file}: ${mine} of ${tests.length} tests, ~${plan.expectedSeconds[current - 1]} s expected (every shard: ${plan.expectedSeconds.join(', ')} s${plan.unknown > 0 ? `; ${plan.unknown} tests without a time counted as the median` : ''})`,
    );
  }

  onBegin(config: FullConfig, suite: Suite): void {
    const file = reportPaths.shardRecord();
    if (!config.shard) {
      rmSync(file, { force: true });
      return;
    }
    for (const test of suite.allTests()) this.tests.set(keyOf(test), null);
    this.record = {
      runId: this.runId,
      shard: { current: config.shard.current, total: config.shard.total },
      ...(this.plan ? { plan: this.plan } : {}),
      startedAt: new Date().toISOString(),
      tests: Object.fromEntries(this.tests),
    };
    atomicWrite(file, `${JSON.stringify(this.record, null, 2)}\n`);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    // The last attempt is the test's outcome (a retry that passed makes it passed).
    if (this.record) this.tests.set(keyOf(test), result.status);
  }

  onEnd(result: FullResult): void {
    if (!this.record) return;
    const record: ShardRecord = {
      ...this.record,
      endedAt: new Date().toISOString(),
      status: result.status,
      tests: Object.fromEntries(this.tests),
    };
    atomicWrite(path.resolve(reportPaths.shardRecord()), `${JSON.stringify(record, null, 2)}\n`);
  }
}
