import { expect, test } from '@playwright/test';
import { formatRow } from '../../src/report/summary-reporter.ts';
import { ScmError, ScmTimeoutError } from '../../src/scm/errors.ts';
import {
  CycleFailure,
  cyclesCsv,
  formatProgress,
  latencySummary,
  percentile,
} from '../../src/suites/cycles.ts';
import type { CycleRecord } from '../../src/target/types.ts';
import { fromWireError, toWireError } from '../../src/target/wire-errors.ts';

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
  expect(latencySummary([3, null, 1, 2])).toEqual({ p50: 2, p95: 3, p99: 3, max: 3, count: 3 });
});

test('failure messages lead with the kind and the cycle number', () => {
  const run = { records: [], requested: 10, elapsedMs: 1 };
  const load = new CycleFailure(
    {
      cycle: 4,
      outcome: 'start-failed',
      startMs: null,
      stopMs: null,
      state: 'STOPPED',
      error: toWireError(
        new ScmError({
          operation: 'StartService',
          service: 'dc_x',
          win32Code: 1450,
          state: 'STOPPED',
          cycle: 4,
        }),
      ),
    },
    run,
  );
  expect(load.message).toBe(
    'LOAD FAILURE at cycle 4 of 10: StartService on service "dc_x" failed at cycle 4: 1450 ERROR_NO_SYSTEM_RESOURCES: Insufficient system resources exist to complete the requested service. (state STOPPED)',
  );
  expect(load.failure).toBeInstanceOf(ScmError);
  const hang = new CycleFailure(
    {
      cycle: 9,
      outcome: 'stop-failed',
      startMs: 5,
      stopMs: null,
      state: 'STOP_PENDING',
      error: toWireError(
        new ScmTimeoutError({
          operation: 'ControlService',
          service: 'dc_x',
          state: 'STOP_PENDING',
          elapsedMs: 3001,
          boundMs: 3000,
          cycle: 9,
        }),
      ),
    },
    run,
  );
  expect(hang.message).toMatch(
    /^HANG at cycle 9 of 10: ControlService on service "dc_x" did not finish at cycle 9: still STOP_PENDING/,
  );
  const unload = new CycleFailure(
    {
      cycle: 2,
      outcome: 'stop-failed',
      startMs: 5,
      stopMs: null,
      state: 'STOP_PENDING',
      error: toWireError(
        new ScmError({ operation: 'ControlService', service: 'dc_x', win32Code: 109 }),
      ),
    },
    run,
  );
  expect(unload.message).toMatch(
    /^UNLOAD FAILURE at cycle 2 of 10: .*109 ERROR_BROKEN_PIPE.* \[service state STOP_PENDING\]$/,
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

test('CSV of per-cycle timings, and progress lines', () => {
  expect(cyclesCsv([ok(1, 120.456, 18.2)])).toBe(
    'cycle,outcome,start_ms,stop_ms,state,win32_code\n1,ok,120.46,18.20,STOPPED,\n',
  );
  expect(formatProgress({ done: 29, total: 100, perSecond: 5.84, etaSeconds: 12.2 })).toBe(
    'cycle 29/100 (5.8/s, ETA 13 s)',
  );
  expect(formatProgress({ done: 0, total: 100, perSecond: 0, etaSeconds: Infinity })).toBe(
    'cycle 0/100 (0.0/s, ETA ?)',
  );
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
