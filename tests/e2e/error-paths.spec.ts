/** The error-path checks can fail: each is shown failing on purpose, on the lab. */
import { readFileSync } from 'node:fs';
import { expect, test } from '../../fixtures/index.ts';
import { sampleDriver } from '../../src/core/paths.ts';
import { runErrorPathCase, type ErrorPathRunContext } from '../../src/families/error-path-run.ts';
import { ERROR_PATH_CASES } from '../../src/families/error-paths.ts';

const byId = (id: string) => ERROR_PATH_CASES.find((c) => c.id === id)!;

/** A case run with a sample driver as the driver under test. */
const runOnSample = (
  fixtures: Pick<ErrorPathRunContext, 'target' | 'machine' | 'install'>,
  sample: string,
  id: string,
) =>
  runErrorPathCase(
    {
      ...fixtures,
      driverName: `dc_${sample}`,
      imageUnderTest: readFileSync(sampleDriver(sample)),
      stopTimeoutMs: 5_000,
    },
    byId(id),
  );

test('a service left behind by a case fails it, before anything is reverted', async ({
  install,
  target,
  machine,
}) => {
  let extra: Awaited<ReturnType<typeof target.install>> | undefined;
  const { verdict } = await runErrorPathCase(
    {
      target,
      machine,
      // The case's first install also creates a service nobody removes.
      install: async (image, options) => {
        extra ??= await target.install({ file: sampleDriver('clean') }, { name: 'dc_left_behind' });
        return install(image, options);
      },
      driverName: 'dc_clean',
      imageUnderTest: readFileSync(sampleDriver('clean')),
      stopTimeoutMs: 5_000,
    },
    byId('stop-stopped'),
  );
  await target.uninstall(extra!);
  expect(verdict).toMatchObject({ kind: 'error-path-mismatch', driver: 'dc_clean' });
  expect(verdict.summary).toBe(
    'ERROR PATH MISMATCH: stop when stopped: services left behind: dc_left_behind (STOPPED)',
  );
});

test('a case whose driver keeps pool allocated after unload fails on the pool trace', async ({
  install,
  target,
  machine,
}) => {
  const { verdict, evidence } = await runOnSample(
    { target, machine, install },
    'leak_small',
    'path-spaces-unicode',
  );
  expect(evidence).toMatchObject({ leaks: { dc_ep_unicode: 256 } });
  expect(verdict.summary).toBe(
    'ERROR PATH MISMATCH: image path with spaces and non-ASCII characters: dc_ep_unicode left 256 pool bytes allocated that a further load and unload did not free',
  );
  // A case that ends with the driver running is unloaded, then given its further load.
  const second = await runOnSample({ target, machine, install }, 'leak_small', 'second-start');
  expect(second.verdict.summary).toBe(
    'ERROR PATH MISMATCH: second start: dc_ep_twice left 256 pool bytes allocated that a further load and unload did not free',
  );
});

test("pool the next load frees (late_free) is no error-path leak: the leak spec's rule, one further load and unload", async ({
  install,
  target,
  machine,
}) => {
  for (const id of ['path-spaces-unicode', 'second-start']) {
    const { verdict, evidence } = await runOnSample({ target, machine, install }, 'late_free', id);
    expect(verdict, verdict.summary).toMatchObject({ kind: 'pass', driver: 'dc_late_free' });
    expect(evidence.leaks).toEqual({});
    // The further load's own buffer is still held: shown, not judged.
    expect(Object.values(evidence.poolHeldNotProvenLeaked as object)).toEqual([
      { bytes: 64, confirmation: 'loaded and unloaded once more' },
    ]);
  }
});

test('a self-check names its sample driver, and checks what the case is expected to leave behind', async ({
  install,
  target,
  machine,
}) => {
  const { verdict, evidence } = await runErrorPathCase(
    {
      target,
      machine,
      install,
      driverName: 'dc_driver_under_test',
      imageUnderTest: readFileSync(sampleDriver('clean')),
      stopTimeoutMs: 3_000,
    },
    byId('hang-in-unload'),
  );
  expect(verdict, verdict.summary).toMatchObject({
    kind: 'pass',
    driver: 'dc_ep_hang_in_unload',
    scenario: 'self-check › hang-in-unload',
  });
  expect(evidence).toMatchObject({
    dirty: true,
    leftovers: [{ name: 'dc_ep_hang_in_unload', state: 'STOP_PENDING' }],
  });
});
