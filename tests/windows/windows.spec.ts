/**
 * drvcycle's Windows paths on a real Windows machine without test signing (a hosted CI runner):
 * the SCM end to end with an unsigned sample driver, its refusal (577) and the events that record
 * it read back through wevtapi, pool-tag and performance samples, the Verifier query.
 */
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ScmError } from '../../src/core/errors.ts';
import { sampleDriver } from '../../src/core/paths.ts';
import { newRunId } from '../../src/core/run-id.ts';
import { LocalTarget } from '../../src/target/local-target.ts';

test.skip(process.platform !== 'win32', 'These checks need a real Windows machine.');

const target = () =>
  new LocalTarget({ runId: newRunId(), stagingDir: path.join(os.tmpdir(), 'drvcycle-images') });

test('an unsigned driver: installed, refused with 577, recorded in the event log, removed', async () => {
  const windows = target();
  const since = new Date(Date.now() - 1_000);
  const driver = await windows.install({ file: sampleDriver('clean') }, { name: 'dc_ci_clean' });
  const error = await windows.start(driver, { retry: false }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScmError);
  expect(error).toMatchObject({ win32Code: 577, win32Name: 'ERROR_INVALID_IMAGE_HASH' });
  await windows.uninstall(driver);
  expect(await windows.listOwned()).toEqual([]);

  await expect
    .poll(
      async () => {
        const log = await windows.events(since);
        return (
          log.available &&
          log.events.some((e) => e.trouble && /dc_ci_clean|clean\.sys/.test(e.line))
        );
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  await windows.close();
});

test('pool tags and performance are sampled; the Verifier query answers', async () => {
  const windows = target();
  const availability = await windows.samplers();
  expect(availability.poolTags, JSON.stringify(availability)).toMatchObject({ available: true });
  expect(availability.performance).toMatchObject({ available: true });
  const sample = await windows.sample({ tags: ['File'], verifierDrivers: ['clean.sys'] });
  expect(sample.poolTags?.File).toBeDefined();
  expect(sample.performance?.pageSize).toBeGreaterThan(0);
  // Verifier is off on a CI runner: available with no entry, or unavailable with a reason.
  expect(availability.verifier.available || typeof availability.verifier.reason === 'string').toBe(
    true,
  );
  await windows.close();
});
