/**
 * The error-path probe (src/families/error-path-probe.ts) over fake targets (named as such): a
 * driver that does not load or does not unload skips the case with the reason, blaming nothing
 * on drvcycle; the agent failing is still an error.
 */
import { expect, test } from '@playwright/test';
import {
  AgentRequestError,
  ErrorCodes,
  ScmError,
  ScmTimeoutError,
  UnexpectedStateError,
} from '../../src/core/errors.ts';
import { probeLoadAndUnload } from '../../src/families/error-path-probe.ts';
import type { InstalledDriver, Target } from '../../src/target/types.ts';
import { fakeInstalledDriver } from './fake-scm.ts';

const DRIVER = { imagePath: '/drivers/mydrv.sys', type: 'kernel' as const, group: undefined };

/** A fake target: start and uninstall resolve, or reject with the error given. */
function fakeTarget(startError?: Error, uninstallError?: Error): Target & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async start() {
      calls.push('start');
      if (startError) throw startError;
    },
    async uninstall() {
      calls.push('uninstall');
      if (uninstallError) throw uninstallError;
    },
  } as unknown as Target & { calls: string[] };
}
const install = async (): Promise<InstalledDriver> => ({
  ...fakeInstalledDriver(),
  name: 'dc_ep_probe',
});

test('a driver that loads and unloads runs the case', async () => {
  const target = fakeTarget();
  expect(await probeLoadAndUnload(target, install, DRIVER, 5000)).toEqual({
    skip: undefined,
    leftLoaded: false,
  });
  expect(target.calls).toEqual(['start', 'uninstall']);
});

test('a driver that does not load skips the case: the cycles spec has its verdict', async () => {
  const refused = new ScmError({
    operation: 'StartService',
    service: 'dc_ep_probe',
    win32Code: 1450,
  });
  const result = await probeLoadAndUnload(fakeTarget(refused), install, DRIVER, 5000);
  expect(result.leftLoaded).toBe(false);
  expect(result.skip).toMatch(
    /^the driver under test does not load, which is the cycles spec's verdict, and this case needs it loaded: StartService .*1450/,
  );
});

test("a driver with no DriverUnload (the stop 'succeeds', the service stays RUNNING) skips the case and leaves the machine to revert", async () => {
  const stuck = new UnexpectedStateError({
    operation: 'ControlService',
    service: 'dc_ep_probe',
    expected: 'STOPPED',
    state: 'RUNNING',
  });
  const result = await probeLoadAndUnload(fakeTarget(undefined, stuck), install, DRIVER, 5000);
  expect(result).toEqual({
    skip: expect.stringMatching(
      /^the driver under test does not unload, which is the cycles spec's verdict, and this case needs it loaded and unloaded: ControlService reported success but the service is RUNNING, not STOPPED/,
    ),
    leftLoaded: true,
  });
  // The lab's trace of the probe's load says why: no DriverUnload.
  const trace = [
    '0130:0134:trace:ntoskrnl:IoCreateDriver (L"\\\\Driver\\\\dc_ep_probe", 000000000011F900)',
    '0130:0134:trace:ntoskrnl:init_driver - DriverUnload = 0000000000000000',
  ].join('\n');
  const named = await probeLoadAndUnload(
    fakeTarget(undefined, stuck),
    install,
    DRIVER,
    5000,
    () => trace,
  );
  expect(named.skip).toMatch(
    /^the driver under test does not unload, which is the cycles spec's verdict, and this case needs it loaded and unloaded: the driver set no DriverUnload, so it can never be unloaded \(the lab's trace shows DriverUnload = 0;/,
  );
  // Windows' answer for a driver without DriverUnload, and an unload that hangs.
  const invalidControl = new ScmError({
    operation: 'ControlService',
    service: 'dc_ep_probe',
    win32Code: 1052,
    state: 'RUNNING',
  });
  const hang = new ScmTimeoutError({
    operation: 'ControlService',
    service: 'dc_ep_probe',
    state: 'STOP_PENDING',
    elapsedMs: 5000,
    boundMs: 5000,
  });
  for (const error of [invalidControl, hang])
    expect(
      (await probeLoadAndUnload(fakeTarget(undefined, error), install, DRIVER, 5000)).leftLoaded,
    ).toBe(true);
});

test("the agent failing during the probe's unload is not the driver's: the error stands", async () => {
  const silent = new AgentRequestError(
    0,
    ErrorCodes.AGENT_UNREACHABLE,
    'the agent did not answer',
    'check the machine',
  );
  await expect(
    probeLoadAndUnload(fakeTarget(undefined, silent), install, DRIVER, 5000),
  ).rejects.toBe(silent);
});
