/**
 * A worker's machine is reused when it is proven clean and replaced when it is not: the next test
 * never inherits what a test left (a service, a file in system32\drivers), and a clean machine is
 * not booted again for nothing.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import type { Machine } from '../../src/machines/machine.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { lab, refTo, sample } from './support.ts';

test.describe.configure({ mode: 'serial' });

/** Which boot of which prefix serves: a machine swapped in or reverted in place changes it. */
function bootOf(machine: Machine): string {
  const serving = lab(machine);
  return `${serving.dir} (agent ${serving.agentPid})`;
}

let previous = '';
let strayFile = '';

test('a test that cleans up after itself', async ({ machine, install, target }) => {
  const ref = await install(...sample('clean'));
  const records: CycleRecord[] = [];
  for await (const record of target.runCycles(ref, { count: 5 })) records.push(record);
  expect(records.filter((r) => r.outcome === 'ok')).toHaveLength(5);
  previous = bootOf(machine);
});

test('the next test reuses that machine, proven clean', async ({ machine }) => {
  expect(previous, 'runs after the clean test').not.toBe('');
  expect(bootOf(machine)).toBe(previous);
  expect(await machine.leftovers!()).toEqual([]);
  // This test leaves a driver file in system32\drivers, as a package's CopyFiles would, which
  // no service names: only the comparison with the machine's clean state finds it.
  strayFile = path.join(
    lab(machine).prefix,
    'drive_c',
    'windows',
    'system32',
    'drivers',
    'dc_stray.sys',
  );
  writeFileSync(strayFile, 'MZ');
  expect(await machine.leftovers!()).toEqual([`files added: ${strayFile}`]);
  previous = bootOf(machine);
});

test('a machine left with a stray file is replaced before the next test', async ({
  machine,
  target,
}) => {
  expect(bootOf(machine)).not.toBe(previous);
  expect(
    existsSync(path.join(lab(machine).prefix, 'drive_c/windows/system32/drivers/dc_stray.sys')),
  ).toBe(false);
  expect(await machine.leftovers!()).toEqual([]);
  // A service this test installs outside the install fixture stays behind when it ends.
  await target.install(...sample('clean', 'dc_left_behind'));
  expect(await machine.leftovers!()).toEqual([
    'services left: dc_left_behind (STOPPED)',
    expect.stringMatching(/^staged images left: \/.*\/drvcycle\/images\/[0-9a-f]{16}\/clean\.sys$/),
  ]);
  previous = bootOf(machine);
});

test('a machine left with a service is replaced before the next test', async ({
  machine,
  target,
}) => {
  expect(bootOf(machine)).not.toBe(previous);
  await expect(target.query(refTo('dc_left_behind'))).rejects.toMatchObject({ win32Code: 1060 });
  expect(await machine.leftovers!()).toEqual([]);
  expect(strayFile).not.toBe('');
});
