import { expect, test } from '@playwright/test';
import { ScmTimeoutError } from '../../src/core/errors.ts';
import { ServiceState } from '../../src/windows/scm/status.ts';
import { waitWhilePending } from '../../src/windows/scm/wait.ts';
import { fakeClock, serviceStatus } from './fake-scm.ts';

test('returns the settled state once the pending state ends', async () => {
  const states = [ServiceState.STOP_PENDING, ServiceState.STOP_PENDING, ServiceState.STOPPED];
  const clock = fakeClock();
  const settled = await waitWhilePending(
    () => serviceStatus(states.shift()!),
    { operation: 'ControlService', service: 'dc_x', startedAt: 0, boundMs: 1000 },
    clock,
  );
  expect(settled.stateName).toBe('STOPPED');
  expect(clock.slept.length).toBe(2);
});

test('a state that is not pending returns at once, even if it is not the wanted one', async () => {
  const settled = await waitWhilePending(
    () => serviceStatus(ServiceState.RUNNING),
    { operation: 'ControlService', service: 'dc_x', startedAt: 0, boundMs: 1000 },
    fakeClock(),
  );
  expect(settled.stateName).toBe('RUNNING');
});

test('a pending state past the bound is a ScmTimeoutError naming state, elapsed time and cycle', async () => {
  const clock = fakeClock();
  const error = await waitWhilePending(
    () => serviceStatus(ServiceState.STOP_PENDING),
    { operation: 'ControlService', service: 'dc_hang', startedAt: 0, boundMs: 2500, cycle: 12 },
    clock,
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScmTimeoutError);
  expect(error).toMatchObject({ state: 'STOP_PENDING', boundMs: 2500, cycle: 12 });
  expect((error as ScmTimeoutError).elapsedMs).toBeGreaterThanOrEqual(2500);
  expect((error as Error).message).toMatch(
    /^ControlService on service "dc_hang" did not finish at cycle 12: still STOP_PENDING after 25\d\d ms \(bound 2500 ms\)/,
  );
  expect((error as Error).message).toContain('DriverUnload has not returned');
});

test('polling backs off but never sleeps past the bound', async () => {
  const clock = fakeClock();
  await waitWhilePending(
    () => serviceStatus(ServiceState.START_PENDING),
    { operation: 'StartService', service: 'dc_x', startedAt: 0, boundMs: 300 },
    clock,
  ).catch(() => undefined);
  expect(clock.slept.slice(0, 4)).toEqual([5, 10, 20, 40]);
  expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(300);
});
