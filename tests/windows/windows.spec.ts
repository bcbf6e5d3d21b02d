/**
 * drvcycle's Windows paths on a real Windows machine without test signing (a hosted CI runner):
 * the SCM end to end with an unsigned sample driver, its refusal (577) and the events that record
 * it read back through wevtapi, pool-tag and performance samples, the Verifier query; SeDebugPrivilege
 * as an elevated administrator holds it (disabled, then enabled as the agent enables it), and a
 * sampling batch on a machine with no Verifier settings (class 51 answering with no entries).
 */
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ScmError } from '../../src/core/errors.ts';
import { sampleDriver } from '../../src/core/paths.ts';
import { newRunId } from '../../src/core/run-id.ts';
import { LocalTarget } from '../../src/target/local-target.ts';
import { countDevices } from '../../src/windows/pnp/devices.ts';
import { debugPrivilegeState, enableDebugPrivilegeOnce } from '../../src/windows/nt/privileges.ts';
import { readVerifier } from '../../src/windows/nt/samplers.ts';

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

test('an unsigned PnP package: the device install fails with ERROR_NO_CATALOG_FOR_OEM_INF and leaves no device', async () => {
  // drvcycle's own INF for a root device has no CatalogFile: on a machine that enforces driver
  // signatures the driver store refuses the package. Expected, not yet seen on Windows.
  const windows = target();
  const driver = await windows.install(
    { file: sampleDriver('pnp_clean') },
    { name: 'dc_ci_pnp', pnp: true },
  );
  const records = [];
  for await (const record of windows.runCycles(driver, {
    count: 1,
    pnp: true,
    pnpStrategy: 'remove-readd',
  }))
    records.push(record);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({
    outcome: 'start-failed',
    error: {
      operation: 'UpdateDriverForPlugAndPlayDevices',
      win32Code: 0xe000022f,
      win32Name: 'ERROR_NO_CATALOG_FOR_OEM_INF',
    },
  });
  // The device node registered for the failed install was removed before the failure was told.
  expect(countDevices('root\\dc_ci_pnp', 'dc_ci_pnp')).toBe(0);
  await windows.uninstall(driver);
  expect(await windows.listOwned()).toEqual([]);
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

test.describe('SeDebugPrivilege and Driver Verifier with no settings', () => {
  test.describe.configure({ mode: 'serial' });

  test('an elevated administrator holds SeDebugPrivilege disabled: the Verifier query is refused until enabled', () => {
    // Nothing in this test process has enabled it yet.
    expect(debugPrivilegeState()).toBeUndefined();
    const before = readVerifier();
    expect(before.ok).toBe(false);
    expect(!before.ok && before.reason).toMatch(/needs SeDebugPrivilege enabled .*0xC0000022/);
  });

  test('enabled as the agent enables it at start (AdjustTokenPrivileges, no ERROR_NOT_ALL_ASSIGNED)', () => {
    expect(enableDebugPrivilegeOnce()).toEqual({
      privilege: 'SeDebugPrivilege',
      enabled: true,
      unavailable: [],
    });
    // With no driver verified, class 51 succeeds with no entries (a returned length of 0).
    expect(readVerifier()).toEqual({ ok: true, value: [] });
  });

  test('a sampling batch on a machine with no Verifier settings runs, and says why Verifier is unavailable', async () => {
    enableDebugPrivilegeOnce();
    const windows = target();
    const availability = await windows.samplers();
    expect(availability.verifier).toEqual({
      available: false,
      reason: 'Driver Verifier verifies no driver (verifier /standard /driver x.sys, then reboot)',
    });
    expect(availability.poolTags.available && availability.performance.available).toBe(true);
    // The batch probes the samplers before its first cycle (where a Verifier answer of length 0
    // threw, failing every sampling batch); the unsigned sample is then refused with 577.
    const driver = await windows.install(
      { file: sampleDriver('clean') },
      { name: 'dc_ci_sampled' },
    );
    try {
      const records = [];
      for await (const record of windows.runCycles(driver, {
        count: 3,
        sampleEvery: 1,
        sample: { tags: ['File'], verifierDrivers: ['clean.sys'] },
      }))
        records.push(record);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        cycle: 1,
        outcome: 'start-failed',
        error: { win32Code: 577 },
      });
      const sample = await windows.sample({ tags: ['File'], verifierDrivers: ['clean.sys'] });
      expect(sample.poolTags?.File).toBeDefined();
      expect(sample.verifier).toBeUndefined();
      expect(sample.unavailable).toBeUndefined();
    } finally {
      await windows.uninstall(driver);
      await windows.close();
    }
  });
});
