import { testLeftovers } from '../../src/machines/machine.ts';
import { expect, markMachineDirty, test } from '../../fixtures/index.ts';
import { ScmError, ScmTimeoutError } from '../../src/core/errors.ts';
import { sample } from './support.ts';

test('create, start, query, stop and delete the clean driver', async ({ install, target }) => {
  const ref = await install(...sample('clean'));
  expect(ref.config).toMatchObject({ type: 1, startType: 3, errorControl: 1 });
  expect(ref.config.binaryPath).toMatch(/^C:\\drvcycle\\images\\[0-9a-f]{16}\\clean\.sys$/);
  expect(ref.config.displayName).toBe(`dc_clean (drvcycle:run=${process.env.DRVCYCLE_RUN_ID})`);
  expect((await target.query(ref)).stateName).toBe('STOPPED');

  const started = await target.start(ref);
  expect(started.status.stateName).toBe('RUNNING');
  expect(started.elapsedMs).toBeGreaterThan(0);
  expect((await target.query(ref)).stateName).toBe('RUNNING');

  const stopped = await target.stop(ref);
  expect(stopped.status.stateName).toBe('STOPPED');

  await target.markForDelete(ref);
  // The keeper of the lab's shared host is the machine's, not a leftover.
  expect(testLeftovers(await target.listOwned())).toEqual([]);
  await expect(target.query(ref)).rejects.toMatchObject({
    win32Code: 1060,
    win32Name: 'ERROR_SERVICE_DOES_NOT_EXIST',
  });
});

test('a second start is 1056, a stop when stopped is 1062', async ({ install, target }) => {
  const ref = await install(...sample('clean'));
  await target.start(ref);
  await expect(target.start(ref)).rejects.toMatchObject({
    win32Code: 1056,
    operation: 'StartService',
    state: 'RUNNING',
  });
  await target.stop(ref);
  const error = await target.stop(ref).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScmError);
  expect(error).toMatchObject({
    win32Code: 1062,
    win32Name: 'ERROR_SERVICE_NOT_ACTIVE',
    operation: 'ControlService',
    service: 'dc_clean',
    state: 'STOPPED',
  });
});

test('a duplicate create is 1073', async ({ install }) => {
  await install(...sample('clean'));
  await expect(install(...sample('clean'))).rejects.toMatchObject({
    win32Code: 1073,
    win32Name: 'ERROR_SERVICE_EXISTS',
    operation: 'CreateService',
  });
});

test('each DriverEntry failure is its mapped Win32 code', async ({ install, target }) => {
  const cases = [
    { driver: 'entry_fail_resources', code: 1450 }, // STATUS_INSUFFICIENT_RESOURCES
    { driver: 'entry_fail_config', code: 87 }, // STATUS_DEVICE_CONFIGURATION_ERROR (Wine and Windows)
  ];
  for (const { driver, code } of cases) {
    const ref = await install(...sample(driver));
    await expect(target.start(ref, { retry: false }), driver).rejects.toMatchObject({
      win32Code: code,
      state: 'STOPPED',
    });
  }
});

test('a NULL dereference in DriverEntry fails the start (1053 on Wine) and the machine stays usable', async ({
  install,
  target,
}) => {
  const crash = await install(...sample('crash_in_entry'));
  await expect(target.start(crash, { retry: false })).rejects.toMatchObject({
    win32Code: 1053,
    operation: 'StartService',
  });
  expect((await target.health()).ok).toBe(true);
  const clean = await install(...sample('clean'));
  expect((await target.start(clean)).status.stateName).toBe('RUNNING');
  await target.stop(clean);
});

test('a NULL dereference in DriverUnload fails the stop (109 on Wine)', async ({
  install,
  target,
  machine,
}) => {
  const ref = await install(...sample('crash_in_unload'));
  await target.start(ref);
  await expect(target.stop(ref, { timeoutMs: 10_000 })).rejects.toMatchObject({
    win32Code: 109,
    operation: 'ControlService',
  });
  markMachineDirty(machine);
});

test('an unload that never returns: the stop wait is bounded and reports STOP_PENDING', async ({
  install,
  target,
  machine,
}) => {
  const ref = await install(...sample('hang_in_unload'));
  await target.start(ref);
  markMachineDirty(machine);
  const stopping = target.stop(ref, { timeoutMs: 3_000 }).catch((e: unknown) => e);
  // The agent keeps answering while a worker thread sits in ControlService: the stop is under
  // way (STOP_PENDING, well before its bound) and health answers meanwhile.
  await expect
    .poll(async () => (await target.query(ref)).stateName, { timeout: 2_500 })
    .toBe('STOP_PENDING');
  expect((await target.health()).ok).toBe(true);
  const error = await stopping;
  expect(error).toBeInstanceOf(ScmTimeoutError);
  expect(error).toMatchObject({
    operation: 'ControlService',
    service: 'dc_hang_in_unload',
    state: 'STOP_PENDING',
    boundMs: 3_000,
  });
  expect((error as ScmTimeoutError).elapsedMs).toBeGreaterThanOrEqual(3_000);
  expect((error as ScmTimeoutError).elapsedMs).toBeLessThan(6_000);
  expect((await target.query(ref)).stateName).toBe('STOP_PENDING');
});

test('a DriverEntry slower than the start bound: the wait ends at the bound in START_PENDING, a longer bound loads it', async ({
  install,
  target,
}) => {
  const ref = await install(...sample('slow_start'));
  const error = await target.start(ref, { timeoutMs: 1_000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScmTimeoutError);
  expect(error).toMatchObject({
    operation: 'StartService',
    state: 'START_PENDING',
    boundMs: 1_000,
  });
  // DriverEntry (2 s) finishes on its own: the service ends RUNNING and stops cleanly.
  await expect
    .poll(async () => (await target.query(ref)).stateName, { timeout: 10_000 })
    .toBe('RUNNING');
  await target.stop(ref);

  const started = await target.start(ref, { timeoutMs: 10_000 });
  expect(started.elapsedMs).toBeGreaterThanOrEqual(1_900);
  await target.stop(ref);
});
