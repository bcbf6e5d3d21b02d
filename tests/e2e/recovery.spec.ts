/** After a crash verdict the machine is recovered, and the next test on that worker runs clean. */
import { testLeftovers } from '../../src/machines/machine.ts';
import { expect, test } from '../../fixtures/index.ts';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { refTo, sample } from './support.ts';

test.describe.configure({ mode: 'serial' });

let crashedMachineMark = -1;

test('a crash in unload is a crash verdict at its cycle', async ({
  install,
  target,
  machine,
  verdict,
}) => {
  const ref = await install(...sample('crash_in_unload'));
  const mark = machine.debugMark();
  const records: CycleRecord[] = [];
  for await (const record of target.runCycles(ref, { count: 3, stopTimeoutMs: 5_000 }))
    records.push(record);
  const result = classifyCycleFailure({
    driver: ref.name,
    scenario: 'recovery',
    record: records.at(-1)!,
    debugOutput: machine.debugOutput(mark),
    machine: await machine.postMortem(new Date(0), mark),
  });
  expect(result).toMatchObject({ kind: 'crash', cycle: 1, phase: 'unload' });
  verdict.record(result);
  crashedMachineMark = machine.debugMark();
  expect((await target.query(ref)).stateName).toBe('STOP_PENDING');
});

test('the next test runs on a recovered, clean machine', async ({ install, target, machine }) => {
  expect(crashedMachineMark, 'runs after the crash test').toBeGreaterThan(0);
  // A fresh prefix: the crashed service is gone and the debug log started over.
  await expect(target.query(refTo('dc_crash_in_unload'))).rejects.toMatchObject({
    win32Code: 1060,
  });
  expect(machine.debugMark()).toBeLessThan(crashedMachineMark);
  // The keeper of the lab's shared host is the machine's, not a leftover.
  expect(testLeftovers(await target.listOwned())).toEqual([]);
  const ref = await install(...sample('clean'));
  const records: CycleRecord[] = [];
  for await (const record of target.runCycles(ref, { count: 10 })) records.push(record);
  expect(records.filter((r) => r.outcome === 'ok')).toHaveLength(10);
});
