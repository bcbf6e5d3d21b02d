/**
 * Writes reports/shard.json in a run started with --shard=i/n (see shard-record.ts): as it begins
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
} from '@playwright/test/reporter';
import { reportPaths } from '../../config/report-paths.ts';
import { atomicWrite } from '../atomic-write.ts';
import { shardTestKey, type ShardRecord } from '../shard-record.ts';

function keyOf(test: TestCase): string {
  // ['', project, file, ...describes, title]
  const [, project = '', ...rest] = test.titlePath();
  return shardTestKey(project, rest);
}

export default class ShardReporter implements Reporter {
  private readonly runId: string | undefined;
  private record: ShardRecord | undefined;
  private readonly tests = new Map<string, string | null>();

  constructor(options: { runId?: string } = {}) {
    this.runId = options.runId;
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
