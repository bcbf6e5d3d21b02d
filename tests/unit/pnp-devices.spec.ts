/**
 * Adding and removing a PnP driver's device over SetupAPI, against a FakeSetupApi that records
 * every call and answers as Windows does: an install that fails after DIF_REGISTERDEVICE, one
 * that sets bRebootRequired, and a DIF_REMOVE that leaves DI_NEEDREBOOT in the install params.
 */
import { expect, test } from '@playwright/test';
import { ScmError } from '../../src/core/errors.ts';
import { addRootDevice, removeDevices, type DeviceSpec } from '../../src/windows/pnp/devices.ts';
import {
  DIF_REGISTERDEVICE,
  DIF_REMOVE,
  DI_NEEDREBOOT,
  DI_NEEDRESTART,
  ERROR_NO_MORE_ITEMS,
  INSTALLFLAG_FORCE,
  INSTALLFLAG_NONINTERACTIVE,
  multiSz,
  type SetupApi,
} from '../../src/windows/pnp/setupapi.ts';

const SPEC: DeviceSpec = {
  deviceName: 'DCPNP',
  hardwareId: 'root\\DcPnp',
  classGuid: '{4d36e97d-e325-11ce-bfc1-08002be10318}',
  infPath: 'C:\\drvcycle\\images\\pnp\\0123\\DcPnp.inf',
  service: 'DcPnp',
};

/** A fake of the SetupAPI/newdev calls: one machine's devices, and what each call answers. */
class FakeSetupApi {
  readonly calls: string[] = [];
  lastError = 0;
  /** Hardware ids of the devices present (SetupDiGetClassDevs enumerates them). */
  devices: string[][] = [];
  install: { ok: boolean; error?: number; reboot?: boolean } = { ok: true };
  /** SP_DEVINSTALL_PARAMS.Flags after DIF_REMOVE. */
  removeFlags = 0;
  private readonly flags = new Map<number, number>();

  asApi(): SetupApi {
    const call = (name: string, answer: (...args: unknown[]) => unknown) =>
      ((...args: unknown[]) => {
        this.calls.push(name);
        return answer(...args);
      }) as SetupApi['GetLastError'];
    return {
      SP_DEVINFO_DATA_SIZE: 32,
      SP_DEVINSTALL_PARAMS_W_SIZE: 584,
      GetLastError: () => this.lastError,
      SetupDiCreateDeviceInfoList: call('SetupDiCreateDeviceInfoList', () => 1n),
      SetupDiCreateDeviceInfoW: call('SetupDiCreateDeviceInfoW', (...args) => {
        this.devices.push([]);
        (args[6] as { DevInst: number }).DevInst = this.devices.length - 1;
        return 1;
      }),
      SetupDiSetDeviceRegistryPropertyW: call('SetupDiSetDeviceRegistryPropertyW', (...args) => {
        const data = args[1] as { DevInst: number };
        this.devices[data.DevInst] = [SPEC.hardwareId];
        return 1;
      }),
      SetupDiCallClassInstaller: call('SetupDiCallClassInstaller', (...args) => {
        const [fn, , data] = args as [number, bigint, { DevInst: number }];
        this.calls.push(
          fn === DIF_REGISTERDEVICE
            ? 'DIF_REGISTERDEVICE'
            : fn === DIF_REMOVE
              ? 'DIF_REMOVE'
              : `DIF ${fn}`,
        );
        if (fn === DIF_REMOVE) {
          this.devices[data.DevInst] = [];
          this.flags.set(data.DevInst, this.removeFlags);
        }
        return 1;
      }),
      UpdateDriverForPlugAndPlayDevicesW: call('UpdateDriverForPlugAndPlayDevicesW', (...args) => {
        this.calls.push(`flags=${args[3] as number}`);
        (args[4] as number[])[0] = this.install.reboot ? 1 : 0;
        if (!this.install.ok) this.lastError = this.install.error ?? 0;
        return this.install.ok ? 1 : 0;
      }),
      SetupDiGetClassDevsW: call('SetupDiGetClassDevsW', () => 2n),
      SetupDiEnumDeviceInfo: call('SetupDiEnumDeviceInfo', (...args) => {
        const [, index, data] = args as [bigint, number, { DevInst: number }];
        if (index >= this.devices.length) {
          this.lastError = ERROR_NO_MORE_ITEMS;
          return 0;
        }
        data.DevInst = index;
        return 1;
      }),
      SetupDiGetDeviceRegistryPropertyW: call('SetupDiGetDeviceRegistryPropertyW', (...args) => {
        const data = args[1] as { DevInst: number };
        const ids = this.devices[data.DevInst]!;
        if (ids.length === 0) return 0;
        const bytes = multiSz(ids);
        (args[4] as Uint8Array).set(bytes);
        (args[6] as number[])[0] = bytes.byteLength;
        return 1;
      }),
      SetupDiGetDeviceInstallParamsW: call('SetupDiGetDeviceInstallParamsW', (...args) => {
        const data = args[1] as { DevInst: number };
        (args[2] as { Flags: number }).Flags = this.flags.get(data.DevInst) ?? 0;
        return 1;
      }),
      SetupDiGetDeviceInstanceIdW: call('SetupDiGetDeviceInstanceIdW', () => 0),
      SetupDiDestroyDeviceInfoList: call('SetupDiDestroyDeviceInfoList', () => 1),
    };
  }

  present(): number {
    return this.devices.filter((ids) => ids.length > 0).length;
  }
}

function scmError(fn: () => unknown): ScmError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScmError);
    return error as ScmError;
  }
  throw new Error('expected an ScmError');
}

test('a device is added and its driver installed without UI (INSTALLFLAG_NONINTERACTIVE)', () => {
  const fake = new FakeSetupApi();
  addRootDevice(SPEC, fake.asApi());
  expect(fake.calls).toContain(`flags=${INSTALLFLAG_FORCE | INSTALLFLAG_NONINTERACTIVE}`);
  expect(fake.calls).not.toContain('DIF_REMOVE');
  expect(fake.present()).toBe(1);
  expect(fake.calls.at(-1)).toBe('SetupDiDestroyDeviceInfoList');
});

test('an install that fails after DIF_REGISTERDEVICE removes the device node, then reports the install’s error', () => {
  const fake = new FakeSetupApi();
  fake.install = { ok: false, error: 0xe000020b }; // ERROR_NO_SUCH_DEVINST
  const error = scmError(() => addRootDevice(SPEC, fake.asApi()));
  expect(error).toMatchObject({
    operation: 'UpdateDriverForPlugAndPlayDevices',
    win32Code: 0xe000020b,
  });
  expect(fake.calls.indexOf('DIF_REMOVE')).toBeGreaterThan(
    fake.calls.indexOf('UpdateDriverForPlugAndPlayDevicesW'),
  );
  expect(fake.present()).toBe(0);
  // The error read is the install's, not one a later call (the removal) left behind.
  expect(error.win32Code).toBe(0xe000020b);
});

test('an install that needs a reboot is a failure with ERROR_SUCCESS_REBOOT_REQUIRED, not a load', () => {
  const fake = new FakeSetupApi();
  fake.install = { ok: true, reboot: true };
  const error = scmError(() => addRootDevice(SPEC, fake.asApi()));
  expect(error).toMatchObject({ operation: 'UpdateDriverForPlugAndPlayDevices', win32Code: 3010 });
  expect(error.message).toContain('ERROR_SUCCESS_REBOOT_REQUIRED');
  expect(fake.present()).toBe(0);
});

test('a removal that leaves DI_NEEDREBOOT or DI_NEEDRESTART is an unload failure with that evidence', () => {
  for (const [flags, code] of [
    [DI_NEEDREBOOT, 3010],
    [DI_NEEDRESTART, 3011],
    [DI_NEEDREBOOT | DI_NEEDRESTART, 3010],
  ] as const) {
    const fake = new FakeSetupApi();
    addRootDevice(SPEC, fake.asApi());
    fake.removeFlags = flags;
    const error = scmError(() => removeDevices(SPEC.hardwareId, SPEC.service, fake.asApi()));
    expect(error).toMatchObject({
      operation: 'SetupDiCallClassInstaller(DIF_REMOVE)',
      win32Code: code,
    });
  }
  const clean = new FakeSetupApi();
  addRootDevice(SPEC, clean.asApi());
  expect(removeDevices(SPEC.hardwareId, SPEC.service, clean.asApi())).toBe(1);
  expect(clean.present()).toBe(0);
});
