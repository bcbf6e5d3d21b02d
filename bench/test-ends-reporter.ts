/**
 * For the benches that time whole `playwright test` runs: appends one JSON line per test as the
 * runner learns its outcome (the moment a user sees it), to BENCH_TEST_ENDS. A test's own
 * `duration` leaves out its worker's set-up (the machine's boot), so it cannot say when the
 * first verdict came.
 */
import { appendFileSync } from 'node:fs';
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class TestEndsReporter implements Reporter {
  onTestEnd(test: TestCase, result: TestResult): void {
    const file = process.env.BENCH_TEST_ENDS;
    if (!file) return;
    appendFileSync(
      file,
      `${JSON.stringify({
        title: test.titlePath().slice(1).join(' › '),
        status: result.status,
        workerIndex: result.workerIndex,
        startedAt: result.startTime.getTime(),
        durationMs: result.duration,
        endedAt: Date.now(),
      })}\n`,
    );
  }

  printsToStdio(): boolean {
    return false;
  }
}
