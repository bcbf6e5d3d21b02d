/**
 * The PnP cycle strategies: the Windows disable/enable sequence over the Configuration Manager
 * (a FakeConfigManager records the calls and answers with documented CONFIGRET and DN_ and
 * CM_PROB_ values), the choice of strategy, and the guard that keeps Wine's stubs uncalled.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import {
  CM_DISABLE_UI_NOT_OK,
  windowsConfigManager,
  type ConfigManager,
} from '../../src/windows/pnp/cfgmgr.ts';
import {
  decodeDevNodeStatus,
  DisableEnableCycle,
  PnpDeviceError,
  pnpStrategyFor,
} from '../../src/windows/pnp/strategies.ts';

/** DN_ flags of a started root device with its driver (cfg.h): NT_ENUMERATOR|NT_DRIVER|DISABLEABLE|STARTED|DRIVER_LOADED. */
const STARTED = 0x01000000 | 0x00800000 | 0x00002000 | 0x8 | 0x2;
/** The same device disabled: no longer started, DN_HAS_PROBLEM with CM_PROB_DISABLED (22). */
const DISABLED = 0x01000000 | 0x00800000 | 0x00002000 | 0x400;

/** A fake cfgmgr32: the device it holds and every call made to it. */
class FakeConfigManager implements ConfigManager {
  readonly calls: string[] = [];
  state = { status: STARTED, problem: 0 };
  answers: { disable?: number; enable?: number; locate?: number; afterEnable?: number } = {};
  locate(instanceId: string) {
    this.calls.push(`CM_Locate_DevNodeW(${instanceId})`);
    return { cr: this.answers.locate ?? 0, devInst: 7 };
  }
  disable(devInst: number, flags: number) {
    this.calls.push(`CM_Disable_DevNode(${devInst}, ${flags})`);
    if (!this.answers.disable) this.state = { status: DISABLED, problem: 22 };
    return this.answers.disable ?? 0;
  }
  enable(devInst: number, flags: number) {
    this.calls.push(`CM_Enable_DevNode(${devInst}, ${flags})`);
    this.state =
      this.answers.afterEnable !== undefined
        ? { status: DISABLED, problem: this.answers.afterEnable }
        : { status: STARTED, problem: 0 };
    return this.answers.enable ?? 0;
  }
  status(devInst: number) {
    this.calls.push(`CM_Get_DevNode_Status(${devInst})`);
    return { cr: 0, ...this.state };
  }
}

const ID = 'ROOT\\DC_PNP_CLEAN\\0000';

test('disable then enable: the device is located once, each step checked by its status', () => {
  const cm = new FakeConfigManager();
  const cycle = new DisableEnableCycle(cm, ID, 'dc_pnp_clean');
  expect(cycle.down()).toEqual({
    started: false,
    driverLoaded: false,
    problem: { code: 22, name: 'CM_PROB_DISABLED' },
  });
  expect(cycle.up()).toEqual({ started: true, driverLoaded: true, problem: undefined });
  cycle.down();
  expect(cm.calls).toEqual([
    `CM_Locate_DevNodeW(${ID})`,
    `CM_Disable_DevNode(7, ${CM_DISABLE_UI_NOT_OK})`,
    'CM_Get_DevNode_Status(7)',
    'CM_Enable_DevNode(7, 0)',
    'CM_Get_DevNode_Status(7)',
    `CM_Disable_DevNode(7, ${CM_DISABLE_UI_NOT_OK})`,
    'CM_Get_DevNode_Status(7)',
  ]);
});

test('a vetoed disable, a missing device and a failed start are named by their codes', () => {
  const vetoed = new FakeConfigManager();
  vetoed.answers.disable = 0x17;
  expect(() => new DisableEnableCycle(vetoed, ID, 'dc_x').down(3)).toThrow(
    'CM_Disable_DevNode on the device of "dc_x" at cycle 3 failed: CR_REMOVE_VETOED (0x17).',
  );
  const missing = new FakeConfigManager();
  missing.answers.locate = 0x0d;
  expect(() => new DisableEnableCycle(missing, ID, 'dc_x').down()).toThrow(
    'CM_Locate_DevNode on the device of "dc_x" failed: CR_NO_SUCH_DEVNODE (0xd).',
  );
  const failing = new FakeConfigManager();
  failing.answers.afterEnable = 10;
  const error = (() => {
    try {
      new DisableEnableCycle(failing, ID, 'dc_x').up(2);
    } catch (e) {
      return e as PnpDeviceError;
    }
    throw new Error('expected a PnpDeviceError');
  })();
  expect(error).toBeInstanceOf(PnpDeviceError);
  expect(error).toMatchObject({
    code: 'DRVCYCLE_PNP',
    operation: 'CM_Enable_DevNode',
    problemCode: 10,
  });
  expect(error.message).toBe(
    'CM_Enable_DevNode on the device of "dc_x" at cycle 2 left the device with problem 10 CM_PROB_FAILED_START.',
  );
  expect(error.toWire()).toMatchObject({ problemCode: 10, operation: 'CM_Enable_DevNode' });
});

test('DN_ status and CM_PROB_ codes decode as cfg.h defines them', () => {
  expect(decodeDevNodeStatus(STARTED, 0)).toEqual({
    started: true,
    driverLoaded: true,
    problem: undefined,
  });
  expect(decodeDevNodeStatus(DISABLED, 22).problem).toEqual({ code: 22, name: 'CM_PROB_DISABLED' });
  expect(decodeDevNodeStatus(DISABLED, 39).problem?.name).toBe('CM_PROB_DRIVER_FAILED_LOAD');
  expect(decodeDevNodeStatus(DISABLED, 99).problem?.name).toBe('CM_PROB 99');
});

test('the strategy: disable-enable on Windows, remove-readd on the lab, never a stub on Wine', () => {
  expect(pnpStrategyFor(false)).toBe('disable-enable');
  expect(pnpStrategyFor(true)).toBe('remove-readd');
  expect(pnpStrategyFor(false, 'remove-readd')).toBe('remove-readd');
  expect(() => pnpStrategyFor(true, 'disable-enable')).toThrow(/cannot run on the Wine lab/);
  // The real Configuration Manager refuses to exist on Wine before loading cfgmgr32.dll.
  expect(() => windowsConfigManager(true)).toThrow(/on Wine 8 its calls are stubs/);
});

test('the functions Wine 8 stubs appear only in cfgmgr.ts, behind its Wine guard', () => {
  const stubs = [
    'SetupDiChangeState',
    'CM_Disable_DevNode',
    'CM_Enable_DevNode',
    'CM_Setup_DevNode',
    'CM_Query_And_Remove_SubTreeW',
    'DiInstallDevice',
    'SetupDiSetClassInstallParamsW',
    'DIF_PROPERTYCHANGE',
    'CM_Locate_DevNodeW',
    'CM_Get_DevNode_Status',
    'CM_Reenumerate_DevNode',
  ];
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? files(path.join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [path.join(dir, e.name)]
          : [],
    );
  const calls: string[] = [];
  for (const file of files(path.join(PACKAGE_ROOT, 'src'))) {
    const code = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)) // comments and docs may name them
      .join('\n');
    for (const stub of stubs)
      if (new RegExp(`\\b${stub}\\s*\\(`).test(code) || code.includes(`'uint32 __stdcall ${stub}`))
        calls.push(`${path.relative(PACKAGE_ROOT, file)}: ${stub}`);
  }
  expect(
    calls.every((call) => call.startsWith(path.join('src', 'windows', 'pnp', 'cfgmgr.ts'))),
  ).toBe(true);
  expect(calls.length).toBeGreaterThan(0); // the check sees the bindings it guards
});
