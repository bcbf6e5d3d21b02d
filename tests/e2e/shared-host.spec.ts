/**
 * The lab's shared-host mode: drivers under test load into one long-lived winedevice.exe, kept by
 * drvcycle's keeper, and the pool trace still tells each driver's bytes apart.
 */
import { expect, test } from '../../fixtures/index.ts';
import { DEFAULT_BYTE_THRESHOLDS, decideLeak } from '../../src/core/leak-decision.ts';
import { sampleDriver } from '../../src/core/paths.ts';
import { LAB_HOST_GROUP } from '../../src/machines/lab.ts';
import { poolTraceSeries } from '../../src/collector/memory-signals.ts';
import type { InstalledDriver } from '../../src/target/types.ts';
import { lab } from './support.ts';

const LOAD_HOST = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:load_driver loading driver L"(.*)"$/gim;

test('two drivers in one host: only the leaking one is flagged, each by its own bytes', async ({
  machine,
  install,
  target,
}) => {
  const agent = lab(machine);
  expect(agent.hostMode).toBe('shared');
  const group = await machine.driverHost!(undefined);
  expect(group).toBe(LAB_HOST_GROUP);
  const mark = machine.debugMark();
  const clean = await install({ file: sampleDriver('clean') }, { name: 'dc_clean', group });
  const leak = await install({ file: sampleDriver('leak_small') }, { name: 'dc_leak', group });

  const cycle = async (driver: InstalledDriver, count: number) => {
    for await (const record of target.runCycles(driver, { count }))
      expect(record.outcome, `${driver.name} cycle ${record.cycle}`).toBe('ok');
  };
  // Each cycles while the other is loaded in the same host, holding its own allocations.
  await target.start(clean);
  await cycle(leak, 30);
  await target.stop(clean);
  await target.start(leak);
  await cycle(clean, 30);
  await target.stop(leak);

  const debug = machine.debugOutput(mark);
  const hosts = new Set([...debug.matchAll(LOAD_HOST)].map((m) => m[1]));
  expect(hosts.size, 'every load of both drivers in one host process').toBe(1);

  const verdictOf = (driver: InstalledDriver) =>
    decideLeak(poolTraceSeries(debug, driver.binaryPath), DEFAULT_BYTE_THRESHOLDS, {
      unit: 'B',
      exact: true,
      baseline: 0,
    });
  const leakAnalysis = verdictOf(leak);
  const cleanAnalysis = verdictOf(clean);
  expect(leakAnalysis.verdict).toBe('leak');
  expect(leakAnalysis.slopePerCycle).toBe(256);
  expect(cleanAnalysis.verdict, cleanAnalysis.reason).toBe('clean');
  // 30 cycles of leak_small plus its one start while clean cycled: 31 × 256 bytes.
  expect(poolTraceSeries(debug, leak.binaryPath).at(-1)!.value).toBe(31 * 256);
  expect(poolTraceSeries(debug, clean.binaryPath).every((s) => s.value === 0)).toBe(true);
});

test('a crash that took the shared host down: the machine is reverted and the keeper hosts again', async ({
  machine,
  install,
  target,
}) => {
  const group = await machine.driverHost!(undefined);
  const crash = await install(
    { file: sampleDriver('crash_in_unload') },
    { name: 'dc_crash_in_unload', group },
  );
  await target.start(crash);
  await expect(target.stop(crash, { timeoutMs: 10_000 })).rejects.toMatchObject({
    win32Code: 109,
  });
  const before = machine.debugMark();
  await machine.driverHost!(undefined);
  expect(machine.debugMark(), 'a revert starts a new debug log').toBeLessThan(before);
  expect((await target.query({ name: 'drvcycle_host' })).stateName).toBe('RUNNING');
  const mark = machine.debugMark();
  const clean = await install({ file: sampleDriver('clean') }, { name: 'dc_clean', group });
  for await (const record of target.runCycles(clean, { count: 3 }))
    expect(record.outcome).toBe('ok');
  const hosts = new Set([...machine.debugOutput(mark).matchAll(LOAD_HOST)].map((m) => m[1]));
  expect(hosts.size, 'three loads in one host').toBe(1);
});
