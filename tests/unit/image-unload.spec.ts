/**
 * Windows unloads a PnP driver with its last device; an image left loaded is the driver's
 * driver-object leak. The ServiceManager and the clock here are fakes (named as such): the
 * decision and its call sequence are what is tested.
 */
import { expect, test } from '@playwright/test';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import { toWire, UnexpectedStateError } from '../../src/core/errors.ts';
import { IMAGE_UNLOAD_SETTLE_MS, settleAfterLastDevice } from '../../src/windows/pnp/pnp-unload.ts';
import { PnpDriverServices } from '../../src/windows/pnp/pnp-services.ts';
import type { ServiceManager } from '../../src/windows/scm/service-manager.ts';
import { ServiceState } from '../../src/windows/scm/status.ts';
import { fakeClock, serviceStatus } from './fake-scm.ts';

/** A fake SCM whose service reports the given states in turn (the last one repeats). */
function fakeScm(states: number[]) {
  const calls: string[] = [];
  let next = 0;
  const scm = {
    queryStatus: () => {
      calls.push('query');
      return serviceStatus(states[Math.min(next++, states.length - 1)]!);
    },
    // The PnP layer's device calls, as they reach the SCM's blocking threads (pnp/device-calls.ts).
    runBlocking: async (_module: string, request: { call: string }) => {
      calls.push(
        { PnpRemove: 'DIF_REMOVE', PnpEnable: 'enable', PnpDisable: 'disable' }[request.call] ??
          request.call,
      );
      return { id: 0, ok: true, lastError: 0, value: { removed: 1 } };
    },
    stop: async () => {
      calls.push('ControlService(STOP)');
      return serviceStatus(ServiceState.STOPPED);
    },
  };
  return { scm: scm as unknown as ServiceManager, calls };
}

test('the settle ends at STOPPED, or after the settle time, never past the step’s bound', async () => {
  const { scm } = fakeScm([ServiceState.RUNNING, ServiceState.STOP_PENDING, ServiceState.STOPPED]);
  const clock = fakeClock();
  expect(
    (
      await settleAfterLastDevice(
        () => scm.queryStatus('x'),
        { startedAt: 0, boundMs: 30_000 },
        clock,
      )
    ).state,
  ).toBe(ServiceState.STOPPED);

  const held = fakeScm([ServiceState.RUNNING]).scm;
  const slow = fakeClock();
  const last = await settleAfterLastDevice(
    () => held.queryStatus('x'),
    { startedAt: 0, boundMs: 30_000 },
    slow,
  );
  expect(last.state).toBe(ServiceState.RUNNING);
  expect(slow.now()).toBe(IMAGE_UNLOAD_SETTLE_MS);

  const bounded = fakeClock();
  await settleAfterLastDevice(() => held.queryStatus('x'), { startedAt: 0, boundMs: 800 }, bounded);
  expect(bounded.now()).toBe(800);
});

test('on Windows an image left loaded after its last device is the driver’s leak, never stopped away', async () => {
  const { scm, calls } = fakeScm([ServiceState.RUNNING]);
  const services = new PnpDriverServices(scm, fakeClock(), { unloadsWithLastDevice: true });
  const error = await services
    .pnpStop('dc_x', 'root\\dc_x', { ownershipChecked: true, cycle: 7 })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnexpectedStateError);
  expect(error).toMatchObject({
    operation: 'SetupDiCallClassInstaller(DIF_REMOVE)',
    expected: 'STOPPED',
    state: 'RUNNING',
    cycle: 7,
  });
  expect(calls).not.toContain('ControlService(STOP)');

  // The verdict blames the driver and says what it means.
  const verdict = classifyCycleFailure({
    driver: 'dc_x',
    scenario: 'cycles',
    record: {
      cycle: 7,
      outcome: 'stop-failed',
      startMs: 12,
      stopMs: null,
      state: 'RUNNING',
      error: toWire(error),
    },
  });
  expect(verdict).toMatchObject({
    kind: 'unload-failure',
    cycle: 7,
    evidence: { cause: 'driver-object-leak' },
  });
  expect(verdict.summary).toMatch(/the driver image stayed loaded after its last device went/);

  // The same on disable (disable-enable).
  const disabled = fakeScm([ServiceState.RUNNING]);
  await expect(
    new PnpDriverServices(disabled.scm, fakeClock(), { unloadsWithLastDevice: true }).pnpSetEnabled(
      'dc_x',
      'ROOT\\DC_X\\0000',
      false,
      { ownershipChecked: true },
    ),
  ).rejects.toMatchObject({ operation: 'CM_Disable_DevNode', state: 'RUNNING' });
});

test('on Windows the image that goes with its last device is a clean unload; on Wine drvcycle stops it', async () => {
  const windows = fakeScm([ServiceState.RUNNING, ServiceState.STOPPED]);
  const done = await new PnpDriverServices(windows.scm, fakeClock(), {
    unloadsWithLastDevice: true,
  }).pnpStop('dc_x', 'root\\dc_x', { ownershipChecked: true });
  expect(done.status.state).toBe(ServiceState.STOPPED);
  expect(windows.calls).toEqual(['DIF_REMOVE', 'query', 'query']);

  // Wine keeps the image until the service stops: removal, then ControlService(STOP).
  const wine = fakeScm([ServiceState.RUNNING]);
  await new PnpDriverServices(wine.scm, fakeClock(), { unloadsWithLastDevice: false }).pnpStop(
    'dc_x',
    'root\\dc_x',
    { ownershipChecked: true },
  );
  expect(wine.calls.slice(0, 3)).toEqual(['DIF_REMOVE', 'query', 'ControlService(STOP)']);
});
