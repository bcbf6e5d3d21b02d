/**
 * PnP drivers on the lab, through drvcycle's SetupAPI layer (src/windows/pnp) run inside the
 * prefix: a root-enumerated device from the INF drvcycle writes, cycled by removing the device,
 * stopping the service and adding the device again. Every callback runs once per cycle; the
 * pool trace sees the leak in START_DEVICE exactly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { runProcess } from '../../src/core/child-process.ts';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import { labPaths, toWinePath } from '../../src/lab/lab-paths.ts';
import { wineEnv } from '../../src/lab/wine-env.ts';
import { poolTraceSeries } from '../../src/collector/memory-signals.ts';
import { lab } from './support.ts';

interface Step {
  step: string;
  state?: number;
  devices: number;
  cycle?: number;
  displayName?: string;
  description?: string;
  binaryPath?: string;
}

const CALLBACKS = [
  'DriverEntry',
  'AddDevice',
  'START_DEVICE',
  'SURPRISE_REMOVAL',
  'REMOVE_DEVICE',
  'DriverUnload',
];

async function cyclePnp(machine: Parameters<typeof lab>[0], sample: string, cycles: number) {
  const agent = lab(machine);
  // The lab's default: the driver loads into the long-lived host its keeper holds open.
  const group = await agent.driverHost(undefined);
  const mark = agent.debugMark();
  const log = test.info().outputPath(`${sample}.log`);
  const result = await runProcess(
    'wine',
    [
      labPaths.windowsNode(),
      toWinePath(path.join(PACKAGE_ROOT, 'tests/e2e/pnp/pnp-cycles.ts')),
      'C:\\drvcycle\\pnp',
      sample,
      String(cycles),
      'pnp-e2e',
      toWinePath(sampleDriver(sample)),
      ...(group ? [group] : []),
    ],
    // Node under Wine cannot use pipes as its stdio: its output goes to a file.
    {
      env: wineEnv(agent.prefix, 'fixme-all'),
      timeoutMs: 120_000,
      output: { logFile: log },
      allowFailure: true,
    },
  );
  const text = readFileSync(log, 'utf8');
  expect(result.code, text.slice(-2000)).toBe(0);
  const steps = text
    .split('\n')
    .filter((line) => line.startsWith('{"step"'))
    .map((line) => JSON.parse(line) as Step);
  const debug = agent.debugOutput(mark);
  // The ntoskrnl lines a pool-trace assertion is judged on, kept beside the test's results.
  const tracePath = test.info().outputPath(`${sample}-ntoskrnl.txt`);
  writeFileSync(
    tracePath,
    debug
      .split('\n')
      .filter((line) => line.includes(':ntoskrnl:') || line.includes('drvcycle:'))
      .join('\n'),
  );
  await test
    .info()
    .attach(`${sample}-ntoskrnl.txt`, { path: tracePath, contentType: 'text/plain' });
  const counts = Object.fromEntries(
    CALLBACKS.map((name) => [
      name,
      debug.split('\n').filter((line) => line.endsWith(`drvcycle:${sample}: ${name}`)).length,
    ]),
  );
  return { steps, debug, counts };
}

test('a PnP driver on a root-enumerated device: every callback once per cycle, the service marked as ours', async ({
  machine,
}) => {
  const { steps, counts } = await cyclePnp(machine, 'pnp_clean', 3);
  const installed = steps[0]!;
  expect(installed).toMatchObject({
    step: 'installed',
    state: 4, // RUNNING: DriverEntry, AddDevice and START_DEVICE ran before the install returned
    devices: 1,
    displayName: 'drvcycle:run=pnp-e2e dc_pnp_clean',
    description: 'drvcycle:run=pnp-e2e',
    binaryPath: 'C:\\windows\\system32\\drivers\\pnp_clean.sys',
  });
  for (const cycle of [1, 2, 3]) {
    expect(steps.find((s) => s.step === 'down' && s.cycle === cycle)).toMatchObject({
      state: 1,
      devices: 0,
    });
    expect(steps.find((s) => s.step === 'up' && s.cycle === cycle)).toMatchObject({
      state: 4,
      devices: 1,
    });
  }
  expect(steps.at(-1)).toMatchObject({ step: 'removed', devices: 0 });
  // The install and three re-adds load it four times; four removals and stops unload it.
  expect(counts).toEqual(Object.fromEntries(CALLBACKS.map((name) => [name, 4])));
});

test('a PnP driver that leaks in START_DEVICE: the pool trace counts 256 bytes per start, the clean one none', async ({
  machine,
}) => {
  const leak = await cyclePnp(machine, 'pnp_leak_start', 5);
  const image = 'C:\\windows\\system32\\drivers\\pnp_leak_start.sys';
  expect(
    poolTraceSeries(leak.debug, image).map((s) => s.value),
    `pnp_leak_start's steps: ${JSON.stringify(leak.steps)}`,
  ).toEqual([256, 512, 768, 1024, 1280, 1536]);
  const clean = await cyclePnp(machine, 'pnp_clean', 5);
  expect(
    poolTraceSeries(clean.debug, 'C:\\windows\\system32\\drivers\\pnp_clean.sys').map(
      (s) => s.value,
    ),
    `pnp_clean's steps: ${JSON.stringify(clean.steps)}`,
  ).toEqual([0, 0, 0, 0, 0, 0]);
});
