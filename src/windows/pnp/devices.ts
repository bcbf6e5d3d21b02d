/**
 * Root-enumerated devices for a PnP driver under test, over SetupAPI: add one (create the device
 * node, give it the hardware id, register it, install the INF's driver on it: DriverEntry,
 * AddDevice and START_DEVICE run before the call returns), find them by hardware id, remove
 * them (DIF_REMOVE: on Windows an orderly removal, QUERY_REMOVE_DEVICE then REMOVE_DEVICE; on
 * Wine 8 SURPRISE_REMOVAL then REMOVE_DEVICE). These calls exist on Windows and on Wine 8, where
 * they are the only ones drvcycle uses to change a device.
 */
import { ScmError, type ScmOperation } from '../../core/errors.ts';
import {
  DICD_GENERATE_ID,
  DIF_REGISTERDEVICE,
  DIF_REMOVE,
  DIGCF_ALLCLASSES,
  DI_NEEDREBOOT,
  DI_NEEDRESTART,
  ERROR_NO_MORE_ITEMS,
  ERROR_SUCCESS_REBOOT_REQUIRED,
  ERROR_SUCCESS_RESTART_REQUIRED,
  guidStruct,
  INSTALLFLAG_FORCE,
  INSTALLFLAG_NONINTERACTIVE,
  INVALID_HANDLE_VALUE,
  multiSz,
  parseMultiSz,
  setupapi,
  SPDRP_HARDWAREID,
  type SetupApi,
} from './setupapi.ts';

interface DevInfoData {
  cbSize: number;
  ClassGuid: { Data1: number; Data2: number; Data3: number; Data4: number[] };
  DevInst: number;
  Reserved: bigint | number;
}

function devInfoData(api: SetupApi): DevInfoData {
  return {
    cbSize: api.SP_DEVINFO_DATA_SIZE,
    ClassGuid: { Data1: 0, Data2: 0, Data3: 0, Data4: [0, 0, 0, 0, 0, 0, 0, 0] },
    DevInst: 0,
    Reserved: 0,
  };
}

function failure(operation: ScmOperation, service: string, code: number) {
  return new ScmError({ operation, service, win32Code: code });
}

export interface DeviceSpec {
  /** The device name SetupAPI makes its instance id from: ROOT\<NAME>\0000. */
  readonly deviceName: string;
  readonly hardwareId: string;
  readonly classGuid: string;
  /** The INF on this machine (drvcycle's staged copy, or the driver team's). */
  readonly infPath: string;
  /** For messages: the driver's service. */
  readonly service: string;
}

/**
 * Adds one root-enumerated device and installs the INF's driver on it, without UI (the agent is
 * a service). A device node registered for an install that then failed, or that needs a reboot,
 * is removed again before the failure is reported: nothing is left to load at the next boot. A
 * pending reboot is reported as ERROR_SUCCESS_REBOOT_REQUIRED from the install, never as a load.
 */
export function addRootDevice(spec: DeviceSpec, api: SetupApi = setupapi()): void {
  const guid = guidStruct(spec.classGuid);
  const set = api.SetupDiCreateDeviceInfoList(guid, null) as bigint;
  if (BigInt(set) === INVALID_HANDLE_VALUE)
    throw failure('SetupDiCreateDeviceInfoList', spec.service, api.GetLastError() as number);
  try {
    const data = devInfoData(api);
    if (
      !api.SetupDiCreateDeviceInfoW(set, spec.deviceName, guid, null, null, DICD_GENERATE_ID, data)
    )
      throw failure('SetupDiCreateDeviceInfo', spec.service, api.GetLastError() as number);
    const ids = multiSz([spec.hardwareId]);
    if (!api.SetupDiSetDeviceRegistryPropertyW(set, data, SPDRP_HARDWAREID, ids, ids.byteLength))
      throw failure('SetupDiSetDeviceRegistryProperty', spec.service, api.GetLastError() as number);
    if (!api.SetupDiCallClassInstaller(DIF_REGISTERDEVICE, set, data))
      throw failure(
        'SetupDiCallClassInstaller(DIF_REGISTERDEVICE)',
        spec.service,
        api.GetLastError() as number,
      );
    const reboot = [0];
    const installed = api.UpdateDriverForPlugAndPlayDevicesW(
      null,
      spec.hardwareId,
      spec.infPath,
      INSTALLFLAG_FORCE | INSTALLFLAG_NONINTERACTIVE,
      reboot,
    );
    const error = !installed
      ? failure('UpdateDriverForPlugAndPlayDevices', spec.service, api.GetLastError() as number)
      : reboot[0]
        ? failure('UpdateDriverForPlugAndPlayDevices', spec.service, ERROR_SUCCESS_REBOOT_REQUIRED)
        : undefined;
    if (error) {
      // Registered, not installed: the node goes, or the next boot would find and load it.
      api.SetupDiCallClassInstaller(DIF_REMOVE, set, data);
      throw error;
    }
  } finally {
    api.SetupDiDestroyDeviceInfoList(set);
  }
}

/** Runs `use` on every device (any class, present or not) whose hardware ids include `hardwareId`. */
function forEachDevice(
  api: SetupApi,
  hardwareId: string,
  service: string,
  use: (set: bigint, data: DevInfoData) => void,
): number {
  const set = api.SetupDiGetClassDevsW(null, null, null, DIGCF_ALLCLASSES) as bigint;
  if (BigInt(set) === INVALID_HANDLE_VALUE)
    throw failure('SetupDiGetClassDevs', service, api.GetLastError() as number);
  let matched = 0;
  try {
    for (let index = 0; ; index++) {
      const data = devInfoData(api);
      if (!api.SetupDiEnumDeviceInfo(set, index, data)) {
        const code = api.GetLastError() as number;
        if (code === ERROR_NO_MORE_ITEMS) break;
        throw failure('SetupDiEnumDeviceInfo', service, code);
      }
      const type = [0];
      const required = [0];
      const buffer = new Uint8Array(4096);
      if (
        !api.SetupDiGetDeviceRegistryPropertyW(
          set,
          data,
          SPDRP_HARDWAREID,
          type,
          buffer,
          buffer.byteLength,
          required,
        )
      )
        continue; // no hardware id: not ours
      const ids = parseMultiSz(buffer.subarray(0, required[0]));
      if (!ids.some((id) => id.toLowerCase() === hardwareId.toLowerCase())) continue;
      matched++;
      use(set, data);
    }
  } finally {
    api.SetupDiDestroyDeviceInfoList(set);
  }
  return matched;
}

/**
 * What a class installer call left pending, from the device's install parameters: a reboot
 * (DI_NEEDREBOOT) or a restart (DI_NEEDRESTART) before the change takes effect, as the Win32
 * code drvcycle reports it with; undefined when nothing is pending or the flags cannot be read.
 */
export function pendingReboot(api: SetupApi, set: bigint, data: DevInfoData): number | undefined {
  const params = {
    cbSize: api.SP_DEVINSTALL_PARAMS_W_SIZE,
    Flags: 0,
    FlagsEx: 0,
    hwndParent: null,
    InstallMsgHandler: null,
    InstallMsgHandlerContext: null,
    FileQueue: null,
    ClassInstallReserved: 0,
    Reserved: 0,
    DriverPath: new Array<number>(260).fill(0),
  };
  if (!api.SetupDiGetDeviceInstallParamsW(set, data, params)) return undefined;
  if (params.Flags & DI_NEEDREBOOT) return ERROR_SUCCESS_REBOOT_REQUIRED;
  if (params.Flags & DI_NEEDRESTART) return ERROR_SUCCESS_RESTART_REQUIRED;
  return undefined;
}

export function countDevices(hardwareId: string, service: string): number {
  return forEachDevice(setupapi(), hardwareId, service, () => undefined);
}

/**
 * DIF_REMOVE on every device with the hardware id; how many were removed. A removal that takes
 * effect only after a reboot (the driver did not unload) fails with ERROR_SUCCESS_REBOOT_REQUIRED
 * (or _RESTART_), after every device was removed: an unload failure with its evidence.
 */
export function removeDevices(
  hardwareId: string,
  service: string,
  api: SetupApi = setupapi(),
): number {
  let pending: number | undefined;
  const removed = forEachDevice(api, hardwareId, service, (set, data) => {
    if (!api.SetupDiCallClassInstaller(DIF_REMOVE, set, data))
      throw failure('SetupDiCallClassInstaller(DIF_REMOVE)', service, api.GetLastError() as number);
    pending ??= pendingReboot(api, set, data);
  });
  if (pending !== undefined)
    throw failure('SetupDiCallClassInstaller(DIF_REMOVE)', service, pending);
  return removed;
}

/** The device instance ids (ROOT\\DC_X\\0000) of the devices with the hardware id. */
export function deviceInstanceIds(hardwareId: string, service: string): string[] {
  const api = setupapi();
  const ids: string[] = [];
  forEachDevice(api, hardwareId, service, (set, data) => {
    const buffer = new Uint16Array(512);
    const required = [0];
    if (api.SetupDiGetDeviceInstanceIdW(set, data, buffer, buffer.length, required))
      ids.push(Buffer.from(buffer.buffer).toString('utf16le').replace(/\0.*$/s, ''));
  });
  return ids;
}
