import { expect, test } from '@playwright/test';
import { formatRow } from '../../src/report/reporters/summary.ts';
import { ScmError, ScmTimeoutError } from '../../src/core/errors.ts';
import { formatProgress, progressReporter, runCycleBatch } from '../../src/runner/batch.ts';
import { percentile } from '../../src/core/stats.ts';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import type { Target } from '../../src/target/types.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { fromWireError, toWireError } from '../../src/core/errors.ts';

const ok = (cycle: number, startMs: number, stopMs: number): CycleRecord => ({
  cycle,
  outcome: 'ok',
  startMs,
  stopMs,
  state: 'STOPPED',
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

/** A fake target whose batch yields the given records, then optionally drops the connection. */
function fakeBatch(records: CycleRecord[], dropAfter = false): Target {
  return {
    async *runCycles() {
      for (const r of records) yield r;
      if (dropAfter)
        throw new Error(
          'The agent at http://127.0.0.1:9 sent nothing for 15000 ms during a cycle batch.',
        );
    },
  } as unknown as Target;
}
const REF = { name: 'dc_x', imagePath: '', runId: 'r', config: {} as never };

test("a batch stops at its first bad cycle, numbered on from the batch's first cycle", async () => {
  const bad: CycleRecord = {
    cycle: 3,
    outcome: 'stop-failed',
    startMs: 5,
    stopMs: null,
    state: 'STOP_PENDING',
    error: toWireError(
      new ScmError({ operation: 'ControlService', service: 'dc_x', win32Code: 109 }),
    ),
  };
  const seen: number[] = [];
  const failed = await runCycleBatch(
    fakeBatch([ok(1, 1, 1), ok(2, 1, 1), bad, ok(4, 1, 1)]),
    REF,
    { count: 4 },
    { firstCycle: 101, onRecord: (r) => seen.push(r.cycle) },
  );
  expect(seen).toEqual([101, 102, 103]);
  expect(failed).toMatchObject({
    cycle: 103,
    outcome: 'stop-failed',
    state: 'STOP_PENDING',
    error: { win32Code: 109 },
  });
  expect(await runCycleBatch(fakeBatch([ok(1, 1, 1)]), REF, { count: 1 })).toBeUndefined();
});

test('a batch that goes silent fails the next cycle as a lost machine', async () => {
  const seen: CycleRecord[] = [];
  const failed = await runCycleBatch(
    fakeBatch([ok(1, 1, 1), ok(2, 1, 1)], true),
    REF,
    { count: 5 },
    { onRecord: (r) => seen.push(r) },
  );
  expect(failed).toMatchObject({
    cycle: 3,
    outcome: 'start-failed',
    state: 'UNKNOWN',
    error: { code: 'DRVCYCLE_AGENT_UNREACHABLE' },
  });
  expect(seen.at(-1)).toBe(failed);
  expect(
    classifyCycleFailure({ driver: 'dc_x', scenario: 'cycles', record: failed! }).summary,
  ).toMatch(
    /^CRASH in load at cycle 3: the machine stopped answering \(The agent at http:\/\/127\.0\.0\.1:9 sent nothing/,
  );
});

test('typed errors survive the wire with every field', () => {
  const timeout = fromWireError(
    toWireError(
      new ScmTimeoutError({
        operation: 'ControlService',
        service: 's',
        state: 'STOP_PENDING',
        elapsedMs: 10,
        boundMs: 5,
        cycle: 3,
      }),
    ),
  );
  expect(timeout).toBeInstanceOf(ScmTimeoutError);
  expect(timeout).toMatchObject({ state: 'STOP_PENDING', elapsedMs: 10, boundMs: 5, cycle: 3 });
  const unexpected = fromWireError(toWireError(new RangeError('bad')));
  expect(unexpected).toMatchObject({ code: 'DRVCYCLE_AGENT_INTERNAL' });
  expect(unexpected.message).toMatch(/^The agent failed unexpectedly: RangeError: bad/);
});

test('progress lines', () => {
  expect(formatProgress({ done: 29, total: 100, perSecond: 5.84, etaSeconds: 12.2 })).toBe(
    'cycle 29/100 (5.8/s, ETA 13 s)',
  );
  expect(formatProgress({ done: 0, total: 100, perSecond: 0, etaSeconds: Infinity })).toBe(
    'cycle 0/100 (0.0/s, ETA ?)',
  );
  const lines: string[] = [];
  const report = progressReporter('dc_x', 10, (l) => lines.push(l), 0);
  report(5);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^\[dc_x\] cycle 5\/10 \(/);
});

test('the end-of-run summary shows the cycle figures and the first line of an error', () => {
  const summary = {
    driver: 'dc_clean',
    requested: 100,
    completed: 100,
    start: { p50: 123.61, p95: 166.3, max: 200 },
    stop: { p50: 18.3, p95: 26.6, max: 30 },
  };
  expect(formatRow({ title: 'lab › cycles', status: 'passed', summary, error: undefined })).toBe(
    'PASS  lab › cycles  dc_clean: 100/100 cycles, start p50 123.6 / p95 166.3 ms, stop p50 18.3 / p95 26.6 ms',
  );
  expect(
    formatRow({
      title: 't',
      status: 'failed',
      summary: undefined,
      error: 'LOAD FAILURE at cycle 1\nstack',
    }),
  ).toBe('FAILED  t\n      LOAD FAILURE at cycle 1');
});
