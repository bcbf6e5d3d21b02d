/**
 * A batch that delivers fewer cycles than asked, with no failed cycle (cancelled from outside:
 * another client's cancel request, the service removed by another worker), is never a pass.
 * The targets and machines here are fakes (pure verdict logic); the lab case is in
 * tests/e2e/cut-short.spec.ts.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { Collector } from '../../src/collector/collector.ts';
import { verdictForCutShortBatch } from '../../src/core/classify.ts';
import { ScmError } from '../../src/core/errors.ts';
import type { CycleOptions, CycleRecord } from '../../src/core/records.ts';
import { DEFAULT_BYTE_THRESHOLDS } from '../../src/core/leak-decision.ts';
import type { Machine } from '../../src/machines/machine.ts';
import { runCyclePlan, type CyclePlan } from '../../src/families/cycle-plan.ts';
import type { Target } from '../../src/target/types.ts';
import { fakeInstalledDriver } from './fake-scm.ts';
import { scratchDir } from './scratch.ts';

const ok = (cycle: number): CycleRecord => ({
  cycle,
  outcome: 'ok',
  startMs: 1,
  stopMs: 1,
  state: 'STOPPED',
});

/** A fake target whose every batch yields `delivered(count)` records and then ends cleanly. */
function fakeRun(delivered: (count: number) => number, gone = false) {
  const batches: number[] = [];
  const target = {
    async info() {
      return { wineVersion: null };
    },
    async samplers() {
      throw new Error('no samplers on this fake');
    },
    async query() {
      if (gone)
        throw new ScmError({ operation: 'OpenService', service: 'dc_clean', win32Code: 1060 });
      return { stateName: 'STOPPED' };
    },
    async *runCycles(_driver: unknown, options: CycleOptions) {
      batches.push(options.count);
      const n = delivered(options.count);
      for (let cycle = 1; cycle <= n; cycle++) yield ok(cycle);
    },
  } as unknown as Target;
  const machine = {
    name: 'fake machine',
    poolTrace: false,
    debugMark: () => 0,
    debugOutput: () => '',
  } as unknown as Machine;
  const driver = fakeInstalledDriver();
  const collector = new Collector(path.join(scratchDir('drvcycle-cut-short-'), 'metrics.ndjson'));
  const ctx = {
    target,
    machine,
    driver,
    collector,
    sampleRequest: {},
    reinstall: async () => driver,
  };
  return { ctx, batches };
}

const bounds = { startTimeoutMs: 1000, stopTimeoutMs: 1000, sampleEvery: 0 } as const;

test('a cycles batch cancelled after 62 of 3000 cycles is an environment verdict naming the counts, not a pass', async () => {
  const { ctx, batches } = fakeRun(() => 62);
  const verdict = await runCyclePlan(ctx, { family: 'cycles', count: 3000, ...bounds });
  expect(batches).toEqual([3000]);
  expect(verdict).toMatchObject({
    kind: 'environment',
    evidence: {
      cause: 'batch-cut-short',
      cyclesAsked: 3000,
      cyclesRan: 62,
      serviceAfter: 'the service is STOPPED now',
    },
  });
  expect(verdict.summary).toMatch(
    /^ENVIRONMENT: 62 of 3000 cycles ran: the batch ended early with no failed cycle, so it was cancelled from outside this test/,
  );
  ctx.collector.close();
});

test('a batch that ends with no cycle at all, its service removed by someone else, says so', async () => {
  const { ctx } = fakeRun(() => 0, true);
  const verdict = await runCyclePlan(ctx, { family: 'cycles', count: 5, ...bounds });
  expect(verdict.kind).toBe('environment');
  expect(verdict.summary).toContain('0 of 5 cycles ran');
  expect(verdict.evidence.serviceAfter).toMatch(/^the service cannot be queried now: .*1060/);
  ctx.collector.close();
});

test('a leak plan cut short is not judged on the cycles it got: environment, with the counts', async () => {
  const { ctx } = fakeRun(() => 40);
  const plan: CyclePlan = {
    family: 'leaks',
    count: 1000,
    ...bounds,
    leak: { thresholds: DEFAULT_BYTE_THRESHOLDS, poolTags: [] },
  };
  const verdict = await runCyclePlan(ctx, plan);
  expect(verdict).toMatchObject({
    kind: 'environment',
    evidence: { cyclesAsked: 1000, cyclesRan: 40 },
  });
  ctx.collector.close();
});

test('a soak whose batch comes back short stops there, counting what ran', async () => {
  let batch = 0;
  const { ctx, batches } = fakeRun((count) => (++batch <= 2 ? count : 30));
  const verdict = await runCyclePlan(ctx, { family: 'soak', durationSeconds: 3600, ...bounds });
  // One cycle to find the pace, then batches of the most an hour holds.
  expect(batches).toEqual([1, 100, 100]);
  expect(verdict).toMatchObject({
    kind: 'environment',
    evidence: { cyclesAsked: 201, cyclesRan: 131 },
  });
  ctx.collector.close();
});

test('every cycle asked for is a pass (the control for the cases above)', async () => {
  const { ctx } = fakeRun((count) => count);
  const verdict = await runCyclePlan(ctx, { family: 'cycles', count: 7, ...bounds });
  expect(verdict).toMatchObject({ kind: 'pass', evidence: { cycles: 7 } });
  ctx.collector.close();
});

test('the cut-short verdict blames no driver and leads with the counts', () => {
  const verdict = verdictForCutShortBatch({
    driver: 'dc_x',
    scenario: 'cycles',
    asked: 10,
    ran: 3,
    serviceAfter: 'the service is RUNNING now',
  });
  expect(verdict.kind).toBe('environment');
  expect(verdict.summary).toBe(
    "ENVIRONMENT: 3 of 10 cycles ran: the batch ended early with no failed cycle, so it was cancelled from outside this test (another client's cancel request, or the service removed or cycled by another worker or run; the service is RUNNING now); nothing points at the driver",
  );
});
