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
  ERROR_NO_MORE_ITEMS,
  guidStruct,
  INSTALLFLAG_FORCE,
  INVALID_HANDLE_VALUE,
  multiSz,
  parseMultiSz,
  setupapi,
  SPDRP_HARDWAREID,
} from './setupapi.ts';

interface DevInfoData {
  cbSize: number;
  ClassGuid: { Data1: number; Data2: number; Data3: number; Data4: number[] };
  DevInst: number;
  Reserved: bigint | number;
}

function devInfoData(): DevInfoData {
  return {
    cbSize: setupapi().SP_DEVINFO_DATA_SIZE,
    ClassGuid: { Data1: 0, Data2: 0, Data3: 0, Data4: [0, 0, 0, 0, 0, 0, 0, 0] },
    DevInst: 0,
    Reserved: 0,
  };
}

function failure(
  operation: ScmOperation,
  service: string,
  code = setupapi().GetLastError() as number,
) {
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

/** Adds one root-enumerated device and installs the INF's driver on it. */
export function addRootDevice(spec: DeviceSpec): void {
  const api = setupapi();
  const guid = guidStruct(spec.classGuid);
  const set = api.SetupDiCreateDeviceInfoList(guid, null) as bigint;
  if (BigInt(set) === INVALID_HANDLE_VALUE)
    throw failure('SetupDiCreateDeviceInfoList', spec.service);
  try {
    const data = devInfoData();
    if (
      !api.SetupDiCreateDeviceInfoW(set, spec.deviceName, guid, null, null, DICD_GENERATE_ID, data)
    )
      throw failure('SetupDiCreateDeviceInfo', spec.service);
    const ids = multiSz([spec.hardwareId]);
    if (!api.SetupDiSetDeviceRegistryPropertyW(set, data, SPDRP_HARDWAREID, ids, ids.byteLength))
      throw failure('SetupDiSetDeviceRegistryProperty', spec.service);
    if (!api.SetupDiCallClassInstaller(DIF_REGISTERDEVICE, set, data))
      throw failure('SetupDiCallClassInstaller(DIF_REGISTERDEVICE)', spec.service);
  } finally {
    api.SetupDiDestroyDeviceInfoList(set);
  }
  const reboot = [0];
  if (
    !api.UpdateDriverForPlugAndPlayDevicesW(
      null,
      spec.hardwareId,
      spec.infPath,
      INSTALLFLAG_FORCE,
      reboot,
    )
  )
    throw failure('UpdateDriverForPlugAndPlayDevices', spec.service);
}

/** Runs `use` on every device (any class, present or not) whose hardware ids include `hardwareId`. */
function forEachDevice(
  hardwareId: string,
  service: string,
  use: (set: bigint, data: DevInfoData) => void,
): number {
  const api = setupapi();
  const set = api.SetupDiGetClassDevsW(null, null, null, DIGCF_ALLCLASSES) as bigint;
  if (BigInt(set) === INVALID_HANDLE_VALUE) throw failure('SetupDiGetClassDevs', service);
  let matched = 0;
  try {
    for (let index = 0; ; index++) {
      const data = devInfoData();
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

export function countDevices(hardwareId: string, service: string): number {
  return forEachDevice(hardwareId, service, () => undefined);
}

/** DIF_REMOVE on every device with the hardware id; how many were removed. */
export function removeDevices(hardwareId: string, service: string): number {
  const api = setupapi();
  return forEachDevice(hardwareId, service, (set, data) => {
    if (!api.SetupDiCallClassInstaller(DIF_REMOVE, set, data))
      throw failure('SetupDiCallClassInstaller(DIF_REMOVE)', service);
  });
}

/** The device instance ids (ROOT\\DC_X\\0000) of the devices with the hardware id. */
export function deviceInstanceIds(hardwareId: string, service: string): string[] {
  const api = setupapi();
  const ids: string[] = [];
  forEachDevice(hardwareId, service, (set, data) => {
    const buffer = new Uint16Array(512);
    const required = [0];
    if (api.SetupDiGetDeviceInstanceIdW(set, data, buffer, buffer.length, required))
      ids.push(Buffer.from(buffer.buffer).toString('utf16le').replace(/\0.*$/s, ''));
  });
  return ids;
}
